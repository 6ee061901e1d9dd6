"""Unexpected errors are logged under a short reference code the error page shows.

The log line names the endpoint (not the raw path), the exception's type and the frames
of its traceback, never the exception's message: messages may quote user input (a value
a driver refused); bound SQL parameters are hidden by the engine (hide_parameters).
"""

from __future__ import annotations

import logging
import secrets
import traceback

from flask import has_request_context, request

log = logging.getLogger("app.errors")


def record_error(error: BaseException) -> str:
    """Log the error with a new 8-hex-digit reference code and return the code."""
    reference = secrets.token_hex(4)
    where = f"{request.method} {request.endpoint or '?'}" if has_request_context() else "-"
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("error %s on %s: %s\n%s", reference, where, type(error).__name__, frames)
    return reference
