"""The playbook part of ``trajdyn-analyze``: its options, the lint-only run, and the section options it passes on.

Kept apart from :mod:`trajdyn.cli.analyze` so that the command stays thin; nothing here imports polars.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TextIO

from trajdyn.cli._argtypes import positive_int

__all__ = ["add_playbook_arguments", "playbook_extra", "run_lint"]


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


def run_lint(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> tuple[int | None, dict[str, object] | None]:
    """Lint ``--playbook``: (exit code when there is nothing else to do, the lint document for the report)."""
    from trajdyn.analyzer.metrics.playbook._lint import (
        LintConfig,
        lint_playbook,
        lint_to_json,
        render_lint_markdown,
        render_lint_terminal,
    )
    from trajdyn.cli.analyze import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, MAX_ERRORS_SHOWN, _fail
    from trajdyn.exceptions import TrajdynError

    try:
        config = LintConfig.from_file(args.playbook_config) if args.playbook_config else LintConfig()
        if args.allowed_handles:
            handles = tuple(h.strip() for h in args.allowed_handles.split(",") if h.strip())
            config = dataclasses.replace(config, allowed_handles=handles)
        result = lint_playbook(args.playbook, config)
    except (TrajdynError, ValueError, ImportError) as exc:
        return _fail(str(exc), EXIT_USAGE, stderr), None
    if not args.quiet:
        from trajdyn.analyzer.report._escape import plain_text

        for problem in result.problems[:MAX_ERRORS_SHOWN]:
            print(plain_text(problem), file=stderr)
    doc = result.to_dict()
    failed = bool(result.problems) or any(not e.passed for e in result.entries)
    if args.paths:
        if args.strict and result.problems:
            return _fail(f"{result.problems[0]} (--strict)", EXIT_INPUT_ERROR, stderr), None
        return None, doc
    code = EXIT_INPUT_ERROR if args.strict and failed else EXIT_OK
    try:
        if args.out is not None:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "playbook-lint.json").write_text(lint_to_json(result) + "\n", encoding="utf-8")
            (out / "playbook-lint.md").write_text("\n".join(render_lint_markdown(result)), encoding="utf-8")
        if args.json is not None:
            if args.json == "-":
                stdout.write(lint_to_json(result) + "\n")
            else:
                Path(args.json).write_text(lint_to_json(result) + "\n", encoding="utf-8")
        if args.markdown is not None:
            Path(args.markdown).write_text("\n".join(render_lint_markdown(result)), encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write the lint report: {exc}", EXIT_USAGE, stderr), None
    if args.out is None and args.json is None and args.markdown is None:
        from rich.console import Console

        console = Console()
        for renderable in render_lint_terminal(result, width=console.width):
            console.print(renderable)
    return code, None


def playbook_extra(args: argparse.Namespace, lint: dict[str, object] | None) -> dict[str, object]:
    """The playbook section's options (``ReportOptions.extra``) from the command line."""
    extra: dict[str, object] = {}
    for flag, option in (
        ("recent_window", "playbook_recent_window"),
        ("baseline_window", "playbook_baseline_window"),
        ("min_support", "playbook_min_support"),
        ("bootstrap", "playbook_n_boot"),
        ("permutations", "playbook_n_perm"),
        ("seed", "playbook_seed"),
    ):
        value = getattr(args, flag)
        if value is not None:
            extra[option] = value
    if lint is not None:
        extra["playbook_lint"] = lint
    return extra
