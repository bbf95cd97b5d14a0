"""The docstring examples of the segments and briefs packages run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["clientele.segments.rules", "clientele.segments.grid", "clientele.segments.attributes",
           "clientele.segments.registry", "clientele.segments.summary", "clientele.briefs.lifecycle",
           "clientele.briefs.api"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_there_are_examples():
    attempted = sum(doctest.testmod(importlib.import_module(n)).attempted for n in MODULES)
    assert attempted >= 6
