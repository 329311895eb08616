"""API keys from an env var and/or a file, checked in constant time; and the bind-address safety rule."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from pathlib import Path
from typing import Any

from supportbot.errors import ConfigError
from supportbot.serve.config import ServeConfig
from supportbot.serve.errors import APIError, Forbidden, Unauthorized, api_error_payload

log = logging.getLogger("supportbot.serve")
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def load_keys(cfg: ServeConfig) -> list[str]:
    """Keys from `cfg.api_keys_env` (comma-separated) and `cfg.api_keys_file` (one per line, # comments)."""
    keys = [k.strip() for k in os.environ.get(cfg.api_keys_env, "").split(",") if k.strip()]
    if cfg.api_keys_file:
        path = Path(cfg.api_keys_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"serve.api_keys_file {path}: cannot read ({exc.__class__.__name__})") from exc
        from_file = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        if not from_file:
            raise ConfigError(f"serve.api_keys_file {path}: no keys in it (one key per line)")
        keys += from_file
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ConfigError(f"API keys must be at least 16 characters ({len(short)} too short)")
    return keys


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: list[str]) -> None:
    """Refuse a non-loopback bind without keys; say so in the log when serving on loopback unauthenticated."""
    if keys:
        log.info("API key auth on (%d key(s)); binding %s", len(keys), host)
        return
    if not is_loopback(host):
        raise ConfigError(
            f"refusing to bind {host} without API keys: set $SUPPORTBOT_API_KEYS or serve.api_keys_file, "
            "or bind 127.0.0.1"
        )
    log.warning("no API key configured: auth is off and the server binds to loopback only (%s)", host)


class KeyChecker:
    """Checks a request's key against every configured key with hmac.compare_digest."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [k.encode() for k in keys]

    @property
    def enabled(self) -> bool:
        """True when keys are configured."""
        return bool(self._keys)

    def valid(self, presented: str) -> bool:
        """Constant-time membership: every key is compared, whatever matches."""
        given = presented.encode()
        ok = False
        for key in self._keys:
            ok |= hmac.compare_digest(given, key)
        return ok

    def check(self, path: str, headers: dict[str, str], client_host: str | None) -> None:
        """Raise 401 (bad/missing key) or 403 (no keys configured and a non-loopback client)."""
        if path in OPEN_PATHS:
            return
        if not self.enabled:
            if client_host is not None and not is_loopback(client_host):
                raise Forbidden("no API key is configured, so only loopback clients are served")
            return
        auth = headers.get("authorization", "")
        presented = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("x-api-key", "")
        if not presented:
            raise Unauthorized(
                "missing API key: send 'Authorization: Bearer <key>'",
                param="authorization",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not self.valid(presented):
            raise Unauthorized(
                "invalid API key", param="authorization", headers={"WWW-Authenticate": "Bearer"}
            )


class AuthMiddleware:
    """ASGI middleware: every path but /healthz and /readyz needs a valid key (401 before the body is read)."""

    def __init__(self, app: Any, checker: KeyChecker) -> None:
        self.app = app
        self.checker = checker

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Check the key, then pass the request on."""
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            client = scope.get("client")
            try:
                self.checker.check(scope["path"], headers, client[0] if client else None)
            except APIError as exc:
                from starlette.responses import JSONResponse

                response = JSONResponse(api_error_payload(exc), status_code=exc.status, headers=exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
