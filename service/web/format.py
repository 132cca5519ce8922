"""How values read on a page: dates, verdict words and colours, ratios (Jinja filters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.domain import events as ev
from service.log.records import parse_time

# Fill colours with white text at WCAG AA (>= 4.5:1); not_assessed is light with dark text.
VERDICT_COLOURS: dict[str, str] = {
    "fulfilled": "#1a7f37",
    "partially_fulfilled": "#7d6608",
    "breached": "#b42318",
    "in_progress": "#1d5fb8",
    "stalled": "#a34700",
    "unverifiable": "#595f69",
    "superseded": "#6d4aa8",
    "withdrawn": "#6d4aa8",
    "lapsed": "#5d5d5d",
    "pending_condition": "#0b6e80",
    "not_assessed": "#e4e7ec",
}
DISPUTED_COLOUR = "#9d1c8f"
LIGHT = frozenset({"not_assessed"})
VERDICT_WORDS: dict[str, str] = {
    "fulfilled": "kept",
    "partially_fulfilled": "partially kept",
    "pending_condition": "pending a condition",
}


def as_time(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_time(value)


def day(value: datetime | str | None) -> str:
    """'2 May 2021' (UTC), or an em dash for nothing."""
    moment = as_time(value)
    return "—" if moment is None else f"{moment.day} {moment:%b %Y}"


def iso_day(value: datetime | str | None) -> str:
    moment = as_time(value)
    return "" if moment is None else f"{moment:%Y-%m-%d}"


def verdict_word(verdict: str) -> str:
    return VERDICT_WORDS.get(verdict, verdict.replace("_", " "))


def words(value: str) -> str:
    return value.replace("_", " ")


def verdict_colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, "#595f69")


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


FILTERS: dict[str, Any] = {
    "day": day,
    "iso_day": iso_day,
    "verdict_word": verdict_word,
    "words": words,
    "verdict_colour": verdict_colour,
    "ratio": ratio,
}
GLOBALS: dict[str, Any] = {
    "VERDICTS": ev.VERDICTS,
    "SCHEDULES": ev.SCHEDULES,
    "VERDICT_COLOURS": VERDICT_COLOURS,
    "LIGHT_VERDICTS": LIGHT,
}
