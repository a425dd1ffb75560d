"""``trajdyn-analyze``: the command line, thin over :func:`trajdyn.analyzer.analyze` (docs/cli.md).

Exit codes (also in ``--help`` and ``docs/cli.md``)::

    0  success (input problems, if any, were reported and the rest analysed)
    1  --strict and an input problem
    2  usage error, or nothing readable (no spans, benchmark results or sweep summaries in any input)
    3  --fail-on-regression and a group's trends verdict is regression
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from trajdyn.cli._argtypes import non_negative_int, non_negative_number, positive_int, shuffle_count
from trajdyn.cli._output import (
    EXIT_INPUT_ERROR,
    EXIT_OK,
    EXIT_REGRESSION,
    EXIT_USAGE,
    PROG,
    Document,
    Targets,
    emit,
    fail,
    print_problems,
)
from trajdyn.cli._playbook import add_playbook_arguments, playbook_options, run_lint

if TYPE_CHECKING:
    from typing import TextIO

    from trajdyn.analyzer import LintResult, Report
    from trajdyn.analyzer.report import ReportSection
    from trajdyn.analyzer.report.html import HtmlOptions

__all__ = [
    "EXIT_INPUT_ERROR",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

HTML_DETAIL_DEFAULT: Final = 20
"""``HtmlOptions().detail``, named in ``--help`` without importing the report package (a test checks the two agree)."""

_EPILOG = """\
exit codes:
  0  success (input problems, if any, were reported on stderr and everything else analysed)
  1  --strict and an input problem (lint only: also an entry failing a gate)
  2  usage error, or nothing readable (no spans, benchmark results or sweep summaries in any input)
  3  --fail-on-regression and a group's trends verdict is regression (the report is still written)

