"""``trajdyn-analyze``: the command line, thin over :func:`trajdyn.analyzer.analyze.analyze`.

Exit codes (also in ``--help`` and ``docs/cli.md``)::

    0  success (input problems, if any, were reported and the rest analysed)
    1  --strict and an input problem
    2  usage error, or nothing readable (no spans or benchmark results in any input)
    3  --fail-on-regression and a group's trends verdict is regression
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from trajdyn.analyzer._argtypes import non_negative_int, non_negative_number, positive_int, shuffle_count
from trajdyn.analyzer._playbook_cli import add_playbook_arguments, playbook_extra, run_lint

if TYPE_CHECKING:
    from trajdyn.analyzer.report import Report

__all__ = [
    "EXIT_INPUT_ERROR",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_USAGE",
    "main",
]

EXIT_OK: Final = 0
EXIT_INPUT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_REGRESSION: Final = 3
"""``--fail-on-regression`` and at least one group of the ``trends`` section has the verdict ``regression``."""

MAX_ERRORS_SHOWN: Final = 20
PROG: Final = "trajdyn-analyze"
DEFAULT_HTML_DETAIL: Final = 20

_EPILOG = """\
exit codes:
  0  success (input problems, if any, were reported on stderr and everything else analysed)
  1  --strict and an input problem (lint only: also an entry failing a gate)
  2  usage error, or nothing readable (no spans or benchmark results in any input)
  3  --fail-on-regression and a group's trends verdict is regression (the report is still written)

examples:
  trajdyn-analyze trajdyn-out/spans.jsonl
  trajdyn-analyze runs/ --out report/
  trajdyn-analyze runs/ --html report.html --html-detail 50
  trajdyn-analyze trajectory.jsonl --menu perturbation_menu.json --json -
  trajdyn-analyze sessions.jsonl --compare-to last/report.json --out report/
  trajdyn-analyze --playbook entries.yaml --allowed-handles 'logs.search,data.query*'
  trajdyn-analyze pinchbench-results/ --group-by dir --fail-on-regression
  trajdyn-analyze tau-bench-gpt-4o-airline.json --embeddings minilm --out report/
