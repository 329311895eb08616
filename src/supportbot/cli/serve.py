"""CLI verb of the serve stage (`supportbot serve`); imports stay light here, the work is imported inside."""

from __future__ import annotations

from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt
from supportbot.core.errors import ConfigError


def _adapters(items: list[str]) -> dict[str, str]:
    """`--adapter name=path` pairs as a {name: path} mapping."""
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"--adapter {item!r}: expected NAME=PATH, e.g. --adapter tuned=runs/last")
        out[name.strip()] = path.strip()
    return out


def serve_command(
    model: Annotated[
        str | None, typer.Option(help="Base model, or a run/adapter dir (served as 'tuned').")
    ] = None,
    adapter: Annotated[
        list[str] | None, typer.Option("--adapter", help="Extra LoRA adapter NAME=PATH (repeatable).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: Annotated[
        str | None, typer.Option(help="hf (transformers), llamacpp (GGUF, CPU) or vllm (GPU).")
    ] = None,
    batching: Annotated[
        bool | None, typer.Option("--batching/--no-batching", help="Dynamic micro-batching.")
    ] = None,
) -> None:
    """Serve a model over HTTP: /generate, OpenAI-compatible /v1/chat/completions, /metrics."""
    from supportbot.config import load_config
    from supportbot.core.config import apply_flags

    cfg = load_config(config, list(set_ or []))
    cfg.model = apply_flags(cfg.model, {"name": model}, {"name": "model"})
    extra = _adapters(adapter or [])
    flags = {"host": host, "port": port, "backend": backend, "adapters": {**cfg.serve.adapters, **extra}}
    cfg.serve = apply_flags(cfg.serve, flags, {"adapters": "adapter"})
    cfg.serve.batching = apply_flags(cfg.serve.batching, {"enabled": batching}, {"enabled": "batching"})

    import uvicorn

    from supportbot.serve.app import build_app
    from supportbot.serve.auth import check_bind, load_keys

    check_bind(cfg.serve.host, load_keys(cfg.serve))  # before loading anything: refuse unsafe binds early
    app = build_app(cfg)
    uvicorn.run(app, host=cfg.serve.host, port=cfg.serve.port, log_level=cfg.serve.log_level)
