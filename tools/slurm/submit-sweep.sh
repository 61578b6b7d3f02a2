#!/bin/sh
# submit-sweep.sh -- submit an arsim sweep as a Slurm job array plus a merge job.
#
# Usage: tools/slurm/submit-sweep.sh SWEEP.json OUTDIR N [extra sbatch args...]
#
# Submits `arsim-sweep.sbatch` as array 1-N (one shard per task) and
# `arsim-merge.sbatch` with --dependency=afterok:ARRAY, so the merge starts only
# after every shard succeeded. Prints two lines:
#   sweep ARRAYJOBID
#   merge MERGEJOBID
# Extra args (e.g. --partition=X --cpus-per-task=4 --time=1:00:00) go to both
# sbatch calls; SBATCH_* environment variables work too. ARSIM (path to the
# binary) is passed to the jobs through the environment.
# Results: OUTDIR/shard-I.sqlite, OUTDIR/all.sqlite; logs: OUTDIR/slurm-*.out.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 SWEEP.json OUTDIR N [sbatch args...]" >&2
    exit 2
fi
sweep=$1 outdir=$2 n=$3
shift 3
case $n in ''|*[!0-9]*|0) echo "$0: N must be a positive integer" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
# Absolute paths: jobs may start in another directory (e.g. with --chdir).
sweep=$(cd "$(dirname "$sweep")" && pwd)/$(basename "$sweep")
outdir=$(cd "$outdir" && pwd)
[ -f "$sweep" ] || { echo "$0: no such sweep file: $sweep" >&2; exit 2; }

# --parsable prints "jobid" or "jobid;cluster"; keep the id.
array=$(sbatch --parsable --array="1-$n" --output="$outdir/slurm-%A_%a.out" \
        "$@" "$here/arsim-sweep.sbatch" "$sweep" "$outdir" "$n")
array=${array%%;*}

# --kill-on-invalid-dep: if a shard fails, cancel the merge instead of leaving
# it pending forever with reason DependencyNeverSatisfied.
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        --output="$outdir/slurm-%j-merge.out" \
        "$@" "$here/arsim-merge.sbatch" "$outdir" "$n")
merge=${merge%%;*}

echo "sweep $array"
echo "merge $merge"
