"""Comparing our engine with another commit of itself (``--against``,
``--against-dir``: bench/checkout.py and its child process) and drawing
the ratios (``--plot``: bench/plot.py). Quick workloads only."""

from __future__ import annotations

import json
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import cli
from bench.checkout import CheckoutRunner, exported_engine
from bench.errors import BenchError
from bench.kernels import load
from bench.measure import ERROR, NA, OK, WRONG, measure_kernel
from bench.plot import render_svg
from bench.runners import Prepared, Runner, TwinRunner

ROOT = Path(__file__).resolve().parents[1]


def _in_git_checkout() -> bool:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"],
                              capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


needs_git = pytest.mark.skipif(not _in_git_checkout(),
                               reason="not a git checkout (or no git): --against needs one")


# -- --against REV -------------------------------------------------------------

@needs_git
def test_exported_engine_is_a_temporary_copy_of_the_commit():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    with exported_engine("HEAD") as (folder, short):
        assert short == head
        assert (folder / "engine" / "__init__.py").is_file()
        assert not (folder / "bench").exists()  # only the engine is exported
    assert not folder.exists()


@needs_git
def test_unknown_revision_is_a_usage_error(capsys):
    with pytest.raises(BenchError, match="not a commit"):
        with exported_engine("no-such-revision-anywhere"):
            pass
    assert cli.main(["--quick", "--kernel", "fib", "--against", "no-such-revision-anywhere",
                     "-q"]) == 2
    assert "not a commit" in capsys.readouterr().err


