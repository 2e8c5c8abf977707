"""JUnit XML, the report format CI systems read.

One ``testsuite`` per engine, one ``testcase`` per script and engine
(``classname`` is ``spectest.<engine>.<proposal>``, ``name`` the script).
A script with failed commands has one ``failure`` element whose text lists
every failed command (``line kind: message``); a script whose commands were
all skipped is ``skipped`` with the reasons; the command counts go in
``properties``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .report import MultiReport

__all__ = ["junit_tree", "write_junit"]


def junit_tree(report: MultiReport) -> ET.ElementTree:
    """The JUnit document of a report."""
    root = ET.Element("testsuites", name="spectest")
    for engine, r in report.engines.items():
        files = [r.files[k] for k in sorted(r.files)]
        suite = ET.SubElement(root, "testsuite", name=engine, tests=str(len(files)),
                              failures=str(sum(1 for f in files if f.failed)),
                              skipped=str(sum(1 for f in files if not f.failed and not f.passed
                                              and f.skipped)),
                              errors="0")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="version", value=r.version or engine)
        ET.SubElement(props, "property", name="testsuite-commit", value=r.testsuite_commit or "")
        for f in files:
            case = ET.SubElement(suite, "testcase", name=f.relpath,
                                 classname=f"spectest.{engine}.{f.proposal}")
            cprops = ET.SubElement(case, "properties")
            for key in ("passed", "failed", "skipped"):
                ET.SubElement(cprops, "property", name=key, value=str(getattr(f, key)))
            ET.SubElement(cprops, "property", name="converter", value=f.converter or "none")
            failures = f.failures()
            if failures:
                node = ET.SubElement(case, "failure", type="spectest",
                                     message=f"{len(failures)} of {len(f.results)} commands failed")
                node.text = "\n".join(f"{r.line} {r.kind}: {r.message}" for r in failures)
            elif not f.passed and f.skipped:
                reasons = "; ".join(f"{n} {k}" for k, n in f.skip_reasons().items())
                ET.SubElement(case, "skipped", message=reasons)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, report: MultiReport) -> None:
    """Write the JUnit XML of ``report`` to ``path``."""
    junit_tree(report).write(path, encoding="utf-8", xml_declaration=True)
