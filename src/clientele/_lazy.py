"""Lazy package exports: a package names what it offers, and each name's module is imported on
first use. Keeps ``import clientele.<package>.cli`` (and so the CLI's start) free of the heavy
numerical imports that only the commands themselves need."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any


class _LazyPackage(types.ModuleType):
    """A package whose exported names win over same-named submodules.

    Importing ``pkg.allocate`` binds the submodule as ``pkg.allocate``; where the package exports
    a function ``allocate`` from that submodule (as an eager ``from .allocate import allocate``
    would), the export must stay what ``pkg.allocate`` means.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_lazy_exports", {})
        if name in exports and isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)


def attach(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    ``exports`` maps each public name to the submodule (relative to ``package``) defining it.
    """
    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module.__dict__["_lazy_exports"] = dict(exports)

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        setattr(module, name, value)  # later lookups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(module.__dict__))

    return __getattr__, __dir__, sorted(exports)
