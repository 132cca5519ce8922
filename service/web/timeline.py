"""A commitment's timeline laid out for the SVG: lanes (the commitment, its deadlines, one per
assessor, the verdict), each known event as a mark, corrected ones struck through."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from service.domain import events as ev
from service.log.records import parse_time
from service.web.format import LIGHT, day, verdict_colour, verdict_word, words
from service.web.over_time import Band, parse_day
from service.web.reads import CommitmentView, Known
from service.web.svg import WIDTH, Axis, mark_path

LANE = 34.0
RULE_ROW = 15.0
TOP = 4 * RULE_ROW + 6  # a row per deadline kind and as_of, for their labels
NEUTRAL = "#1f2430"
CONDITION_COLOURS = {"condition_met": "#1a7f37", "condition_failed": "#b42318"}
CORRECTION = "#b42318"


@dataclass(frozen=True, slots=True)
class Mark:
    event_id: str
    x: float
    y: float
    path: str
    colour: str
    title: str
    corrected: bool
    hollow: bool = False
    day: str = ""  # YYYY-MM-DD it occurred: a mark links to the page as of that day


@dataclass(frozen=True, slots=True)
class Rule:
    """A vertical line across the lanes: a deadline or the as_of date."""

    x: float
    label: str
    kind: str  # original | requested | agreed | as_of

    @property
    def row(self) -> float:
        """The baseline of its label: one row per kind, so labels never overlap."""
        return RULE_ROW * (1 + RULE_KINDS.index(self.kind)) - 3


RULE_KINDS = ("original", "requested", "agreed", "as_of")


@dataclass(frozen=True, slots=True)
class BandBox:
    x: float
    width: float
    colour: str
    title: str
    label: str  # written inside when it fits, else ""
    ink: str  # the label's colour on this fill


@dataclass
class Layout:
    axis: Axis
    lanes: list[tuple[str, float]] = field(default_factory=list)  # (name, centre y)
    marks: list[Mark] = field(default_factory=list)
    bands: list[BandBox] = field(default_factory=list)
    band_y: float = 0.0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    height: float = 0.0
    width: float = WIDTH


def _lane_of(entry: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    if entry["type"] == ev.CORRECTION_RECORDED:
        target = by_id.get(str(entry["data"].get("corrects")))
        return "commitment" if target is None else _lane_of(target, by_id)
    if entry["type"] == ev.ASSESSMENT_RECORDED:
        return f"assessor:{entry['data'].get('assessor')}"
    if entry["type"] == ev.DEADLINE_CHANGED:
        return "deadlines"
    return "commitment"


def _mark(entry: dict[str, Any], x: float, y: float) -> Mark:
    data, kind = entry["data"], entry["type"]
    when = day(entry["occurred_at"])
    if kind == ev.ASSESSMENT_RECORDED:
        strength = str(data.get("strength"))
        verdict = str(data.get("verdict"))
        title = f"{when}: {data.get('assessor')} assessed {verdict_word(verdict)} ({strength})"
        colour = verdict_colour(verdict)
        return Mark(
            entry["event_id"], x, y, mark_path(strength, x, y), colour, title, entry["corrected"]
        )
    if kind == ev.CORRECTION_RECORDED:
        s = 5.0
        path = f"M{x - s},{y - s} L{x + s},{y + s} M{x + s},{y - s} L{x - s},{y + s}"
        title = f"{when}: correction: {data.get('reason', '')}"
        return Mark(entry["event_id"], x, y, path, CORRECTION, title, False, hollow=True)
    colour = CONDITION_COLOURS.get(kind, NEUTRAL)
    title = f"{when}: {words(kind)}"
    return Mark(entry["event_id"], x, y, mark_path(kind, x, y), colour, title, entry["corrected"])


def drawing(known: Known) -> Layout:
    """Everything drawn that does not depend on as_of: lanes, marks, verdict bands, the axis."""
    entries = known.history
    by_id = {e["event_id"]: e for e in entries}
    axis = Axis.around(known.dates)
    lanes = ["commitment", "deadlines"]
    assessors = sorted(
        {str(e["data"].get("assessor")) for e in entries if e["type"] == ev.ASSESSMENT_RECORDED}
    )
    lanes += [f"assessor:{a}" for a in assessors]
    y_of = {name: TOP + 20 + i * LANE for i, name in enumerate(lanes)}
    out = Layout(axis)
    out.lanes = [(name, y) for name, y in y_of.items()]
    for entry in entries:
        y = y_of.get(_lane_of(entry, by_id), y_of["commitment"])
        mark = _mark(entry, axis.x(parse_time(entry["occurred_at"])), y)
        out.marks.append(replace(mark, day=entry["occurred_at"][:10]))
    out.band_y = TOP + 20 + len(lanes) * LANE
    out.bands = [_band_box(b, axis) for b in known.bands]
    out.ticks = axis.ticks()
    out.height = out.band_y + 52
    return out


def _band_box(band: Band, axis: Axis) -> BandBox:
    x = axis.x(band.start)
    width = max(axis.x(band.end or axis.end) - x, 1.0)
    word = verdict_word(band.verdict)
    label = word if width > 8 * len(word) + 10 else ""
    ink = "#1f2430" if band.verdict in LIGHT else "#ffffff"
    return BandBox(
        x, width, verdict_colour(band.verdict), f"{word} from {day(band.start)}", label, ink
    )


def rules(view: CommitmentView, axis: Axis, as_of: datetime) -> list[Rule]:
    """The lines that move with as_of: the deadlines in force then, and as_of itself."""
    found = _deadlines(view, axis)
    if axis.contains(as_of):
        found.append(Rule(axis.x(as_of), f"as of {day(as_of)}", "as_of"))
    return found


def _deadlines(view: CommitmentView, axis: Axis) -> list[Rule]:
    rules: list[Rule] = []
    original = view.known.made.get("due_by")
    if isinstance(original, str):
        due = parse_day(original)
        rules.append(Rule(axis.x(due), f"due {day(due)} (original)", "original"))
    status = view.status.to_json() if view.status is not None else {}
    requested = status.get("requested_due_by")
    if isinstance(requested, str):
        rules.append(
            Rule(axis.x(parse_time(requested)), f"requested {day(requested)}", "requested")
        )
    current = status.get("due_by")
    if isinstance(current, str) and current[:10] != str(original)[:10]:
        rules.append(Rule(axis.x(parse_time(current)), f"due {day(current)} (agreed)", "agreed"))
    return rules
