"""Run every runner on one kernel, time the calls and check the results.

The reference every result must equal (compared as canonical bit patterns,
see :mod:`bench.values`) is the one recorded in advance where the kernel
has one (the C programs' native results), else the twin's, which runs
first. The runners take turns, a call each (see :func:`measure_kernel`);
slow runners run a kernel's reduced workload where it has one, and their
times are scaled back to the full workload.
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


class _Trial:
    """One runner's calls on one kernel, made one at a time, so that the
    calls of several runners can take turns."""

    def __init__(self, runner: Runner, kernel: Kernel, wasm: bytes, args: tuple,
                 repeat: int, reference: int | None):
        self.runner = runner
        self.kernel = kernel
        #: the canonical result expected, or None to accept any (but the
        #: same every time)
        self.reference = reference
        self.calls = repeat + (1 if runner.warmup else 0)
        self.made = 0
        #: the canonical result of the first call
        self.got: int | None = None
        self.prepared: Prepared | None = None
        try:
            self.prepared = runner.prepare(kernel, wasm, args)
        except Unavailable as exc:
            self.outcome = Outcome(NA, str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            self.outcome = Outcome(ERROR, f"setup: {_describe(exc)}")
        else:
            self.outcome = Outcome(OK, setup=self.prepared.setup)

    @property
    def active(self) -> bool:
        """Whether calls remain to be made."""
        return self.outcome.status == OK and self.made < self.calls

    def step(self) -> None:
        """Make, time and check one call; a failure or a disagreement ends
        the trial."""
        prepared, kernel, outcome = self.prepared, self.kernel, self.outcome
        assert prepared is not None
        index = self.made
        self.made += 1
        try:
            if prepared.timed is not None:
                # the runner times the call itself (in another process)
                elapsed, value = prepared.timed()
            else:
                elapsed, value = _timed(prepared.call)
        except NotImplementedError as exc:
            self.outcome = Outcome(NA, not_implemented(exc), setup=prepared.setup)
            return
        except Exception as exc:  # noqa: BLE001
            self.outcome = Outcome(ERROR, _describe(exc), setup=prepared.setup)
            return
        try:
            bits = canonical(value, kernel.result)
        except ValueError as exc:
            outcome.status, outcome.reason = WRONG, str(exc)
            return
        if self.got is None:
            self.got = bits
            outcome.result = show(bits, kernel.result)
        expected = self.reference if self.reference is not None else self.got
        if bits != expected:
            outcome.status = WRONG
            outcome.result = show(bits, kernel.result)
            outcome.reason = (f"returned {show(bits, kernel.result)}, expected "
                              f"{show(expected, kernel.result)}")
            return
        if index == 0 and self.runner.warmup:
            outcome.first_call = elapsed
        else:
            outcome.times.append(elapsed)


def run_one(runner: Runner, kernel: Kernel, wasm: bytes, args: tuple,
            repeat: int, reference: int | None) -> tuple[Outcome, int | None]:
    """Prepare, warm up and time ``runner`` on ``kernel``, its calls one
    after the other.

    Returns the outcome and the canonical result of the first call (None
    unless it ran). ``reference`` is the canonical result expected, or None
    to accept any.
    """
    trial = _Trial(runner, kernel, wasm, args, repeat, reference)
    while trial.active:
        trial.step()
    return trial.outcome, trial.got


def _reduced_reference(kernel: Kernel, workload: tuple) -> int | None:
    # a reduced workload's reference: recorded in advance, else the twin's
    known = kernel.expected_for(workload)
    if known is not None or kernel.twin is None:
        return known
    return canonical(kernel.twin(*workload), kernel.result)


def measure_kernel(kernel: Kernel, runners: list[Runner], *, quick: bool,
                   repeat: int, progress: Progress | None = None) -> KernelReport:
    """Run ``runners`` on ``kernel``.

    The reference result is the one recorded in advance (the C programs'
    native results) if any, which the twin must return too; else the
    twin's first result. The runners that are not slow take turns, one
    call each, round after round (their warm-up calls first, the twin's
    first of all), so that a change in the machine's load during the
    measurement falls on all of them alike. Slow runners (pywasm) then run
    on their own, on the kernel's reduced workload where it has one.
    """
    args = kernel.args(quick)
    wasm = kernel.binary()
    ordered = sorted(runners, key=lambda r: not isinstance(r, TwinRunner))
    reference: int | None = kernel.expected_for(args)
    trials = [_Trial(runner, kernel, wasm, args,
                     runner.repeat if runner.repeat is not None else repeat, reference)
              for runner in ordered if not runner.slow]
    if reference is None:
        for trial in trials:
            if isinstance(trial.runner, TwinRunner) and trial.active:
                trial.step()
                if trial.outcome.status == OK:
                    reference = trial.got
        for trial in trials:
            trial.reference = reference
    while any(trial.active for trial in trials):
        for trial in trials:
            if trial.active:
                trial.step()
    outcomes: dict[str, Outcome] = {}
    labels: dict[str, str] = {}
    for trial in trials:
        outcomes[trial.runner.key] = trial.outcome
        labels[trial.runner.key] = trial.runner.label
        if progress is not None:
            progress(_progress_line(kernel, trial.runner, trial.outcome))
    for runner in ordered:
        if not runner.slow:
            continue
        count = runner.repeat if runner.repeat is not None else repeat
        workload, scale = kernel.scaled(args)
        expected = reference if workload == args else _reduced_reference(kernel, workload)
        if progress is not None:
            size = "" if workload == args else f" on the reduced workload {workload}"
            progress(f"{kernel.name:<10} {runner.label:<9} running {count} call(s){size}...")
        outcome, _ = run_one(runner, kernel, wasm, workload, count, expected)
        if workload != args:
            outcome.workload, outcome.scale = workload, scale
        outcomes[runner.key] = outcome
        labels[runner.key] = runner.label
        if progress is not None:
            progress(_progress_line(kernel, runner, outcome))
    ordering = {runner.key: index for index, runner in enumerate(ordered)}
    outcomes = dict(sorted(outcomes.items(), key=lambda item: ordering[item[0]]))
    shown = show(reference, kernel.result) if reference is not None else None
    return KernelReport(kernel, args, shown, outcomes, labels)


def _progress_line(kernel: Kernel, runner: Runner, outcome: Outcome) -> str:
    head = f"{kernel.name:<10} {runner.label:<9}"
    if outcome.status == OK:
        scaled = "" if outcome.scale == 1.0 else f", scaled x{outcome.scale:g}"
        return (f"{head} {outcome.median:.6f} s  (median of {len(outcome.times)}{scaled}) "
                f"-> {outcome.result}")
    return f"{head} {outcome.status.upper()}: {outcome.reason}"
