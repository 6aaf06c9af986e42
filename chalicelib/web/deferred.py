"""Modules a page needs only when it runs, so a cold start loads what its first request reads.

One Lambda serves every route. The contractor opening a link (the most frequent first request)
needs the ticket, its link and the template, not the use cases behind the POSTs nor the admin.
`completion, quotes = deferred.modules("usecases.completion", "usecases.quotes")` stand for those modules
and import each on its first attribute read. `importlib.import_module` holds the import lock, so threads (`chalice local`)
racing for a first import each get the whole module; it returns `sys.modules`' copy afterwards.
Callers import the real modules under `if TYPE_CHECKING:`, so mypy still checks every use.
"""

from __future__ import annotations

import importlib
from typing import Any


class DeferredModule:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


def modules(*names: str) -> tuple[Any, ...]:
    """Stand-ins for chalicelib's modules of these names. Typed `Any` on purpose: callers use
    each as the module itself."""
    return tuple(DeferredModule(f"chalicelib.{name}") for name in names)
