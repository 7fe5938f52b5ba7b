"""The suite's reports: behave-html-formatter's HTML report, corrected for
behave 1.3, and behave's console output in 120 columns, each feature's header once.

behave-html-formatter 0.9.10 predates behave 1.3: it colours only `failed`
(not `error`, which a step gets when it raises instead of failing a check),
counts each Scenario Outline once with its template steps as "untested",
drops the steps a failure left unrun and hides every detail behind links.
`HtmlReport` keeps its page and fixes those through the methods behave calls
(registered as `html` in behave.ini); `RUN` carries what the hooks know about
the run (which server, which delays) into the report's header.
"""

import base64
import html
import json
import math
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from behave.formatter.pretty import PrettyFormatter
from behave.model_type import Status
from behave.reporter.summary import SummaryReporter, select_format_summary_by_name
from behave_html_formatter.html import HTMLFormatter, _valid_XML_char_ordinal

PRODUCT = "Trading platform"
SUITE_ROOT = Path(__file__).resolve().parents[2]

STYLE = """
body { font-size: 14px; }
.behave, .behave td, .behave th { font: 14px/1.45 system-ui, "Segoe UI", Helvetica, Arial, sans-serif; }
.behave #behave-header { height: auto; overflow: auto; padding: 12px 16px; background: #2e7d32; }
.behave #behave-header.failed { background: #b71c1c; }
.behave #behave-header a, .behave #behave-header a:visited { color: white; }
.behave h1 { position: static; margin: 0 0 6px 0; padding: 0; font-size: 1.6em; }
.behave #label { float: left; max-width: 62%; }
.behave #label p { margin: 2px 0; }
.behave #summary { padding: 0; }
.behave #summary #totals { font-size: 1.05em; }
.behave #failing { margin: 6px 0 0 0; padding-left: 1.2em; }
.behave a { color: #0b57d0; }
.behave div.feature h2 { margin: 18px 0 4px 0; font-size: 1.3em; }
.behave .description p { margin: 0 0 0.6em 0; max-width: 60em; white-space: pre-line; }
.behave div.scenario { margin: 0 10px 8px 10px; }
.behave div.background { margin: 0 10px 8px 10px; color: #333; }
.behave div.background h3 { font-size: 1em; margin: 0; padding: 3px 8px; background: #e0e0e0; color: #222; }
.behave div.background li { margin: 2px 0 2px 1em; }
.behave .scenario h3 { font-size: 1em; padding: 4px 8px; background: #616161; color: white; cursor: pointer; }
.behave .scenario h3.passed { background: #2e7d32; }
.behave .scenario h3.failed { background: #b71c1c; }
.behave .scenario h3 .scenario_file { float: right; color: white; font-weight: normal; opacity: 0.9; }
.behave .step_name, .behave h3 .val { white-space: pre-wrap; }
.behave .step_file { color: #555; }
.behave ol li.step.passed { background: #e8f5e9; border-left: 5px solid #2e7d32; border-bottom-color: #2e7d32; color: #1b5e20; }
.behave ol li.step.failed { background: #ffebee; border-left: 5px solid #b71c1c; border-bottom-color: #b71c1c; color: #7f0000; }
.behave ol li.step.not_run { background: #f5f5f5; border-left: 5px solid #9e9e9e; border-bottom: 1px solid #9e9e9e; color: #555; }
.behave .skip_reason { margin: 2px 0 2px 1.5em; color: #444; }
.behave pre.failure { clear: both; margin: 4px 0; padding: 6px 8px; background: white; border: 1px solid #b71c1c;
                      color: #7f0000; white-space: pre-wrap; font-size: 0.95em; }
.behave pre.traceback { clear: both; margin: 0 0 4px 0; color: #444; font-size: 0.85em; white-space: pre-wrap; }
.behave .attachment { display: block; clear: both; margin: 6px 0; }
.behave .attachment pre { margin: 0; padding: 6px 8px; background: white; color: #111; border: 1px solid #9e9e9e;
                          display: inline-block; white-space: pre; }
.behave .attachment img { background: white; border: 1px solid #9e9e9e; max-width: 100%; }
"""


