"""The program a shell command runs: the action of a coding agent's ``bash`` turn (SWE-agent, mini-swe-agent)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["EMPTY_COMMAND", "command_word"]

EMPTY_COMMAND: Final = "(empty)"
"""The action of a turn whose command is empty (the model produced no command)."""
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


def command_word(command: str) -> str:
    """The first word of ``command`` after leading ``VAR=value`` assignments (``PYTHONPATH=. pytest -x`` → ``pytest``,
    ``cd ../tests && touch x`` → ``cd``); :data:`EMPTY_COMMAND` for an empty command.

    A coding agent's tool is nearly always ``bash``: the program is what varies from turn to turn, so it is the action
    the dynamics see (the tool name stays an attribute)."""
    words = command.split()
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words[0] if words else EMPTY_COMMAND
