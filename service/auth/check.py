"""The auditor's check of authority, from the log alone: was every assessment recorded by a
principal of its assessor party, holding a grant for its strength, at that point of the log?

Fed events in position order (party streams' authority events and assessments); `findings`
names each assessment that fails, by position. Events written before authentication (no
`principal`, `recorded_by` nor `imported_by` in their metadata) are counted as legacy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.auth.authority import GRANT_CHANGED, PRINCIPAL_ADDED, PRINCIPAL_REVOKED
from service.auth.principals import DEFAULT_GRANT, at_least
from service.domain import events as ev

CHECKED_TYPES = (PRINCIPAL_ADDED, PRINCIPAL_REVOKED, GRANT_CHANGED, ev.ASSESSMENT_RECORDED)
WRITER_KEYS = ("principal", "recorded_by", "imported_by")


@dataclass
class AuthorityCheck:
    principals: dict[str, str] = field(default_factory=dict)  # live name -> party
    grants: dict[str, str] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    assessments: int = 0
    legacy: int = 0

    def feed(self, position: int, stream_id: str, type_: str, data: Any, metadata: Any) -> None:
        party = stream_id.removeprefix("party-")
        if type_ == PRINCIPAL_ADDED and stream_id.startswith("party-"):
            self.principals[data["name"]] = party
        elif type_ == PRINCIPAL_REVOKED and self.principals.get(data["name"]) == party:
            del self.principals[data["name"]]
        elif type_ == GRANT_CHANGED and stream_id.startswith("party-"):
            self.grants[party] = data["max_strength"]
        elif type_ == ev.ASSESSMENT_RECORDED:
            self._assessment(position, data, metadata)

    def _assessment(self, position: int, data: Any, metadata: Any) -> None:
        self.assessments += 1
        if not any(k in metadata for k in WRITER_KEYS):
            self.legacy += 1
            return
        problem = self._problem(data, metadata)
        if problem:
            self.findings.append(f"event {position}: assessment by {data['assessor']}: {problem}")

    def _problem(self, data: Any, metadata: Any) -> str | None:
        assessor, strength = data["assessor"], data["strength"]
        recorded_by, principal = metadata.get("recorded_by"), metadata.get("principal")
        if recorded_by != assessor:
            writer = "an administrator" if recorded_by is None else f"party {recorded_by}"
            return f"recorded by {writer} (principal {principal}), not by the assessor"
        if "imported_by" not in metadata and self.principals.get(principal) != assessor:
            return f"principal {principal} did not act for {assessor} at that point"
        grant = self.grants.get(assessor, DEFAULT_GRANT)
        if not at_least(grant, strength):
            return f"strength {strength} exceeds {assessor}'s grant {grant} at that point"
        return None