@dataclass
class RunDescription:
    """What the hooks know about the run, for the report's header."""

    server: str = "not known yet"
    expected: str = ""
    stopped: str = ""  # why the run stopped before its first scenario, if it did


RUN = RunDescription()


class _RunTotals(SummaryReporter):
    """behave's own summary counting (the console's), fed every feature of
    the run: the formatter itself is not told about features a tag filter
    left out, which the console still counts as skipped."""

    def end(self):
        """The console's summary reporter prints; this one only counts."""


def _paragraphs(statement):
    """The statement's description split where its source has blank lines
    (behave's parser drops them)."""
    lines = list(statement.description)
    try:
        source = Path(statement.location.filename).read_text(encoding="utf-8").splitlines()
    except OSError:
        return [lines]
    paragraphs, current, position = [], [], statement.location.line
    for line in lines:
        found = next(
            (
                index
                for index in range(position, len(source))
                if source[index].strip() == line.strip()
            ),
            None,
        )
        if found is not None:
            if current and not all(source[index].strip() for index in range(position, found)):
                paragraphs.append(current)
                current = []
            position = found + 1
        current.append(line)
    paragraphs.append(current)
    return paragraphs


def _failure_text(step_or_scenario):
    """The first thing a reader sees: a check's own message, or one line
    naming an unexpected error plus the suite's own frames of its traceback."""
    error = getattr(step_or_scenario, "exception", None)
    if error is None:
        return step_or_scenario.error_message or "failed", ""
    if isinstance(error, AssertionError):
        return str(error).strip("\n") or step_or_scenario.error_message, ""
    frames = [
        frame
        for frame in traceback.extract_tb(step_or_scenario.exc_traceback)
        if Path(frame.filename).resolve().is_relative_to(SUITE_ROOT)
        and "site-packages" not in frame.filename
    ]
    headline = f"{type(error).__name__}: {error}"
    if (step_or_scenario.error_message or "").startswith("HOOK-ERROR"):
        headline = step_or_scenario.error_message.splitlines()[0]  # names the hook
    return headline, "".join(traceback.format_list(frames)).rstrip()


def _xml_safe(text):
    return "".join(char for char in text if _valid_XML_char_ordinal(ord(char)))


