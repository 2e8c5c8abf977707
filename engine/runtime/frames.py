"""Where a trap happened: the Wasm frames of a Python traceback.

Each compiled function's code object is registered (see
:func:`engine.errors.register_wasm_code`) with a description that turns a
line of its generated source into a :class:`~engine.errors.Frame`: the
function's index, its name and the module's name from the ``name`` custom
section, and byte offsets (see :class:`~engine.errors.Frame` for what they
mean). The name section and the code section's layout are read lazily, once
per module, on the first trap that needs them; a malformed name section is
ignored (names are then None), as custom sections never make a module
invalid.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..errors import Frame


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos
        if shift > 35:
            raise ValueError("LEB128 too long")


def _name(data: bytes, pos: int) -> tuple[str, int]:
    n, pos = _leb(data, pos)
    if pos + n > len(data):
        raise ValueError("name past the end")
    return data[pos:pos + n].decode("utf-8"), pos + n


def read_names(customs: Any) -> tuple[Optional[str], dict[int, str]]:
    """The module name and the function names of a module's ``name``
    section (the first one), as far as it reads well."""
    module_name: Optional[str] = None
    funcs: dict[int, str] = {}
    for section in customs:
        if section.name != "name":
            continue
        data = section.data
        pos = 0
        try:
            while pos < len(data):
                sub = data[pos]
                size, pos = _leb(data, pos + 1)
                end = pos + size
                if sub == 0:
                    module_name, _ = _name(data[:end], pos)
                elif sub == 1:
                    count, p = _leb(data, pos)
                    for _ in range(count):
                        index, p = _leb(data, p)
                        funcs[index], p = _name(data[:end], p)
                pos = end
        except (ValueError, IndexError, UnicodeDecodeError):
            pass
        break
    return module_name, funcs


def code_offsets(binary: Optional[bytes]) -> list[int]:
    """The offset in ``binary`` of each function body in the code section
    (where its locals declarations start); empty when unknown."""
    if not binary or binary[:4] != b"\0asm":
        return []
    out: list[int] = []
    try:
        pos = 8
        while pos < len(binary):
            section = binary[pos]
            size, pos = _leb(binary, pos + 1)
            if section == 10:
                count, p = _leb(binary, pos)
                for _ in range(count):
                    body_size, p = _leb(binary, p)
                    out.append(p)
                    p += body_size
                return out
            pos += size
    except (ValueError, IndexError):
        return []
    return []


class ModuleFrames:
    """The frame descriptions of one module (its names and code layout,
    read on first use)."""

    def __init__(self, syntax: Any, binary: Optional[bytes], nimported: int):
        self._syntax = syntax
        self._binary = binary
        self._nimported = nimported
        self._read: Optional[tuple[Optional[str], dict[int, str], list[int]]] = None
        self._offsets: dict[int, list[int]] = {}

    def _info(self) -> tuple[Optional[str], dict[int, str], list[int]]:
        if self._read is None:
            module_name, funcs = read_names(self._syntax.customs)
            self._read = (module_name, funcs, code_offsets(self._binary))
        return self._read

    def _instruction_offsets(self, defined: int, start: int) -> list[int]:
        offsets = self._offsets.get(defined)
        if offsets is None:
            from ..binary.offsets import instruction_offsets

            try:
                offsets = instruction_offsets(self._binary[start:]) if self._binary else []
            except Exception:  # noqa: BLE001 - offsets are best effort
                offsets = []
            self._offsets[defined] = offsets
        return offsets

    def describer(self, funcidx: int, pc_of_line: Callable[[int], Optional[int]]) -> Callable[[int], Frame]:
        """``describe(lineno)`` for defined function ``funcidx``;
        ``pc_of_line(lineno)`` is the body position of the instruction a
        line of its generated code runs."""

        def describe(lineno: int) -> Frame:
            module_name, funcs, bodies = self._info()
            defined = funcidx - self._nimported
            start = bodies[defined] if 0 <= defined < len(bodies) else 0
            offsets = self._instruction_offsets(defined, start) if start else []
            pc = pc_of_line(lineno)
            func_offset = offsets[pc] if pc is not None and pc < len(offsets) else 0
            return Frame(funcidx, funcs.get(funcidx), module_name, func_offset, start + func_offset)

        return describe
