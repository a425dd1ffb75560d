"""Ratchet vs keep-if-better on pure-noise candidates: the share of candidates kept (issue 14).

Every candidate is the incumbent in truth; its per-task scores differ only by evaluation noise (the real autoresearch
log scored one configuration 10.8534…10.9373 across 7 evaluations). A keep-if-better loop keeps about half; the
Ratchet (η = 0, confidence 0.95) about 5 %. Run: ``.venv/bin/python benchmarks/ratchet_noise.py [TRIALS]``.
"""

from __future__ import annotations

import random
import sys

from trajdyn import Ratchet


def main(trials: int = 5000, tasks: int = 20, seed: int = 14) -> None:
    rng = random.Random(seed)
    ratchet: Ratchet[None] = Ratchet(min_effect=0.0, confidence=0.95)
    kept = naive = 0
    for _ in range(trials):
        task = [rng.gauss(0.6, 0.1) for _ in range(tasks)]
        inc = [t + rng.gauss(0, 0.03) for t in task]
        cand = [t + rng.gauss(0, 0.03) for t in task]
        kept += ratchet.decide(cand, inc).keep
        naive += sum(cand) > sum(inc)
    print(f"pure-noise candidates: {trials}, {tasks} paired tasks each")
    print(f"keep-if-better kept {naive / trials:.3f}; Ratchet (eta 0, 95 %) kept {kept / trials:.3f} (alpha 0.05)")
    print(f"ratio keep-if-better / Ratchet: {naive / max(kept, 1):.1f}x; validation queries: {ratchet.queries}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
