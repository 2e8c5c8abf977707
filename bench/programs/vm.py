"""A bytecode interpreter (stack machine, 22 instructions, calls) running a sieve, recursive Fibonacci and Collatz.

The twin is vm.c's interpreter in plain Python: the same assembler and
program, and the same dispatch loop as an if/elif chain with the common
instructions first. The guest programs never overflow 32 bits and divide
only non-negative numbers, so Python's unbounded integers and floor
division give the C program's results without masking.
"""

from __future__ import annotations

from ._common import M32

RESULT = "i32"
FULL = (12,)
QUICK = (1,)
REDUCED = (1,)

(HALT, PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, EQ, JMP, JZ, JNZ,
 CALL, RET, GET, PUT, DUP, POP, ADDI, NEG) = range(22)
F_SIEVE, F_FIB, F_COLLATZ = range(3)
HEAP_CAP = 8192


class Assembler:
    """vm.c's assembler: instructions as (opcode, operand) pairs, flat."""

    def __init__(self) -> None:
        self.code: list[int] = []
        self.functions: list[tuple[int, int, int]] = []

    def emit(self, *instructions: tuple[int, int]) -> int:
        """Appends the instructions; the position of the last one's operand."""
        for opcode, operand in instructions:
            self.code += (opcode, operand)
        return len(self.code) - 1

    def here(self) -> int:
        return len(self.code)

    def patch(self, operand: int, target: int) -> None:
        self.code[operand] = target

    def define(self, args: int, locals_: int) -> None:
        self.functions.append((self.here(), args, locals_))


def assemble() -> Assembler:
    """The three guest functions, exactly as vm.c lays them out."""
    a = Assembler()
    emit, here, patch = a.emit, a.here, a.patch
    emit((HALT, 0))
    # sieve(limit); locals: 0 limit, 1 i, 2 j, 3 count
    a.define(1, 4)
    emit((PUSH, 0), (STORE, 1))
    clear = here()
    emit((LOAD, 1), (LOAD, 0), (LT, 0))
    cleared = emit((JZ, 0))
    emit((LOAD, 1), (PUSH, 0), (PUT, 0))
    emit((LOAD, 1), (ADDI, 1), (STORE, 1), (JMP, clear))
    patch(cleared, here())
    emit((PUSH, 0), (STORE, 3), (PUSH, 2), (STORE, 1))
    outer = here()
    emit((LOAD, 1), (LOAD, 0), (LT, 0))
    done = emit((JZ, 0))
    emit((LOAD, 1), (GET, 0))
    composite = emit((JNZ, 0))
    emit((LOAD, 3), (ADDI, 1), (STORE, 3))
    emit((LOAD, 1), (DUP, 0), (MUL, 0), (STORE, 2))
    inner = here()
    emit((LOAD, 2), (LOAD, 0), (LT, 0))
    inner_done = emit((JZ, 0))
    emit((LOAD, 2), (PUSH, 1), (PUT, 0))
    emit((LOAD, 2), (LOAD, 1), (ADD, 0), (STORE, 2), (JMP, inner))
    patch(composite, here())
    patch(inner_done, here())
    emit((LOAD, 1), (ADDI, 1), (STORE, 1), (JMP, outer))
    patch(done, here())
    emit((LOAD, 3), (RET, 0))
    # fib(k); locals: 0 k
    a.define(1, 1)
    emit((LOAD, 0), (PUSH, 2), (LT, 0))
    big = emit((JZ, 0))
    emit((LOAD, 0), (RET, 0))
    patch(big, here())
    emit((LOAD, 0), (ADDI, -1), (CALL, F_FIB))
    emit((LOAD, 0), (PUSH, 2), (SUB, 0), (CALL, F_FIB))
    emit((ADD, 0), (RET, 0))
    # collatz(m); locals: 0 m, 1 s, 2 x, 3 total
    a.define(1, 4)
    emit((PUSH, 0), (STORE, 3), (PUSH, 1), (STORE, 1))
    start = here()
    emit((LOAD, 0), (LOAD, 1), (LT, 0))
    finished = emit((JNZ, 0))
    emit((LOAD, 1), (STORE, 2))
    step = here()
    emit((LOAD, 2), (PUSH, 1), (EQ, 0))
    reached = emit((JNZ, 0))
    emit((LOAD, 2), (PUSH, 2), (MOD, 0))
    odd = emit((JNZ, 0))
    emit((LOAD, 2), (PUSH, 2), (DIV, 0), (STORE, 2))
    counted = emit((JMP, 0))
    patch(odd, here())
    emit((LOAD, 2), (PUSH, 3), (MUL, 0), (ADDI, 1), (STORE, 2))
    patch(counted, here())
    emit((LOAD, 3), (ADDI, 1), (STORE, 3), (JMP, step))
    patch(reached, here())
    emit((LOAD, 1), (ADDI, 1), (STORE, 1), (JMP, start))
    patch(finished, here())
    emit((LOAD, 3), (RET, 0))
    return a


