#!/usr/bin/env bash
# Second-level cache misses per event in the scale world (Workloads/bench/ar-10k.json) at 1,000
# and 10,000 clients, and how many of them the prefetch hints fetch (World.prefetch and the hints
# it calls). cachegrind simulates a 1 MiB, 8-way cache as its last level (this machine's L2 per
# core) and ignores prefetch instructions, so arsim is built here with each hint as a load
# (-Xcc -DARSIM_PREFETCH_AS_LOADS, Sources/CPrefetch/shim.h) in a scratch directory of its own:
# a line a hint asks for counts where the hint is, and what is left counts where the handlers
# miss. Never time that build.
#
#   tools/miss_budget.sh        (about four minutes on this 2-core machine from an empty scratch
#                                directory: a build of about a minute, then four runs)
#
# Each size runs two lengths and the difference in misses is divided by the difference in events
# (marginal figures), so that reading the scenario and building the clients drop out.
# Environment: SCRATCH (build directory, default /tmp/arsim-miss-budget), LL (cachegrind's --LL,
# default 1048576,8,64).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-/tmp/arsim-miss-budget}
ll=${LL:-1048576,8,64}
command -v valgrind >/dev/null || { echo "miss_budget.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }

swift build -c release --scratch-path "$scratch" --product arsim -Xcc -DARSIM_PREFETCH_AS_LOADS >&2
arsim="$scratch/release/arsim"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run: prints "events misses hinted" (second-level data read misses; those on the hints' lines).
run() {  # clients per group, simulated seconds
    local out="$work/cg.$1.$2"
    valgrind --tool=cachegrind --cache-sim=yes --D1=49152,12,64 --LL="$ll" --cachegrind-out-file="$out" \
        "$arsim" bench --only world --scenario Workloads/bench/ar-10k.json --set duration_s="$2" \
        --set "clients[0].count=$1" --set "clients[1].count=$1" --set "clients[2].count=$1" --set "clients[3].count=$1" \
        >"$work/stdout" 2>"$work/stderr" || { grep -v '^==' "$work/stderr" >&2; exit 1; }
    local events misses hinted
    events=$(awk '/^\(c\)/ { gsub(",", "", $3); print $3 }' "$work/stdout")
    misses=$(awk '/LLd misses:/ { for (i = 1; i <= NF; i++) if ($i == "rd") { v = $(i - 1); gsub("[(,]", "", v); print v } }' "$work/stderr")
    hinted=$(cg_annotate --show=DLmr --threshold=0 "$out" 2>/dev/null \
        | awk '/CPrefetch\/shim\.h:/ { v = $1; gsub(",", "", v); s += v } END { print s + 0 }')
    echo "$events $misses $hinted"
}

printf '%-8s %12s %22s %18s %20s\n' clients events "L2 read misses/event" "asked by hints" "left to handlers"
# (The scenario warms up for its first second.)
for size in "250 6 12" "2500 1.3 2.1"; do
    set -- $size
    first=$(run "$1" "$2") && second=$(run "$1" "$3") || exit 1
    read -r e1 m1 h1 <<<"$first"
    read -r e2 m2 h2 <<<"$second"
    awk -v c=$(( $1 * 4 )) -v e1="$e1" -v m1="$m1" -v h1="$h1" -v e2="$e2" -v m2="$m2" -v h2="$h2" 'BEGIN {
        e = e2 - e1; m = (m2 - m1) / e; h = (h2 - h1) / e
        printf "%-8d %12d %22.2f %18.2f %20.2f\n", c, e, m, h, m - h }'
done
