"""The golden cases: which inputs, with which options, and how a report is made comparable across machines.

A case is a name, a kind (``real``: files of ``../shared/external``, skipped when it is absent; ``synthetic``: spans
written by the test helpers into a temporary directory) and the :func:`~trajdyn.analyzer.analyze.analyze` arguments.
Reports are made with a fixed ``generated_at``; absolute paths are replaced by ``$EXTERNAL`` (the shared external
directory) and ``$INPUT`` (a synthetic case's directory), so the files compare exactly on any machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.analyzer._dumps import contract_spans, lines_of, seeded_spans, write_lines
from tests.conftest import EXTERNAL_DIR

GOLDEN_DIR = Path(__file__).resolve().parent / "reports"
HTML_GOLDEN_DIR = Path(__file__).resolve().parent / "html"
GENERATED_AT = "2000-01-01T00:00:00Z"
PROFILES_DIR = Path(__file__).resolve().parents[2] / "examples" / "profiles"
"""The fusion cases' target profiles (examples of the docs)."""

Builder = Callable[[Path], list[str]]
"""Writes a synthetic case's inputs into a directory and returns their paths."""


@dataclass(frozen=True)
class Case:
    """One golden report: ``inputs`` relative to ``../shared/external`` (real) or written by ``build`` (synthetic)."""

    name: str
    inputs: tuple[str, ...] = ()
    build: Builder | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def real(self) -> bool:
        return self.build is None


def _playbook(directory: Path) -> list[str]:
    from tests.analyzer._playbook_data import simulate, write_spans

    sessions = simulate(11, n_tasks=12, per_task=8, effect=0.2, n_null=2)
    path = directory / "playbook.jsonl"
    return [str(write_spans(path, sessions, steps=2, source=Path("/golden/playbook.jsonl")))]


def _sweep_runs(directory: Path) -> list[str]:
    """Spans of sweep runs written by the real SDK (fixed ids, timestamps renumbered by rank): a planted cliff, a
    flat null, a rise whose best value beats its default on validation, errors and degenerate runs."""
    from tests.analyzer.metrics.sweeps._span_sweeps import write_sweep_spans

    return [str(write_sweep_spans(directory / "sweep.jsonl"))]


def _lines(name: str, spans: Callable[[], list[dict[str, Any]]]) -> Builder:
    def build(directory: Path) -> list[str]:
        return write_lines(directory / name, lines_of(spans(), [512]))

    return build


PINCHBENCH = (
    "pinchbench/results/0005_main.json",
    "pinchbench/results_qwen3.5-4b/0008_main.json",
    "pinchbench/results_qwen3.5-9b/0006_main.json",
    "pinchbench/results_qwen3.5-9b-v2/0007_main.json",
    "pinchbench/results_qwen3.5-9b-v3/0009_main.json",
    "pinchbench/results_smartrouter/0010_main.json",
)

