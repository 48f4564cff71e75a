#!/usr/bin/env bash
# The checks and benchmarks run on a lent CUDA machine, in one go (that machine
# has no network: wheels of umap-learn and pynndescent travel in .whl/, MNIST and
# eHGDP in benchmarks/cache/). Results land in benchmarks/results/*_gpu.* and,
# when OUT is set, are copied there after each step, with the steps' output in
# OUT/gpu_session.log (one file: the device tool brings back at most eight).
# BUDGET (seconds, default 570) bounds the whole session: each step gets at most
# its own limit and never more than what is left. On an H200 the first four steps
# took 545 s (stop 26) and the batch-size grid 65 s, in a second call; in stop 28
# gpu_tests took 31 s, speed_gpu 221 s, embedding_quality_gpu 137 s and
# batch_size_seeds_gpu 171 s.
# ONLY (step names, space-separated) runs just those steps, e.g.
#   ONLY="gpu_tests batch_size_seeds_gpu" bash benchmarks/gpu_session.sh
set -u
OUT=${OUT:-benchmarks/results}
BUDGET=${BUDGET:-570}
export PYTHONUNBUFFERED=1
STARTED=$(mktemp)  # only results newer than this are copied to OUT
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, sklearn, numba; print('torch', torch.__version__, 'sklearn', sklearn.__version__, 'numba', numba.__version__)"

step() {  # step NAME LIMIT COMMAND...: run with the smaller of LIMIT and the time left
    local name=$1 limit=$2
    shift 2
    if [[ -n "${ONLY:-}" && " $ONLY " != *" $name "* ]]; then return; fi
    local left=$((BUDGET - SECONDS))
    ((left < limit)) && limit=$left
    if ((limit < 20)); then echo "== $name: skipped, ${left}s left"; return; fi
    echo "== $name (limit ${limit}s)"
    local start=$SECONDS
    echo "== $name" >>"$OUT/gpu_session.log"
    timeout "$limit" "$@" >"$OUT/step.log" 2>&1
    echo "== $name: rc $? after $((SECONDS - start))s"
    tail -12 "$OUT/step.log"
    cat "$OUT/step.log" >>"$OUT/gpu_session.log"
    rm "$OUT/step.log"
    find benchmarks/results -name "$name.*" -newer "$STARTED" -exec cp {} "$OUT/" \;
}

step gpu_tests 90 python3 -m pytest tests/test_gpu.py -q -p no:cacheprovider -rA -W error::RuntimeWarning
step speed_gpu 230 python3 benchmarks/speed.py --skip memory --output-suffix _gpu
step embedding_quality_gpu 180 python3 benchmarks/embedding_quality.py --datasets mnist \
    --mnist-train 60000 --methods DDVIEmbedding,UMAP,PCA --output-suffix _gpu
step paper_genotypes_gpu 400 python3 benchmarks/paper/genotypes.py --paper --output-suffix _gpu
step batch_size_gpu 120 python3 benchmarks/batch_size.py --output-suffix _gpu
step batch_size_seeds_gpu 240 python3 benchmarks/batch_size.py --seeds 3 --umap \
    --grid 40x2048,80x4096,80x2048 --output-suffix _seeds_gpu
true
