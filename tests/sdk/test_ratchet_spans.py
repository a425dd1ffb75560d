"""A @trajdyn.decide function returning a RatchetDecision: the decision and the Ratchet's evidence on the span."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from trajdyn import conventions as C


def test_ratchet_evidence_is_recorded_on_decide_spans(spans: InMemorySpanExporter) -> None:
    ratchet: trajdyn.Ratchet[Any] = trajdyn.Ratchet(min_effect=0.01, confirm_every=1)

    @trajdyn.decide
    def decide(candidate: list[float], incumbent: list[float]) -> trajdyn.RatchetDecision:
        return ratchet.decide(candidate, incumbent)

    @trajdyn.decide
    def confirm(current: list[float], anchor: list[float]) -> trajdyn.RatchetDecision:
        return ratchet.confirm(current, anchor)

    with trajdyn.trajectory(task_id="sweep", agent_name="a"):
        decide([0.7, 0.8, 0.75, 0.72], [0.5, 0.55, 0.52, 0.5])
        decide([0.5, 0.5], [0.5, 0.5])
        confirm([0.6, 0.61, 0.59], [0.6, 0.6, 0.6])
    got = [s for s in spans.get_finished_spans() if s.name == C.PHASE_DECIDE]
    assert len(got) == 3
    a0, a1, a2 = (dict(s.attributes or {}) for s in got)
    assert a0[C.DECISION] == "keep" and a0[C.RATCHET_STEP] == "decide" and a0[C.RATCHET_CONFIRM_DUE] is True
    assert a0[C.RATCHET_CI_LOW] > 0.01 and a0[C.RATCHET_N] == 4 and a0[C.RATCHET_QUERIES] == 1
    assert a1[C.DECISION] == "revert" and a1[C.RATCHET_QUERIES] == 2 and a1[C.RATCHET_IMPROVEMENT] == 0.0
    assert a2[C.DECISION] == "revert" and a2[C.RATCHET_STEP] == "confirm" and a2[C.RATCHET_CONFIRM_QUERIES] == 1
    assert "rolled back 1 keep(s)" in a2[C.RATCHET_REASON]


def test_a_broken_ratchet_call_never_breaks_the_loop(spans: InMemorySpanExporter) -> None:
    """Mismatched score lengths raise in user code (the caller's bug, propagated as the function's own error)."""
    ratchet: trajdyn.Ratchet[Any] = trajdyn.Ratchet()

    @trajdyn.decide
    def decide() -> Any:
        return ratchet.decide([0.1, 0.2], [0.1])

    with trajdyn.trajectory(task_id="t", agent_name="a"):
        try:
            decide()
        except ValueError:
            pass
    (span,) = [s for s in spans.get_finished_spans() if s.name == C.PHASE_DECIDE]
    assert C.RATCHET_STEP not in (span.attributes or {})


def test_importing_trajdyn_ratchet_stays_light() -> None:
    from tests.sdk.conftest import run_python

    proc = run_python(
        "import sys, trajdyn\n"
        "r = trajdyn.Ratchet(min_effect=0.0)\n"
        "r.decide([0.2, 0.3, 0.4], [0.1, 0.1, 0.1])\n"
        "bad = [m for m in ('numpy', 'polars', 'scipy', 'opentelemetry') if m in sys.modules]\n"
        "print(bad)\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_only_ratchet_evidence_reaches_the_span_and_mocks_never_answer(spans: InMemorySpanExporter) -> None:
    """The decide span takes evidence from a result's type hook (``__trajdyn_evidence__``), and only its
    ``trajdyn.ratchet.*`` keys: another key (a secret, say) returned by a hook never leaves the process; a mock, which
    answers any attribute asked of the instance, is read as a decision and nothing more."""
    from unittest.mock import MagicMock

    class Evidence:
        decision = "keep"

        def __trajdyn_evidence__(self) -> dict[str, Any]:
            return {C.RATCHET_STEP: "decide", "api_key": "sk-secret", "trajdyn.task.id": "spoofed"}

    mock = MagicMock()
    mock.decision = "revert"

    @trajdyn.decide
    def decide(result: Any) -> Any:
        return result

    with trajdyn.trajectory(task_id="t", agent_name="a"):
        decide(Evidence())
        decide(mock)
    first, second = (dict(s.attributes or {}) for s in spans.get_finished_spans() if s.name == C.PHASE_DECIDE)
    assert first[C.RATCHET_STEP] == "decide" and first[C.DECISION] == "keep"
    assert "api_key" not in first and first.get(C.TASK_ID) != "spoofed"
    assert "sk-secret" not in repr(first)
    assert second[C.DECISION] == "revert" and not any(k.startswith(C.RATCHET_PREFIX) for k in second)
