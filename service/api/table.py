"""What one entry of the route table is, and how an entry becomes an aiohttp handler: parameters
validated by the entry's models before the view runs, replies serialised by its response models.

A view takes the request and returns a `Reply` (or, for a stream, a prepared StreamResponse);
it reads its parsed parameters with `params(request, TheModel)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args, get_origin

from aiohttp import web
from multidict import MultiMapping
from pydantic import BaseModel, TypeAdapter, ValidationError

from service.api.keys import SETTINGS
from service.api.params import NoParams, Params
from service.domain.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class Reply:
    """A view's answer: a body of (or valid for) the route's model for `status`, and headers."""

    body: BaseModel | Mapping[str, Any]
    status: int | None = None  # None: the route's success status
    headers: Mapping[str, str] = field(default_factory=dict)
    media: str | None = None  # one of the route's `variants`, chosen by the view from Accept


View = Callable[[web.Request], Awaitable[Reply | web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One operation. `responses` maps each non-problem status to its body model (None: not
    JSON, see `media`); the first is the success. `errors` are the problem+json statuses (400
    for parameters, and 413/415/422 with a body, are added). `headers` are the response headers
    of success; `request_headers` name entries of openapi.REQUEST_HEADERS."""

    method: str
    path: str
    view: View
    operation_id: str
    tag: str
    summary: str
    responses: Mapping[int, type[BaseModel] | None]
    errors: tuple[int, ...] = ()
    params: type[Params] = NoParams
    path_params: type[Params] | None = None
    body: TypeAdapter[Any] | None = None
    body_name: str | None = None  # the request body's component name
    request_headers: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    media: str = "application/json"
    example: Mapping[str, Any] | None = None  # a request body example
    # Other media types of the success answer (content negotiation), each with its body model.
    variants: Mapping[str, type[BaseModel]] = field(default_factory=dict)

    @property
    def success(self) -> int:
        return next(iter(self.responses))

    def error_statuses(self) -> list[int]:
        extra = (413, 415, 422) if self.body is not None else ()
        # Every write needs a token (401) and the right to make it (403): docs/security.md.
        auth = (401, 403) if self.method not in ("GET", "HEAD") else ()
        return sorted({400, *self.errors, *extra, *auth})

    def handler(self) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            request[PARAMS] = parse(self.params, request.query)
            if self.path_params is not None:
                request[PATH] = parse(self.path_params, request.match_info)
            result = await self.view(request)
            if isinstance(result, web.StreamResponse):
                return result
            return self.render(result)

        return handle

    def render(self, reply: Reply) -> web.Response:
        status = reply.status or self.success
        media = reply.media or "application/json"
        model = self.variants[media] if reply.media else self.responses.get(status)
        if model is None:
            raise LookupError(f"{self.operation_id} declares no JSON body for {status}")
        body = reply.body if isinstance(reply.body, model) else model.model_validate(reply.body)
        undeclared = set(reply.headers) - set(self.headers)
        if undeclared:
            raise LookupError(f"{self.operation_id} does not declare headers {undeclared}")
        return web.Response(
            status=status,
            body=body.model_dump_json().encode("utf-8"),
            content_type=media,
            headers=dict(reply.headers),
        )


PARAMS = web.RequestKey("params", Params)
PATH = web.RequestKey("path_params", Params)
P = TypeVar("P", bound=Params)


def params(request: web.Request, model: type[P]) -> P:
    """The request's query parameters, parsed by the route's model."""
    value = request[PARAMS]
    if not isinstance(value, model):
        raise TypeError(f"the route parses {type(value).__name__}, not {model.__name__}")
    return value


def path_args(request: web.Request, model: type[P]) -> P:
    value = request[PATH]
    if not isinstance(value, model):
        raise TypeError(f"the route parses {type(value).__name__}, not {model.__name__}")
    return value


def page_size(request: web.Request, limit: int | None) -> int:
    """The page size: the settings' default, and at most their maximum (400 beyond)."""
    settings = request.app[SETTINGS]
    if limit is None:
        return settings.page_limit_default
    if limit > settings.page_limit_max:
        detail = f"limit must be between 1 and {settings.page_limit_max}, got {limit}"
        raise InvalidParameter("limit", detail)
    return limit


def is_list(model: type[Params], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return get_origin(annotation) is list or any(
        get_origin(a) is list for a in get_args(annotation)
    )


def parse(model: type[Params], raw: MultiMapping[str] | Mapping[str, str]) -> Params:
    """Validate query or path values; 400 naming the first unknown or malformed parameter."""
    unknown = [name for name in raw if name not in model.model_fields]
    if unknown:
        known = ", ".join(model.model_fields) or "none"
        detail = f"unknown parameter {', '.join(sorted(set(unknown)))}; this endpoint takes {known}"
        raise InvalidParameter(unknown[0], detail)
    values: dict[str, Any] = {}
    for name in raw:
        if is_list(model, name) and isinstance(raw, MultiMapping):
            values[name] = [v for item in raw.getall(name) for v in item.split(",") if v]
        else:
            values.setdefault(name, raw[name])
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "query"
        message = str(first["msg"]).removeprefix("Value error, ")
        given = values.get(name)
        raise InvalidParameter(name, f"{name}: {message} (got {given!r})") from None
