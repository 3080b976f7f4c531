"""The error body every 4xx and 5xx carries, and the one table of what each status means.

`{"error": {"code": "...", "message": "...", "fields": [...]}}`: `code` is stable and machine-readable (one per
status, below), `message` is for people, `fields` names each wrong field of a 400 or 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ERRORS", "ErrorBody", "ErrorDetail", "ErrorKind", "FieldError", "error_code"]


class FieldError(BaseModel):
    """One wrong field. Extra keys (a JSON error's line and column) may follow."""

    model_config = ConfigDict(extra="allow")

    field: str = Field(description="Dotted path of the field, or `body` for the whole body.")
    message: str
    type: str = Field(description="Pydantic's error type, e.g. `missing`, `string_too_short`, `json_invalid`.")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable; one per HTTP status (see each response).")
    message: str = Field(description="For people; may change between versions.")
    fields: list[FieldError] | None = Field(default=None, description="Each wrong field, on 400 and 422.")


class ErrorBody(BaseModel):
    """What every error response holds."""

    error: ErrorDetail


@dataclass(frozen=True, slots=True)
class ErrorKind:
    code: str
    description: str
    headers: tuple[str, ...] = ()


# The one place that names each error status: its `error.code`, what it means, and the headers it carries.
ERRORS: dict[int, ErrorKind] = {
    400: ErrorKind("invalid_json", "The body is not valid JSON (or not UTF-8); `fields` says where."),
    401: ErrorKind("unauthorized", "No valid `Authorization: Bearer <key>` header.", headers=("WWW-Authenticate",)),
    403: ErrorKind("forbidden", "The key is valid but its scope does not allow this route."),
    404: ErrorKind("not_found", "No such record (an unknown decision id)."),
    405: ErrorKind("method_not_allowed", "The route does not take this method."),
    409: ErrorKind("policy_error", "The policy folder is broken; the last good version keeps serving."),
    413: ErrorKind("payload_too_large", "The body is over the server's limit (`NEXTBEST_MAX_BODY_BYTES`)."),
    415: ErrorKind("unsupported_media_type", "A body was sent that is not `application/json`."),
    422: ErrorKind("invalid_request", "The body or a parameter does not match the schema; `fields` names each."),
    429: ErrorKind(
        "rate_limited", "Too many requests for this key; retry after `Retry-After` seconds.", headers=("Retry-After",)
    ),
    503: ErrorKind("store_unavailable", "The contact ledger is unavailable; retry shortly.", headers=("Retry-After",)),
}


def error_code(status: int) -> str:
    """The `error.code` of an HTTP status; `http_error` for one the table does not name."""
    kind = ERRORS.get(status)
    return kind.code if kind is not None else "http_error"
