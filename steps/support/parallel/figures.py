"""The figures of the scenarios that measure time, from several runs' HTML
reports side by side: python -m steps.support.parallel.figures
[--tags performance,delays,timing] LABEL=REPORT.html ...

For each such scenario: its status and each step's duration in every report;
then the tables the scenarios attached (the 100-order burst's). It shows
whether running beside other scenarios changed what they measured.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from steps.support.parallel.__main__ import ALONE_TAGS, TIMED_TAGS

VOID = {"meta", "br", "img", "input", "link", "hr"}


class _Tree(HTMLParser):
    """The report's page as an ElementTree (it is written with method="html")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = ET.SubElement(self.open[-1], tag, {name: value or "" for name, value in attrs})
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        parent = self.open[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def timing_scenarios(path, tags):
    """{location: (name, status, [(step, seconds)], [attached texts])} of the
    scenarios tagged with one of `tags`."""
    tree = _Tree()
    with open(path, encoding="utf-8") as page:
        tree.feed(page.read())
    found = {}
    suite = next(div for div in tree.root.iter("div") if div.get("class") == "behave")
    feature_tags = ""
    for scenario in suite:
        shown_tags = "".join(tag.text or "" for tag in scenario.findall("span[@class='tag']"))
        if "feature" in scenario.get("class", "").split():
            feature_tags = shown_tags
        if "scenario" not in scenario.get("class", "").split():
            continue
        if not tags & set(re.findall(r"@(\w+)", shown_tags + feature_tags)):
            continue
        title = scenario.find("h3")
        if title is None:
            continue
        location = title.findtext("span[@class='scenario_file']") or ""
        name = title.findtext("span[@class='val']") or ""
        steps = []
        for step in scenario.iter("li"):
            words = step.find("div/span[@class='step val']")
            text = " ".join("".join(words.itertext()).split()) if words is not None else ""
            duration = step.findtext("div/small[@class='step_duration']") or ""
            steps.append((text, duration.strip("()")))
        attached = [
            "".join(pre.itertext())
            for holder in scenario.iter("span")
            if holder.get("class") == "attachment"
            for pre in holder.findall("pre")
        ]
        found[location] = (name, title.get("class", ""), steps, attached)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m steps.support.parallel.figures")
    parser.add_argument("--tags", default=f"{TIMED_TAGS},{ALONE_TAGS}")
    parser.add_argument("reports", nargs="+", metavar="LABEL=REPORT.html")
    options = parser.parse_args(argv)
    tags = {tag.strip().lstrip("@") for tag in options.tags.split(",")}
    runs = [report.split("=", 1) for report in options.reports]
    found = [(label, timing_scenarios(path, tags)) for label, path in runs]
    labels = "".join(f"{label:>14}" for label, _ in found)
    for location in sorted({key for _, scenarios in found for key in scenarios}):
        name = next(scenarios[location][0] for _, scenarios in found if location in scenarios)
        print(f"\n{location}  {name}")
        print(f"{'':<70}{labels}")
        rows = max(len(scenarios.get(location, ("", "", []))[2]) for _, scenarios in found)
        for row in range(rows):
            step = next(
                scenarios[location][2][row][0]
                for _, scenarios in found
                if location in scenarios and row < len(scenarios[location][2])
            )
            cells = "".join(
                f"{scenarios[location][2][row][1] if location in scenarios else '-':>14}"
                for _, scenarios in found
            )
            print(f"  {step[:68]:<68}{cells}")
        print(
            f"  {'status':<68}"
            + "".join(
                f"{scenarios[location][1] if location in scenarios else 'not run':>14}"
                for _, scenarios in found
            )
        )
        for label, scenarios in found:
            for text in scenarios.get(location, ("", "", [], []))[3]:
                if "\n" in text:
                    print(f"\n  [{label}]\n" + "\n".join("  " + line for line in text.splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
