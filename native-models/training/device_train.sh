#!/bin/bash
# GLIDE-mini base training on a GPU lent through the device tool (one call, at most 10 minutes).
# Two runs share the GPU and the 16 cores (7 scene-drawing processes each), both resumed from the
# published base: base_g8 with the shipped architecture, base_g16 with attention also at 16 px
# (grow.py). Each returns its .out log, a tar of its run folder's small files and final.pt split
# into parts under the 16 MiB file limit; join them with checkpoint_parts.py join.
set -u
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
MINUTES=${MINUTES:-7.5}
nvidia-smi -L
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
common=(--model base --init checkpoints/base/final.pt --minutes "$MINUTES" --batch 256 --lr 8e-4 --warmup 200
        --t-high-frac 0.5 --t-high-min 500 --p-zero-mask 0.6 --lowfreq-weight 0.3 --ema 0.9995
        --threads 1 --device cuda --workers 7 --save-every-min 2)
python3 train.py "${common[@]}" --seed 61 --out /tmp/runs/base_g8 > "$OUT/base_g8.out" 2>&1 &
python3 train.py "${common[@]}" --seed 62 --set attention_resolutions=16,8 --out /tmp/runs/base_g16 \
    > "$OUT/base_g16.out" 2>&1 &
wait
for run in base_g8 base_g16; do
    python3 checkpoint_parts.py split "/tmp/runs/$run/final.pt" "$OUT/$run" --max-mb 15
    tar -C /tmp/runs -cf "$OUT/$run.tar" "$run/options.json" "$run/recipe.json" "$run/loss.csv" "$run/train.log"
done
ls -la "$OUT"
