"""The C benchmark programs (bench/programs): their committed binaries,
the native results they are checked against, their plain-Python twins, and
how the runner treats them (reduced workloads, recorded references).

pywasm takes 15-45 s for one round of a program, too long for a unit test:
the full ``python -m bench`` run checks its results (on the reduced
workloads). Rebuilding the programs takes longer than a unit test should
too: ``scripts/build-bench-programs --check`` says whether the committed
binaries and results are those the sources make."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bench import cli
from bench.errors import BenchError
from bench.kernels import Kernel
from bench.measure import OK, WRONG, measure_kernel
from bench.programs import PROGRAM_NAMES, load_program, read_expected, workloads
from bench.programs import chacha, json as json_program, lz, matmul, raytrace, sort, vm
from bench.programs._common import next_random, seed_for
from bench.report import markdown_table, text_table, unavailable_notes
from bench.runners import EngineRunner, Prepared, Runner, TwinRunner
from bench.values import canonical

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "bench" / "programs"


# -- the committed files ---------------------------------------------------

@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_program_exports_run_and_imports_nothing(name):
    import engine

    module = engine.Module(engine.Engine(), load_program(name).binary())
    assert list(module.imports) == []
    assert {export[0] for export in module.exports} == {"memory", "run"}


def test_every_program_has_a_source_a_binary_and_a_twin():
    sources = {p.stem for p in (PROGRAMS / "src").glob("*.c")} - {"native"}
    binaries = {p.stem for p in PROGRAMS.glob("*.wasm")}
    assert sources == binaries == set(PROGRAM_NAMES)
    for name in PROGRAM_NAMES:
        assert load_program(name).twin is not None, name


def test_expected_results_cover_every_workload():
    recorded = read_expected()
    assert set(recorded) == set(PROGRAM_NAMES)
    for name in PROGRAM_NAMES:
        assert sorted(recorded[name]) == workloads(name)
        kernel = load_program(name)
        for args in (kernel.full, kernel.quick, kernel.reduced):
            assert kernel.expected_for(args) is not None


def test_workloads_listing_for_the_build_script():
    done = subprocess.run([sys.executable, "-m", "bench.programs", "--workloads"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert [line[0] for line in lines] == list(PROGRAM_NAMES)
    for name, *sizes in lines:
        assert [int(s) for s in sizes] == workloads(name)


def test_expected_file_errors_are_bench_errors(tmp_path):
    bad = tmp_path / "expected.txt"
    bad.write_text("# a comment\nlz one 2\n")
    with pytest.raises(BenchError, match="expected.txt:2"):
        read_expected(bad)
    with pytest.raises(BenchError, match="build-bench-programs"):
        read_expected(tmp_path / "missing.txt")
    with pytest.raises(BenchError, match="unknown program"):
        load_program("nope")


# -- every runner returns the native results --------------------------------

@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_twin_returns_the_native_result_quick(name):
    kernel = load_program(name)
    assert canonical(kernel.twin(*kernel.quick), kernel.result) == kernel.expected_for(kernel.quick)


@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_our_engine_returns_the_native_result_quick(name):
    kernel = load_program(name)
    prepared = EngineRunner().prepare(kernel, kernel.binary(), kernel.quick)
    assert canonical(prepared.call(), kernel.result) == kernel.expected_for(kernel.quick)


@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_wasmtime_returns_the_native_result_on_every_workload(name):
    wasmtime = pytest.importorskip("wasmtime", reason="wasmtime not installed")
    kernel = load_program(name)
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, kernel.binary()), [])
    run = instance.exports(store)["run"]
    for n in workloads(name):
        assert canonical(run(store, n), kernel.result) == kernel.expected_for((n,)), n


# -- the twins compute what they say, checked independently -----------------

def test_generator_is_xorshift32():
    x = seed_for(0)
    assert x == (2654435761 ^ 0x5BD1E995) & 0xFFFFFFFF
    y = next_random(x)
    assert y != x and 0 < y < 2**32


def test_lz_round_trips_edge_cases():
    for data in (b"", b"a", b"abcd", b"a" * 1000, b"abcabcabcabcabc" * 40, bytes(range(256)) * 3,
                 lz.make_text(5000, 7)):
        packed = lz.compress(data)
        assert lz.decompress(packed) == data
    assert len(lz.compress(b"a" * 1000)) < 30  # overlapping matches do compress


def test_json_documents_are_json_and_parse_alike():
    document = json_program.generate(seed_for(3))
    reference = json.loads(document, parse_float=Decimal, parse_int=Decimal)

    def same(node, value):
        kind = node[0]
        if kind == json_program.OBJECT:
            # json.loads keeps the last of repeated keys
            members = {child[2].decode(): child for child in node[1]}
            assert isinstance(value, dict) and set(value) == set(members)
            for key, child in members.items():
                same(child, value[key])
        elif kind == json_program.ARRAY:
            assert isinstance(value, list) and len(value) == len(node[1])
            for child, item in zip(node[1], value):
                same(child, item)
        elif kind == json_program.STRING:
            assert node[3].decode() == value
        elif kind == json_program.NUMBER:
            mantissa, exponent = node[3]
            assert Decimal(mantissa).scaleb(exponent) == Decimal(str(value))
        else:
            assert {json_program.NULL: None, json_program.TRUE: True,
                    json_program.FALSE: False}[kind] is value

    same(json_program.parse(document), reference)
    assert json_program.parse(b' {"a\\u00e9": [1.50e+2, -0, "x\\ny"]} ')[1][0][2] == "aé".encode()
    with pytest.raises(ValueError):
        json_program.parse(b"[1, 2")


def test_chacha_block_matches_rfc_8439():
    # RFC 8439, 2.3.2: key 00..1f, nonce 000000090000004a00000000, counter 1
    key = [int.from_bytes(bytes(range(i, i + 4)), "little") for i in range(0, 32, 4)]
    nonce = [0x09000000, 0x4A000000, 0]
    block = chacha.block(key, 1, nonce)
    assert block[:16].hex() == "10f1e7e4d13b5915500fdd1fa32071c4"
    assert block[-16:].hex() == "b5129cd1de164eb9cbd083e8a2503c4e"
    data = bytes(range(200))
    assert chacha.xor(key, 1, nonce, chacha.xor(key, 1, nonce, data)) == data


def test_sort_twin_sorts():
    data = [next_random(seed_for(i)) % 100 - 50 for i in range(300)]
    quick = data[:]
    sort.quicksort(quick, 0, len(quick) - 1)
    assert quick == sorted(data) == sort.merge_sort(data)


def test_vm_guest_functions_compute_what_they_say():
    program = vm.assemble()
    heap = [0] * vm.HEAP_CAP
    primes = [p for p in range(2, 500) if all(p % d for d in range(2, int(p ** 0.5) + 1))]
    assert vm.execute(program, heap, vm.F_SIEVE, 500) == len(primes)
    assert vm.execute(program, heap, vm.F_FIB, 14) == 377

    def steps(s):
        count = 0
        while s != 1:
            s = s // 2 if s % 2 == 0 else 3 * s + 1
            count += 1
        return count

    assert vm.execute(program, heap, vm.F_COLLATZ, 40) == sum(steps(s) for s in range(1, 41))


def test_matmul_and_raytrace_twins_are_sane():
    a, state = matmul.fill(seed_for(0))
    identity = [1.0 if i // matmul.M == i % matmul.M else 0.0 for i in range(matmul.M ** 2)]
    assert matmul.multiply(a, identity) == a
    # the frame's mean luminance is that of a lit scene, not black or white
    mean = raytrace.render(0) / (raytrace.WIDTH * raytrace.HEIGHT)
    assert 0.1 < mean < 0.9


# -- the runner: recorded references and reduced workloads -------------------

class _Const(Runner):
    def __init__(self, key, value, slow=False):
        super().__init__()
        self.key = self.label = key
        self.value = value
        self.slow = slow
        self.seen: list[tuple] = []

    def prepare(self, kernel, wasm, args):
        self.seen.append(args)
        return Prepared(lambda: self.value)


def _program(name: str = "vm", **changes) -> Kernel:
    return dataclasses.replace(load_program(name), **changes)


def test_the_recorded_result_is_the_reference_and_the_twin_must_match_it():
    kernel = _program(twin=lambda n: 12345)
    report = measure_kernel(kernel, [TwinRunner()], quick=True, repeat=1)
    assert report.outcomes["python"].status == WRONG
    assert report.reference == str(kernel.expected_for(kernel.quick))


def test_no_twin_is_na_and_the_recorded_result_still_checks():
    kernel = _program(twin=None)
    right = kernel.expected_for(kernel.quick)
    report = measure_kernel(kernel, [TwinRunner(), _Const("wasmtime", right),
                                     _Const("engine", right + 1)], quick=True, repeat=1)
    assert report.outcomes["python"].status == "n/a"
    assert report.outcomes["wasmtime"].status == OK
    assert report.outcomes["engine"].status == WRONG


def test_a_slow_runner_runs_the_reduced_workload_scaled():
    kernel = _program(full=(4,), reduced=(1,), expected=((((4,), 11),) + (((1,), 7),)))
    slow = _Const("pywasm", 7, slow=True)
    report = measure_kernel(kernel, [TwinRunner(), _Const("engine", 11), slow], quick=False,
                            repeat=1)
    assert slow.seen == [(1,)]
    outcome = report.outcomes["pywasm"]
    assert outcome.status == OK and outcome.workload == (1,) and outcome.scale == 4.0
    assert outcome.median == pytest.approx(4 * outcome.times[0])
    assert "~" in text_table([report]) and "~" in markdown_table([report])
    [note] = [n for n in unavailable_notes([report]) if n.startswith("~")]
    assert "vm n=1 of n=4" in note
    # the reduced run is checked against the reduced workload's result
    wrong = measure_kernel(kernel, [TwinRunner(), _Const("pywasm", 11, slow=True)], quick=False,
                           repeat=1)
    assert wrong.outcomes["pywasm"].status == WRONG


def test_quick_workloads_are_not_reduced_further():
    kernel = load_program("vm")
    slow = _Const("pywasm", kernel.expected_for(kernel.quick), slow=True)
    report = measure_kernel(kernel, [slow], quick=True, repeat=1)
    assert slow.seen == [kernel.quick] and report.outcomes["pywasm"].scale == 1.0


# -- the command line --------------------------------------------------------

def test_cli_selects_programs(capsys):
    assert cli.main(["--programs", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(PROGRAM_NAMES)
    assert cli.main(["--no-programs", "--list"]) == 0
    assert "lz" not in capsys.readouterr().out.split()
    with pytest.raises(SystemExit):
        cli.main(["--programs", "--no-programs"])


def test_cli_quick_program_run_checks_every_runner(tmp_path, capsys):
    out = tmp_path / "p.json"
    status = cli.main(["--quick", "--kernel", "matmul", "--no-pywasm", "--repeat", "1", "-q",
                       "--json", str(out)])
    assert status == 0, capsys.readouterr().err
    times = json.loads(out.read_text())["kernels"]["matmul"]
    assert times["engine"] > 0 and times["python"] > 0
    assert "matmul" in capsys.readouterr().out


def test_runners_take_turns_call_by_call_and_slow_ones_run_last():
    log: list[str] = []

    class Logged(Runner):
        def __init__(self, key, slow=False):
            super().__init__()
            self.key = self.label = key
            self.slow = slow
            self.warmup = not slow

        def prepare(self, kernel, wasm, args):
            value = kernel.expected_for(args)
            return Prepared(lambda: log.append(self.key) or value)

    right = load_program("vm").expected_for((1,))
    kernel = _program("vm", twin=lambda n: log.append("python") or right)
    report = measure_kernel(kernel, [Logged("engine"), Logged("pywasm", slow=True),
                                     Logged("wasmtime"), TwinRunner()],
                            quick=True, repeat=2)
    # the twin leads; warm-ups, then two timed rounds; pywasm alone at the end
    assert log == ["python", "engine", "wasmtime"] * 3 + ["pywasm"] * 2
    assert list(report.outcomes) == ["python", "engine", "pywasm", "wasmtime"]
    assert all(o.status == OK for o in report.outcomes.values())


def test_geomeans_for_kernels_and_programs_apart_and_partial_ones_marked():
    from bench.kernels import load
    from bench.report import headings, rows

    def measured(kernel, with_wasmtime):
        right = kernel.expected_for(kernel.quick)
        if right is None:
            right = kernel.twin(*kernel.quick)
        runners = [_Const("engine", right)] + ([_Const("wasmtime", right)] if with_wasmtime else [])
        return measure_kernel(kernel, runners, quick=True, repeat=1)

    reports = [measured(load("fib"), True), measured(load_program("vm"), True),
               measured(load_program("sort"), False)]
    body = {row[0]: row for row in rows(reports)}
    assert {"geomean", "geomean kernels", "geomean programs"} <= set(body)
    column = headings(reports).index("ours/wasmtime")
    assert body["geomean"][column].endswith("(2 of 3)")
    assert body["geomean programs"][column].endswith("(1 of 2)")
    assert not body["geomean kernels"][column].endswith(")")
