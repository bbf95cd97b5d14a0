"""Shared fixtures for the test suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def store_path(tmp_path):
    """A fresh store location inside the test's temporary folder."""
    return tmp_path / "test.duckdb"
