"""The background workers `pledger serve` runs beside the API (projector, ledger, ...)."""

from __future__ import annotations

from service.app import Background
from service.config import Settings
from service.ledger.background import ledger_background
from service.projections.background import projector_background


def default_background(settings: Settings) -> tuple[Background, ...]:
    """Every worker a production server runs; each module adds its own part here."""
    parts: list[Background] = []
    if not settings.workers:
        return ()
    parts.append(ledger_background(settings))
    parts.append(projector_background(settings))
    return tuple(parts)
