#!/bin/sh
# Times two commands as whole processes, A B A B, and prints the ratio A/B pair by pair with its
# median, minimum and maximum: how docs/performance.md compares two builds on a shared machine,
# where a ratio of neighbouring runs holds while the machine's speed drifts and a single time
# does not.
#
#   tools/ab.sh PAIRS 'COMMAND A' 'COMMAND B'
#   tools/ab.sh 8 '/tmp/new/arsim bench --only world --scenario Workloads/bench/ar-10k.json --set duration_s=6' \
#                 '/tmp/old/arsim bench --only world --scenario Workloads/bench/ar-10k.json --set duration_s=6'
#
# Each command runs once first, uncounted (a warm-up: page cache, CPU frequency), then PAIRS
# times each, alternately. Output is thrown away. Wall time is the clock's; user+system seconds and
# peak resident memory are GNU time's (/usr/bin/time, Debian's `time` package).
set -eu
if [ $# -ne 3 ] || ! [ "$1" -ge 1 ] 2>/dev/null; then
    echo "usage: tools/ab.sh PAIRS 'COMMAND A' 'COMMAND B' (PAIRS a whole number from 1)" >&2
    exit 2
fi
command -v /usr/bin/time >/dev/null || { echo "tools/ab.sh needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
pairs=$1 a=$2 b=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Prints "wall cpu peakKiB" of one run of the command $1 (run by sh -c, so `;` and quotes work).
# Wall time from the clock in nanoseconds: GNU time's own has centiseconds only.
# A command that fails stops the comparison: its time would say nothing.
run() {
    start=$(date +%s%N)
    status=0
    /usr/bin/time -f '%U %S %M' -o "$log" sh -c "$1" </dev/null >/dev/null 2>&1 || status=$?
    end=$(date +%s%N)
    if [ "$status" -ne 0 ]; then
        echo "tools/ab.sh: exit status $status from: $1" >&2
        return 1
    fi
    # GNU time's figures are its log's last line.
    tail -n 1 "$log" | awk -v ns=$((end - start)) '{ printf "%.4f %.3f %s\n", ns / 1e9, $1 + $2, $3 }'
}

run "$a" >/dev/null
run "$b" >/dev/null
i=1
rows=$(mktemp)
trap 'rm -f "$log" "$rows"' EXIT
while [ "$i" -le "$pairs" ]; do
    ta=$(run "$a") && tb=$(run "$b") || exit 1
    echo "$ta $tb" >>"$rows"
    i=$((i + 1))
done
awk '
    { wa[NR] = $1; wb[NR] = $4; r[NR] = ($4 > 0 ? $1 / $4 : 0); c[NR] = ($5 > 0 ? $2 / $5 : 0)
      printf "pair %d: A %.3f s, B %.3f s, A/B wall %.4f, cpu %.4f, peak MiB %.1f / %.1f\n", NR, $1, $4, r[NR], c[NR], $3 / 1024, $6 / 1024 }
    function median(x, n,   i, j, t, s) {
        for (i = 1; i <= n; i++) s[i] = x[i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
        lo = s[1]; hi = s[n]
        return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
    }
    END {
        m = median(wa, NR); printf "A wall median %.3f s\n", m
        m = median(wb, NR); printf "B wall median %.3f s\n", m
        m = median(c, NR);  printf "A/B cpu  median %.4f (%.4f-%.4f)\n", m, lo, hi
        m = median(r, NR);  printf "A/B wall median %.4f (%.4f-%.4f), %d pairs\n", m, lo, hi, NR
    }' "$rows"
