"""The playbook part of ``trajdyn-analyze``: its flags, the lint-only mode, and the playbook section's options.

Kept apart from :mod:`trajdyn.cli.analyze` so that the command stays thin; both write through :mod:`._output`
(docs/cli.md, "Lint only").
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, TextIO

from trajdyn.cli._argtypes import positive_int
from trajdyn.cli._output import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, Document, Targets, emit, fail, print_problems

if TYPE_CHECKING:
    from trajdyn.analyzer import LintResult

__all__ = ["add_playbook_arguments", "playbook_options", "run_lint"]

_IMPACT_FLAGS = (
    ("recent_window", "recent_window"),
    ("baseline_window", "baseline_window"),
    ("min_support", "min_support"),
    ("bootstrap", "n_boot"),
    ("permutations", "n_perm"),
    ("seed", "seed"),
)
"""(argparse dest, PlaybookOptions field) of the impact report's flags."""


def add_playbook_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``playbook`` argument group: the linter's inputs and the impact report's options."""
    playbook = parser.add_argument_group("playbook (impact report and entry linter)")
    playbook.add_argument(
        "--playbook",
        metavar="FILE",
        help="lint the playbook entries in FILE (.json, .jsonl, .yaml); without PATHs only the lint is reported",
    )
    playbook.add_argument(
        "--playbook-config", metavar="FILE", help="linter settings: JSON/YAML, Atlas's learning block or flat names"
    )
    playbook.add_argument(
        "--allowed-handles",
        metavar="LIST",
        help="comma-separated allowed runtime handles for the linter (a trailing * makes a prefix)",
    )
    playbook.add_argument(
        "--recent-window", type=positive_int, metavar="N", help="sessions of the recent reward window (default 10)"
    )
    playbook.add_argument(
        "--baseline-window",
        type=positive_int,
        metavar="N",
        help="sessions of the baseline window just before the recent one (default 50)",
    )
    playbook.add_argument(
        "--min-support", type=positive_int, metavar="N", help="sessions per arm below which an entry is flagged (5)"
    )
    playbook.add_argument("--bootstrap", type=positive_int, metavar="B", help="bootstrap resamples (default 2000)")
    playbook.add_argument("--permutations", type=positive_int, metavar="B", help="permutations (default 2000)")
    playbook.add_argument("--seed", type=int, metavar="N", help="seed of the bootstrap and permutations (default 0)")


def run_lint(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> tuple[int | None, LintResult | None]:
    """Lint ``--playbook``: (the exit code when there is nothing else to do, the lint result for the report)."""
    from trajdyn.analyzer import LintConfig, lint_playbook
    from trajdyn.analyzer.report import lint_to_json, render_lint_markdown, render_lint_terminal
    from trajdyn.exceptions import TrajdynError

    try:
        config = LintConfig.from_file(args.playbook_config) if args.playbook_config else LintConfig()
        if args.allowed_handles:
            handles = tuple(h.strip() for h in args.allowed_handles.split(",") if h.strip())
            config = dataclasses.replace(config, allowed_handles=handles)
        result = lint_playbook(args.playbook, config)
    except (TrajdynError, ValueError, ImportError) as exc:
        return fail(str(exc), EXIT_USAGE, stderr), None
    if not args.quiet:
        print_problems(result.problems, stderr, what="malformed playbook entries")
    if args.paths:
        if args.strict and result.problems:
            return fail(f"{result.problems[0]} (--strict)", EXIT_INPUT_ERROR, stderr), None
        return None, result
    failed = bool(result.problems) or any(not e.passed for e in result.entries)

    def terminal() -> None:
        from rich.console import Console

        console = Console()
        for renderable in render_lint_terminal(result, width=console.width):
            console.print(renderable)

    document = Document(
        stem="playbook-lint",
        what="lint report",
        json_text=lambda: lint_to_json(result),
        markdown_text=lambda: "\n".join(render_lint_markdown(result)),
        terminal=terminal,
    )
    targets = Targets(json=args.json, markdown=args.markdown, out=args.out)
    code = emit(document, targets, stdout=stdout, stderr=stderr)
    if code is not None:
        return code, None
    return (EXIT_INPUT_ERROR if args.strict and failed else EXIT_OK), None


def playbook_options(args: argparse.Namespace, lint: LintResult | None) -> list[object]:
    """The playbook section's options from the command line: a ``PlaybookOptions`` of the flags given (the others
    keep their defaults) and the lint result, when there are any."""
    from trajdyn.analyzer import PlaybookOptions

    given = {name: getattr(args, dest) for dest, name in _IMPACT_FLAGS if getattr(args, dest) is not None}
    out: list[object] = [PlaybookOptions(**given)] if given else []
    if lint is not None:
        out.append(lint)
    return out
