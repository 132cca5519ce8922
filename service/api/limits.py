"""Limits on what one request body may be: its arrival time, nesting depth and numbers.

Python's json module accepts any nesting its C stack allows and integers of thousands of
digits; both then fail somewhere deep (a RecursionError, a bigint the database refuses).
The body is refused here instead, with a 400 that says which limit it broke.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from aiohttp import web

from service.domain.errors import InvalidParameter

MAX_DEPTH = 64
INT64 = 2**63 - 1
MAX_INT_DIGITS = 20  # a sign and 19 digits hold every int64; longer ones are refused unparsed


class BodyTimeout(web.HTTPRequestTimeout):
    """408: the body did not arrive within the setting."""


async def read_body(request: web.Request, timeout: float) -> bytes:
    """The raw body, or 408 when it has not all arrived within `timeout` seconds."""
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except TimeoutError:
        raise BodyTimeout(
            text=f"the request body did not arrive within {timeout:g} seconds"
        ) from None


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS - 1 or not -INT64 - 1 <= int(text) <= INT64:
        raise InvalidParameter(
            "body", f"the number {text[:30]} is outside the 64-bit integer range"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidParameter("body", f"the number {text[:30]} is outside the float range")
    return value


def _parse_constant(name: str) -> Any:
    raise InvalidParameter("body", f"{name} is not a JSON number")


def loads(raw: bytes) -> object:
    """Decode JSON with bounded numbers and depth; 400 (InvalidParameter) otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("body", "the body is not UTF-8") from None
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as e:
        detail = f"the body is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        raise InvalidParameter("body", detail) from None
    check_depth(value)
    return value


def _too_deep() -> InvalidParameter:
    return InvalidParameter("body", f"the body is nested deeper than {MAX_DEPTH} levels")


def check_depth(value: object) -> None:
    """Walk containers without recursion; refuse more than MAX_DEPTH levels, and strings
    holding lone surrogates (\\ud800 escapes), which no UTF-8 store can hold."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter("body", "a string in the body holds an unpaired surrogate") from None
