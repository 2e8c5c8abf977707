"""The WASI benchmark kernel (bench/wasi.py, bench/kernels/wasi_digest.*):
its twin computes what the native build of digest.c prints, its binary is
the test program's, and every runner agrees with the twin on the quick
workload."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bench import wasi as bench_wasi
from bench.kernels import wasi_digest
from bench.measure import OK
from bench.values import canonical

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "wasi" / "expected"


def test_twin_is_sha256_of_the_generated_text():
    data = wasi_digest.generate(5000)
    assert wasi_digest.sha256(data) == hashlib.sha256(data).digest()
    for n in (0, 1, 55, 56, 63, 64, 65, 119, 120):
        assert wasi_digest.sha256(data[:n]) == hashlib.sha256(data[:n]).digest(), n


def test_twin_matches_the_native_build():
    # digest-sha.out is what digest.c built natively prints for "sha 65536".
    args = (EXPECTED / "digest-sha.args").read_text().split()
    assert args[0] == "sha"
    n = int(args[1])
    native = (EXPECTED / "digest-sha.out").read_bytes()
    assert wasi_digest.parse(native) == wasi_digest.run(n)
    assert native.decode().strip() == hashlib.sha256(wasi_digest.generate(n)).hexdigest()
    first_line = (EXPECTED / "digest-default.out").read_text().splitlines()[1]
    generated = wasi_digest.generate(65536).split(b"\n")[0].decode()
    assert first_line == f"first line: {generated}"


def test_kernel_binary_is_the_test_program():
    assert (ROOT / "bench" / "kernels" / "wasi_digest.wasm").read_bytes() == (
        ROOT / "tests" / "wasi" / "digest.wasm").read_bytes()


def test_every_runner_agrees_with_the_twin_quick():
    command = bench_wasi.load("wasi_digest")
    report = bench_wasi.measure(command, bench_wasi.runners({"wasi_digest": command}),
                                quick=True, repeat=1)
    expected = canonical(wasi_digest.run(*command.kernel.quick), "i64")
    assert report.reference is not None
    for key, outcome in report.outcomes.items():
        if outcome.status == "n/a" and "not installed" in outcome.reason:
            continue  # an optional runner; the reason is in the table
        assert outcome.status == OK, (key, outcome.reason)
        assert canonical(int(outcome.result), "i64") == expected, key
    assert report.outcomes["engine"].status == OK


def test_a_failing_program_is_an_error_not_a_result(monkeypatch):
    command = bench_wasi.load("wasi_digest")
    broken = bench_wasi.WasiKernel(command.kernel, command.wasm,
                                   lambda n: ["digest", "sha", "not-a-number-but-fine"],
                                   lambda out: 1 / 0)
    report = bench_wasi.measure(broken, [bench_wasi.TwinRunner(),
                                         bench_wasi.WasiEngineRunner({"wasi_digest": broken})],
                                quick=True, repeat=1)
    assert report.outcomes["engine"].status == "error"


def test_cli_quick_json(tmp_path, capsys):
    out = tmp_path / "wasi.json"
    status = bench_wasi.main(["--quick", "--repeat", "1", "--no-pywasm", "-q", "--json", str(out)])
    assert status == 0
    document = json.loads(out.read_text())
    assert set(document["kernels"]) == {"wasi_digest"}
    times = document["kernels"]["wasi_digest"]
    assert set(times) == {"engine", "python", "pywasm", "wasmtime"}
    assert times["pywasm"] is None and times["engine"] > 0
    assert "wasi_digest" in capsys.readouterr().out


def test_unknown_kernel_is_a_usage_error():
    with pytest.raises(SystemExit):
        bench_wasi.main(["--kernel", "nope"])
