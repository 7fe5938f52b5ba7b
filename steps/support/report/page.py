"""The suite's HTML report: behave-html-formatter's page, corrected for
behave 1.3.

behave-html-formatter 0.9.10 predates behave 1.3: it colours only `failed`
(not `error`, which a step gets when it raises instead of failing a check),
counts each Scenario Outline once with its template steps as "untested",
drops the steps a failure left unrun and hides every detail behind links.
`HtmlReport` keeps its page and fixes those through the methods behave calls
(registered as `html` by environment.py); `RUN` carries what the hooks know
about the run (which server, which delays) into the report's header.
"""

import base64
import json
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from behave.model_type import Status
from behave.reporter.summary import SummaryReporter, select_format_summary_by_name
from behave_html_formatter.html import HTMLFormatter

from steps.support.report.run import RUN
from steps.support.report.text import failure_text, paragraphs, xml_safe

PRODUCT = "Trading platform"
STYLE = (Path(__file__).parent / "report.css").read_text(encoding="utf-8")


class _RunTotals(SummaryReporter):
    """behave's own summary counting (the console's), fed every feature of
    the run: the formatter itself is not told about features a tag filter
    left out, which the console still counts as skipped."""

    def end(self):
        """The console's summary reporter prints; this one only counts."""


def duration_text(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


class HtmlReport(HTMLFormatter):
    """behave-html-formatter's page, telling the truth about behave 1.3 runs."""

    title = f"{PRODUCT}: acceptance tests"

    def __init__(self, stream, config):
        super().__init__(stream, config)
        self.started = datetime.now(timezone.utc)
        self.started_clock = time.monotonic()
        self.totals = _RunTotals(config)
        config.reporters.append(self.totals)
        ET.SubElement(self.html.find("head"), "style", type="text/css").text = STYLE
        self.run_info = ET.SubElement(self.header.find("div[@id='label']"), "div", id="run-info")
        self.failing = []  # (anchor, name) of every scenario that failed
        self.last_scenario = None
        self.steps_drawn = 0

    # -- Features and backgrounds -------------------------------------------

    def feature(self, feature):
        if not hasattr(self, "all_features"):
            self.all_features = []
        self.all_features.append(feature)
        # data-file: the parallel runner puts each feature's scenarios from
        # every worker under one heading.
        self.current_feature = ET.SubElement(
            self.suite, "div", {"class": "feature", "data-file": feature.filename}
        )
        if feature.tags:
            ET.SubElement(self.current_feature, "span", {"class": "tag"}).text = "@" + ", @".join(
                feature.tags
            )
        ET.SubElement(
            ET.SubElement(self.current_feature, "h2"), "span", {"class": "val"}
        ).text = f"{feature.keyword}: {feature.name}"
        if feature.description:
            description = ET.SubElement(self.current_feature, "div", {"class": "description"})
            for paragraph in paragraphs(feature):
                ET.SubElement(description, "p").text = "\n".join(paragraph)
        # The formatter's record of the current step: elements and texts.
        self.actual: dict[str, Any] = {
            "act_step_embed_span": ET.SubElement(self.current_feature, "span")
        }

    def background(self, background):
        """Shown once, under its feature; its steps run, and show, in every scenario."""
        element = ET.SubElement(self.current_feature, "div", {"class": "background"})
        ET.SubElement(element, "h3").text = (
            f"{background.keyword}: {background.name}".rstrip(": ")
            + " (run before every scenario of this feature)"
        )
        steps = ET.SubElement(element, "ol")
        for step in background.steps:
            ET.SubElement(steps, "li").text = f"{step.keyword} {step.name}"

    # -- Scenarios ----------------------------------------------------------

    def scenario(self, scenario):
        self._finish_scenario()
        super().scenario(scenario)
        anchor = f"scenario_{self.scenario_id - 1}"
        self.scenario_name.set("id", f"title_{anchor}")
        # The file location inside the bar, in the bar's own text colour.
        location = self.scenario_el.find("span[@class='scenario_file']")
        self.scenario_el.remove(location)
        self.scenario_name.append(location)
        self.steps_drawn = 0

    def _check_last_scenario_status(self):
        """Replaced by _finish_scenario, which also sees errors."""

    def _finish_scenario(self):
        scenario, self.last_scenario = self.last_scenario, None
        if scenario is None:
            return
        for step in list(scenario.all_steps)[self.steps_drawn :]:
            self._draw_not_run(step)
        status = scenario.status
        if status.has_failed():
            self.scenario_name.set("class", "failed")
            self.header.set("class", "failed")
            self.failing.append((self.scenario_name.get("id"), scenario.name))
            if not any(step.status.has_failed() for step in scenario.all_steps):
                # A hook failed, not a step: show its message on the scenario.
                self._show_failure(self.scenario_el, scenario)
        elif status == Status.passed:
            self.scenario_name.set("class", "passed")
        elif status == Status.skipped and getattr(scenario, "skip_reason", None):
            reason = ET.Element("p", {"class": "skip_reason"})
            reason.text = f"Not run: {scenario.skip_reason}"
            self.scenario_el.insert(list(self.scenario_el).index(self.scenario_name) + 1, reason)

    def eof(self):
        self._finish_scenario()

    # -- Steps --------------------------------------------------------------

    def match(self, match):
        super().match(match)
        if not match.arguments:
            return
        # Each value as written in the feature file (quotes, spaces), where
        # behave-html-formatter shows it converted ("   " became an empty-looking gap).
        text = self.actual["step_el"].find("div/span[@class='step val']")
        assert text is not None  # behave-html-formatter's step line
        text.clear()
        text.set("class", "step val")
        name, start = self.actual["name"], 0
        for argument in match.arguments:
            ET.SubElement(text, "span").text = name[start : argument.start]
            ET.SubElement(text, "b").text = argument.original
            start = argument.end
        ET.SubElement(text, "span").text = name[start:]

    def result(self, step):
        element = self.actual["step_el"]
        failed = step.status.has_failed()
        element.set("class", "step " + ("failed" if failed else step.status.name))
        self.actual["step_duration_el"].text = f"({step.duration:0.3f}s)"
        if step.text:
            message = ET.Element("div", {"class": "message"})
            ET.SubElement(message, "pre").text = step.text
            element.insert(2, message)
        if step.table:
            table = ET.Element("table")
            cells = ET.SubElement(table, "tr")
            for heading in step.table.headings:
                ET.SubElement(cells, "th").text = heading
            for row in step.table.rows:
                cells = ET.SubElement(table, "tr")
                for cell in row.cells:
                    ET.SubElement(cells, "td").text = cell
            element.insert(2, table)
        if failed:
            self._show_failure(element, step)
        self.steps_drawn += 1

    def _draw_not_run(self, step):
        element = ET.SubElement(self.steps, "li", {"class": "step not_run"})
        name = ET.SubElement(element, "div", {"class": "step_name"})
        ET.SubElement(name, "span", {"class": "keyword"}).text = step.keyword + " "
        ET.SubElement(name, "span", {"class": "step val"}).text = step.name
        ET.SubElement(name, "small", {"class": "step_duration"}).text = "(not run)"
        ET.SubElement(element, "div", {"class": "step_file"}).text = "\u00a0"

    @staticmethod
    def _show_failure(parent, failed):
        message, frames = failure_text(failed)
        ET.SubElement(parent, "pre", {"class": "failure"}).text = xml_safe(message)
        if frames:
            ET.SubElement(parent, "pre", {"class": "traceback"}).text = xml_safe(frames)

    # -- Attachments (context.attach): shown in the step, no click needed ----

    def embedding(self, mime_type, data, caption=None):
        if not mime_type.startswith(("text/", "image/")):
            super().embedding(mime_type, data, caption)
            return
        holder = ET.SubElement(self.actual["act_step_embed_span"], "span", {"class": "attachment"})
        if mime_type.startswith("text/"):
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            ET.SubElement(holder, "pre").text = xml_safe(text)
        else:
            # behave passes bytes; behave-html-formatter expected base64 text.
            encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
            ET.SubElement(
                holder,
                "img",
                {"src": f"data:{mime_type};base64,{encoded}", "alt": caption or "attached image"},
            )

    # -- The header, written once the run is over ---------------------------

    def close(self):
        self._finish_scenario()
        self.totals.compute_summary_sums()
        self.write_page(
            {
                "features": self.totals.feature_summary,
                "scenarios": self.totals.scenario_summary,
                "steps": self.totals.step_summary,
            }
        )

    def write_page(self, counts):
        """The header with these totals (behave's summary counts by kind),
        then the whole page, to the formatter's output."""
        self._fill_header(counts)
        self.stream.write("<!DOCTYPE html>")
        self.stream.write(ET.tostring(self.html, encoding="unicode", method="html"))
        self.close_stream()

    def _fill_header(self, counts):
        took = time.monotonic() - self.started_clock
        started = self.started.strftime("%Y-%m-%d %H:%M UTC")
        self.html.find("head/title").text = f"{self.title}, {started}"
        for text in (
            f"Started {started}, took {duration_text(took)}",
            f"Server: {RUN.server}",
            f"Expected {RUN.expected}" if RUN.expected else "",
            f"In parallel: {RUN.parallel}" if RUN.parallel else "",
        ):
            if text:
                ET.SubElement(self.run_info, "p").text = text

        format_summary = select_format_summary_by_name(self.totals.output_format)
        for element, kind in (
            (self.current_feature_totals, "feature"),
            (self.scenario_totals, "scenario"),
            (self.step_totals, "step"),
        ):
            element.text = format_summary(kind, counts[kind + "s"]).strip()
        self.duration.text = ""
        machine_readable = {
            kind: {status: count for status, count in summary.items() if count}
            for kind, summary in counts.items()
        }
        ET.SubElement(
            self.header, "script", {"type": "application/json", "id": "totals-data"}
        ).text = json.dumps(machine_readable)

        not_run = counts["scenarios"].get(Status.untested.name, 0)
        troubled = any(
            count
            for kind in counts.values()
            for status, count in kind.items()
            if status not in ("all", Status.passed.name, Status.skipped.name)
        )
        if troubled or RUN.stopped:
            self.header.set("class", "failed")
        if RUN.stopped or not_run:
            ET.SubElement(self.run_info, "p").text = (
                f"The run stopped early: {RUN.stopped or 'see the console'}; "
                f"{not_run} scenarios were not run."
            )
        if self.failing:
            ET.SubElement(self.run_info, "p").text = f"Failing scenarios ({len(self.failing)}):"
            listing = ET.SubElement(self.run_info, "ol", id="failing")
            for anchor, name in self.failing:
                ET.SubElement(ET.SubElement(listing, "li"), "a", href=f"#{anchor}").text = name
