"""ASGI entry point: `uvicorn api.app:app` serves the model named in SUPPORTBOT_CONFIG (default recipe)."""

from supportbot.serve.app import create_app_from_env

app = create_app_from_env()
