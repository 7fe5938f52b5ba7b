"""CI: the reports tell the same story as the console.

1. The full run's HTML report (reports/report.html) counts the same
   scenarios as its JUnit files (reports/junit/).
2. The performance scenario, run again in a scratch copy of the suite with
   behave's json formatter added (which needs attachments as bytes): its
   HTML header's totals are the console's summary lines, word for word, and
   match its JUnit files; the JSON holds the attached table and histogram.

Run from the repository root after the suite (`python -m steps.support.parallel`
or `behave`); exit status 1 on a mismatch.
"""

import glob
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ("features", "steps", "trading_server", "environment.py", "behave.ini")
SUMMARY_LINE = re.compile(r"^\d+ (features?|scenarios?|steps?) passed, .*$", re.MULTILINE)
FAILING = ("failed", "error", "hook_error", "cleanup_error", "untested")


class ReportUnreadable(Exception):
    pass


def html_totals(report):
    """The header's summary lines and its machine-readable counts."""
    text = report.read_text(encoding="utf-8")
    lines = [
        re.search(rf'<p id="{kind}_totals">(.*?)</p>', text)
        for kind in ("feature", "scenario", "step")
    ]
    counts = re.search(r'<script type="application/json" id="totals-data">(.*?)</script>', text)
    if not all(lines) or not counts:
        raise ReportUnreadable(
            f"{report} has no totals in its header (not the suite's HtmlReport?)"
        )
    return [line.group(1) for line in lines], json.loads(counts.group(1))


def junit_totals(folder):
    suites = [ElementTree.parse(path).getroot() for path in glob.glob(str(folder / "*.xml"))]
    count = {
        name: sum(int(suite.get(name, 0)) for suite in suites)
        for name in ("tests", "failures", "errors", "skipped")
    }
    return {
        "passed": count["tests"] - count["failures"] - count["errors"] - count["skipped"],
        "failed": count["failures"] + count["errors"],
    }


def scenario_counts(counts):
    scenarios = counts["scenarios"]
    return {
        "passed": scenarios.get("passed", 0),
        "failed": sum(scenarios.get(status, 0) for status in FAILING),
    }


def check_full_run(problems):
    _, counts = html_totals(ROOT / "reports" / "report.html")
    html, junit = scenario_counts(counts), junit_totals(ROOT / "reports" / "junit")
    if html != junit:
        problems.append(
            f"full run: the HTML report counts scenarios {html}, the JUnit files {junit}"
        )
    return html


def check_json_run(problems):
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for name in SUITE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, copy / name)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "behave",
                "--tags=performance",
                "--no-color",
                "-f",
                "plain",
                "-f",
                "json",
                "-o",
                "-",
                "-o",
                "reports/behave.json",
            ],
            cwd=copy,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
        if run.returncode != 0:
            problems.append(
                f"the performance scenario with -f json failed (exit {run.returncode}):\n"
                + run.stdout[-3000:]
                + run.stderr[-2000:]
            )
            return
        console = [match.group(0) for match in SUMMARY_LINE.finditer(run.stdout)]
        lines, counts = html_totals(copy / "reports" / "report.html")
        if lines != console:
            problems.append(f"-f json run: the HTML header says {lines}, the console {console}")
        html, junit = scenario_counts(counts), junit_totals(copy / "reports" / "junit")
        if html != junit:
            problems.append(
                f"-f json run: the HTML report counts scenarios {html}, the JUnit files {junit}"
            )
        attached = {
            embedding["mime_type"]
            for feature in json.loads(
                (copy / "reports" / "behave.json").read_text(encoding="utf-8")
            )
            for element in feature.get("elements", [])
            for step in element.get("steps", [])
            for embedding in step.get("embeddings", [])
        }
        if not {"text/plain", "image/svg+xml"} <= attached:
            problems.append(
                f"-f json run: the JSON report holds attachments {sorted(attached)}, "
                "not the table and the histogram"
            )


def main():
    problems = []
    try:
        full = check_full_run(problems)
        check_json_run(problems)
    except ReportUnreadable as error:
        problems.append(str(error))
    for problem in problems:
        print(f"report check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"report check: HTML report, console and JUnit agree ({full['passed']} scenarios passed, "
        f"{full['failed']} failed); -f json works"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
