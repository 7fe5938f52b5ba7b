"""What the HTML report says of a feature's description and of a failure."""

import traceback
from pathlib import Path

from behave_html_formatter.html import _valid_XML_char_ordinal

# The suite's own code: the frames of a traceback worth showing.
SUITE_ROOT = Path(__file__).resolve().parents[3]


def paragraphs(statement):
    """The statement's description split where its source has blank lines
    (behave's parser drops them)."""
    lines = list(statement.description)
    try:
        source = Path(statement.location.filename).read_text(encoding="utf-8").splitlines()
    except OSError:
        return [lines]
    paragraphs: list[list[str]] = []
    current: list[str] = []
    position = statement.location.line
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


def failure_text(step_or_scenario):
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


def xml_safe(text):
    return "".join(char for char in text if _valid_XML_char_ordinal(ord(char)))
