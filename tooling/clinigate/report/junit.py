"""JUnit XML: one test case per file, one failure per error (CI dashboards read this)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..findings import Report, Severity
from .text import location


def render(report: Report, *, suite: str = "clinigate.validate") -> str:
    """``suite``: the command that judged (clinigate.validate, clinigate.check, clinigate.audit)."""
    paths = list(dict.fromkeys([*report.files, *(f.path for f in report.findings)]))
    failing = {f.path for f in report.errors}
    tests = ET.Element("testsuite", name=suite, tests=str(len(paths)),
                       failures=str(len(failing)), errors="0", skipped="0")
    for path in paths:
        case = ET.SubElement(tests, "testcase", classname=suite, name=path)
        for f in report.findings_for(path):
            where = location(f.path, f.line, f.column)
            field = f" {f.field}:" if f.field else ""
            text = f"{where}: [{f.rule}]{field} {f.message}"
            if f.severity is Severity.ERROR:
                ET.SubElement(case, "failure", type=f.rule, message=f.message).text = text
            else:
                out = case.find("system-out")
                out = out if out is not None else ET.SubElement(case, "system-out")
                out.text = (out.text or "") + f"warning {text}\n"
    root = ET.Element("testsuites")
    root.append(tests)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
