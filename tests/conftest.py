"""Shared fixtures.

``wt``, the fixture of the compatibility suite: each test runs once with
``engine`` and once with ``wasmtime`` (wasmtime-py) as the module under
test, with the same assertions, as a program that does ``import engine as
wasmtime`` would."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

ENGINES = ("engine", "wasmtime")


@pytest.fixture(params=ENGINES)
def wt(request) -> ModuleType:
    """The API module under test."""
    if request.param == "wasmtime":
        pytest.importorskip("wasmtime", reason="wasmtime (the reference extra) is not installed")
    return importlib.import_module(request.param)
