"""The embedding API, re-exported by :mod:`engine`: a superset of
wasmtime-py's core API.

The runtime objects themselves (Func, Memory, Table, Global, Tag, Instance,
Module, Engine, Config) are the API objects; this package adds the type
constructors (:mod:`.types`), the store and linker with WASI
(:mod:`.wasi`), and ``wat2wasm`` (:mod:`.wat`).
"""

from __future__ import annotations

from typing import Union

from ..errors import Frame  # noqa: F401
from ..runtime.apitypes import ExportType, ImportType, InstanceExports  # noqa: F401
from ..runtime.caller import Caller, StoreContext  # noqa: F401
from ..runtime.config import Config, FuelCosts  # noqa: F401
from ..runtime.gc import ArrayRef, ExnRef, I31Ref, StructRef  # noqa: F401
from ..runtime.instance import Instance  # noqa: F401
from ..runtime.linker import InstancePre  # noqa: F401
from ..runtime.managed import Managed  # noqa: F401
from ..runtime.module import Module  # noqa: F401
from ..runtime.objects import Func, Global, Memory, SharedMemory, Table, Tag  # noqa: F401
from ..runtime.store import Engine  # noqa: F401
from ..runtime.val import Val  # noqa: F401
from ..runtime.values import f32_from_bits, f32_to_bits  # noqa: F401
from ..wasi import WasiConfig  # noqa: F401
from .types import (  # noqa: F401
    FuncType, GlobalType, Limits, MemoryType, TableType, TagType, ValType,
)
from .wasi import Linker, Store  # noqa: F401
from .wat import wat2wasm  # noqa: F401

#: What the API takes where it takes a store: a Store, a Caller or a
#: StoreContext.
Storelike = Union[Store, Caller, StoreContext]
