"""The docstring examples of the equity and indicator modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "clientele.equity.acquisition",
    "clientele.indicators.nps",
    "clientele.indicators.referrals",
    "clientele.indicators.value_at_risk",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
