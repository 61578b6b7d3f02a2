#!/usr/bin/env bash
# Measures every bundled model on the CUDA GPU at hand with tools/profile_model.py, one process
# per model so that one model's failure or time limit leaves the others' profiles intact.
#
#   tools/profile_all.sh [OUTDIR]        (default Workloads/profiles/measured)
#
# Environment: BUDGET_S (whole run, default 480), REPETITIONS (default 50), WARMUP (default 10),
# PRECISIONS (default fp32,tf32,fp16), MODELS (names from the plan below, in the order to measure
# them; default the whole plan in its order), LIMIT_S (every model's time limit, in place of the
# plan's), BATCH_S (seconds of timed passes per batch size: fewer passes, never under 10, for the
# batch sizes where REPETITIONS would take longer; unset, every size gets REPETITIONS).
#
# Each model has a time limit; the profiler stops before a batch size that would overrun it and
# writes what it measured, so a model cut short leaves its smaller batches, not nothing. A quick
# smoke test runs first and stops everything if the profiler cannot measure at all, so a broken
# run costs seconds of GPU time, not minutes.
# Where $OUT is set (the device tool), the profiles are packed into $OUT/measured.tar.gz after
# every model, so whatever was measured comes back even if the run is cut off.
set -u
out=${1:-Workloads/profiles/measured}
budget=${BUDGET_S:-480}
reps=${REPETITIONS:-50}
warmup=${WARMUP:-10}
precisions=${PRECISIONS:-fp32,tf32,fp16}
start=$(date +%s)
export PYTHONUNBUFFERED=1

# Settings are checked before any GPU time is spent, each with one line if it is wrong.
bad() { echo "profile_all.sh: $1" >&2; exit 2; }
whole() {  # name, smallest: a whole number in decimal (no leading zero, which bash reads as octal)
    local value=${!1:-}
    [ -z "$value" ] && return
    [[ "$value" =~ ^(0|[1-9][0-9]*)$ ]] || bad "$1 must be a whole number of seconds or passes, got \"$value\""
    [ "$value" -ge "$2" ] || bad "$1 must be at least $2, got $value"
}
whole BUDGET_S 30; whole REPETITIONS 2; whole WARMUP 0; whole LIMIT_S 10
if [ -n "${BATCH_S:-}" ] && ! [[ "$BATCH_S" =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]]; then
    bad "BATCH_S must be a number of seconds, got \"$BATCH_S\""
fi
IFS=, read -ra wanted <<< "$precisions"
for p in "${wanted[@]}"; do
    case "$p" in fp32|tf32|fp16) ;; *) bad "PRECISIONS: \"$p\" is not fp32, tf32 or fp16" ;; esac
done
echo "settings: BUDGET_S=$budget REPETITIONS=$reps WARMUP=$warmup PRECISIONS=$precisions LIMIT_S=${LIMIT_S:-} BATCH_S=${BATCH_S:-} MODELS=${MODELS:-(the plan)}"

pack() {
    if [ -n "${OUT:-}" ] && [ -d "$out" ]; then tar czf "$OUT/measured.tar.gz" -C "$out" .; fi
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.limit,temperature.gpu \
    --format=csv || true
python3 -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "torchvision", torchvision.__version__)'

# model, largest batch, time limit (s) for all three precisions (the profiler shares it out
# evenly). Every model goes to batch 64, the range issue 17 asks for. The limits are estimates
# from the H100 log (WARMUP=5 REPETITIONS=30 BATCH_S=3), extrapolated to batch 64 where that run
# stopped sooner: most of a heavy model's time is cuDNN's search for algorithms at each new
# shape, which grows with the batch (DeepLabV3 FP32: 20 s at batch 16), and a pass of DeepLabV3
# or AdaBins at batch 64 in FP32 should take most of a second. A model whose limit runs out keeps
# the batch sizes it measured. The whole plan needs about an hour: BUDGET_S (480 s unless set)
# ends it sooner, so on a short loan pick MODELS and PRECISIONS (docs/profiling.md).
plan="resnet50 64 90
mobilenet_v2 64 75
fastdepth 64 120
vgg16 64 90
ssd300_vgg16 64 150
deeplabv3_resnet50 64 600
googlenet-v3-pytorch 64 150
convnext_large 64 210
wide_resnet101_2 64 450
yolov8n 64 90
yolov8s 64 120
maskrcnn_resnet50_fpn 64 360
adabins 64 600
deepvo 64 120"
# The last five need Python packages beyond torchvision (ultralytics for YOLO, timm for AdaBins);
# where they are missing, profile_model.py says so and the others are still measured.

if [ -n "${MODELS:-}" ]; then
    chosen=""
    for m in $MODELS; do
        line=$(grep "^$m " <<< "$plan") || { echo "profile_all.sh: no model $m in the plan" >&2; exit 2; }
        chosen+="$line"$'\n'
    done
    plan=${chosen%$'\n'}
fi

echo "== smoke test"
smoke=$(mktemp -d)
if ! timeout 120 python3 tools/profile_model.py --model resnet50 --out "$smoke" --precision fp32 \
        --max-batch 2 --warmup 2 --repetitions 3; then
    echo "smoke test failed: nothing measured" >&2
    exit 1
fi
rm -rf "$smoke"

while read -r model batch limit; do
    left=$(( budget - ($(date +%s) - start) ))
    if [ "$left" -lt 20 ]; then echo "== $model: skipped, ${left}s of the budget left"; continue; fi
    [ -n "${LIMIT_S:-}" ] && limit=$LIMIT_S
    [ "$limit" -gt "$left" ] && limit=$left
    echo "== $model (batch 1-$batch, limit ${limit}s)"
    # The profiler keeps to its own limit (at least batch 1 is measured), which leaves it about 8 s
    # for start-up and 30 s before the backstop, a timeout for a pass that hangs; the backstop never
    # runs past the budget.
    backstop=$(( limit + 30 < left ? limit + 30 : left ))
    own=$(( limit - 8 < backstop - 30 ? limit - 8 : backstop - 30 ))
    [ "$own" -lt 0 ] && own=0
    timeout "$backstop" python3 tools/profile_model.py --model "$model" --out "$out" --precision "$precisions" \
        --max-batch "$batch" --warmup "$warmup" --repetitions "$reps" --time-limit "$own" \
        ${BATCH_S:+--batch-seconds "$BATCH_S"}
    echo "== $model: exit $? after $(( $(date +%s) - start ))s"
    pack
done <<< "$plan"
