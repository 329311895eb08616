"""HTTP-facing errors: each carries its status, an OpenAI-style type, and the offending field."""

from __future__ import annotations


class APIError(Exception):
    """An error answered to the client as `{"error": {message, type, param, code}}`."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


class BadRequest(APIError):
    """400: the request is well-formed but breaks a limit (e.g. prompt too long)."""


class Unprocessable(APIError):
    """422: a field is out of the configured bounds."""

    status = 422


class Unauthorized(APIError):
    """401: missing or wrong API key."""

    status = 401
    type = "authentication_error"


class Forbidden(APIError):
    """403: not allowed from this client."""

    status = 403
    type = "permission_error"


class ModelNotFound(APIError):
    """404: the requested model name is not served."""

    status = 404
    code = "model_not_found"


class NotFound(APIError):
    """404: the thing the request names (e.g. a response id) is not known here."""

    status = 404


class NotEnabled(APIError):
    """404: the route exists but is switched off in this server's config."""

    status = 404

    def __init__(self, message: str) -> None:
        super().__init__(message, code="not_enabled")


class InvalidModelOutput(APIError):
    """502: the model (the upstream of this request) did not produce a valid answer, even after the retry."""

    status = 502
    type = "server_error"

    def __init__(self, message: str, detail: dict, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code="invalid_model_output", headers=headers)
        self.detail = detail


class QueueFull(APIError):
    """429: the queue is full, or the (estimated or actual) queue wait passes serve.max_queue_wait_s; retry
    after the given seconds."""

    status = 429
    type = "rate_limit_error"


class RateLimited(QueueFull):
    """429: this key (or client) used up serve.limits.requests_per_minute; retry after the given seconds."""


class ClientGone(APIError):
    """499 (nginx's "client closed request"): the client disconnected; its generation was halted."""

    status = 499
    type = "cancelled"


class Timeout(APIError):
    """504: generation took longer than serve.request_timeout_s and was cancelled."""

    status = 504
    type = "timeout"


class NotReady(APIError):
    """503: the model is not loaded (yet)."""

    status = 503
    type = "server_error"


def error_payload(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict:
    """The JSON body of every error response."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def api_error_payload(exc: APIError) -> dict:
    """The JSON body for an APIError (plus its `detail`, when it has one)."""
    body = error_payload(exc.message, exc.type, exc.param, exc.code)
    detail = getattr(exc, "detail", None)
    if detail is not None:
        body["error"]["detail"] = detail
    return body
