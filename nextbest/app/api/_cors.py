"""Browser access: CORS for the exact origins in `NEXTBEST_CORS_ORIGINS`, through Starlette's middleware."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from nextbest.settings import Settings

from ._access import REQUEST_ID_HEADER
from ._identity import USER_HASH_HEADER
from ._replay import REPLAYED_HEADER

__all__ = ["install_cors"]


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Answer preflights from the listed origins only. Keys travel as bearer headers, not cookies, so
    credentials stay off (and a wildcard origin is refused by the settings)."""
    origins = settings.cors_origin_list
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials=False,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", USER_HASH_HEADER, REQUEST_ID_HEADER],
        expose_headers=[REPLAYED_HEADER, REQUEST_ID_HEADER, "Retry-After"],
        max_age=600,
    )
