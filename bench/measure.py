"""Run every runner on one kernel, time the calls and check the results.

The reference every result must equal (compared as canonical bit patterns,
see :mod:`bench.values`) is the one recorded in advance where the kernel
has one (the C programs' native results), else the twin's, which runs
first. Slow runners run a kernel's reduced workload where it has one, and
their times are scaled back to the full workload.
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

OK, NA, ERROR, WRONG = "ok", "n/a", "error", "wrong"


@dataclass(slots=True)
class Outcome:
    """What one runner did on one kernel.

    ``status`` is ``ok`` (timed, result agrees), ``n/a`` (could not run
    here: ``reason`` says why), ``error`` (raised: ``reason`` has the
    exception) or ``wrong`` (ran, but a result disagreed with the reference).
    """

    status: str
    reason: str = ""
    times: list[float] = field(default_factory=list)
    setup: float | None = None
    first_call: float | None = None
    result: str | None = None
    #: the workload run, where it is not the kernel's (a reduced one)
    workload: tuple[int | float, ...] | None = None
    #: the factor from the workload run to the kernel's (1.0: the same)
    scale: float = 1.0

    @property
    def median(self) -> float | None:
        """Median of the timed calls, if the runner ran and agreed, scaled
        to the kernel's workload."""
        if self.status != OK or not self.times:
            return None
        return statistics.median(self.times) * self.scale


@dataclass(slots=True)
class KernelReport:
    """Every runner's outcome on one kernel."""

    kernel: Kernel
    args: tuple[int | float, ...]
    reference: str | None
    outcomes: dict[str, Outcome]
    #: column label of each runner key that ran (for columns beyond KEYS)
    labels: dict[str, str] = field(default_factory=dict)


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
    ``reference`` is the canonical result expected, or None to accept any.
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
            if prepared.timed is not None:
                # the runner times the call itself (in another process)
                elapsed, value = prepared.timed()
            else:
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


def _reduced_reference(kernel: Kernel, workload: tuple) -> int | None:
    # a reduced workload's reference: recorded in advance, else the twin's
    known = kernel.expected_for(workload)
    if known is not None or kernel.twin is None:
        return known
    return canonical(kernel.twin(*workload), kernel.result)


def measure_kernel(kernel: Kernel, runners: list[Runner], *, quick: bool,
                   repeat: int, progress: Progress | None = None) -> KernelReport:
    """Run ``runners`` on ``kernel``. The reference result is the one
    recorded in advance (the C programs' native results) if any, which the
    twin must return too; else the twin's, so the twin runs first. Slow
    runners run the kernel's reduced workload where it has one."""
    args = kernel.args(quick)
    wasm = kernel.binary()
    ordered = sorted(runners, key=lambda r: not isinstance(r, TwinRunner))
    outcomes: dict[str, Outcome] = {}
    reference: int | None = kernel.expected_for(args)
    labels: dict[str, str] = {}
    for runner in ordered:
        count = runner.repeat if runner.repeat is not None else repeat
        workload, scale = kernel.scaled(args) if runner.slow else (args, 1.0)
        expected = reference if workload == args else _reduced_reference(kernel, workload)
        if progress is not None and runner.slow:
            size = "" if workload == args else f" on the reduced workload {workload}"
            progress(f"{kernel.name:<10} {runner.label:<9} running {count} call(s){size}...")
        outcome, bits = run_one(runner, kernel, wasm, workload, count, expected)
        if workload != args:
            outcome.workload, outcome.scale = workload, scale
        if isinstance(runner, TwinRunner) and outcome.status == OK and reference is None:
            reference = bits
        outcomes[runner.key] = outcome
        labels[runner.key] = runner.label
        if progress is not None:
            progress(_progress_line(kernel, runner, outcome))
    shown = show(reference, kernel.result) if reference is not None else None
    return KernelReport(kernel, args, shown, outcomes, labels)


def _progress_line(kernel: Kernel, runner: Runner, outcome: Outcome) -> str:
    head = f"{kernel.name:<10} {runner.label:<9}"
    if outcome.status == OK:
        scaled = "" if outcome.scale == 1.0 else f", scaled x{outcome.scale:g}"
        return (f"{head} {outcome.median:.6f} s  (median of {len(outcome.times)}{scaled}) "
                f"-> {outcome.result}")
    return f"{head} {outcome.status.upper()}: {outcome.reason}"