"""


_positive_int = positive_int
_eta = non_negative_number()
_min_effect = non_negative_number("percentage points >= 0")
_shuffles = shuffle_count


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the documentation test)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Analyse trajdyn span dumps (OTLP/JSON) and foreign loop logs: per-trajectory exploration "
        "coverage and temporal dynamics, per-task sensitivity, regression trends across runs, playbook impact and "
        "learning-key reports; lint playbook entries. With no output option the report is printed to the terminal.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="span files (.jsonl, .json, .gz), directories, globs or - (stdin); optional with --playbook (lint only)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the JSON report to FILE (- for stdout: JSON only)")
    parser.add_argument("--markdown", metavar="FILE", help="write the Markdown report to FILE")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write report.json, report.md and report.html (with the html extra) into DIR",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the HTML report to FILE: one offline page with charts (needs the html extra)",
    )
    parser.add_argument(
        "--html-detail",
        type=non_negative_int,
        default=DEFAULT_HTML_DETAIL,
        metavar="N",
        help=f"trajectories with a detail article in the HTML report, the most interesting first (default "
        f"{DEFAULT_HTML_DETAIL})",
    )
    parser.add_argument(
        "--window", type=_positive_int, default=10, metavar="N", help="iterations per repeat-rate window (default 10)"
    )
    parser.add_argument(
        "--eta",
        type=_eta,
        default=0.0,
        metavar="X",
        help="relative improvement threshold of the plateau metrics (default 0)",
    )
    parser.add_argument("--strict", action="store_true", help="stop with exit code 1 at the first input problem")
    parser.add_argument("--quiet", action="store_true", help="do not list input problems on stderr")
    parser.add_argument(
        "--format",
        metavar="FMT",
        dest="fmt",
        help="import every input file as this foreign log format (default: detect)",
    )
    parser.add_argument(
        "--menu", metavar="FILE", help="knob menu file (for imported logs and trajectories without a menu)"
    )
    parser.add_argument(
        "--compare-to",
        metavar="REPORT",
        help="an earlier JSON report (trajdyn.report/1): sections that support it add deltas against it",
    )
    parser.add_argument(
        "--group-by",
        metavar="KEY",
        default="model",
        help="trends: group runs by this key: model (gen_ai.request.model, default), agent, provider, task, dir "
        "(a result file's directory), benchmark_version, suite, none, ...",
    )
    parser.add_argument(
        "--min-effect",
        type=_min_effect,
        default=2.0,
        metavar="PP",
        help="trends: smallest change that counts, in percentage points of the score (and %% of cost/tokens; "
        "default 2)",
    )
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help=f"exit with code {EXIT_REGRESSION} when a group's trends verdict is regression",
    )
    parser.add_argument(
        "--embeddings",
        choices=("hashing", "minilm"),
        default="hashing",
        help="turn embeddings of the dynamics metrics: hashing (default, no model) or minilm (extra 'embeddings')",
    )
    parser.add_argument(
        "--embeddings-device", metavar="DEV", help="device of --embeddings minilm (cpu, cuda, …; default: automatic)"
    )
    parser.add_argument(
        "--dynamics-window",
        type=_positive_int,
        default=10,
        metavar="W",
        help="turns per windowed-entropy window (default 10)",
    )
    parser.add_argument(
        "--shuffles",
        type=_shuffles,
        default=100,
        metavar="N",
        help="shuffled copies behind the LZ76 and laminarity z-scores (default 100; 0 turns them off)",
    )
    parser.add_argument(
        "--sections",
        metavar="LIST",
        help="comma-separated report sections to compute, in report order (default: all: exploration, dynamics, "
        "sensitivity, playbook, trends); e.g. --sections exploration,trends skips the dynamics analysis",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    add_playbook_arguments(parser)
    return parser


def _fail(message: str, code: int, stderr: TextIO) -> int:
    from trajdyn.analyzer.report._escape import plain_text

    print(f"{PROG}: error: {plain_text(message)}", file=stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trajdyn-analyze``; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    stdout, stderr = sys.stdout, sys.stderr
    if not args.paths and args.playbook is None:
        return _fail("give at least one PATH (or --playbook FILE to lint playbook entries)", EXIT_USAGE, stderr)
    if (args.playbook_config or args.allowed_handles) and args.playbook is None:
        return _fail("--playbook-config and --allowed-handles need --playbook FILE", EXIT_USAGE, stderr)
    if args.html is not None:
        if not args.paths:
            return _fail(
                "--html needs a PATH to report on (the playbook lint alone has no HTML view)", EXIT_USAGE, stderr
            )
        from trajdyn.analyzer.report.html._page import html_available

        if not html_available():  # said before the analysis, not after it
            return _fail(
                "--html needs vl-convert-python (it draws the charts): pip install 'trajdyn[html]'", EXIT_USAGE, stderr
            )
    lint_doc: dict[str, object] | None = None
    if args.playbook is not None:
        try:
            code, lint_doc = run_lint(args, stdout, stderr)
        except ImportError as exc:  # rich missing: MissingExtraError names the extra
            return _fail(str(exc), EXIT_USAGE, stderr)
        if code is not None:
            return code
    try:
        from trajdyn.analyzer import InputParseError
        from trajdyn.analyzer.analyze import analyze
        from trajdyn.analyzer.report import render_markdown, render_terminal, report_to_json
        from trajdyn.analyzer.report._trends import OPTION_GROUP_BY, OPTION_MIN_EFFECT, regressions
    except ImportError as exc:  # MissingExtraError included
        return _fail(str(exc), EXIT_USAGE, stderr)
    from trajdyn.exceptions import TrajdynError

    chosen = None
    if args.sections is not None:
        from trajdyn.analyzer.report import registered_sections

        known = {section.name: section for section in registered_sections()}
        wanted = [n.strip() for n in args.sections.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in known]
        if unknown or not wanted:
            return _fail(
                f"--sections: unknown section(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                f"known: {', '.join(known)}",
                EXIT_USAGE,
                stderr,
            )
        chosen = [section for name, section in known.items() if name in wanted]
    extra: dict[str, object] = {
        "dynamics_window": args.dynamics_window,
        "shuffles": args.shuffles,
    }
    try:
        from trajdyn.analyzer.embeddings import get_embedder

        # built before reading the inputs, so that a missing extra is reported at once
        extra["embeddings"] = get_embedder(args.embeddings, device=args.embeddings_device)
    except (TrajdynError, ImportError) as exc:
        return _fail(str(exc), EXIT_USAGE, stderr)
    try:
        report = analyze(
            args.paths,
            window=args.window,
            eta=args.eta,
            strict=args.strict,
            fmt=args.fmt,
            menu=args.menu,
            progress=False if args.no_progress else None,
            compare_to=args.compare_to,
            sections=chosen,
            extra={
                **extra,
                **playbook_extra(args, lint_doc),
                OPTION_GROUP_BY: args.group_by,
                OPTION_MIN_EFFECT: args.min_effect,
            },
        )
    except InputParseError as exc:
        return _fail(f"{exc} (--strict)", EXIT_INPUT_ERROR, stderr)
    except (TrajdynError, ValueError, OSError) as exc:
        return _fail(str(exc), EXIT_USAGE, stderr)

    from trajdyn.analyzer.report._escape import plain_text

    if report.errors and not args.quiet:
        for error in report.errors[:MAX_ERRORS_SHOWN]:  # data in the messages: shown inert (control characters)
            print(plain_text(f"{error['path']}:{error['line']}: {error['message']}"), file=stderr)
        if len(report.errors) > MAX_ERRORS_SHOWN:
            print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more input problems", file=stderr)
    total_spans = sum(i["spans"] for i in report.inputs if isinstance(i["spans"], int))
    if total_spans == 0 and not report.blocks.get("trends"):
        return _fail("nothing readable: no spans or benchmark results in the inputs", EXIT_USAGE, stderr)

    try:
        if args.out is not None:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "report.json").write_text(report_to_json(report) + "\n", encoding="utf-8")
            (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
            _write_artifacts(report, out)
            _write_html(report, out / "report.html", args.html_detail, stderr, optional=True)
        if args.json is not None:
            if args.json == "-":
                stdout.write(report_to_json(report) + "\n")
            else:
                Path(args.json).write_text(report_to_json(report) + "\n", encoding="utf-8")
        if args.markdown is not None:
            Path(args.markdown).write_text(render_markdown(report), encoding="utf-8")
        if args.html is not None:
            _write_html(report, Path(args.html), args.html_detail, stderr, optional=False)
    except OSError as exc:
        return _fail(f"cannot write the report: {exc}", EXIT_USAGE, stderr)
    if args.out is None and args.json is None and args.markdown is None and args.html is None:
        render_terminal(report)
    if args.fail_on_regression:
        worse = regressions(report)
        if worse:
            names = ", ".join(f"{g['group_by']}={g['group']}" for g in worse)
            print(plain_text(f"{PROG}: regression in {len(worse)} group(s): {names}"), file=stderr)
            return EXIT_REGRESSION
    return EXIT_OK


def _write_html(report: Report, path: Path, detail: int, stderr: TextIO, *, optional: bool) -> None:
    """Write the HTML report to ``path``; ``optional`` (``--out``): without the html extra, say so on stderr and skip."""
    from trajdyn.analyzer.report.html import HtmlOptions, html_available, render_html

    if optional and not html_available():
        print(f"{PROG}: {path.name} not written: it needs vl-convert-python: pip install 'trajdyn[html]'", file=stderr)
        return
    path.write_text(render_html(report, HtmlOptions(detail=detail)), encoding="utf-8")


def _write_artifacts(report: Report, out: Path) -> None:
    """Each section's extra files (``ReportSection.artifacts``) under ``out``; unsafe relative paths are refused."""
    root = out.resolve()
    for section in report.sections:
        for relative, text in section.artifacts(report).items():
            target = (out / relative).resolve()
            if Path(relative).is_absolute() or root not in target.parents:
                raise OSError(f"section {section.name!r} asked to write outside {out}: {relative!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
