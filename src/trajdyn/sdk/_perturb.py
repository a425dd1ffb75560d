"""``trajdyn.perturb``: deterministic, meaning-preserving rewordings of a prompt, for prompt-sensitivity runs.

No network and no model: each variant applies one small, rule-based edit that keeps the request the same, so that a
difference between the runs of the original and of a variant measures the agent's sensitivity to wording
(``trajdyn-analyze`` reports it as Δλ per task). The edits (the variant's ``label``):

=================  ================================================================================================
label              edit
=================  ================================================================================================
``whitespace``     collapse runs of spaces and tabs, trim lines, at most one blank line (only when that changes it)
``punctuation``    the final sentence's terminal punctuation: added when missing, removed when it is a period
``polite_prefix``  a courtesy opener in front ("Please help with the following. " …, chosen by the seed)
``sentence_order`` two adjacent independent sentences swapped (never one that opens with a connective or a pronoun
                   referring back: "Then", "It", "This" …); needs at least two sentences
``synonyms``       words replaced from a small fixed table (help → assist, buy → purchase, …; case kept)
``contractions``   "do not" ↔ "don't", "I am" ↔ "I'm", "cannot" ↔ "can't" … (expanded when the prompt contracts,
                   contracted otherwise)
``casing``         the prompt lower-cased
=================  ================================================================================================

Pure standard library (importing trajdyn stays light).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError

__all__ = ["PERTURBATIONS", "Variant", "perturb"]


@dataclass(frozen=True, slots=True)
class Variant:
    """One prompt variant: ``label`` (use it as ``trajectory(variant=...)``) and the reworded ``text``."""

    label: str
    text: str


_POLITE: Final = (
    "Please help with the following. ",
    "Here is a task for you: ",
    "Could you help me with this? ",
    "I would appreciate your help with this. ",
)

_SYNONYMS: Final[dict[str, str]] = {
    "help": "assist",
    "buy": "purchase",
    "want": "wish",
    "need": "require",
    "find": "locate",
    "show": "display",
    "start": "begin",
    "finish": "complete",
    "fix": "repair",
    "change": "modify",
    "check": "verify",
    "quick": "fast",
    "quickly": "rapidly",
    "big": "large",
    "small": "little",
    "get": "obtain",
    "make": "create",
    "give": "provide",
    "tell": "inform",
    "choose": "select",
    "try": "attempt",
    "enough": "sufficient",
    "maybe": "perhaps",
    "answer": "reply",
    "correct": "right",
    "mistake": "error",
}

_CONTRACTIONS: Final = (
    ("do not", "don't"),
    ("does not", "doesn't"),
    ("did not", "didn't"),
    ("cannot", "can't"),
    ("can not", "can't"),
    ("will not", "won't"),
    ("is not", "isn't"),
    ("are not", "aren't"),
    ("I am", "I'm"),
    ("it is", "it's"),
    ("I would", "I'd"),
    ("I have", "I've"),
)

_DEPENDENT: Final = frozenset(
    [
        "then",
        "next",
        "after",
        "afterwards",
        "finally",
        "also",
        "and",
        "but",
        "so",
        "however",
        "therefore",
        "thus",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "there",
        "here",
        "otherwise",
        "instead",
        "meanwhile",
        "first",
        "second",
        "third",
        "lastly",
    ]
)
_SENTENCE: Final = re.compile(r"[^.!?]+[.!?]+(?:\s+|$)|[^.!?]+$")
_WORD: Final = re.compile(r"[A-Za-z]+")


def _whitespace(text: str, rng: random.Random) -> str | None:
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out if out != text else None


def _punctuation(text: str, rng: random.Random) -> str | None:
    stripped = text.rstrip()
    if not stripped:
        return None
    tail = text[len(stripped) :]
    if stripped.endswith("."):
        return stripped[:-1] + tail
    if stripped[-1].isalnum():
        return stripped + ("?" if _looks_like_question(stripped) else ".") + tail
    return None


_QUESTION_WORDS: Final = frozenset(
    ["what", "why", "how", "when", "where", "who", "which", "can", "could", "would", "will", "is", "are", "do", "does"]
)


def _looks_like_question(text: str) -> bool:
    sentences = _SENTENCE.findall(text)
    first = _WORD.search(sentences[-1] if sentences else text)
    return first is not None and first.group(0).lower() in _QUESTION_WORDS


def _polite_prefix(text: str, rng: random.Random) -> str | None:
    if not text.strip():
        return None
    return _POLITE[rng.randrange(len(_POLITE))] + text.lstrip()


def _sentence_order(text: str, rng: random.Random) -> str | None:
    if "\n" in text.strip():
        return None
    sentences = [s for s in _SENTENCE.findall(text.strip()) if s.strip()]
    if len(sentences) < 2:
        return None
    candidates = []
    for i in range(len(sentences) - 1):
        a, b = sentences[i], sentences[i + 1]
        words = [_WORD.search(s) for s in (a, b)]
        if any(w is None or w.group(0).lower() in _DEPENDENT for w in words):
            continue
        if not b.rstrip().endswith((".", "!", "?")):
            continue
        candidates.append(i)
    if not candidates:
        return None
    i = candidates[rng.randrange(len(candidates))]
    a, b = sentences[i].strip(), sentences[i + 1].strip()
    swapped = [*(s.strip() for s in sentences[:i]), b, a, *(s.strip() for s in sentences[i + 2 :])]
    return " ".join(swapped)


def _keep_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _synonyms(text: str, rng: random.Random) -> str | None:
    changed = False

    def swap(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        target = _SYNONYMS.get(word.lower())
        if target is None:
            return word
        changed = True
        return _keep_case(word, target)

    out = _WORD.sub(swap, text)
    return out if changed else None


def _contractions(text: str, rng: random.Random) -> str | None:
    contracted = any(re.search(rf"\b{re.escape(short)}\b", text, re.IGNORECASE) for _, short in _CONTRACTIONS)
    out = text
    for long, short in _CONTRACTIONS:
        source, target = (short, long) if contracted else (long, short)

        def replace(match: re.Match[str], target: str = target) -> str:
            return _keep_case(match.group(0), target)

        out = re.sub(rf"\b{re.escape(source)}\b", replace, out, flags=re.IGNORECASE)
    return out if out != text else None


def _casing(text: str, rng: random.Random) -> str | None:
    out = text.lower()
    return out if out != text else None


PERTURBATIONS: Final[dict[str, Callable[[str, random.Random], str | None]]] = {
    "whitespace": _whitespace,
    "punctuation": _punctuation,
    "polite_prefix": _polite_prefix,
    "sentence_order": _sentence_order,
    "synonyms": _synonyms,
    "contractions": _contractions,
    "casing": _casing,
}
"""Every edit by label (see the module docstring): ``(prompt, rng) -> variant text, or None when it does not apply``."""


def perturb(prompt: str, n: int = 3, *, seed: int = 0, include_original: bool = False) -> list[Variant]:
    """Up to ``n`` meaning-preserving variants of ``prompt``, each one edit, in an order fixed by ``seed``.

    The same (prompt, n, seed) always gives the same variants. Edits that do not apply to this prompt (no synonym
    in the table, a single sentence …) are skipped, so fewer than ``n`` may come back; no variant equals the prompt
    or another variant. With ``include_original`` the list starts with ``Variant("original", prompt)``. Run each
    variant (and the original, variant ``"original"``) under one ``perturbation_group``, ideally several times::

        for v in trajdyn.perturb(prompt, n=3, include_original=True):
            for attempt in range(3):
                with trajdyn.trajectory(task_id, perturbation_group=task_id, variant=v.label, attempt=attempt):
                    run_agent(v.text)
    """
    if not isinstance(prompt, str):
        raise ConfigurationError(f"expected the prompt to be a string, got {type(prompt).__name__}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigurationError(f"expected n to be an integer >= 0, got {n!r}")
    rng = random.Random(seed)
    labels = list(PERTURBATIONS)
    rng.shuffle(labels)
    out: list[Variant] = [Variant(C.VARIANT_ORIGINAL, prompt)] if include_original else []
    seen = {prompt}
    made = 0
    for label in labels:
        if made >= n:
            break
        text = PERTURBATIONS[label](prompt, random.Random(f"{seed}\x00{label}"))
        if text is None or text in seen or not text.strip():
            continue
        seen.add(text)
        out.append(Variant(label, text))
        made += 1
    return out
