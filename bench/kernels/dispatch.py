"""br_table dispatch: a tiny bytecode interpreter running a counted loop.

The program and its encoding are those of ``dispatch.wat`` (two bytes per
instruction: opcode, argument); ``PROGRAM`` must stay equal to its data
segment.
"""

from __future__ import annotations

RESULT = "i32"
FULL = (130_000,)
QUICK = (100,)

_MASK32 = 0xFFFFFFFF

PROGRAM = bytes([
    1, 0,    # 0: LOADN
    2, 7,    # 1: ADDI 7
    4, 0,    # 2: XORC
    3, 31,   # 3: MULI 31
    5, 5,    # 4: ROTL 5
    6, 0,    # 5: DEC
    7, 1,    # 6: JNZ 1
    0, 0,    # 7: HALT
])


def interpret(program: bytes, n: int) -> int:
    """Run ``program`` with ``n`` as its input; the accumulator at HALT."""
    # Decoding once into (opcode, argument) pairs is what a Python
    # interpreter would do; the dispatch itself stays one test per opcode.
    code = [(program[i], program[i + 1]) for i in range(0, len(program), 2)]
    pc = acc = cnt = 0
    while True:
        op, arg = code[pc]
        pc += 1
        if op == 1:    # LOADN
            cnt = n
        elif op == 2:  # ADDI
            acc = (acc + arg) & _MASK32
        elif op == 3:  # MULI
            acc = (acc * arg) & _MASK32
        elif op == 4:  # XORC
            acc ^= cnt
        elif op == 5:  # ROTL
            k = arg & 31
            acc = ((acc << k) | (acc >> (32 - k))) & _MASK32
        elif op == 6:  # DEC
            cnt = (cnt - 1) & _MASK32
        elif op == 7:  # JNZ
            if cnt:
                pc = arg
        else:          # HALT, and any opcode outside the set
            return acc


def run(n: int) -> int:
    """The accumulator after the program's n rounds (n >= 1)."""
    return interpret(PROGRAM, n)
