"""API keys from an env var and/or a file, checked in constant time; and the bind-address safety rule."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from pathlib import Path
from typing import Any

from supportbot.core.errors import ConfigError
from supportbot.serve.config import ServeConfig
from supportbot.serve.errors import APIError, Forbidden, NotEnabled, Unauthorized, api_error_payload
from supportbot.serve.limits import MODEL_ROUTES, RequestRate

log = logging.getLogger("supportbot.serve")
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def load_keys(cfg: ServeConfig) -> list[str]:
    """Keys from `cfg.api_keys_env` (comma-separated) and `cfg.api_keys_file` (one per line, # comments)."""
    return _load(cfg.api_keys_env, cfg.api_keys_file, "serve.api_keys_file", "API keys")


def load_admin_keys(cfg: ServeConfig) -> list[str]:
    """Admin keys from `cfg.admin_keys_env` and `cfg.admin_keys_file`; none means /admin/* is off."""
    keys = _load(cfg.admin_keys_env, cfg.admin_keys_file, "serve.admin_keys_file", "admin keys")
    if set(keys) & set(load_keys(cfg)):
        raise ConfigError("an admin key must not also be an API key (serve.admin_keys_* vs serve.api_keys_*)")
    return keys


def _load(env_name: str, file: str | None, file_key: str, what: str) -> list[str]:
    keys = [k.strip() for k in os.environ.get(env_name, "").split(",") if k.strip()]
    if file:
        path = Path(file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_key} {path}: cannot read ({exc.__class__.__name__})") from exc
        from_file = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        if not from_file:
            raise ConfigError(f"{file_key} {path}: no keys in it (one key per line)")
        keys += from_file
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ConfigError(f"{what} must be at least 16 characters ({len(short)} too short)")
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


def _host_name(host: str) -> str:
    """The host part of a Host header ('[::1]:8000' -> '::1', 'localhost:8000' -> 'localhost')."""
    host = host.strip()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class KeyChecker:
    """Checks a request's key against every configured key with hmac.compare_digest."""

    def __init__(
        self, keys: list[str], admin_keys: list[str] | None = None, open_paths: frozenset[str] = OPEN_PATHS
    ) -> None:
        self._keys = [k.encode() for k in keys]
        self._admin = [k.encode() for k in admin_keys or []]
        self.open_paths = open_paths

    @property
    def enabled(self) -> bool:
        """True when keys are configured."""
        return bool(self._keys)

    def valid(self, presented: str, keys: list[bytes] | None = None) -> bool:
        """Constant-time membership: every key is compared, whatever matches."""
        given = presented.encode()
        ok = False
        for key in self._keys if keys is None else keys:
            ok |= hmac.compare_digest(given, key)
        return ok

    def _check_admin(self, presented: str) -> None:
        if not self._admin:
            raise NotEnabled(
                "admin routes are off: set $SUPPORTBOT_ADMIN_KEYS or serve.admin_keys_file to enable them"
            )
        if not presented:
            raise Unauthorized(
                "missing admin key: send 'Authorization: Bearer <admin key>'", param="authorization"
            )
        if not self.valid(presented, self._admin):
            raise Forbidden("this route needs an admin key", param="authorization")

    def check(self, path: str, headers: dict[str, str], client_host: str | None) -> str:
        """Raise 401 (bad/missing key) or 403 (no keys configured and a non-loopback client); return who is
        calling: the key, or the client address when no keys are configured."""
        if path in self.open_paths:
            return ""
        auth = headers.get("authorization", "")
        presented = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("x-api-key", "")
        if path.startswith("/admin/"):
            self._check_admin(presented)
            return presented
        if not self.enabled:
            if client_host is not None and not is_loopback(client_host):
                raise Forbidden("no API key is configured, so only loopback clients are served")
            host = _host_name(headers.get("host", ""))
            if host and not is_loopback(host):
                # a loopback client sending a foreign Host is how DNS rebinding reaches an unauthenticated server
                raise Forbidden(
                    f"Host {host!r} is not loopback; with no API key only loopback hosts are served"
                )
            return f"client {client_host}"
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
        return presented


class AuthMiddleware:
    """ASGI middleware: every path but /healthz and /readyz needs a valid key (401 before the body is read);
    with a `rate`, each caller's requests to the model routes are counted (429 past the budget)."""

    def __init__(self, app: Any, checker: KeyChecker, rate: RequestRate | None = None) -> None:
        self.app = app
        self.checker = checker
        self.rate = rate

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Check the key, then pass the request on."""
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            client = scope.get("client")
            try:
                caller = self.checker.check(scope["path"], headers, client[0] if client else None)
                if self.rate is not None and scope["path"] in MODEL_ROUTES:
                    self.rate.take(caller)
            except APIError as exc:
                from starlette.responses import JSONResponse

                response = JSONResponse(api_error_payload(exc), status_code=exc.status, headers=exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
