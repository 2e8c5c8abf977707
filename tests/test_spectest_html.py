"""The HTML report in a real headless Chromium, driven over the DevTools
protocol (a pipe, standard library only): the matrix renders, a cell and a
script open the drill-down with the failing commands, a URL fragment opens
it directly, and no request leaves the page."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from spectest.html import render_html, split_message
from spectest.report import MultiReport
from spectest.results import FAILED, PASSED, SKIPPED, CommandResult, FileResult

CHROMIUM = next((p for p in (os.environ.get("SPECTEST_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and os.path.exists(p)),
                None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="chromium is not installed (.ci/run installs Debian's chromium)")


def _report() -> MultiReport:
    multi = MultiReport("/suite", "0123456789abcdef")
    ours = multi.report("engine", "transwasm 0.1.0")
    ours.add(FileResult("i32.wast", "core", "wast2json", [
        CommandResult("1", 1, "module", PASSED),
        CommandResult("5", 5, "assert_return", FAILED,
                      "expected i32 2 (0x00000002), got i32 1 (0x00000001)"),
        CommandResult("7", 7, "assert_trap", FAILED, "expected trap (unreachable), got a normal return ()"),
    ]))
    ours.add(FileResult("simd_x.wast", "simd", "wasm-tools", [CommandResult("1", 1, "module", PASSED)]))
    other = multi.report("wasmtime", "wasmtime 50.0.1")
    other.add(FileResult("i32.wast", "core", "wast2json", [CommandResult("1", 1, "module", PASSED)] * 3))
    other.add(FileResult("simd_x.wast", "simd", "wasm-tools",
                         [CommandResult("1", 1, "module", SKIPPED, "host-boundary")]))
    return multi


def test_failure_messages_split_into_expected_and_got():
    assert split_message("expected i32 2 (0x2), got i32 1 (0x1)") == ("i32 2 (0x2)", "i32 1 (0x1)")
    assert split_message("result 1: expected f32 1, got f32 2") == ("result 1: f32 1", "f32 2")
    assert split_message("timed out after 5 s") == ("", "timed out after 5 s")


def test_the_page_is_self_contained():
    page = render_html(_report())
    assert "http://" not in page and "https://" not in page and " src=" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # data cannot close its script element early
    multi = _report()
    multi.engines["engine"].files["i32.wast"].results[1].message = "</script><b>x"
    assert "</script><b>" not in render_html(multi)


class _CDP:
    """A DevTools-protocol session over --remote-debugging-pipe."""

    def __init__(self, chromium: str, profile: Path):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def fds() -> None:  # runs in the child: fd 3 reads commands, fd 4 writes replies
            # copies first: either end may itself be fd 3 or 4
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--disable-default-apps", "--disable-extensions",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self._r], [], [], 0.5)
            if ready:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self._id += 1
        msg: dict = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError, EOFError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


@needs_chromium
def test_the_page_renders_drills_down_and_stays_offline(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(_report()), encoding="utf-8")
    url = page.as_uri()
    cdp = _CDP(CHROMIUM, tmp_path / "profile")
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Page.navigate", {"url": url}, session=session)
        cdp.wait_event("Page.loadEventFired")

        def js(expr: str):
            out = cdp.send("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                           session=session)
            assert "exceptionDetails" not in out, out
            return out["result"].get("value")

        assert js("document.body.getAttribute('data-ready')") == "1"
        # the matrix: a header, one row per proposal and the total, a cell per engine
        rows = js("Array.from(document.querySelectorAll('#matrix tr')).map(r => "
                  "Array.from(r.children).map(c => c.textContent))")
        assert rows[0] == ["proposal", "engine", "wasmtime"]
        assert rows[1] == ["core", "1/3 (33.3%)", "3/3 (100.0%)"]
        assert rows[-1][0] == "total"
        assert js("document.getElementById('commit').textContent") == "0123456789abcdef"
        assert "transwasm 0.1.0" in js("document.getElementById('versions').textContent")
        colour = js("getComputedStyle(document.querySelector('td.cell')).backgroundColor")
        assert colour.startswith("rgb") and colour != "rgba(0, 0, 0, 0)"
        # drill down: the cell, then the script
        js("document.querySelector('td.cell[data-engine=\"engine\"][data-proposal=\"core\"]').click()")
        assert js("Array.from(document.querySelectorAll('#scripts tr.script')).map(r => r.dataset.script)") \
            == ["i32.wast"]
        js("document.querySelector('#scripts tr.script').click()")
        failures = js("Array.from(document.querySelectorAll('#failure-table tr.failure')).map(r => "
                      "Array.from(r.children).map(c => c.textContent))")
        assert failures == [["5", "assert_return", "i32 2 (0x00000002)", "i32 1 (0x00000001)"],
                            ["7", "assert_trap", "trap (unreachable)", "a normal return ()"]]
        # a link straight to a drill-down
        cdp.send("Page.navigate", {"url": url + "#engine=engine&proposal=total&script=i32.wast"},
                 session=session)
        time.sleep(0.5)
        assert js("document.querySelectorAll('#failure-table tr.failure').length") == 2
        # nothing but the page itself was requested
        requested = [e["params"]["request"]["url"] for e in cdp.events
                     if e.get("method") == "Network.requestWillBeSent"]
        assert requested and all(u.split("#")[0] == url for u in requested), requested
    finally:
        cdp.close()