CASES: tuple[Case, ...] = (
    # real inputs: every file of ../shared/external the analyzer reads (importers, OTLP, result files)
    Case("atlas-reward_eval_trajectories", ("atlas-reward_eval_trajectories.jsonl",)),
    Case("atlas-sample_traces", ("atlas-sample_traces.jsonl",)),
    Case("autoresearch-smoke_trajectory", ("autoresearch-smoke_trajectory.jsonl",)),
    Case("autoresearch-trajectory", ("autoresearch-trajectory.jsonl",)),
    Case(
        "autoresearch-trajectory-menu",
        ("autoresearch-trajectory.jsonl",),
        options={"menu": "autoresearch-perturbation_menu.json"},
    ),
    Case("bervaso-results", ("bervaso-results.tsv",)),
    Case("blitzo125-results", ("blitzo125-results.tsv",)),
    Case("jaeger-otlp_fields_trace", ("jaeger-otlp_fields_trace.json",)),
    Case("jaeger-otlp_scope_attributes", ("jaeger-otlp_scope_attributes.json",)),
    Case("jaeger-otlp_span_links", ("jaeger-otlp_span_links.json",)),
    Case("otlp-proto-example-trace", ("otlp-proto-example-trace.json",)),
    Case("otlp-spec-file-exporter-example", ("otlp-spec-file-exporter-example.jsonl",)),
    Case("tau-bench-gpt-4o-airline", ("tau-bench-gpt-4o-airline.json",)),
    # expert-labelled agent traces (issue 18): one small file of each reader
    Case("labeled-trail-gaia", ("labeled/trail/traces_gaia/0242ca2533fac5b8b604a9060b3e15d6.json",)),
    Case("labeled-trail-swe", ("labeled/trail/traces_swe/da17836ad8ecb77066313bdcbf25547a.json",)),
    Case("labeled-mast-hyperagent", ("labeled/mast_masft/HyperAgent/pylint-dev__pylint-6506_human.json",)),
    Case("labeled-mast-ag2", ("labeled/mast_masft/AG2/094b6ef4-9501-550d-b9f8-4d5330d07e34_human.json",)),
    Case("labeled-mast-metagpt", ("labeled/mast_masft/metagpt/run_12.json",)),
    Case("labeled-whowhen", ("labeled/whowhen/Algorithm-Generated/47.json",)),
    # foreign span containers and conventions (issue 15)
    *(
        Case(Path(name).stem, (name,))
        for name in (
            "anyagent-genai-tinyagent_trace.json",
            "anyagent-openinference-smolagents_trace.json",
            "agentprism-otlp-openinference-langchain-tavily-agent.json",
            "agentevals-kagent-adk-tempo_export_with_batches.json",
            "phoenix-pxi_turn_subagent_trace.json",
            "agentprism-langfuse-trace-export-2.json",
            "jaegerui-api-traces-otlp2jaeger-out.json",
        )
    ),
    # agent logs (issue 15 §2)
    Case("sweagent-claude35sonnet-astropy-13398", ("sweagent-claude35sonnet-astropy-13398.traj",)),
    Case("sweagent-v1-test-repo-6e44b9", ("sweagent-v1-test-repo-6e44b9.traj",)),
    Case("minisweagent-deepseek-django-10914", ("minisweagent-deepseek-django-10914.traj.json",)),
    Case("openhands-basic_gui_mode", ("openhands-basic_gui_mode.json",)),
    Case("openhands-multiswebench-llama4maverick-output", ("openhands-multiswebench-llama4maverick-output.jsonl",)),
    Case("opendevin-prontoqa-gpt4o-output", ("opendevin-prontoqa-gpt4o-output.jsonl",)),
    Case("inspect-browser-gpt4omini", ("inspect-browser-gpt4omini.json",)),
    Case(
        "inspect-log_message_deduplication-mockmodel-bash", ("inspect-log_message_deduplication-mockmodel-bash.eval",)
    ),
    *(Case("pinchbench-" + Path(p).parent.name, (p,)) for p in PINCHBENCH),
    Case("pinchbench-all-runs", ("pinchbench",)),
    *(
        Case(f"popoto-sweep_{stamp}", (f"popoto-sweep_{stamp}.json",))
        for stamp in ("20260325_151421", "20260330_160911", "20260420_051055")
    ),
    # benchmark series for trends (issue 15 §2): an asv results folder, a github-action-benchmark history
    Case("kedro-asv", ("kedro-asv",)),
    Case("konveyor-kai-evaluations-benchmark-data", ("konveyor-kai-evaluations-benchmark-data.js",)),
    Case(
        "mixed-real-inputs",
        (
            "pinchbench/results/0005_main.json",
            "pinchbench/results_qwen3.5-9b/0006_main.json",
            "atlas-reward_eval_trajectories.jsonl",
            "autoresearch-trajectory.jsonl",
        ),
    ),
    # fusion (issue 13): the real inputs reweighted to target profiles of examples/profiles
    Case(
        "tau-bench-gpt-4o-airline-fusion",
        ("tau-bench-gpt-4o-airline.json",),
        options={"profile": "tau-bench-airline-cancellations.yaml"},
    ),
    Case("pinchbench-all-runs-fusion", ("pinchbench",), options={"profile": "pinchbench-multi-step.json"}),
    # synthetic cases of the suite
    Case("synthetic-order-contract", build=_lines("contract", contract_spans)),
    Case("synthetic-mixed-loops", build=_lines("mixed", lambda: seeded_spans(2026, 16))),
    Case("synthetic-playbook", build=_playbook),
    Case("synthetic-sweep-runs", build=_sweep_runs),
)


@contextmanager
def inputs(case: Case) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The case's input paths and the replacements that normalise paths in its reports."""
    if case.real:
        if EXTERNAL_DIR is None:
            raise FileNotFoundError("../shared/external is absent")
        yield [str(EXTERNAL_DIR / p) for p in case.inputs], {str(EXTERNAL_DIR): "$EXTERNAL"}
        return
    assert case.build is not None
    with tempfile.TemporaryDirectory(prefix="trajdyn-golden-") as tmp:
        yield case.build(Path(tmp)), {tmp: "$INPUT"}


def render(case: Case) -> tuple[str, str]:
    """The case's report as (JSON text, Markdown text), normalised (fixed ``generated_at``, no absolute paths)."""
    json_text, md_text, _ = render_all(case, html=False)
    return json_text, md_text


def render_all(case: Case, *, html: bool = True) -> tuple[str, str, str]:
    """(JSON text, Markdown text, outline of the HTML page or ``""``) of one analysis of the case, normalised.

    The outline (:func:`tests.analyzer.report._html.outline`) is the page's structure and text without the charts' SVG (whose
    bytes belong to the chart renderer); it is ``""`` without ``vl-convert-python``.
    """
    from trajdyn.analyzer import analyze
    from trajdyn.analyzer.report import render_markdown, report_to_json

    with inputs(case) as (paths, replacements):
        options = dict(case.options)
        if "menu" in options and EXTERNAL_DIR is not None:
            options["menu"] = str(EXTERNAL_DIR / options["menu"])
        if "profile" in options:
            from trajdyn.analyzer import FusionOptions

            profile = PROFILES_DIR / options.pop("profile")
            options["options"] = [FusionOptions(profile=profile)]
        report = analyze(paths, generated_at=GENERATED_AT, progress=False, **options)
        texts = [report_to_json(report) + "\n", render_markdown(report), ""]
        if html:
            from trajdyn.analyzer.report.html import html_available, render_html

            if html_available():
                from tests.analyzer.report._html import outline

                texts[2] = outline(render_html(report))
    out = []
    for text in texts:
        for old, new in replacements.items():
            text = text.replace(old, new)
        out.append(text)
    return out[0], out[1], out[2]


def golden_paths(case: Case) -> tuple[Path, Path]:
    """Where the case's JSON and Markdown goldens live."""
    return GOLDEN_DIR / f"{case.name}.json", GOLDEN_DIR / f"{case.name}.md"


def html_golden_path(case: Case) -> Path:
    """Where the outline of the case's HTML page lives."""
    return HTML_GOLDEN_DIR / f"{case.name}.txt"
