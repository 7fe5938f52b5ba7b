"""`python -m bench`: run every benchmark, print the table, record the results.

    python -m bench            # the full run (~3 min); rewrites bench/RESULTS.md
    python -m bench --quick    # fewer rounds and smaller loads, for iterating
    python -m bench --only http,fanout

Every run writes bench/results/<time>.json and .md (not committed); a full
run of every section also rewrites bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata

from . import fanout, http, redis, scale, scenario, stall
from .common import BENCH, CLIENT_CORE, RESULTS_DIR, ROOT, pin_self_to

SECTIONS = ("http", "fanout", "stall", "scenario", "scale", "redis")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller loads")
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, help="HTTP rounds (default 5, quick 2)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk run (default 5, quick 2)")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite bench/RESULTS.md")
    args = parser.parse_args(argv)
    sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    pin_self_to(CLIENT_CORE)
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass

    quick = args.quick
    results: dict = {"environment": environment(), "quick": quick, "sections": sections}
    started = time.monotonic()
    steps = {
        "http": lambda: http.run(
            args.rounds or (2 if quick else 5), args.seconds or (2 if quick else 5), log
        ),
        "fanout": lambda: fanout.run(bursts=2 if quick else 5),
        "stall": lambda: stall.run(orders=15_000 if quick else 40_000),
        "scenario": lambda: scenario.run(repeats=1 if quick else 3),
        "scale": lambda: scale.run(sizes=(1_000, 10_000, 30_000) if quick else scale.SIZES),
        "redis": lambda: redis.run(
            rounds=args.rounds or (2 if quick else 3),
            seconds=args.seconds or (2 if quick else 5),
            bursts=2 if quick else 3,
            log=log,
        ),
    }
    for section in sections:
        log(f"== {section}")
        results[section] = steps[section]()
    results["elapsed_s"] = time.monotonic() - started
    table = render(results)
    print()
    print(table)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    report = markdown(results, table)
    (RESULTS_DIR / f"{stamp}.md").write_text(report)
    if not quick and not args.only and not args.no_write and not args.rounds and not args.seconds:
        (BENCH / "RESULTS.md").write_text(report)
        log("wrote bench/RESULTS.md")
    log(f"wrote bench/results/{stamp}.json and .md ({results['elapsed_s']:.0f} s)")
    return 0


def log(message: str) -> None:
    print(message, flush=True)


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def environment() -> dict:
    def package(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo") as info:
            memory = f"{int(info.readline().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = _version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "trading_server"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (trading_server/ modified)" if dirty else ""),
        "python": platform.python_version(),
        "sanic": package("sanic"),
        "websockets": package("websockets"),
        "uvloop": package("uvloop"),
        "wrk": _version(["wrk", "--version"]).split(" [")[0],
        "kernel": platform.release(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
    }


def _check(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, verdict) for every figure of the run."""
    out = []
    if "http" in results:
        h = results["http"]
        for name, ratio_target in (("POST /orders", 0.6), ("GET /orders/{orderId}", 0.9)):
            s = h[name]["summary"]
            low, high = s["ratio_per_cpu_s_range"]
            out += [
                (
                    f"{name}: req/s (hello-world)",
                    f"{s['rps']:,.0f} ({s['hello_rps']:,.0f}), ×{s['ratio_rps']:.2f}",
                    "",
                    "",
                ),
                (
                    f"{name}: req per server CPU-s (hello-world)",
                    f"{s['per_cpu_s']:,.0f} ({s['hello_per_cpu_s']:,.0f}), "
                    f"**×{s['ratio_per_cpu_s']:.2f}** "
                    f"(rounds {low:.2f}–{high:.2f})",
                    f"≥ ×{ratio_target}",
                    _check(s["ratio_per_cpu_s"] >= ratio_target),
                ),
                (
                    f"{name}: p50 / p99 ms (hello-world)",
                    f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f} "
                    f"({s['hello_p50_ms']:.2f} / {s['hello_p99_ms']:.2f}), "
                    f"p99 ×{s['ratio_p99']:.2f}",
                    "p99 ≤ ×2",
                    _check(s["ratio_p99"] <= 2),
                ),
            ]
            if s["errors"]:
                out.append((f"{name}: wrk errors", str(s["errors"]), "0", _check(False)))
    if "fanout" in results:
        for subscribers, f in results["fanout"].items():
            big = int(subscribers) >= 1000
            out += [
                (
                    f"fan-out to {subscribers}: delivered",
                    f"{f['delivered']:,} / {f['expected']:,}",
                    "all",
                    _check(f["delivered"] == f["expected"]),
                ),
                (
                    f"fan-out to {subscribers}: latency p50 / p99 / max ms",
                    f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f}",
                    "p99 ≤ 20" if big else "",
                    _check(f["p99_ms"] <= 20) if big else "",
                ),
                (
                    f"fan-out to {subscribers}: messages/s in a burst",
                    f"{f['messages_per_s']:,.0f}",
                    "≥ 80,000" if big else "",
                    _check(f["messages_per_s"] >= 80_000) if big else "",
                ),
                (
                    f"fan-out to {subscribers}: server CPU µs per message",
                    f"{f['cpu_us_per_message']:.2f}",
                    "≤ 10" if big else "",
                    _check(f["cpu_us_per_message"] <= 10) if big else "",
                ),
            ]
    if "stall" in results:
        c, s = results["stall"]["control"], results["stall"]["stalled"]
        out += [
            (
                "stalled client: events reaching each reader",
                f"{s['min_received_share']:.1%} of {s['events_per_reader']:,}",
                "100%",
                _check(s["min_received_share"] == 1),
            ),
            (
                "stalled client: readers' p99 ms (without the stalled client)",
                f"{s['reader_p99_ms']:.1f} ({c['reader_p99_ms']:.1f})",
                "unchanged",
                "",
            ),
            (
                "stalled client: slowest POST ms (without)",
                f"{s['post_max_ms']:.0f} ({c['post_max_ms']:.0f})",
                "no POST hangs (< 1000)",
                _check(s["post_max_ms"] < 1000),
            ),
            (
                "stalled client: dropped, as the server logged it",
                (
                    f"after {s['dropped_after_s']:.1f} s: {s['drop_log']}"
                    if s["dropped"]
                    else "not dropped"
                ),
                "≤ 1 MB or ≤ 1,000 events queued",
                _check(s["dropped"]),
            ),
            (
                "stalled client: events it got before the drop; close code",
                f"{s['silent_received']:,}; {s['silent_close_code']}",
                "",
                "",
            ),
            (
                "stalled client: server RSS growth MB (without)",
                f"{s['rss_max_mb'] - s['rss_before_mb']:.1f} "
                f"({c['rss_max_mb'] - c['rss_before_mb']:.1f})",
                "flat: ≈ without",
                _check(
                    s["rss_max_mb"] - s["rss_before_mb"] <= c["rss_max_mb"] - c["rss_before_mb"] + 8
                ),
            ),
        ]
    if "scenario" in results:
        runs = results["scenario"]["runs"]
        out += [
            (
                "100 orders, default delays: wall time to place, s (each run)",
                ", ".join(f"{run['wall_s']:.3f}" for run in runs),
                "≤ 1.15",
                _check(results["scenario"]["wall_s_max"] <= 1.15),
            ),
            (
                "100 orders: execution delay min / mean / max s",
                " · ".join(
                    f"{r['delay_min_s']:.2f} / {r['delay_mean_s']:.2f} / {r['delay_max_s']:.2f}"
                    for r in runs
                ),
                "within 1.5–3.0",
                _check(all(r["delay_min_s"] >= 1.5 and r["delay_max_s"] <= 3.0 for r in runs)),
            ),
            (
                "100 orders: client-measured delay error, mean / mean abs / max abs, ms",
                " · ".join(
                    f"{r['error_mean_ms']:+.2f} / {r['error_mean_abs_ms']:.2f} / "
                    f"{r['error_max_abs_ms']:.2f}"
                    for r in runs
                ),
                "mean ≤ 5",
                _check(all(abs(r["error_mean_ms"]) <= 5 for r in runs)),
            ),
        ]
    if "scale" in results:
        s = results["scale"]
        out.append(
            (
                "memory per stored order, bytes (RSS)",
                f"{s['bytes_per_order']:.0f}",
                "≤ 1,024",
                _check(s["bytes_per_order"] <= 1024),
            )
        )
        for size, figures in s["sizes"].items():
            top = int(size) >= 100_000
            out.append(
                (
                    f"GET /orders at {int(size):,} orders, ms (median; max)",
                    f"{figures['get_orders_ms']:.0f}; {figures['get_orders_max_ms']:.0f}",
                    "< 1000" if top else "",
                    _check(figures["get_orders_ms"] < 1000) if top else "",
                )
            )
    if "redis" in results:
        r = results["redis"]
        for name in ("POST /orders", "GET /orders/{orderId}"):
            s = r["http"][name]["summary"]
            out += [
                (
                    f"Redis store {name}: req per server CPU-s (memory store)",
                    f"{s['per_cpu_s']:,.0f} ({s['memory_per_cpu_s']:,.0f}): a request costs "
                    f"**×{s['cost_ratio']:.2f}** the server CPU",
                    "≤ ×2",
                    _check(s["cost_ratio"] <= 2),
                ),
                (
                    f"Redis store {name}: Redis's own CPU µs per request",
                    f"{s['redis_us_per_request']:.1f}",
                    "",
                    "",
                ),
                (
                    f"Redis store {name}: req/s, p99 ms (memory store)",
                    f"{s['rps']:,.0f}, {s['p99_ms']:.2f} "
                    f"({s['memory_rps']:,.0f}, {s['memory_p99_ms']:.2f})",
                    "",
                    "",
                ),
            ]
        f = r["fanout"]
        out += [
            (
                "Redis store, 2 workers: fan-out to 1000, delivered",
                f"{f['delivered']:,} / {f['expected']:,}",
                "all",
                _check(f["delivered"] == f["expected"]),
            ),
            (
                "Redis store, 2 workers: fan-out to 1000, latency p50 / p99 / max ms",
                f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f}",
                "p99 ≤ 50",
                _check(f["p99_ms"] <= 50),
            ),
        ]
        sc = r["scenario"]
        out += [
            (
                "Redis store, 2 workers: 100 orders, wall time to place s; "
                "execution delay min / max s",
                f"{sc['wall_s']:.3f}; {sc['delay_min_s']:.2f} / {sc['delay_max_s']:.2f}",
                "≤ 1.15; within 1.5–3.0",
                _check(
                    sc["wall_s"] <= 1.15 and sc["delay_min_s"] >= 1.5 and sc["delay_max_s"] <= 3.0
                ),
            ),
            (
                "Redis: memory per order, bytes (used_memory)",
                f"{r['memory']['bytes_per_order']:.0f} (over {r['memory']['orders']:,} orders)",
                "",
                "",
            ),
        ]
    return out


