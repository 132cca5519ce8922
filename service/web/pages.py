"""The page handlers: the overview, a commitment's timeline, a party, the ledger.

Every view is a function of its URL: as_of, known_at and the filters are query parameters, so
any view can be shared as a link and rendered without JavaScript.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from service.api.keys import SETTINGS, STORE, TREE
from service.domain import events as ev
from service.domain.errors import EntityNotFound, InvalidParameter
from service.domain.status import CommitmentStatus
from service.domain.tallies import party_compliance
from service.domain.timeparse import parse_query_time
from service.ledger.signing import origin, read_key
from service.web import reads
from service.web.memo import MEMO
from service.web.render import fragment, page, render
from service.web.svg import Axis, scorecard, step_path
from service.web.timeline import Layout, drawing, rules


@dataclass(frozen=True, slots=True)
class Times:
    as_of: datetime
    known_at: datetime
    query: dict[str, str]  # the as_of/known_at given, to carry into links


def times(request: web.Request) -> Times:
    now = datetime.now(UTC)
    given = {k: request.query[k] for k in ("as_of", "known_at") if request.query.get(k)}
    as_of = parse_query_time("as_of", given.get("as_of"), now)
    known_at = parse_query_time("known_at", given.get("known_at"), now)
    return Times(as_of, known_at, given)


def choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query.get(name) or None
    if raw is not None and raw not in choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def party_card(party_id: str, data: dict[str, Any], statuses: list[CommitmentStatus]) -> Any:
    made = reads.party_statuses(statuses, party_id)
    return {
        "id": party_id,
        "name": data.get("name", party_id),
        "kind": data.get("kind"),
        "tally": party_compliance(made).to_json(),
        "segments": scorecard([(s.verdict, s.disputed) for s in made]),
    }


@page
async def overview(request: web.Request) -> web.Response:
    t = times(request)
    verdict = choice(request, "verdict", ev.VERDICTS)
    schedule = choice(request, "schedule", ev.SCHEDULES)
    party = request.query.get("party") or None
    agreement = request.query.get("agreement") or None
    store = request.app[STORE]
    parties = await reads.registered(store, ev.PARTY_REGISTERED)
    agreements = await reads.registered(store, ev.AGREEMENT_RECORDED)
    statuses = await reads.all_statuses(store, t.as_of, t.known_at)
    cards = [party_card(p, d, statuses) for p, d in sorted(parties.items())]
    cards.sort(key=lambda card: -card["tally"]["total"])  # stable: by id within a count
    shown = [
        s
        for s in statuses
        if (verdict is None or s.verdict == verdict)
        and (schedule is None or s.schedule == schedule)
        and (party is None or party == s.promisor or party in s.promisees)
        and (agreement is None or agreement == s.agreement)
    ]
    groups = [
        (a, agreements[a], [s for s in shown if s.agreement == a]) for a in sorted(agreements)
    ]
    loose = [s for s in shown if s.agreement not in agreements]
    context = {
        "times": t,
        "cards": [c for c in cards if party is None or c["id"] == party],
        "groups": [g for g in groups if g[2] or agreement == g[0]],
        "loose": loose,
        "parties": parties,
        "agreements": agreements,
        "filters": {
            "party": party,
            "agreement": agreement,
            "verdict": verdict,
            "schedule": schedule,
        },
        "total": len(statuses),
        "shown": len(shown),
    }
    return render(request, "overview.html", context)


@page
async def commitment(request: web.Request) -> web.Response:
    t = times(request)
    commitment_id = request.match_info["id"]
    store = request.app[STORE]
    memo = request.app[MEMO]
    view = await reads.commitment_view(store, memo, commitment_id, t.as_of, t.known_at)
    parties = await reads.registered(store, ev.PARTY_REGISTERED)
    drawn: Layout = memo.get(("drawing", *view.key), lambda: drawing(view.known))
    known_at = t.query.get("known_at")
    marks = memo.get(
        ("marks", known_at, *view.key),
        lambda: fragment(request, "marks.html", layout=drawn, known_at=known_at),
    )
    slider = view.known.days
    position = bisect.bisect_right(slider, f"{t.as_of:%Y-%m-%d}") - 1
    context = {
        "times": t,
        "id": commitment_id,
        "view": view,
        "status": None if view.status is None else view.status.to_json(),
        "layout": drawn,
        "marks": marks,
        "rules": rules(view, drawn.axis, t.as_of),
        "parties": parties,
        "slider": slider,
        "slider_at": max(position, 0),
        "window": reads.window(view.known.ordered, t.as_of),
    }
    return render(request, "commitment.html", context)


@page
async def party(request: web.Request) -> web.Response:
    t = times(request)
    party_id = request.match_info["id"]
    store = request.app[STORE]
    parties = await reads.registered(store, ev.PARTY_REGISTERED)
    if party_id not in parties:
        raise EntityNotFound("party", party_id)
    statuses = await reads.all_statuses(store, t.as_of, t.known_at)
    made = reads.party_statuses(statuses, party_id)
    ids = [s.commitment for s in made]
    points = await reads.kept_over_time(store, request.app[MEMO], ids, t.known_at)
    context = {
        "times": t,
        "card": party_card(party_id, parties[party_id], statuses),
        "made": made,
        "assessed": reads.assessments_by(statuses, party_id),
        "parties": parties,
        "chart": kept_chart(points),
    }
    return render(request, "party.html", context)


def kept_chart(points: list[tuple[datetime, float | None]]) -> dict[str, Any] | None:
    """The kept ratio as a step line over the years, or None when nothing was ever decided."""
    if not any(ratio is not None for _, ratio in points):
        return None
    axis = Axis.around([p[0] for p in points])
    xy = [(axis.x(moment), ratio) for moment, ratio in points]
    xy.append((axis.right, xy[-1][1]))
    return {
        "axis": axis,
        "path": step_path(xy, 20.0, 120.0),
        "ticks": axis.ticks(),
        "points": points,
    }


@page
async def ledger(request: web.Request) -> web.Response:
    tree, settings = request.app[TREE], request.app[SETTINGS]
    checkpoint = None
    if tree is not None:
        latest = await tree.latest_checkpoint()
        checkpoint = None if latest is None else latest.to_json()
    key = None
    if settings.signing_key is not None:
        signing = read_key(settings.signing_key)
        verifier = signing.verifier
        key = {"name": verifier.name, "verifier_key": str(verifier)}
        key["origin"] = origin(settings, signing)
    context = {"checkpoint": checkpoint, "key": key, "postgres": tree is not None}
    return render(request, "ledger.html", context)