def _duration_text(seconds):
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
        self.current_feature = ET.SubElement(self.suite, "div", {"class": "feature"})
        if feature.tags:
            ET.SubElement(self.current_feature, "span", {"class": "tag"}).text = "@" + ", @".join(
                feature.tags
            )
        ET.SubElement(
            ET.SubElement(self.current_feature, "h2"), "span", {"class": "val"}
        ).text = f"{feature.keyword}: {feature.name}"
        if feature.description:
            description = ET.SubElement(self.current_feature, "div", {"class": "description"})
            for paragraph in _paragraphs(feature):
                ET.SubElement(description, "p").text = "\n".join(paragraph)
        self.actual = {"act_step_embed_span": ET.SubElement(self.current_feature, "span")}

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
        message, frames = _failure_text(failed)
        ET.SubElement(parent, "pre", {"class": "failure"}).text = _xml_safe(message)
        if frames:
            ET.SubElement(parent, "pre", {"class": "traceback"}).text = _xml_safe(frames)

    # -- Attachments (context.attach): shown in the step, no click needed ----

    def embedding(self, mime_type, data, caption=None):
        if not mime_type.startswith(("text/", "image/")):
            super().embedding(mime_type, data, caption)
            return
        holder = ET.SubElement(self.actual["act_step_embed_span"], "span", {"class": "attachment"})
        if mime_type.startswith("text/"):
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            ET.SubElement(holder, "pre").text = _xml_safe(text)
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
        counts = {
            "features": self.totals.feature_summary,
            "scenarios": self.totals.scenario_summary,
            "steps": self.totals.step_summary,
        }
        self._fill_header(counts)
        self.stream.write("<!DOCTYPE html>")
        self.stream.write(ET.tostring(self.html, encoding="unicode", method="html"))
        self.close_stream()

    def _fill_header(self, counts):
        took = time.monotonic() - self.started_clock
        started = self.started.strftime("%Y-%m-%d %H:%M UTC")
        self.html.find("head/title").text = f"{self.title}, {started}"
        for text in (
            f"Started {started}, took {_duration_text(took)}",
            f"Server: {RUN.server}",
            f"Expected {RUN.expected}" if RUN.expected else "",
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


def histogram_svg(values, expected, title, bin_width=0.1):
    """A small standalone SVG histogram of `values` (seconds), with the
    `expected` (low, high) range shaded, for context.attach("image/svg+xml")."""

    def bin_of(seconds):
        return math.floor(round(seconds / bin_width, 6))  # 2.9 / 0.1 is 28.999999999999996

    first, last = bin_of(min(*values, expected[0])), bin_of(max(*values, expected[1]))
    counts = [0] * (last - first + 1)
    for value in values:
        counts[bin_of(value) - first] += 1
    width, height, left, right, top, bottom = 640, 240, 40, 12, 34, 36
    plot_width, plot_height = width - left - right, height - top - bottom
    tallest = max(counts)

    def x(seconds):
        return left + (seconds / bin_width - first) / len(counts) * plot_width

    def y(count):
        return top + plot_height * (1 - count / tallest)

    bar_width = plot_width / len(counts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<rect x="{x(expected[0]):.1f}" y="{top}" width="{x(expected[1]) - x(expected[0]):.1f}" '
        f'height="{plot_height}" fill="#e8f5e9"/>',
        f'<text x="{x(expected[0]) + 4:.1f}" y="{top + 14}" fill="#2e7d32">expected '
        f"{expected[0]:g}–{expected[1]:g} s</text>",
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for index, count in enumerate(counts):
        if count:
            parts.append(
                f'<rect x="{left + index * bar_width + 1:.1f}" y="{y(count):.1f}" '
                f'width="{bar_width - 2:.1f}" height="{top + plot_height - y(count):.1f}" '
                f'fill="#1565c0"><title>{count}</title></rect>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - right}" '
        f'y2="{top + plot_height}" stroke="#333"/>'
    )
    for tick in range(math.ceil(first * bin_width * 2), math.floor((last + 1) * bin_width * 2) + 1):
        seconds = tick / 2
        parts.append(
            f'<text x="{x(seconds):.1f}" y="{top + plot_height + 16}" '
            f'text-anchor="middle">{seconds:g} s</text>'
        )
    for count in (0, tallest):
        parts.append(
            f'<text x="{left - 6}" y="{y(count) + 4:.1f}" text-anchor="end">{count}</text>'
        )
    parts.append(
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 4}" text-anchor="middle" '
        f'fill="#555">orders per {bin_width:g} s</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


class ConsoleReport(PrettyFormatter):
    """behave's `pretty` output in lines of at most 120 columns, each
    feature's header printed once (behave 1.3.3 prints it again when a
    feature has a Background)."""

    width = 120
    # Location comments line up at this column at most, instead of after the
    # longest line of the scenario (an outline row's name can be long).
    comment_column = 76

    def background(self, background):
        """The Background's steps are printed with every scenario."""

    def calculate_location_indentations(self):
        widths = [len(f"{line.keyword} {line.name}") for line in [self.statement, *self.steps]]
        column = min(max(widths), self.comment_column)
        self.indentations = [max(0, column - width) for width in widths]

    def print_statement(self):
        if self.statement is not None:
            self._written = len(f"  {self.statement.keyword}: {self.statement.name} ")
        super().print_statement()

    def print_step(self, status, arguments, location, proceed):
        if self.steps:
            self._written = len(f"    {self.steps[0].keyword} {self.steps[0].name}")
        # behave prints "# None" for the steps a failure left unrun.
        super().print_step(status, arguments, location or "(not run)", proceed)

    def indented_text(self, text, proceed):
        """The location comment, left out where it would not fit the width."""
        comment = super().indented_text(text, proceed)
        return comment if self._written + len(comment) <= self.width else ""
