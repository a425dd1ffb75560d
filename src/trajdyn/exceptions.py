"""trajdyn's exception hierarchy: one base class, configuration errors are also ``ValueError``."""

from __future__ import annotations


class TrajdynError(Exception):
    """Base class of every error trajdyn raises on purpose."""


class ConfigurationError(TrajdynError, ValueError):
    """A bad argument or setting (an unknown exporter name, a negative interval …)."""


class MissingExtraError(TrajdynError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"{module} is required for this feature: pip install 'trajdyn[{extra}]'")
        self.module = module
        self.extra = extra


class RepeatedProposal(TrajdynError):
    """Raised by a propose call when ``block_repeats=True`` and the (knob, value) pair was already proposed.

    The loop catches it and re-proposes; the refused proposal is recorded as a propose span with
    ``trajdyn.blocked = true``.
    """

    def __init__(self, knob: str, value: str | None, first_iteration: int) -> None:
        super().__init__(f"{knob}={value} was already proposed at iteration {first_iteration}")
        self.knob = knob
        self.value = value
        self.first_iteration = first_iteration


class InputError(TrajdynError):
    """Analyzer input that cannot be read at all (no such file, unknown format)."""
