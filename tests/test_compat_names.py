"""Every public name and member of wasmtime-py's core API exists in
``engine`` (see ``tests/compat_inventory.py`` for the inventory and the
documented exceptions), and ``from engine import *`` brings them all."""

from __future__ import annotations

import inspect

import pytest

import engine
from compat_inventory import PROTOCOLS, UNSUPPORTED, WASMTIME_CORE, samples


def _has(name: str, member: str, objects: dict) -> bool:
    ours = getattr(engine, name)
    return hasattr(ours, member) or (name in objects and hasattr(objects[name], member))


def test_every_wasmtime_py_name_is_in_the_engine_namespace():
    missing = sorted(name for name in WASMTIME_CORE if not hasattr(engine, name))
    assert missing == []


def test_star_import_brings_every_wasmtime_py_name():
    namespace: dict = {}
    exec("from engine import *", namespace)  # noqa: S102 - the point of the test
    assert sorted(set(WASMTIME_CORE) - set(namespace)) == []


def test_every_member_is_supported_or_documented_as_not():
    objects = samples(engine)
    missing = []
    for name, members in WASMTIME_CORE.items():
        for member in members:
            key = f"{name}.{member}"
            present = _has(name, member, objects)
            if key in UNSUPPORTED:
                # the exception list tells the truth: what it names is absent
                assert not present, f"{key} is listed as unsupported but exists"
            elif not present:
                missing.append(key)
    assert missing == []


def test_every_unsupported_entry_names_a_real_wasmtime_py_member():
    known = {f"{name}.{m}" for name, members in WASMTIME_CORE.items() for m in members}
    assert sorted(set(UNSUPPORTED) - known) == []
    assert all(reason.strip() for reason in UNSUPPORTED.values())


def test_the_inventory_covers_the_installed_wasmtime_py():
    wasmtime = pytest.importorskip("wasmtime", reason="wasmtime (the reference extra) is not installed")
    live = {}
    for name in (n for n in dir(wasmtime) if not n.startswith("_")):
        obj = getattr(wasmtime, name)
        if inspect.ismodule(obj):
            continue  # a subpackage (the component model), once imported
        members: set[str] = set()
        if inspect.isclass(obj):
            for klass in obj.__mro__:
                if klass.__module__.startswith("wasmtime"):
                    members |= {m for m in vars(klass) if not m.startswith("_") or m in PROTOCOLS}
        live[name] = members
    new = sorted(f"{n}.{m}" for n, ms in live.items() for m in ms if m not in WASMTIME_CORE.get(n, ()))
    assert sorted(set(live) - set(WASMTIME_CORE)) == [] and new == []
