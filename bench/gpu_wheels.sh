#!/usr/bin/env bash
# Wheels that bench/gpu_check.py needs on a lent GPU machine (Python 3.12, x86-64, CUDA 13, no network).
# Its image has torch, numpy, pandas, pyarrow, tqdm, rich, typer, pyyaml and friends, but transformers 5.x and
# huggingface-hub 1.x (supportbot pins 4.57 / 0.36) and no bitsandbytes, datasets or pydantic.
#
#   make gpu-wheels           # here, once: writes .whl/ (git-ignored), about 25 MB
#   then on the GPU machine, with .whl carried:
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
#     .whl/*.whl && PYTHONPATH=/tmp/site:src python3 bench/gpu_check.py
#
# bitsandbytes' wheel carries a 20 MB library per CUDA version (130 MB unpacked); the copy kept here has the
# CPU and CUDA 13.x libraries only, so the wheels and the repo fit the 64 MiB the device tool carries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=.whl
rm -rf "$OUT" && mkdir -p "$OUT"
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
  manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d "$OUT" \
  transformers==4.57.6 tokenizers==0.22.2 huggingface-hub==0.36.2 peft==0.17.1 accelerate==1.11.0 trl==0.24.0 \
  bitsandbytes==0.50.2 datasets==4.4.1 dill==0.4.0 multiprocess==0.70.18 \
  pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5

# keep bitsandbytes' CPU and CUDA 13.x libraries only
bnb=$(ls "$OUT"/bitsandbytes-*.whl)
work=$(mktemp -d)
(cd "$work" && unzip -q "$OLDPWD/$bnb")
find "$work/bitsandbytes" -name 'libbitsandbytes_*.so' ! -name 'libbitsandbytes_cpu.so' \
  ! -name 'libbitsandbytes_cuda13*.so' -delete
rm "$bnb"
(cd "$work" && zip -q -r "$OLDPWD/$bnb" .)
rm -rf "$work"
du -sh "$OUT"
ls "$OUT"