def render(results: dict) -> str:
    lines = ["| figure | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def markdown(results: dict, table: str) -> str:
    env = results["environment"]
    h = results.get("http")
    setup = [
        f"- Date: {env['date']}; commit {env['commit']}",
        f"- Machine: {env['cpu']}, {env['cores']} cores, {env['memory']}; "
        f"Linux {env['kernel']}; shared and noisy",
        f"- Versions: Python {env['python']}, Sanic {env['sanic']}, "
        f"websockets {env['websockets']}, uvloop {env['uvloop']}, {env['wrk']}",
        "- Servers started by the bench with `--response-delay 0,0 --execution-delay 0,0 --quiet` "
        "(the 100-order scenario: default delays), pinned to core 0; wrk and the clients on core 1",
    ]
    if h:
        setup.append(
            f"- HTTP: {h['rounds']} rounds of {h['seconds']:g} s per endpoint, hello-world then "
            f"the trading server in each round, wrk -t1 -c{h['connections']}; ratios are "
            "medians of per-round ratios"
        )
    setup.append(
        f"- Whole run: {results['elapsed_s']:.0f} s{' (--quick)' if results['quick'] else ''}"
    )
    return (
        "# Benchmark results\n\n"
        "Produced by `python -m bench` (see [bench/README.md](README.md)); do not edit by hand.\n\n"
        + "\n".join(setup)
        + "\n\n"
        + table
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(main())
