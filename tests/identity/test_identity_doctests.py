"""The docstring examples of the identity modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "clientele.identity.nicknames",
    "clientele.identity.clusters",
    "clientele.identity.keys",
    "clientele.identity.evaluate",
    "clientele.identity.exclusivity",
    "clientele.identity.model",
    "clientele.identity.spark",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
