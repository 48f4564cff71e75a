#!/usr/bin/env bash
# The checks and benchmarks run on a lent CUDA machine, in one go (that machine
# has no network: wheels of umap-learn and pynndescent travel in .whl/, MNIST in
# benchmarks/cache/mnist.npz). Results land in benchmarks/results/*_gpu.* and,
# when OUT is set, are copied there after each step.
set -u
OUT=${OUT:-benchmarks/results}
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, sklearn, numba; print('torch', torch.__version__, 'sklearn', sklearn.__version__, 'numba', numba.__version__)"

timeout 60 python3 -m pytest tests/test_gpu.py -q -p no:cacheprovider -rA -W error::RuntimeWarning \
    2>&1 | tee "$OUT/gpu_tests.log" | tail -15
timeout 150 python3 benchmarks/speed.py --skip memory --output-suffix _gpu 2>&1 | tail -14
cp benchmarks/results/speed_gpu.md "$OUT/" 2>/dev/null
timeout 170 python3 benchmarks/embedding_quality.py --datasets mnist --mnist-train 60000 \
    --methods DDVIEmbedding,UMAP,PCA --output-suffix _gpu 2>&1 | tail -8
cp benchmarks/results/embedding_quality_gpu.* "$OUT/" 2>/dev/null
true
