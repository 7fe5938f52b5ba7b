"""One worker of the parallel run: `python -m behave --runner=...:ClaimingRunner`
with the user's behave arguments, started by the coordinator (__main__.py).

Every worker parses the same features and walks them in the same order, but
runs a scenario only after claiming it: creating its claim file, which only
one process can do (os.O_EXCL, on Windows too). So the scenarios go to
whichever worker is free, and each runs exactly once, in a process of its
own with its own server (environment.py's before_all, as in any behave run).
A scenario the worker does not claim is left out like one a tag filter left
out: behave neither runs nor reports it.

The worker writes, into the run's folder: its part of the HTML report (the
elements of the page, as XML), its JUnit files, and the outcome of every
scenario it ran (JSON). On stdout it prints one line per scenario it ran.
"""

import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from behave.formatter._registry import register_as
from behave.formatter.base import Formatter, StreamOpener
from behave.reporter.summary import SummaryReporter
from behave.runner import Runner

from steps.support.report.page import HtmlReport
from steps.support.report.run import RUN
from steps.support.report.text import failure_text

# behave -D names: what the coordinator tells its workers.
RUN_FOLDER = "parallel.folder"  # the run's scratch folder
WORKER = "parallel.worker"  # this worker's name (w1, w2, ...)
ALLOWED = "parallel.allowed"  # the file listing the scenarios this phase runs
START_AT = "parallel.start"  # the index of the feature this worker starts at
# How long a worker waits for that list at most (the coordinator writes it
# even when it fails; this is for a coordinator killed outright).
LIST_DEADLINE = 3600


def scenario_key(scenario):
    """A scenario's name for claims and results: its file and line (an
    outline's rows each have their own line)."""
    return f"{Path(scenario.filename).as_posix()}:{scenario.line}"


def claim_file_name(key):
    return key.replace("/", "_").replace(":", "_").replace(".", "_")


class ClaimingRunner(Runner):
    """behave's runner, running only the scenarios this worker claims."""

    def __init__(self, config):
        super().__init__(config)
        userdata = config.userdata
        self.folder = Path(userdata[RUN_FOLDER])
        self.worker = userdata[WORKER]
        self.start_at = int(userdata.get(START_AT, 0))
        self.allowed_file = Path(userdata[ALLOWED])
        self.allowed = None  # read at the first claim: see _allowed
        self.claimed = set()
        own = self.folder / self.worker
        own.mkdir(parents=True, exist_ok=True)
        # Instead of the outputs behave.ini names (reports/report.html, which
        # every worker would overwrite): this worker's part, and its lines.
        register_as("suite-html-part", HtmlReportPart)
        register_as("suite-scenario-lines", ScenarioLines)
        config.format = ["suite-html-part", "suite-scenario-lines"]
        config.outputs = [StreamOpener(str(own / "part.xml")), StreamOpener(stream=sys.stdout)]
        config.junit_directory = str(own / "junit")
        # The coordinator sums up the whole run; a worker's own sum would mislead.
        config.reporters = [
            reporter for reporter in config.reporters if not isinstance(reporter, SummaryReporter)
        ]
        self.results_file = own / "results.json"

    def run_model(self, features=None):
        features = list(self.features if features is None else features)
        for feature in features:
            for scenario in feature.walk_scenarios():
                self._claim_before_running(scenario)
        # Each worker starts at another feature, so that the heavy ones (a
        # Chromium, servers of their own) do not all start at once.
        start = self.start_at % len(features) if features else 0
        try:
            return super().run_model(features[start:] + features[:start])
        finally:
            self._write_results()

    def _claim_before_running(self, scenario):
        """behave asks a scenario once, as it starts it, whether it should
        run (and again without a config after before_scenario, which may
        skip it): that first question is where this worker claims it."""
        asked = scenario.should_run

        def should_run(config=None):
            if not asked(config):
                return False
            return config is None or self._claim(scenario)

        scenario.should_run = should_run

    def _claim(self, scenario):
        key = scenario_key(scenario)
        if key in self.claimed:
            return True
        if self.aborted or key not in self._allowed():
            return False
        try:
            os.close(os.open(self.folder / "claims" / claim_file_name(key), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return False
        self.claimed.add(key)
        return True

    def _allowed(self):
        """The scenarios this phase runs. The worker of the scenarios run
        alone starts with the others and waits here, past its before_all,
        until the coordinator writes its list."""
        if self.allowed is None:
            deadline = time.monotonic() + LIST_DEADLINE
            while not self.allowed_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)  # wait-ok: the poll's interval, inside a deadline
            text = (
                self.allowed_file.read_text(encoding="utf-8") if self.allowed_file.exists() else ""
            )
            self.allowed = set(text.split("\n")) - {""}
        return self.allowed

    def _write_results(self):
        results = {}
        for feature in self.features:
            for scenario in feature.walk_scenarios():
                key = scenario_key(scenario)
                if key in self.claimed:
                    results[key] = {
                        "status": scenario.status.name,
                        "steps": [step.status.name for step in scenario],
                        "duration": scenario.duration,
                    }
        self.results_file.write_text(json.dumps(results), encoding="utf-8")


class HtmlReportPart(HtmlReport):
    """The report's page without its header: the features and scenarios this
    worker showed, as XML, for the coordinator to put into one page; with
    what the hooks said about the run."""

    def close(self):
        self._finish_scenario()
        part = ET.Element("part", server=RUN.server, expected=RUN.expected, stopped=RUN.stopped)
        part.extend(element for element in self.suite if element is not self.header)
        self.stream.write(ET.tostring(part, encoding="unicode"))
        self.close_stream()


class ScenarioLines(Formatter):
    """One line per scenario run: its status, time, location and name; for
    a failure, what failed."""

    def __init__(self, stream_opener, config):
        super().__init__(stream_opener, config)
        self.stream = self.open()
        self.current = None

    def scenario(self, scenario):
        self._report()
        self.current = scenario

    def eof(self):
        self._report()

    def close(self):
        self._report()
        self.close_stream()

    def _report(self):
        scenario, self.current = self.current, None
        if scenario is None:
            return
        status = scenario.status
        line = f"{status.name:<8}{scenario.duration:6.1f} s  {scenario.location}  {scenario.name}"
        if status.has_failed():
            failed = next((step for step in scenario.all_steps if step.status.has_failed()), None)
            message, _ = failure_text(failed or scenario)
            line += "\n" + "\n".join("    " + text for text in message.splitlines()[:12])
        self.stream.write(line + "\n")
        self.stream.flush()
