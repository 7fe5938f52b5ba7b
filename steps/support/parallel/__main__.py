"""The whole suite in parallel: python -m steps.support.parallel [--workers N]
[behave arguments, e.g. --tags=@smoke].

Nearly all of a run is waiting for the server's delays, so the scenarios run
in worker processes at once (worker.py: each its own behave and its own
server, as `behave` alone starts). The scenarios that measure time (tagged
@performance, @delays or @timing) run afterwards in one worker, alone on the
machine as in a `behave` run; so do, when every worker tests the one server
at API_URL, those that need it to themselves (@exclusive, @control). Then
the workers' outputs become one run's: reports/report.html with behave's
totals for the whole run, the JUnit files in reports/junit/, and one summary
line on the console.
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

# Scenarios that measure time: run after the others, one at a time.
ALONE_TAGS = "performance,delays,timing"
# With API_URL set every worker tests that one server, so the scenarios that
# need it to themselves (@control ones change it for every client) join them.
SHARED_SERVER_ALONE_TAGS = "exclusive,control"
# Measured on a 2-core machine (docs/reports.md): more workers wait less
# for the server's delays but fight over the CPU for their starts.
DEFAULT_WORKERS = 8
# The workers' files (claims, parts, JUnit): a folder of its own per run,
# removed once merged.
SCRATCH = Path("reports") / "parallel"
DRY_RUN = {"--dry-run", "-d"}
FAILED = ("failed", "error", "hook_error", "cleanup_error", "untested", "undefined")


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
    default_alone = ALONE_TAGS
    if os.environ.get("API_URL", "").strip():
        default_alone += "," + SHARED_SERVER_ALONE_TAGS
    parser.add_argument(
        "--alone-tags",
        default=default_alone,
        help="scenarios with any of these tags (comma-separated) run after the others, "
        f"one at a time (default {ALONE_TAGS}, with API_URL also "
        f"{SHARED_SERVER_ALONE_TAGS}; empty: none)",
    )
    options, behave_args = parser.parse_known_args(argv)
    alone_tags = {tag.strip().lstrip("@") for tag in options.alone_tags.split(",")} - {""}
    if DRY_RUN & set(behave_args):
        # Nothing runs, so nothing to share out: behave itself.
        return subprocess.call([sys.executable, "-m", "behave", *behave_args])
    started, started_clock = time.time(), time.monotonic()

    config = Configuration(behave_args)
    features = selected_features(config)
    together: list[str] = []
    alone: list[str] = []
    for feature in features:
        for scenario in feature.walk_scenarios():
            if scenario.should_run(config):
                measures_time = alone_tags & set(scenario.effective_tags)
                (alone if measures_time else together).append(scenario_key(scenario))

    SCRATCH.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH))
    (scratch / "claims").mkdir()
    phases: list[tuple[str, int, int, float]] = []
    # The worker of the scenarios run alone starts (its server too) beside the
    # others, and waits for its list, written once they are done.
    crowd = start_workers(
        "together", options.workers, together, scratch, behave_args, len(features)
    )
    alone_worker = start_workers(
        "alone", 1, alone, scratch, behave_args, len(features), wait_for_list=True
    )
    try:
        wait_for(crowd)
        if crowd:
            phases.append(("together", len(together), len(crowd), time.monotonic() - started_clock))
    finally:
        go = time.monotonic()
        write_list(scratch / "alone.txt", alone)
    wait_for(alone_worker)
    if alone_worker:
        phases.append(("alone", len(alone), 1, time.monotonic() - go))
    workers = [name for name, _, _ in crowd + alone_worker]
    folders = [scratch / name for name in workers]
    apply_results(features, config, read_results(folders))
    parts = read_parts(folders)
    describe_run(parts)
    RUN.parallel = how_it_ran(phases)
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


def how_it_ran(phases):
    described = []
    for phase, scenarios, workers, seconds in phases:
        text = f"{scenarios} scenarios on {workers} worker{'s' if workers > 1 else ''}"
        if phase == "alone":
            text += " (one at a time: they measure time or need the server to themselves)"
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
