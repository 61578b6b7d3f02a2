#!/bin/bash
# smoke-test.sh -- run an arsim sweep end to end on a throwaway local Slurm.
#
# Usage: tools/slurm/smoke-test.sh [SWEEP.json [N]]   (SWEEP.json "" = stub)
#   With SWEEP.json: uses the real binary ($ARSIM, else `arsim` on PATH).
#   Without: uses a stub arsim that only records its arguments, which checks
#   the Slurm plumbing (array, shard numbering, afterok merge) in ~5 s.
# Starts local-cluster.sh in a temp dir, submits submit-sweep.sh with N
# shards (default 2), waits (120 s max), checks shard-1..N and all.sqlite
# exist, stops the cluster (also on failure). Needs root, see local-cluster.sh.
# KEEP=1 keeps the temp dir (logs, outputs) and prints its path.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lc=$here/local-cluster.sh
n=${2:-2}
tmp=$(mktemp -d /tmp/arsim-slurm.XXXXXX)
cleanup() {
    "$lc" stop "$tmp/cluster" || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

if [ -n "${1:-}" ]; then
    sweep=$1
else
    sweep=$tmp/sweep.json
    echo '{}' > "$sweep"
    mkdir "$tmp/bin"
    # The stub writes its command line to the --db / --into file; merge also
    # appends the shard contents, so all.sqlite shows every shard ran.
    cat > "$tmp/bin/arsim" <<'STUB'
#!/bin/sh
out= prev=
for a in "$@"; do
    case $prev in --db|--into) out=$a ;; esac
    prev=$a
done
{
    echo "arsim $*"
    if [ "$1" = merge ]; then
        for f in "$@"; do case $f in *shard-*.sqlite) cat "$f" ;; esac; done
    fi
} > "$out"
STUB
    chmod +x "$tmp/bin/arsim"
    export ARSIM=$tmp/bin/arsim
fi

start=$SECONDS
"$lc" start "$tmp/cluster" >/dev/null
ids=$("$lc" run "$tmp/cluster" -- "$here/submit-sweep.sh" "$sweep" "$tmp/out" "$n")
echo "$ids"
"$lc" wait "$tmp/cluster" -t 120 $(echo "$ids" | awk '{print $2}')
for i in $(seq "$n"); do
    [ -s "$tmp/out/shard-$i.sqlite" ] || { echo "missing shard-$i.sqlite" >&2; exit 1; }
done
[ -s "$tmp/out/all.sqlite" ] || { echo "missing all.sqlite" >&2; exit 1; }
if [ -z "${1:-}" ]; then
    [ "$(grep -c '^arsim sweep' "$tmp/out/all.sqlite")" = "$n" ] \
        || { echo "merge did not see $n shards" >&2; exit 1; }
fi
echo "ok: $n shards + merge in $((SECONDS - start)) s"
