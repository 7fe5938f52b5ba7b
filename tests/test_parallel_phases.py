"""Which phase of a parallel run a scenario goes to, by its tags
(`steps/support/parallel/__main__.py`)."""

from __future__ import annotations

import pytest

from steps.support.parallel.__main__ import (
    ALONE_TAGS,
    SHARED_SERVER_ALONE_TAGS,
    TIMED_TAGS,
    Phase,
    phase_for,
    tag_set,
)


def phases(timed: str = TIMED_TAGS, alone: str = ALONE_TAGS) -> list[Phase]:
    return [
        Phase("together", None, 12),
        Phase("timed", tag_set(timed), 4),
        Phase("alone", tag_set(alone), 1),
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([], "together"),
        (["smoke", "negative"], "together"),
        (["delays"], "timed"),
        (["smoke", "timing"], "timed"),
        (["performance"], "alone"),
        (["timing", "performance"], "alone"),
        (["exclusive"], "together"),  # each worker has a server of its own
    ],
)
def test_the_default_phases(tags: list[str], expected: str) -> None:
    assert phase_for(phases(), tags).name == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["exclusive"], "alone"),
        (["control", "timing"], "alone"),
        (["delays"], "timed"),
    ],
)
def test_against_one_shared_server(tags: list[str], expected: str) -> None:
    shared = phases(alone=f"{ALONE_TAGS},{SHARED_SERVER_ALONE_TAGS}")
    assert phase_for(shared, tags).name == expected


def test_no_timed_tags_runs_them_with_the_crowd() -> None:
    assert phase_for(phases(timed="", alone=""), ["timing", "performance"]).name == "together"


def test_tags_are_read_as_behave_writes_them() -> None:
    assert tag_set(" @delays, timing,,") == {"delays", "timing"}
