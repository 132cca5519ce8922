"""Request bodies that create parties, agreements and commitments, and the body parser."""

from __future__ import annotations

from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.domain.errors import ValidationFailed
from service.domain.events import EVIDENCE_EVENTS, PARTY_DISSOLVED, Comparator
from service.domain.timeparse import EndTime, StartTime
from service.log.jcs import is_jcs_integer

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# The document states the blank rule too: a character that str.strip() would not remove.
NOT_BLANK = Field(
    json_schema_extra={
        "pattern": "[^\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a"
        "\u2028\u2029\u202f\u205f\u3000]"
    }
)
Title = Annotated[str, StringConstraints(max_length=500), AfterValidator(_not_blank), NOT_BLANK]
Text = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_not_blank), NOT_BLANK]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2000)]


def _exact_number(value: object) -> object:
    # A float field takes an integer as the nearest double: refuse one that would change.
    if type(value) is int and not is_jcs_integer(value):
        raise ValueError("is not exactly representable as a JSON number (beyond 2^53)")
    return value


Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_exact_number)]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an id")
    return values


SlugList = Annotated[list[Slug], Field(min_length=1, max_length=500), AfterValidator(_unique)]


class Body(BaseModel):
    """Base of every request body: unknown fields are errors, and types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def to_data(self) -> dict[str, Any]:
        """The event data: JSON types, canonical times, absent optional fields omitted."""
        return self.model_dump(mode="json", exclude_none=True)


class Source(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["url"], "properties": {"url": {"type": "string"}}},
                {"required": ["title"], "properties": {"title": {"type": "string"}}},
            ]
        }
    )

    url: Url | None = None
    title: Title | None = None
    quote: Text | None = None
    published_at: StartTime | None = None

    @model_validator(mode="after")
    def _url_or_title(self) -> Self:
        if self.url is None and self.title is None:
            raise ValueError("a source needs a url or a title")
        return self


class RegisterParty(Body):
    id: Slug
    name: Title
    kind: Kind  # a lowercase word: state, organization, armed_group, person, monitor, press ...


class RecordAgreement(Body):
    id: Slug
    title: Title
    signed_at: StartTime | None = None
    parties: SlugList
    source: Source | None = None


class Condition(Body):
    id: Slug
    text: Text
    commitment: Slug | None = None  # a commitment whose verdict informs this condition


class Measure(Body):
    target: Number
    unit: Title
    comparator: Comparator


class MakeCommitment(Body):
    id: Slug
    promisor: Slug
    promisees: SlugList
    agreement: Slug | None = None
    text: Text
    made_at: StartTime
    due_by: EndTime | None = None
    conditions: list[Condition] | None = Field(default=None, max_length=100)
    measure: Measure | None = None
    source: Source

    @field_validator("promisees")
    @classmethod
    def _not_to_itself(cls, promisees: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("promisor") in promisees:
            raise ValueError("a party cannot promise to itself")
        return promisees

    @field_validator("conditions")
    @classmethod
    def _unique_conditions(cls, conditions: list[Condition] | None) -> list[Condition] | None:
        if conditions and len({c.id for c in conditions}) != len(conditions):
            raise ValueError("condition ids must be unique")
        return conditions


B = TypeVar("B")


MAX_PROBLEMS = 20  # problems one 422 lists


def parse_body(adapter: TypeAdapter[B], body: object) -> B:
    """Validate a decoded JSON body; raise ValidationFailed naming the first bad field.

    The field is a dotted path ("source.url", "conditions.0.id"); every problem is in the detail.
    """
    try:
        return adapter.validate_python(body)
    except ValidationError as error:
        raise _as_validation_failed(error) from None


def _as_validation_failed(error: ValidationError) -> ValidationFailed:
    # A body with thousands of bad fields gets a bounded answer, not one line per field.
    problems = error.errors(include_url=False, include_input=False)[:MAX_PROBLEMS]
    fields = [_shorten(_field_of(problem)) for problem in problems]
    messages = [str(p["msg"]).removeprefix("Value error, ") for p in problems]
    detail = "; ".join(f"{f}: {m}" if f else m for f, m in zip(fields, messages, strict=True))
    if error.error_count() > MAX_PROBLEMS:
        detail += f"; and {error.error_count() - MAX_PROBLEMS} more problems"
    return ValidationFailed(fields[0] or "body", detail)


def _shorten(field: str) -> str:
    """A field name as a problem repeats it: a client's million-character key is cut."""
    return field if len(field) <= 100 else field[:100] + "..."


def _field_of(problem: Any) -> str:
    if problem["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return "type"
    loc = [str(part) for part in problem["loc"]]
    if loc and (loc[0] in EVIDENCE_EVENTS or loc[0] == PARTY_DISSOLVED):  # the union's tag
        loc = loc[1:]
    return ".".join(loc)
