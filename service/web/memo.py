"""A small bounded memo for the pages' costly folds (verdict bands, kept ratio over time).

They depend only on which events the ledger knew, never on as_of, so moving the date along a
commitment's timeline folds its bands once; a new event changes the key, so nothing goes stale.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from aiohttp import web


class Memo:
    """Least recently used first out, at most `size` answers."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = compute()
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value


MEMO = web.AppKey("web_memo", Memo)
