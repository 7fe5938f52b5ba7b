"""The workers' outputs made into one run's: totals as behave counts them,
one HTML page, one JUnit file per feature."""

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from behave.model_type import Status

from steps.support.parallel.worker import scenario_key
from steps.support.report.run import RUN

JUNIT_COUNTS = ("tests", "failures", "errors", "skipped")
# Written by environment.py instead of the feature files when a run stopped
# before its first scenario.
STOPPED_RUN_JUNIT = "TESTS-run.xml"
# Element ids (and the links and scripts naming them) numbered per worker.
NUMBERED_ID = re.compile(r"\b(title_)?(scenario|embed)_(\d+)")


def read_results(folders):
    """Each scenario run, by key: its status and its steps' statuses."""
    results = {}
    for folder in folders:
        path = folder / "results.json"
        if path.exists():
            results.update(json.loads(path.read_text(encoding="utf-8")))
    return results


def apply_results(features, config, results):
    """The parsed features given the outcome the workers saw: a scenario no
    worker ran is skipped if the run did not select it, else not run
    (untested), as behave marks the scenarios of an aborted run."""
    for feature in features:
        for scenario in feature.walk_scenarios():
            result = results.get(scenario_key(scenario))
            if result is not None:
                for step, status in zip(scenario, result["steps"], strict=True):
                    step.status = Status.from_name(status)
                scenario.set_status(Status.from_name(result["status"]))
            elif not scenario.should_run(config):
                scenario.mark_skipped()
        feature.clear_status()


def read_parts(folders):
    """Each worker's part of the page, its ids made unique, and what its
    hooks said about the run."""
    parts = []
    for folder in folders:
        path = folder / "part.xml"
        if not path.exists():
            continue
        part = ET.parse(path).getroot()
        for element in part.iter():
            for attribute in ("id", "onclick", "href"):
                value = element.get(attribute)
                if value:
                    element.set(attribute, NUMBERED_ID.sub(rf"\1\2_{folder.name}_\3", value))
        parts.append(part)
    return parts


def describe_run(parts):
    """RUN, for the page's header, from what each worker's hooks said."""
    servers = sorted({part.get("server") for part in parts if part.get("server")})
    if len(servers) > 1:
        RUN.server = (
            f"one per worker, started by the suite (python -m trading_server): "
            f"{len(servers)} servers on 127.0.0.1"
        )
    elif servers:
        RUN.server = servers[0]
    RUN.expected = next((part.get("expected") for part in parts if part.get("expected")), "")
    RUN.stopped = next((part.get("stopped") for part in parts if part.get("stopped")), "")


def build_page(page, features, parts):
    """Every worker's features and scenarios into `page` (an HtmlReport),
    each feature once, its scenarios in the order of its file."""
    headings: dict[str, ET.Element] = {}
    scenarios: dict[str, list[ET.Element]] = defaultdict(list)
    for part in parts:
        current = ""
        for element in part:
            if "feature" in element.get("class", "").split():
                current = element.get("data-file", "")
                headings.setdefault(current, element)
            else:
                scenarios[current].append(element)
    for feature in features:
        if feature.filename not in headings:
            continue
        page.suite.append(headings[feature.filename])
        for scenario in sorted(scenarios[feature.filename], key=_line):
            page.suite.append(scenario)
            title = scenario.find("h3")
            if title is not None and title.get("class") == "failed":
                page.failing.append((title.get("id"), title.findtext("span[@class='val']")))


def _line(scenario_element):
    location = scenario_element.findtext(".//span[@class='scenario_file']") or ":0"
    return int(location.rsplit(":", 1)[1])


def merge_junit(folders, target):
    """One JUnit file per feature: each worker's testcases of that feature."""
    suites = defaultdict(list)
    for folder in folders:
        for path in sorted((folder / "junit").glob("TESTS-*.xml")):
            suites[path.name].append(ET.parse(path).getroot())
    target.mkdir(parents=True, exist_ok=True)
    for name, parts in suites.items():
        merged = parts[0]
        if name != STOPPED_RUN_JUNIT:  # one such test, however many workers stopped
            for other in parts[1:]:
                for count in JUNIT_COUNTS:
                    merged.set(count, str(int(merged.get(count, 0)) + int(other.get(count, 0))))
                merged.set(
                    "time", f"{float(merged.get('time', 0)) + float(other.get('time', 0)):.6f}"
                )
                merged.extend(other.findall("testcase"))
        ET.ElementTree(merged).write(target / name, encoding="utf-8", xml_declaration=True)
