"""``trajdyn.perturb``: deterministic, meaning-preserving prompt variants; ``trajectory`` tags perturbation runs."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from tests.sdk.conftest import run_python
from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.sdk import PERTURBATIONS, Variant

PROMPT = (
    "I want to book a flight from New York to Seattle on May 20. I do not want to fly before 11am. "
    "Please use my two certificates to pay"
)


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[a-z0-9]+", text.lower()))


def test_same_seed_same_variants_and_seeds_change_the_choice() -> None:
    a = trajdyn.perturb(PROMPT, n=3, seed=0)
    assert a == trajdyn.perturb(PROMPT, n=3, seed=0)
    assert len(a) == 3 and len({v.label for v in a}) == 3 and len({v.text for v in a}) == 3
    assert all(v.text != PROMPT for v in a)
    choices = {tuple(v.label for v in trajdyn.perturb(PROMPT, n=3, seed=s)) for s in range(10)}
    assert len(choices) > 3


def test_include_original_and_fewer_variants_when_edits_do_not_apply() -> None:
    out = trajdyn.perturb("hi", n=7, include_original=True)
    assert out[0] == Variant(C.VARIANT_ORIGINAL, "hi")
    assert 1 < len(out) < 8 and all(v.text != "hi" for v in out[1:])
    assert trajdyn.perturb(PROMPT, n=0) == []
    with pytest.raises(ConfigurationError):
        trajdyn.perturb(PROMPT, n=-1)
    with pytest.raises(ConfigurationError):
        trajdyn.perturb(None)  # type: ignore[arg-type]


def test_each_edit_preserves_the_request() -> None:
    edits = {label: fn(PROMPT, __import__("random").Random(1)) for label, fn in PERTURBATIONS.items()}
    original = words(PROMPT)
    assert words(edits["whitespace"] or PROMPT) == original
    assert words(edits["punctuation"]) == original  # type: ignore[arg-type]
    assert words(edits["sentence_order"]) == original  # type: ignore[arg-type]
    assert words(edits["casing"]) == original  # type: ignore[arg-type]
    assert original - words(edits["polite_prefix"]) == Counter()  # type: ignore[arg-type]
    changed = words(edits["synonyms"])  # type: ignore[arg-type]
    assert changed["wish"] == 2 and changed["want"] == 0 and changed["seattle"] == 1
    assert "don't" in edits["contractions"]  # type: ignore[operator]
    order = edits["sentence_order"]
    assert order is not None and order.startswith("I do not want to fly before 11am.")


def test_sentence_order_never_moves_a_dependent_sentence() -> None:
    assert PERTURBATIONS["sentence_order"]("Open the file. Then delete it.", __import__("random").Random(0)) is None
    assert PERTURBATIONS["sentence_order"]("One sentence only.", __import__("random").Random(0)) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.integers(0, 6), st.integers(0, 2**31))
def test_never_raises_and_never_returns_the_prompt_or_duplicates(prompt: str, n: int, seed: int) -> None:
    out = trajdyn.perturb(prompt, n=n, seed=seed)
    assert len(out) <= n
    texts = [v.text for v in out]
    assert prompt not in texts and len(set(texts)) == len(texts)
    assert all(v.label in PERTURBATIONS for v in out)


def test_perturb_does_not_import_heavy_libraries() -> None:
    result = run_python(
        """
        import sys, trajdyn
        trajdyn.perturb("Find the cheapest flight. Book it for me.", n=3)
        print(sorted(m for m in ("polars", "numpy", "scipy", "torch") if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_trajectory_tags_perturbation_group_and_variant(spans: InMemorySpanExporter) -> None:
    for variant in trajdyn.perturb(PROMPT, n=2, include_original=True):
        with trajdyn.trajectory("book", perturbation_group="book-g", variant=variant.label, attempt=0):
            pass
    roots = [s for s in spans.get_finished_spans() if s.attributes.get(C.GEN_AI_OPERATION_NAME)]  # type: ignore[union-attr]
    assert len(roots) == 3
    assert {s.attributes[C.PERTURBATION_GROUP] for s in roots} == {"book-g"}  # type: ignore[index]
    assert next(s.attributes[C.PERTURBATION_VARIANT] for s in roots) == C.VARIANT_ORIGINAL  # type: ignore[index]
    assert len({s.attributes[C.PERTURBATION_VARIANT] for s in roots}) == 3  # type: ignore[index]