@needs_git
def test_against_head_adds_a_checked_column(tmp_path, capsys):
    out = tmp_path / "b.json"
    status = cli.main(["--quick", "--kernel", "fib", "hash64", "--no-pywasm", "--no-wasmtime",
                       "--repeat", "1", "-q", "--against", "HEAD", "--json", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    document = json.loads(out.read_text())["kernels"]
    [key] = [k for k in document["fib"] if k.startswith("engine@")]
    short = key.split("@")[1]
    for name in ("fib", "hash64"):
        assert isinstance(document[name][key], float) and document[name][key] > 0
    assert f"ours@{short} (s)" in printed and f"ours@{short}/ours" in printed


# -- --against-dir with stand-in engines ---------------------------------------------

_FAKE_ENGINE = '''
"""A stand-in engine with the public API's shape, backed by wasmtime."""
import wasmtime

MODE = {mode!r}


class Config:
    def __init__(self, **kwargs):
        if MODE == "unfinished":
            raise NotImplementedError("not written yet")


class Engine:
    def __init__(self, config=None):
        self.native = wasmtime.Engine()


def Store(engine):
    return wasmtime.Store(engine.native)


def Module(engine, wasm):
    return wasmtime.Module(engine.native, wasm)


class Linker:
    def __init__(self, engine):
        pass

    def instantiate(self, store, module):
        instance = wasmtime.Instance(store, module, [])
        if MODE == "wrong":
            return _Wrong(instance)
        if MODE == "trap":
            raise RuntimeError("the stand-in fails")
        return instance


class _Wrong:
    def __init__(self, instance):
        self.instance = instance

    def exports(self, store):
        run = self.instance.exports(store)["run"]
        return {{"run": lambda store, *args: run(store, *args) + 1}}
'''


def _fake_checkout(tmp_path: Path, mode: str) -> Path:
    pytest.importorskip("wasmtime", reason="the stand-in engine runs on wasmtime")
    folder = tmp_path / f"checkout-{mode}"
    (folder / "engine").mkdir(parents=True)
    (folder / "engine" / "__init__.py").write_text(textwrap.dedent(_FAKE_ENGINE.format(mode=mode)))
    return folder


@pytest.mark.parametrize("mode, status", [("right", OK), ("wrong", WRONG), ("unfinished", NA),
                                          ("trap", ERROR)])
def test_checkout_runner_outcomes(tmp_path, mode, status):
    runner = CheckoutRunner(_fake_checkout(tmp_path, mode), mode)
    try:
        report = measure_kernel(load("fib"), [TwinRunner(), runner], quick=True, repeat=2)
    finally:
        runner.close()
    outcome = report.outcomes[f"engine@{mode}"]
    assert outcome.status == status, outcome.reason
    if status == OK:
        # timed in the child: the setup and every call
        assert outcome.setup is not None and outcome.first_call is not None
        assert len(outcome.times) == 2 and all(t > 0 for t in outcome.times)
    if status == NA:
        assert "not written yet" in outcome.reason


def test_checkout_runner_returns_f64_bits_exactly(tmp_path):
    runner = CheckoutRunner(_fake_checkout(tmp_path, "right"), "f64")
    try:
        report = measure_kernel(load("integrate"), [TwinRunner(), runner], quick=True, repeat=1)
    finally:
        runner.close()
    assert report.outcomes["engine@f64"].status == OK
    assert report.outcomes["engine@f64"].result == report.reference


def test_against_dir_without_an_engine_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["--quick", "--kernel", "fib", "--against-dir", str(tmp_path), "-q"]) == 2
    assert "no engine package" in capsys.readouterr().err


def test_against_dir_whose_engine_does_not_import(tmp_path, capsys):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    assert cli.main(["--quick", "--kernel", "fib", "--no-pywasm", "--against-dir", str(tmp_path),
                     "-q"]) == 2
    assert "broken on purpose" in capsys.readouterr().err


def test_against_dir_wrong_results_fail_the_run(tmp_path, capsys):
    folder = _fake_checkout(tmp_path, "wrong")
    assert cli.main(["--quick", "--kernel", "fib", "--no-pywasm", "--no-wasmtime", "--repeat", "1",
                     "-q", "--against-dir", str(folder)]) == 1
    assert "ours@checkout-wrong DISAGREES" in capsys.readouterr().err


# -- --plot -----------------------------------------------------------------------

class _Timed(Runner):
    """Returns the right result after pretending to take ``seconds``."""

    def __init__(self, key, seconds):
        super().__init__()
        self.key = self.label = key
        self.seconds = seconds

    def prepare(self, kernel, wasm, args):
        value = kernel.twin(*args)
        return Prepared(lambda: value, timed=lambda: (self.seconds, value))


def _reports():
    runners = [TwinRunner(), _Timed("engine", 0.01), _Timed("pywasm", 3.0),
               _Timed("wasmtime", 0.0001)]
    return [measure_kernel(load(name), runners, quick=True, repeat=1) for name in ("fib", "loop")]


def test_plot_is_svg_with_a_bar_per_kernel_and_runner():
    reports = _reports()
    svg = render_svg(reports, ["a note & more"])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    # fib, loop, geomean x python, pywasm, wasmtime
    assert len(bars) == 9
    assert "fib" in texts and "loop" in texts and "geomean" in texts
    assert "pywasm 300x slower" in texts and "wasmtime 100x faster" in texts
    assert "a note & more" in texts
    # the axis has a tick per decade over the drawn ratios (the twin, really
    # run, is far faster than the pretended 0.01 s of ours)
    assert "1x" in texts and "1000x" in texts and "1/100" in texts


def test_plot_marks_missing_values_na():
    runners = [TwinRunner(), _Timed("engine", 0.01)]
    report = measure_kernel(load("fib"), runners + [_Timed("wasmtime", 0.001)], quick=True,
                            repeat=1)
    report.outcomes["wasmtime"].status = NA
    svg = render_svg([report])
    assert "wasmtime: n/a" in svg
    ET.fromstring(svg)


def test_cli_plot_writes_the_file(tmp_path):
    target = tmp_path / "charts" / "bench.svg"
    assert cli.main(["--quick", "--kernel", "fib", "--no-pywasm", "--no-engine", "--repeat", "1",
                     "-q", "--plot", str(target)]) == 0
    ET.fromstring(target.read_text())


# -- --callgrind ------------------------------------------------------------------

def test_callgrind_without_valgrind_is_a_usage_error(monkeypatch, capsys):
    import bench.instructions as instructions

    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    assert cli.main(["--callgrind", "--quick", "--kernel", "fib"]) == 2
    assert "needs valgrind" in capsys.readouterr().err


def test_callgrind_table_shows_counts_and_ratios():
    from bench.instructions import Count, table

    text = table([("fib", {"engine": Count(5000, 1000), "engine@abc": Count(6000, 1500)})],
                 {"engine": "ours", "engine@abc": "ours@abc"})
    header, rule, row = text.splitlines()
    assert "ours warm call" in header and "ours@abc/ours" in header
    assert row.split() == ["fib", "5,000", "1,000", "6,000", "1,500", "1.500x"]