def execute(program: Assembler, heap: list[int], function: int, argument: int) -> int:
    """vm.c's execute: run ``function`` on ``argument`` to its return."""
    code, functions = program.code, program.functions
    entry, args, locals_ = functions[function]
    stack = [argument] + [0] * (locals_ - args)
    frames: list[tuple[int, int]] = [(0, 0)]
    bp = 0
    pc = entry
    while True:
        opcode = code[pc]
        operand = code[pc + 1]
        pc += 2
        if opcode == LOAD:
            stack.append(stack[bp + operand])
        elif opcode == STORE:
            stack[bp + operand] = stack.pop()
        elif opcode == PUSH:
            stack.append(operand)
        elif opcode == LT:
            b = stack.pop()
            stack[-1] = 1 if stack[-1] < b else 0
        elif opcode == JZ:
            if stack.pop() == 0:
                pc = operand
        elif opcode == JNZ:
            if stack.pop() != 0:
                pc = operand
        elif opcode == ADDI:
            stack[-1] += operand
        elif opcode == JMP:
            pc = operand
        elif opcode == ADD:
            b = stack.pop()
            stack[-1] += b
        elif opcode == SUB:
            b = stack.pop()
            stack[-1] -= b
        elif opcode == MUL:
            b = stack.pop()
            stack[-1] *= b
        elif opcode == EQ:
            b = stack.pop()
            stack[-1] = 1 if stack[-1] == b else 0
        elif opcode == DIV or opcode == MOD:
            b = stack.pop()
            if b == 0:
                raise ZeroDivisionError("guest division by zero")
            stack[-1] = stack[-1] // b if opcode == DIV else stack[-1] % b
        elif opcode == GET:
            address = stack[-1]
            if not 0 <= address < HEAP_CAP:
                raise IndexError("guest heap access out of bounds")
            stack[-1] = heap[address]
        elif opcode == PUT:
            value = stack.pop()
            address = stack.pop()
            if not 0 <= address < HEAP_CAP:
                raise IndexError("guest heap access out of bounds")
            heap[address] = value
        elif opcode == DUP:
            stack.append(stack[-1])
        elif opcode == CALL:
            entry, args, locals_ = functions[operand]
            frames.append((pc, bp))
            bp = len(stack) - args
            stack += [0] * (locals_ - args)
            pc = entry
        elif opcode == RET:
            result = stack[-1]
            del stack[bp:]
            pc, bp = frames.pop()
            stack.append(result)
        elif opcode == POP:
            stack.pop()
        elif opcode == NEG:
            stack[-1] = -stack[-1]
        elif opcode == HALT:
            if len(stack) != 1:
                raise AssertionError("unbalanced guest stack")
            return stack[0]
        else:
            raise ValueError(f"bad opcode {opcode}")


def run(rounds: int) -> int:
    """vm.c's run: the checksum of ``rounds`` rounds of the three guest functions."""
    program = assemble()
    heap = [0] * HEAP_CAP
    checksum = 0
    for round_ in range(rounds):
        primes = execute(program, heap, F_SIEVE, 500 + round_ % 64)
        fib = execute(program, heap, F_FIB, 12 + round_ % 3)
        steps = execute(program, heap, F_COLLATZ, 40 + round_ % 32)
        checksum = ((checksum * 31 + primes) * 31 + fib) & M32
        checksum = ((checksum ^ steps) * 2654435761) & M32
    return checksum
