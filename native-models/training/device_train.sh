#!/bin/bash
# GLIDE-mini base training on one CUDA GPU with PyTorch (written for a lent machine: one call, at
# most 10 minutes, files back of at most 16 MiB each from $OUT).
#
#   device_train.sh NAME:ARGS [NAME:ARGS]   e.g. "base_g8:--seed 61" "base_g16:--seed 62 --set attention_resolutions=16,8"
#
# The runs share the GPU and the 16 cores (7 scene-drawing processes each); ARGS are added to the
# common train.py arguments below and may override them (a later --lr wins). INIT (default: the
# published base) is the checkpoint they resume from, MINUTES their wall-time budget; with
# --layout-aux or --token-side-aux the head files must lie beside the --init checkpoint (train.py
# stops otherwise: fresh heads undo the text encoder's training), so a continuation on a fresh
# machine carries the earlier run's head files with its parts. Each run
# returns three files: a tar of its run folder's small files (the .out log and any training-only
# head files) and final.pt split into two parts under the 16 MiB file limit. The device returns
# at most 8 files a call, so at most two runs a call. Join the parts with checkpoint_parts.py join.
set -u
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
MINUTES=${MINUTES:-7.5}
OUT=${OUT:-$PWD/runs/gpu-out}
mkdir -p "$OUT"
INIT=${INIT:-checkpoints/base/final.pt}
nvidia-smi -L
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
common=(--model base --init "$INIT" --minutes "$MINUTES" --batch 256 --lr 8e-4 --warmup 200
        --t-high-frac 0.5 --t-high-min 500 --p-zero-mask 0.6 --lowfreq-weight 0.3 --ema 0.9995
        --threads 1 --device cuda --workers 7 --save-every-min 2)
names=()
for spec in "$@"; do
    name=${spec%%:*}
    read -r -a extra <<< "${spec#*:}"
    names+=("$name")
    mkdir -p "/tmp/runs/$name"
    python3 train.py "${common[@]}" "${extra[@]}" --out "/tmp/runs/$name" > "/tmp/runs/$name/$name.out" 2>&1 &
done
wait
for run in "${names[@]}"; do
    python3 checkpoint_parts.py split "/tmp/runs/$run/final.pt" "$OUT/$run" --max-mb 15
    small=("$run/$run.out" "$run/options.json" "$run/recipe.json" "$run/loss.csv" "$run/train.log")
    for head in $(python3 -c "import publish; print(*publish.HEAD_FILES)"); do
        [ -f "/tmp/runs/$run/$head" ] && small+=("$run/$head")
    done
    tar -C /tmp/runs -cf "$OUT/$run.tar" "${small[@]}"
done
ls -la "$OUT"
