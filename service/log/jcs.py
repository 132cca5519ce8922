"""RFC 8785 (JCS) canonical JSON: the bytes any language can recompute for a leaf.

Pure. Refuses what JCS cannot represent exactly, naming where it is (CanonicalFormError.path).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Every integer up to 2^53 in magnitude is an IEEE 754 double, so JCS renders it as Python does.
SAFE_INTEGER = 2**53


class CanonicalFormError(ValueError):
    """A value JCS cannot represent exactly; `path` is its dotted place ("" for the root)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value (dicts with str keys, lists, str, int, float, bool, None).

    Python's json.dumps with sorted keys and no white space is already JCS for most events, and
    runs in C; it differs only for floats, integers beyond 2^53, and keys whose order differs
    between code points and UTF-16 code units. Those values take the slower, exact path.
    """
    if _dumps_is_jcs(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )
    out: list[str] = []
    _write(value, out, "")
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        problem = "text contains a lone surrogate, which UTF-8 cannot encode"
        raise CanonicalFormError("", problem) from None


def number_text(value: float) -> str:
    """ECMAScript's Number::toString of a finite double (RFC 8785 section 3.2.2.3)."""
    if value == 0:
        return "0"  # -0 too
    text = repr(value)
    if "e" not in text:  # 1e-6 <= |value| < 1e16: ECMAScript's digits, less a trailing ".0"
        return text[:-2] if text.endswith(".0") else text
    if value < 0:
        return "-" + number_text(-value)
    # repr gives the shortest digits that round-trip, the digits ECMAScript asks for.
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = int(exponent) + k  # value = 0.digits * 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


# json.dumps' own string encoder (with ensure_ascii=False), without its per-call set-up.
_quote: Callable[[str], str] = json.encoder.encode_basestring


def _dumps_is_jcs(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            # A key above U+D7FF may sort differently by UTF-16 code units than by code points.
            if type(key) is not str or (not key.isascii() and max(key) > "\ud7ff"):
                return False
            if not _dumps_is_jcs(item):
                return False
        return True
    if kind is list:
        return all(_dumps_is_jcs(item) for item in value)
    if kind is int:
        return bool(-SAFE_INTEGER <= value <= SAFE_INTEGER)
    return kind is str or kind is bool or value is None


def _write(value: Any, out: list[str], path: str) -> None:
    if value is None or value is True or value is False:
        out.append(json.dumps(value))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int):
        out.append(_integer_text(int(value), path))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalFormError(path, f"{value} is not a JSON number")
        out.append(number_text(float(value)))
    elif isinstance(value, dict):
        _write_object(value, out, path)
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, f"{path}.{index}" if path else str(index))
        out.append("]")
    else:
        raise CanonicalFormError(path, f"a {type(value).__name__} is not a JSON value")


def _write_object(value: dict[Any, Any], out: list[str], path: str) -> None:
    if any(type(key) is not str for key in value):
        raise CanonicalFormError(path, "object keys must be strings")
    out.append("{")
    for index, key in enumerate(sorted(value, key=_utf16_order)):
        if index:
            out.append(",")
        out.append(_quote(key))
        out.append(":")
        _write(value[key], out, f"{path}.{key}" if path else key)
    out.append("}")


def _utf16_order(key: str) -> bytes:
    try:
        return key.encode("utf-16-be")
    except UnicodeEncodeError:
        return key.encode("utf-16-be", "surrogatepass")  # refused when the text is encoded


def is_jcs_integer(value: int) -> bool:
    """Whether JCS writes this integer as the same number (it is a double, or its shortest form).

    JCS numbers are doubles: 2^53 + 1 is not one and would be read back as 2^53. An integral
    double beyond 2^53 is written with its shortest digits padded with zeros (43035840652668090
    for the double 43035840652668088), which read back as that integer: it must render the same.
    """
    if -SAFE_INTEGER <= value <= SAFE_INTEGER:
        return True
    try:
        double = float(value)
    except OverflowError:
        return False
    return Decimal(number_text(double)) == value


def _integer_text(value: int, path: str) -> str:
    if -SAFE_INTEGER <= value <= SAFE_INTEGER:
        return str(value)
    if not is_jcs_integer(value):
        raise CanonicalFormError(
            path, f"the integer {value} is not exactly representable in JSON (beyond 2^53)"
        )
    return number_text(float(value))
