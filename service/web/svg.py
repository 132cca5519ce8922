"""Geometry for the server-drawn SVG: a time axis, mark shapes, scorecard bars, a step line.

Only numbers and path strings come out of here; the templates write the elements, so every
text in the SVG is escaped by the same engine as the rest of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.web.format import DISPUTED_COLOUR, VERDICT_COLOURS

WIDTH = 960.0
LEFT = 150.0  # room for lane labels
RIGHT = 20.0


@dataclass(frozen=True, slots=True)
class Axis:
    start: datetime
    end: datetime
    left: float = LEFT
    right: float = WIDTH - RIGHT

    @classmethod
    def around(cls, dates: Sequence[datetime]) -> Axis:
        """An axis over the dates with a little room either side (a month at least)."""
        first, last = min(dates), max(dates)
        pad = max((last - first) * 0.04, timedelta(days=30))
        return cls(first - pad, last + pad)

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        share = (moment - self.start).total_seconds() / span
        return round(self.left + min(max(share, 0.0), 1.0) * (self.right - self.left), 1)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end

    def ticks(self) -> list[tuple[float, str]]:
        """Years on a long axis, quarters on a middling one, months on a short one."""
        months = (self.end - self.start).days / 30.4
        step = 12 if months > 40 else 3 if months > 10 else 1
        found = []
        moment = datetime(self.start.year, 1, 1, tzinfo=UTC)
        while moment <= self.end:
            if moment >= self.start:
                label = str(moment.year) if moment.month == 1 else f"{moment:%b}"
                found.append((self.x(moment), label))
            month = moment.month - 1 + step
            moment = moment.replace(year=moment.year + month // 12, month=month % 12 + 1)
        return found


def mark_path(shape: str, x: float, y: float, r: float = 7.0) -> str:
    """claimed: a circle; reported: a square; verified: a diamond; anything else: a small bar."""
    if shape == "claimed":
        return f"M{x - r},{y} a{r},{r} 0 1,0 {2 * r},0 a{r},{r} 0 1,0 {-2 * r},0 Z"
    if shape == "reported":
        s = r * 0.85
        return f"M{x - s},{y - s} h{2 * s} v{2 * s} h{-2 * s} Z"
    if shape == "verified":
        d = r * 1.25
        return f"M{x},{y - d} l{d},{d} l{-d},{d} l{-d},{-d} Z"
    return f"M{x - 2.5},{y - r} h5 v{2 * r} h-5 Z"


@dataclass(frozen=True, slots=True)
class Segment:
    key: str
    label: str
    count: int
    colour: str
    x: float
    width: float


# The scorecard's groups: a disputed commitment counts as disputed whatever its verdict.
SCORE_GROUPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("kept", "kept", frozenset({"fulfilled"})),
    ("partially", "partially kept", frozenset({"partially_fulfilled"})),
    ("breached", "breached", frozenset({"breached"})),
    (
        "in_progress",
        "in progress or stalled",
        frozenset({"in_progress", "stalled", "pending_condition"}),
    ),
    ("not_assessed", "not assessed", frozenset({"not_assessed", "unverifiable"})),
)
GROUP_COLOURS = {
    "kept": VERDICT_COLOURS["fulfilled"],
    "partially": VERDICT_COLOURS["partially_fulfilled"],
    "breached": VERDICT_COLOURS["breached"],
    "in_progress": VERDICT_COLOURS["in_progress"],
    "not_assessed": "#c3c8d0",
    "disputed": DISPUTED_COLOUR,
    "closed": VERDICT_COLOURS["superseded"],
}


def score_counts(verdicts: Sequence[tuple[str, bool]]) -> list[tuple[str, str, int]]:
    """(key, label, count) per scorecard group from (verdict, disputed) pairs; closed last."""
    counts = {key: 0 for key, _, _ in SCORE_GROUPS} | {"disputed": 0, "closed": 0}
    for verdict, disputed in verdicts:
        group = next((k for k, _, members in SCORE_GROUPS if verdict in members), "closed")
        counts["disputed" if disputed else group] += 1
    labels = [(k, label) for k, label, _ in SCORE_GROUPS]
    labels += [("disputed", "disputed"), ("closed", "closed or lapsed")]
    return [(key, label, counts[key]) for key, label in labels]


def scorecard(verdicts: Sequence[tuple[str, bool]], width: float = 300.0) -> list[Segment]:
    counts = score_counts(verdicts)
    total = sum(c for _, _, c in counts) or 1
    segments, x = [], 0.0
    for key, label, count in counts:
        share = round(width * count / total, 2)
        segments.append(Segment(key, label, count, GROUP_COLOURS[key], round(x, 2), share))
        x += share
    return segments


def step_path(points: Sequence[tuple[float, float | None]], top: float, height: float) -> str:
    """A step line through (x, ratio) points; a None ratio (nothing decided yet) breaks it."""
    parts: list[str] = []
    previous: float | None = None
    for x, ratio in points:
        if ratio is None:
            previous = None
            continue
        y = round(top + (1.0 - ratio) * height, 1)
        parts.append(f"M{x},{y}" if previous is None else f"H{x} V{y}")
        previous = y
    return " ".join(parts)
