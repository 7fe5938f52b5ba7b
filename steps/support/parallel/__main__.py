"""The whole suite in parallel: python -m steps.support.parallel [--workers N]
[behave arguments, e.g. --tags=@smoke].

Nearly all of a run is waiting for the server's delays, so the scenarios run
in worker processes at once (worker.py: each its own behave and its own
server, as `behave` alone starts). The crowd keeps the CPU busy, so the
scenarios that measure time run after it: those tagged @delays or @timing in
a few workers beside only each other (they mostly wait, and measure what
they would alone), then the 100-order burst (@performance), which loads the
machine itself, alone; so do, when every worker tests the one server at
API_URL, those that need it to themselves (@exclusive, @control). Then the
workers' outputs become one run's: reports/report.html with behave's totals
for the whole run, the JUnit files in reports/junit/, and one summary line
on the console.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from behave.configuration import Configuration
from behave.formatter.base import StreamOpener
from behave.reporter.summary import select_format_summary_by_name
from behave.runner import Runner
from behave.runner_util import parse_features

from environment import remove_earlier_junit_files
from steps.support.parallel.merge import (
    apply_results,
    build_page,
    describe_run,
    merge_junit,
    read_parts,
    read_results,
)
from steps.support.parallel.worker import ALLOWED, RUN_FOLDER, START_AT, WORKER, scenario_key
from steps.support.report.page import HtmlReport, duration_text
from steps.support.report.run import RUN

# Scenarios that measure time: after the crowd, beside only each other.
TIMED_TAGS = "delays,timing"
# They mostly wait, so a few workers share the machine without changing
# their figures (docs/reports.md has them side by side).
DEFAULT_TIMED_WORKERS = 4
# The 100-order burst loads the machine itself: last, alone.
ALONE_TAGS = "performance"
# With API_URL set every worker tests that one server, so the scenarios that
# need it to themselves (@control ones change it for every client) join it.
SHARED_SERVER_ALONE_TAGS = "exclusive,control"
# Measured on a 2-core machine (docs/reports.md): 8 workers wait for the
# server's delays longer, 16 gain nothing on 12 (the CPU is then the limit).
DEFAULT_WORKERS = 12
# The workers' files (claims, parts, JUnit): a folder of its own per run,
# removed once merged.
SCRATCH = Path("reports") / "parallel"
DRY_RUN = {"--dry-run", "-d"}
FAILED = ("failed", "error", "hook_error", "cleanup_error", "untested", "undefined")


class Phase:
    """Scenarios run at the same time, by `count` workers at most."""

    def __init__(self, name, tags, count):
        self.name = name
        self.tags = tags  # None: every scenario not taken by another phase
        self.count = count
        self.keys: list[str] = []
        self.workers: list = []

    def takes(self, scenario_tags):
        return self.tags is None or bool(self.tags & scenario_tags)


def phase_for(phases, scenario_tags):
    """The last phase whose tags the scenario has: one tagged @timing and
    @performance runs alone."""
    return next(phase for phase in reversed(phases) if phase.takes(set(scenario_tags)))


def tag_set(text):
    return {tag.strip().lstrip("@") for tag in text.split(",")} - {""}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m steps.support.parallel",
        description="Run the acceptance suite in parallel; other arguments go to behave.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"processes running scenarios at once (default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--timed-tags",
        default=TIMED_TAGS,
        help="scenarios with any of these tags (comma-separated) run after the others, "
        f"beside only each other (default {TIMED_TAGS}; empty: none)",
    )
    parser.add_argument(
        "--timed-workers",
        type=int,
        default=DEFAULT_TIMED_WORKERS,
        help=f"processes running those at once (default {DEFAULT_TIMED_WORKERS})",
    )
    default_alone = ALONE_TAGS
    if os.environ.get("API_URL", "").strip():
        default_alone += "," + SHARED_SERVER_ALONE_TAGS
    parser.add_argument(
        "--alone-tags",
        default=default_alone,
        help="scenarios with any of these tags (comma-separated) run last, "
        f"one at a time (default {ALONE_TAGS}, with API_URL also "
        f"{SHARED_SERVER_ALONE_TAGS}; empty: none)",
    )
    options, behave_args = parser.parse_known_args(argv)
    if DRY_RUN & set(behave_args):
        # Nothing runs, so nothing to share out: behave itself.
        return subprocess.call([sys.executable, "-m", "behave", *behave_args])
    started, started_clock = time.time(), time.monotonic()

    config = Configuration(behave_args)
    features = selected_features(config)
    phases = [  # in the order they run
        Phase("together", None, options.workers),
        Phase("timed", tag_set(options.timed_tags), options.timed_workers),
        Phase("alone", tag_set(options.alone_tags), 1),
    ]
    for feature in features:
        for scenario in feature.walk_scenarios():
            if scenario.should_run(config):
                phase_for(phases, scenario.effective_tags).keys.append(scenario_key(scenario))

    SCRATCH.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH))
    (scratch / "claims").mkdir()
    # Every worker starts (its server too) at once; those of the later phases
    # wait for their list, written when the phase before is over.
    for index, phase in enumerate(phases):
        phase.workers = start_workers(
            phase.name,
            phase.count,
            phase.keys,
            scratch,
            behave_args,
            len(features),
            wait_for_list=index > 0,
        )
    ran: list[tuple[Phase, float]] = []
    try:
        for index, phase in enumerate(phases):
            go = time.monotonic()
            if index > 0:
                write_list(scratch / f"{phase.name}.txt", phase.keys)
            wait_for(phase.workers)
            if phase.workers:
                ran.append((phase, time.monotonic() - (started_clock if index == 0 else go)))
    finally:
        # Stopped early (Ctrl+C): the workers still waiting get nothing to run.
        for phase in phases[1:]:
            waiting_for = scratch / f"{phase.name}.txt"
            if not waiting_for.exists():
                write_list(waiting_for, [])
    workers = [name for phase in phases for name, _, _ in phase.workers]
    folders = [scratch / name for name in workers]
    apply_results(features, config, read_results(folders))
    parts = read_parts(folders)
    describe_run(parts)
    RUN.parallel = how_it_ran(ran)
    totals = write_page(config, features, parts, started, started_clock)
    if config.junit:
        remove_earlier_junit_files(config)
        merge_junit(folders, Path(config.junit_directory))
    shutil.rmtree(scratch, ignore_errors=True)
    return print_summary(features, totals, time.monotonic() - started_clock)


def selected_features(config):
    """The features as behave parses them for these arguments (paths,
    FILE:LINE, exclusions): every worker walks the same."""
    runner = Runner(config)
    with runner.path_manager:
        runner.setup_paths()
        locations = [
            location
            for location in runner.feature_locations()
            if not config.exclude(location.filename)
        ]
    return parse_features(locations, language=config.lang)


def start_workers(phase, count, keys, scratch, behave_args, feature_count, wait_for_list=False):
    """Up to `count` workers for the scenarios `keys`, their lines relayed as
    they come; [(name, process, relay)]. The list of scenarios is written now,
    or by the caller later (write_list) when `wait_for_list`."""
    if not keys:
        return []
    scenarios = scratch / f"{phase}.txt"
    if not wait_for_list:
        write_list(scenarios, keys)
    command = [
        sys.executable,
        "-m",
        "behave",
        "--runner=steps.support.parallel.worker:ClaimingRunner",
        "-D",
        f"{RUN_FOLDER}={scratch.resolve()}",
        "-D",
        f"{ALLOWED}={scenarios.resolve()}",
        *behave_args,
    ]
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    workers = []
    for index in range(1, min(count, len(keys)) + 1):
        name = f"{phase}-{index}"
        start_at = (index - 1) * feature_count // count
        process = subprocess.Popen(
            [*command, "-D", f"{WORKER}={name}", "-D", f"{START_AT}={start_at}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        relay = threading.Thread(target=relay_lines, args=(process.stdout,), daemon=True)
        relay.start()
        workers.append((name, process, relay))
    return workers


def write_list(path, keys):
    """All at once: a worker waiting for the file never reads half of it."""
    partial = path.with_suffix(".partial")
    partial.write_text("\n".join(keys), encoding="utf-8")
    os.replace(partial, path)


def wait_for(workers):
    for _, process, relay in workers:
        process.wait()
        relay.join()


RELAY_LOCK = threading.Lock()


def relay_lines(stream):
    for line in stream:
        if line.startswith("USING RUNNER:"):
            continue
        with RELAY_LOCK:
            sys.stdout.write(line)
            sys.stdout.flush()


def write_page(config, features, parts, started, started_clock):
    """The HTML report for the whole run, to each `html` output (behave.ini's
    reports/report.html and any -f html -o FILE);
    returns behave's totals for it (a SummaryReporter)."""
    pages = [
        Path(outfile)
        for format_name, outfile in zip(config.format or [], config.outfiles or [], strict=False)
        if format_name == "html" and outfile not in (None, "-")
    ] or [SCRATCH / "report.html"]  # behave.ini's html output turned off: still one
    for path in pages:
        path.parent.mkdir(parents=True, exist_ok=True)
    page = HtmlReport(StreamOpener(str(pages[0])), config)
    page.started = page.started.fromtimestamp(started, page.started.tzinfo)
    page.started_clock = started_clock
    build_page(page, features, parts)
    for feature in features:
        page.totals.feature(feature)
    page.totals.compute_summary_sums()
    page.write_page(
        {
            "features": page.totals.feature_summary,
            "scenarios": page.totals.scenario_summary,
            "steps": page.totals.step_summary,
        }
    )
    for path in pages[1:]:  # more html outputs given with -f html -o FILE
        shutil.copyfile(pages[0], path)
    return page.totals


