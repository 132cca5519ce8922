"""RFC 8785 canonical JSON: the RFC's own examples, and agreement with the rfc8785 package."""

from __future__ import annotations

import math
import struct

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from service.log.jcs import CanonicalFormError, canonical_json, number_text


@pytest.mark.parametrize(
    ("bits", "text"),
    [  # RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript text.
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_numbers_render_as_rfc8785_appendix_b(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert number_text(value) == text


def test_rfc8785_section_3_2_3_sorting_example() -> None:
    document = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = [k for k in document]
    order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    text = canonical_json(document).decode("utf-8")
    assert [text.index(f'"{k}"' if k != "\r" else '"\\r"') for k in order] == sorted(
        text.index(f'"{k}"' if k != "\r" else '"\\r"') for k in keys
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@given(json_values)
def test_agrees_with_the_rfc8785_package(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_round_trips_through_its_text(value: float) -> None:
    assert float(number_text(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_bytes_read_back_render_the_same(value: float) -> None:
    # An integral double decodes as a Python int (10^20, not 1e20): it must render the same.
    import json

    once = canonical_json({"v": value})
    assert canonical_json(json.loads(once)) == once


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": [1, 2**53 + 1]}, "a.1"),
        ({"a": {"b": -(2**53) - 1}}, "a.b"),
        ({"a": 10**400}, "a"),
        ({"a": math.inf}, "a"),
        ({"a": {1: "x"}}, "a"),
        ({"a": (1, 2)}, "a"),
    ],
)
def test_what_jcs_cannot_represent_is_refused_with_its_place(value: object, path: str) -> None:
    with pytest.raises(CanonicalFormError) as info:
        canonical_json(value)
    assert info.value.path == path


def test_integers_that_are_doubles_are_kept() -> None:
    assert canonical_json([2**53, 2**53 + 2, 10**20, 10**21]) == (
        b"[9007199254740992,9007199254740994,100000000000000000000,1e+21]"
    )
