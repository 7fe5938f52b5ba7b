"""What the hooks know about the run (which server, which delays, why it
stopped), carried into the HTML report's header."""

from dataclasses import dataclass


@dataclass
class RunDescription:
    """What the hooks know about the run, for the report's header."""

    server: str = "not known yet"
    expected: str = ""
    stopped: str = ""
    # How the parallel runner ran it (steps/support/parallel), if it did.
    parallel: str = ""  # why the run stopped before its first scenario, if it did


RUN = RunDescription()
