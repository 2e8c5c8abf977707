"""Our engine at another commit, side by side with the current one:
``python -m bench --against REV`` (or ``--against-dir DIR``).

The engine of commit REV is exported with ``git archive`` (only its
``engine/`` folder) into a temporary directory, removed afterwards; the
repository and its worktrees are not touched. It runs in a child process
(:mod:`bench.checkout_driver`) whose ``import engine`` finds that copy
only, so the two engines never share a module. The child times each call
the way the parent times its own, and returns the result, which is checked
like every other runner's. The column is ``ours@REV`` (JSON key
``engine@REV``), with the ratio ``ours@REV/ours``: above 1, the current
engine is faster.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from spectest.engines import label_of

from .errors import BenchError
from .kernels import Kernel
from .runners import Args, Prepared, Runner, Unavailable

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).resolve().with_name("checkout_driver.py")


def _git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise BenchError("--against needs git")
    return subprocess.run([git, "-C", str(root), *args], capture_output=True)


@contextmanager
def exported_engine(rev: str, root: Path = ROOT) -> Iterator[tuple[Path, str]]:
    """The engine of commit ``rev``, exported into a temporary directory:
    yields (that directory, the commit's short hash); removes it after."""
    found = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", root=root)
    if found.returncode != 0:
        raise BenchError(f"--against: {rev!r} is not a commit of this repository")
    sha = found.stdout.decode().strip()
    short = _git("rev-parse", "--short", sha, root=root).stdout.decode().strip() or sha[:7]
    archive = _git("archive", "--format=tar", sha, "engine", root=root)
    if archive.returncode != 0:
        raise BenchError(f"--against: cannot export engine/ at {short}: "
                         f"{archive.stderr.decode(errors='replace').strip()}")
    folder = Path(tempfile.mkdtemp(prefix="bench-against-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(folder, filter="data")
            else:  # Python before 3.11.4: git's own archive of a commit
                tar.extractall(folder)
        yield folder, short
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Child:
    """The driver process and its line protocol."""

    def __init__(self, checkout: Path):
        self._errors: IO[bytes] = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, str(DRIVER), str(checkout)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._errors, text=True, bufsize=1)
        hello = self._receive()
        if "ready" not in hello:
            self.close()
            raise BenchError(f"--against: {hello.get('error', hello)}")

    def _receive(self) -> dict:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._errors.seek(0)
            tail = self._errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the engine process exited ({self._process.returncode}): "
                               + " / ".join(tail))
        return json.loads(line)

    def ask(self, request: dict) -> dict:
        """Send one request, return the answer."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # _receive reports the exit
        return self._receive()

    def close(self) -> None:
        """Ask the child to quit; end it if it does not."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        if process.poll() is None:
            try:
                process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                process.stdin.flush()
            except OSError:
                pass  # it is gone already
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        self._errors.close()


def decode_value(value: dict) -> object:
    """A result as the child process encoded it, back as a Python value."""
    if "int" in value:
        return value["int"]
    if "f64" in value:
        return struct.unpack("<d", struct.pack("<Q", value["f64"]))[0]
    return value.get("other")


class CheckoutRunner(Runner):
    """Our engine from another checkout (``checkout``: a folder holding its
    ``engine`` package), in a child process; ``name`` labels the column."""

    def __init__(self, checkout: Path, name: str, repeat: int | None = None):
        super().__init__(repeat)
        self.checkout = checkout
        self.key = f"engine@{name}"
        self.label = f"{label_of('engine')}@{name}"
        self._child: _Child | None = None

    def start(self) -> None:
        """Start the child process (BenchError if its engine does not
        import); the first :meth:`prepare` does it otherwise."""
        if self._child is None:
            self._child = _Child(self.checkout)

    def _session(self) -> _Child:
        self.start()
        assert self._child is not None
        return self._child

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        child = self._session()
        answer = child.ask({"op": "load", "wasm": base64.b64encode(wasm).decode(),
                            "args": list(args)})
        if "unavailable" in answer:
            raise Unavailable(f"not implemented ({answer['unavailable']})")
        _raise_for(answer)

        def timed() -> tuple[float, object]:
            reply = child.ask({"op": "call"})
            if "unavailable" in reply:
                raise NotImplementedError(reply["unavailable"])
            _raise_for(reply)
            return reply["elapsed"], decode_value(reply["value"])

        return Prepared(lambda: timed()[1], answer["setup"], timed)

    def close(self) -> None:
        """End the child process."""
        if self._child is not None:
            self._child.close()
            self._child = None


class RemoteError(Exception):
    """An exception the engine raised in the child process (its type and
    message are in the text)."""


def _raise_for(answer: dict) -> None:
    if "error" in answer:
        raise RemoteError(answer["error"])