examples:
  trajdyn-analyze trajdyn-out/spans.jsonl
  trajdyn-analyze runs/ --out report/
  trajdyn-analyze runs/ --html report.html --html-detail 50
  trajdyn-analyze trajectory.jsonl --menu perturbation_menu.json --json -
  trajdyn-analyze sessions.jsonl --compare-to last/report.json --out report/
  trajdyn-analyze --playbook entries.yaml --allowed-handles 'logs.search,data.query*'
  trajdyn-analyze pinchbench-results/ --group-by dir --fail-on-regression
  trajdyn-analyze sweep_20260420_051055.json --sweep-default decay_rate=0.5
  trajdyn-analyze tau-bench-gpt-4o-airline.json --embeddings minilm --out report/
  trajdyn-analyze pinchbench/ --profile workload.yaml --out report/
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
    parser.add_argument(
        "--markdown", metavar="FILE", help="write the Markdown report to FILE (- for stdout: Markdown only)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write report.json, report.md and report.html (with the html extra) into DIR",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the HTML report to FILE (- for stdout: HTML only): one offline page with charts (needs the html "
        "extra)",
    )
    parser.add_argument(
        "--html-detail",
        type=non_negative_int,
        metavar="N",
        help=f"trajectories with a detail article in the HTML report, the most interesting first (default "
        f"{HTML_DETAIL_DEFAULT})",
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
        "--labels",
        metavar="FILE",
        help="SWE-bench results or report file: its resolved labels become the rewards of imported runs",
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
        "--sweep-objective",
        choices=("maximize", "minimize"),
        default="maximize",
        help="sweeps: whether the swept score is maximised (nDCG, default) or minimised; a cliff is a harmful drop",
    )
    parser.add_argument(
        "--sweep-min-effect",
        type=_eta,
        default=0.01,
        metavar="X",
        help="sweeps: smallest score difference worth acting on, in score units (default 0.01)",
    )
    parser.add_argument(
        "--sweep-cliff-drop",
        type=_eta,
        default=0.05,
        metavar="X",
        help="sweeps: smallest drop between adjacent values that can be a cliff, in score units (default 0.05)",
    )
    parser.add_argument(
        "--sweep-default",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="sweeps: the current default of a swept constant, compared with its best value (repeatable)",
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
        "sensitivity, playbook, trends, fusion); e.g. --sections exploration,trends skips the dynamics analysis",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="fusion: a target profile (JSON or YAML: strata shares, shares by task id, or example task texts); "
        "adds the fusion section: every per-run number reweighted to that task mix (docs/metrics/fusion.md)",
    )
    parser.add_argument(
        "--fusion-k",
        type=_positive_int,
        metavar="K",
        help="fusion: number of task clusters when tasks have no category (default: by silhouette, 2..8)",
    )
    parser.add_argument(
        "--fusion-seed",
        type=int,
        default=0,
        metavar="S",
        help="fusion: seed of the clustering and intervals (default 0)",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    add_playbook_arguments(parser)
    return parser


def _sections(spec: str | None, stderr: TextIO) -> tuple[list[ReportSection] | None, int | None]:
    """The sections of ``--sections`` (None: all registered), or the exit code of a usage error."""
    if spec is None:
        return None, None
    from trajdyn.analyzer.report import registered_sections

    known = {section.name: section for section in registered_sections()}
    wanted = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        return None, fail(
            f"--sections: unknown section(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"known: {', '.join(known)}",
            EXIT_USAGE,
            stderr,
        )
    return [section for name, section in known.items() if name in wanted], None


def _options(args: argparse.Namespace, lint: LintResult | None) -> list[object]:
    """The sections' options objects from the flags (the embedder is built here, so that a missing extra is
    reported before any input is read). Raises what the options types raise for a bad value."""
    from trajdyn._values import canonical_number_text
    from trajdyn.analyzer import (
        DynamicsOptions,
        EmbeddingOptions,
        ExplorationOptions,
        FusionOptions,
        SweepsOptions,
        TrendsOptions,
    )
    from trajdyn.analyzer.embeddings import get_embedder
    from trajdyn.exceptions import ConfigurationError

    defaults: dict[str, str] = {}
    for item in args.sweep_default:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigurationError(f"expected --sweep-default NAME=VALUE, got {item!r}")
        defaults[name.strip()] = canonical_number_text(value.strip())

    return [
        ExplorationOptions(window=args.window, eta=args.eta),
        DynamicsOptions(window=args.dynamics_window, shuffles=args.shuffles),
        EmbeddingOptions(backend=get_embedder(args.embeddings, device=args.embeddings_device)),
        TrendsOptions(group_by=args.group_by, min_effect=args.min_effect),
        FusionOptions(profile=args.profile, k=args.fusion_k, seed=args.fusion_seed),
        SweepsOptions(
            objective=args.sweep_objective,
            min_effect=args.sweep_min_effect,
            cliff_min_drop=args.sweep_cliff_drop,
            defaults=defaults,
        ),
        *playbook_options(args, lint),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trajdyn-analyze``; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    stdout, stderr = sys.stdout, sys.stderr
    if not args.paths and args.playbook is None:
        return fail("give at least one PATH (or --playbook FILE to lint playbook entries)", EXIT_USAGE, stderr)
    if (args.playbook_config or args.allowed_handles) and args.playbook is None:
        return fail("--playbook-config and --allowed-handles need --playbook FILE", EXIT_USAGE, stderr)
    if args.html is not None:
        if not args.paths:
            return fail(
                "--html needs a PATH to report on (the playbook lint alone has no HTML view)", EXIT_USAGE, stderr
            )
        from trajdyn.analyzer.report.html import html_available

        if not html_available():  # said before the analysis, not after it
            return fail(
                "--html needs vl-convert-python (it draws the charts): pip install 'trajdyn[html]'", EXIT_USAGE, stderr
            )
    lint: LintResult | None = None
    if args.playbook is not None:
        try:
            code, lint = run_lint(args, stdout, stderr)
        except ImportError as exc:  # the analyze extra (rich, PyYAML) missing: MissingExtraError names it
            return fail(str(exc), EXIT_USAGE, stderr)
        if code is not None:
            return code
    try:
        from trajdyn.analyzer import InputParseError, analyze
        from trajdyn.analyzer.report import regressions, render_markdown, render_terminal, report_to_json
    except ImportError as exc:  # MissingExtraError included
        return fail(str(exc), EXIT_USAGE, stderr)
    from trajdyn.exceptions import TrajdynError

    chosen, code = _sections(args.sections, stderr)
    if code is not None:
        return code
    try:
        options = _options(args, lint)
    except (TrajdynError, ValueError, ImportError) as exc:
        return fail(str(exc), EXIT_USAGE, stderr)
    try:
        report = analyze(
            args.paths,
            options=options,
            strict=args.strict,
            fmt=args.fmt,
            menu=args.menu,
            labels=args.labels,
            progress=False if args.no_progress else None,
            compare_to=args.compare_to,
            sections=chosen,
        )
    except InputParseError as exc:
        return fail(f"{exc} (--strict)", EXIT_INPUT_ERROR, stderr)
    except (TrajdynError, ValueError, OSError) as exc:
        return fail(str(exc), EXIT_USAGE, stderr)

    if report.errors and not args.quiet:  # data in the messages: shown inert (control characters)
        print_problems([f"{e['path']}:{e['line']}: {e['message']}" for e in report.errors], stderr)
    total_spans = sum(i["spans"] for i in report.inputs if isinstance(i["spans"], int))
    if total_spans == 0 and not report.blocks.get("trends") and not report.blocks.get("sweeps"):
        return fail(
            "nothing readable: no spans, benchmark results or sweep summaries in the inputs", EXIT_USAGE, stderr
        )

    document = Document(
        stem="report",
        what="report",
        json_text=lambda: report_to_json(report),
        markdown_text=lambda: render_markdown(report),
        terminal=lambda: render_terminal(report),
        artifacts=lambda out: _write_artifacts(report, out),
        html_text=_html_text(report, args, stderr),
    )
    targets = Targets(json=args.json, markdown=args.markdown, out=args.out, html=args.html)
    code = emit(document, targets, stdout=stdout, stderr=stderr)
    if code is not None:
        return code
    if args.fail_on_regression:
        worse = regressions(report)
        if worse:
            from trajdyn.analyzer.report import plain_text

            names = ", ".join(f"{g['group_by']}={g['group']}" for g in worse)
            print(plain_text(f"{PROG}: regression in {len(worse)} group(s): {names}"), file=stderr)
            return EXIT_REGRESSION
    return EXIT_OK


def html_options(args: argparse.Namespace) -> HtmlOptions:
    """The HTML page's options from the command line: ``--html-detail``, else :class:`HtmlOptions`' defaults."""
    from trajdyn.analyzer.report.html import HtmlOptions

    return HtmlOptions() if args.html_detail is None else HtmlOptions(detail=args.html_detail)


def _html_text(report: Report, args: argparse.Namespace, stderr: TextIO) -> Callable[[], str] | None:
    """The HTML rendering when ``--html`` or ``--out`` asks for one and it can be drawn here; with ``--out`` and
    without the html extra, say on stderr that ``report.html`` is not written (``--html`` was refused earlier)."""
    if args.html is None and args.out is None:
        return None
    from trajdyn.analyzer.report.html import html_available, render_html

    if not html_available():
        print(f"{PROG}: report.html not written: it needs vl-convert-python: pip install 'trajdyn[html]'", file=stderr)
        return None
    options = html_options(args)
    return lambda: render_html(report, options)


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
