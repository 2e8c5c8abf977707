"""Run every runner on one kernel, time the calls and check the results.

The twin runs first: its result is the reference every other result must
equal (compared as canonical bit patterns, see :mod:`bench.values`).
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

from .kernels import Kernel
from .runners import Prepared, Runner, TwinRunner, Unavailable, not_implemented
from .values import canonical, show
from .wat import compile_wat

OK, NA, ERROR, WRONG = "ok", "n/a", "error", "wrong"


@dataclass(slots=True)
class Outcome:
    """What one runner did on one kernel.

    ``status`` is ``ok`` (timed, result agrees), ``n/a`` (could not run
    here: ``reason`` says why), ``error`` (raised: ``reason`` has the
    exception) or ``wrong`` (ran, but a result disagreed with the twin).
    """

    status: str
    reason: str = ""
    times: list[float] = field(default_factory=list)
    setup: float | None = None
    first_call: float | None = None
    result: str | None = None

    @property
    def median(self) -> float | None:
        """Median of the timed calls, if the runner ran and agreed."""
        if self.status != OK or not self.times:
            return None
        return statistics.median(self.times)


@dataclass(slots=True)
class KernelReport:
    """Every runner's outcome on one kernel."""

    kernel: Kernel
    args: tuple[int | float, ...]
    reference: str | None
    outcomes: dict[str, Outcome]


Progress = Callable[[str], None]


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    # As timeit does: collect first, keep the collector out of the timed
    # call, so one runner's garbage is not charged to the next.
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        value = call()
        elapsed = time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()
    return elapsed, value


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return type(exc).__name__ + (f": {text[0]}" if text else "")


def run_one(runner: Runner, kernel: Kernel, wasm: bytes, args: tuple,
            repeat: int, reference: int | None) -> tuple[Outcome, int | None]:
    """Prepare, warm up and time ``runner`` on ``kernel``.

    Returns the outcome and the canonical result (None unless it ran).
    ``reference`` is the twin's canonical result, or None to accept any.
    """
    try:
        prepared: Prepared = runner.prepare(kernel, wasm, args)
    except Unavailable as exc:
        return Outcome(NA, str(exc)), None
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return Outcome(ERROR, f"setup: {_describe(exc)}"), None
    outcome = Outcome(OK, setup=prepared.setup)
    calls = repeat + (1 if runner.warmup else 0)
    got: int | None = None
    for index in range(calls):
        try:
            elapsed, value = _timed(prepared.call)
        except NotImplementedError as exc:
            return Outcome(NA, not_implemented(exc), setup=prepared.setup), None
        except Exception as exc:  # noqa: BLE001
            return Outcome(ERROR, _describe(exc), setup=prepared.setup), None
        try:
            bits = canonical(value, kernel.result)
        except ValueError as exc:
            outcome.status, outcome.reason = WRONG, str(exc)
            return outcome, None
        if got is None:
            got = bits
            outcome.result = show(bits, kernel.result)
        expected = reference if reference is not None else got
        if bits != expected:
            outcome.status = WRONG
            outcome.result = show(bits, kernel.result)
            outcome.reason = (f"returned {show(bits, kernel.result)}, expected "
                              f"{show(expected, kernel.result)}")
            return outcome, bits
        if index == 0 and runner.warmup:
            outcome.first_call = elapsed
        else:
            outcome.times.append(elapsed)
    return outcome, got


def measure_kernel(kernel: Kernel, runners: list[Runner], *, quick: bool,
                   repeat: int, progress: Progress | None = None) -> KernelReport:
    """Run ``runners`` on ``kernel``; the twin (which must be among them)
    runs first and sets the reference result."""
    args = kernel.args(quick)
    wasm = compile_wat(kernel.wat_path)
    ordered = sorted(runners, key=lambda r: not isinstance(r, TwinRunner))
    outcomes: dict[str, Outcome] = {}
    reference: int | None = None
    for runner in ordered:
        count = runner.repeat if runner.repeat is not None else repeat
        if progress is not None and runner.slow:
            progress(f"{kernel.name:<10} {runner.label:<9} running {count} call(s)...")
        outcome, bits = run_one(runner, kernel, wasm, args, count, reference)
        if isinstance(runner, TwinRunner) and outcome.status == OK:
            reference = bits
        outcomes[runner.key] = outcome
        if progress is not None:
            progress(_progress_line(kernel, runner, outcome))
    shown = show(reference, kernel.result) if reference is not None else None
    return KernelReport(kernel, args, shown, outcomes)


def _progress_line(kernel: Kernel, runner: Runner, outcome: Outcome) -> str:
    head = f"{kernel.name:<10} {runner.label:<9}"
    if outcome.status == OK:
        return f"{head} {outcome.median:.6f} s  (median of {len(outcome.times)}) -> {outcome.result}"
    return f"{head} {outcome.status.upper()}: {outcome.reason}"
