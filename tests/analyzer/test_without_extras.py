"""Without the ``analyze`` extra: the importers work, and ``trajdyn-analyze`` says which extra to install.

polars (and numpy, scipy) are made unimportable in a real subprocess by a meta-path finder that refuses them, which
is what a plain ``pip install trajdyn`` looks like to the code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

BLOCK = textwrap.dedent(
    """
    import sys
    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"polars", "numpy", "scipy"}:
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None
    sys.meta_path.insert(0, _Refuse())
    """
)

LOG = [
    {"_meta": "log", "baseline_val_bpb": 10.0},
    {"iter": 1, "stage": "evaluated", "proposal": {"knob": "lr", "new_value": 1}, "val_bpb": 9.9, "decision": "keep"},
]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True, check=False)


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "loop.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in LOG), encoding="utf-8")
    return path


def test_trajdyn_import_converts_without_polars(tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    proc = _run(
        "from trajdyn.cli.importer import main\n"
        f"code = main(['autoresearch', {str(_log(tmp_path))!r}, '-o', {str(out)!r}])\n"
        "assert 'polars' not in sys.modules\n"
        "raise SystemExit(code)\n"
    )
    assert proc.returncode == 0, proc.stderr
    spans = [
        s
        for line in out.read_text().splitlines()
        for rs in json.loads(line)["resourceSpans"]
        for ss in rs["scopeSpans"]
        for s in ss["spans"]
    ]
    assert len(spans) == 4  # the root and one propose / observe / decide


def test_trajdyn_analyze_names_the_missing_extra_in_one_line(tmp_path: Path) -> None:
    proc = _run(f"from trajdyn.cli.analyze import main\nraise SystemExit(main([{str(_log(tmp_path))!r}]))\n")
    assert proc.returncode == 2
    assert "pip install 'trajdyn[analyze]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_library_names_the_missing_extra() -> None:
    proc = _run(
        "from trajdyn.exceptions import MissingExtraError\n"
        "import trajdyn.analyzer as a\n"
        "try:\n    a.read_spans\nexcept MissingExtraError as exc:\n    print(exc)\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'trajdyn[analyze]'" in proc.stdout
