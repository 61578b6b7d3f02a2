#!/usr/bin/env bash
# Second-level cache misses per event in the scale world (Workloads/bench/ar-10k.json) at 1,000
# and 10,000 clients, and how many of them the prefetch hints fetch: every hint that goes through
# Sources/CPrefetch/shim.h, the world's (World.prefetch and the hints it calls) and the event
# queue's. cachegrind simulates this machine's L2 (1 MiB, 16-way, per core) as its last level and
# ignores prefetch instructions. So arsim is built twice, without LTO (valgrind cannot read the
# LTO build's debugging information), each in a scratch directory of its own:
#   - as it is: a hinted line counts where a handler first reads it, so this is what the
#     handlers read from beyond L2;
#   - with every hint as a load (-Xcc -DARSIM_PREFETCH_AS_LOADS): a hinted line counts where the
#     hint asks for it, and the rest where the handlers miss. Never time this build.
# The difference between the two is what the hints fetch that no handler reads before it leaves L2.
#
#   tools/miss_budget.sh        (about eight minutes on this 2-core machine from empty scratch
#                                directories: two builds of about a minute, then eight runs)
#
# Each size runs two lengths, and the difference in misses is divided by the difference in events
# (Δevents, printed), so that reading the scenario and building the clients drop out. Swift's
# hashing is made deterministic and address randomisation is off, so the figures repeat.
# Environment: SCRATCH (build directories under it, default /tmp/arsim-miss-budget), LL
# (cachegrind's --LL, default 1048576,16,64). After a change to Sources/CPrefetch/shim.h, delete
# the scratch directories: SwiftPM does not recompile the Swift modules that inline its hints, so
# the builds would keep the old ones (seen 2026-11-27: a link error, at best).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-/tmp/arsim-miss-budget}
ll=${LL:-1048576,16,64}
for tool in valgrind setarch; do
    command -v "$tool" >/dev/null || { echo "miss_budget.sh: needs $tool (apt-get install valgrind util-linux)" >&2; exit 2; }
done

swift build -c release --scratch-path "$scratch/prefetch" --product arsim >&2
swift build -c release --scratch-path "$scratch/loads" --product arsim -Xcc -DARSIM_PREFETCH_AS_LOADS >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run: prints "events misses hinted": second-level data read misses, and those on the hints'
# lines (the lines cachegrind files under shim.h, where the hints are inlined).
run() {  # build, clients per group, simulated seconds
    local out="$work/cg.$1.$2.$3"
    SWIFT_DETERMINISTIC_HASHING=1 setarch "$(uname -m)" -R \
        valgrind --tool=cachegrind --cache-sim=yes --D1=49152,12,64 --LL="$ll" --cachegrind-out-file="$out" \
        "$scratch/$1/release/arsim" bench --only world --scenario Workloads/bench/ar-10k.json --set duration_s="$3" \
        --set "clients[0].count=$2" --set "clients[1].count=$2" --set "clients[2].count=$2" --set "clients[3].count=$2" \
        >"$work/stdout" 2>"$work/stderr" || { tail -n 40 "$work/stderr" >&2; exit 1; }
    local events counts
    events=$(awk '$1 == "(c)" { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9,]+$/) { gsub(",", "", $i); print $i; exit } }' "$work/stdout")
    counts=$(awk '/^events:/ { for (i = 2; i <= NF; i++) if ($i == "DLmr") c = i }
                  /^fl=/ { hint = ($0 ~ /CPrefetch\/shim\.h$/) }
                  /^[0-9]/ && hint { s += $c }
                  /^summary:/ { t = $c }
                  END { printf "%.0f %.0f\n", t, s }' "$out")
    [[ $events =~ ^[0-9]+$ && $counts =~ ^[0-9]+\ [0-9]+$ ]] \
        || { echo "miss_budget.sh: could not read the $1 build's run of 4 x $2 clients over $3 s" >&2; exit 1; }
    echo "$events $counts"
}

# Per event, the difference between two lengths: "Δevents misses hinted".
marginal() {  # build, clients per group, shorter, longer
    local short long
    short=$(run "$1" "$2" "$3") && long=$(run "$1" "$2" "$4") || exit 1
    awk -v a="$short" -v b="$long" 'BEGIN { split(a, x, " "); split(b, y, " "); e = y[1] - x[1]
        printf "%.0f %.4f %.4f\n", e, (y[2] - x[2]) / e, (y[3] - x[3]) / e }'
}

printf '%-8s %9s %16s %14s %11s %13s %16s\n' clients Δevents "read by handlers" "hints as loads" "of them by" "left to the" "fetched, unread"
printf '%-8s %9s %16s %14s %11s %13s %16s\n' "" "" "(misses/event)" "(misses/event)" hints handlers ""
# (The scenario warms up for its first second.)
for size in "250 6 12" "2500 1.3 2.1"; do
    set -- $size
    as_is=$(marginal prefetch "$1" "$2" "$3") && as_loads=$(marginal loads "$1" "$2" "$3") || exit 1
    awk -v c=$(( $1 * 4 )) -v p="$as_is" -v l="$as_loads" 'BEGIN { split(p, x, " "); split(l, y, " ")
        printf "%-8d %9.0f %16.2f %14.2f %11.2f %13.2f %16.2f\n", c, y[1], x[2], y[2], y[3], y[2] - y[3], y[2] - x[2] }'
done