def how_it_ran(ran):
    described = []
    for phase, seconds in ran:
        workers = len(phase.workers)
        on = f"on {workers} worker{'s' if workers > 1 else ''}"
        count = len(phase.keys)
        if phase.name == "together":
            text = f"{count} scenario{'s' if count > 1 else ''} {on}"
        elif phase.name == "timed":
            text = f"{count} that measure{'s' if count == 1 else ''} time {on}"
        else:
            text = f"{count} alone"
        described.append(f"{text} in {duration_text(seconds)}")
    return ", then ".join(described)


def print_summary(features, totals, took):
    failing = [
        scenario
        for feature in features
        for scenario in feature.walk_scenarios()
        if scenario.status.name in FAILED
    ]
    if failing:
        print("\nFailing scenarios:")
        for scenario in failing:
            print(f"  {scenario.location}  {scenario.name}")
    if RUN.stopped:
        print(f"\nA worker stopped before its first scenario: {RUN.stopped}")
    format_summary = select_format_summary_by_name(totals.output_format)
    counts = "; ".join(
        format_summary(kind, summary).strip()
        for kind, summary in (
            ("feature", totals.feature_summary),
            ("scenario", totals.scenario_summary),
            ("step", totals.step_summary),
        )
    )
    print(f"\n{counts}; took {duration_text(took)}: {RUN.parallel}")
    return 1 if failing or RUN.stopped else 0


if __name__ == "__main__":
    sys.exit(main())
