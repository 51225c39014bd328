"""Environments for the programs tests start as child processes."""

from __future__ import annotations

import os


def killed_child_env() -> dict[str, str]:
    """For a child the test will SIGKILL: headless and not measured by coverage.

    A SIGKILLed process never writes its coverage data, so measuring it only slows its
    start (coverage's start-up hook and tracer add about a third to a kiosk's); what such a
    child runs is measured in the children that end cleanly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    return {**env, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
