"""ASGI entry point: `uvicorn api.app:app` serves the model of SUPPORTBOT_CONFIG / SUPPORTBOT_MODEL (docs/serve.md)."""

import sys

from supportbot.config import config_from_env
from supportbot.core.errors import SupportbotError
from supportbot.serve.auth import load_keys

try:
    _cfg = config_from_env()
    load_keys(_cfg.serve)  # cheap checks before the heavy imports: bad config or key file fails in a second
    from supportbot.serve.app import build_app

    app = build_app(_cfg)
except SupportbotError as exc:  # bad config, missing model, bad key file: one line, exit 1
    sys.exit(f"error: {exc}")
