"""The importer registry: every public module of this package that defines ``IMPORTER`` is a format.

Adding a format is one new module, ``trajdyn/analyzer/importers/<name>.py``, with
``IMPORTER = Importer(name=..., description=..., sniff=..., parse=...)``; it is discovered on first use.
Third-party code may also call :func:`register`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from trajdyn._problems import ReadError
from trajdyn.exceptions import InputError
from trajdyn.formats._builder import build_requests
from trajdyn.formats._imported import Importer, ImportResult
from trajdyn.formats._menu import load_menu
from trajdyn.formats._read import read_head
from trajdyn.redact import scrub_secrets

_SKIP_MODULES: frozenset[str] = frozenset()


class _Formats(Mapping[str, Importer]):
    """Read-only mapping ``format name → Importer``, filled lazily from this package's modules."""

    def __init__(self) -> None:
        self._items: dict[str, Importer] | None = None
        self._extra: dict[str, Importer] = {}

    def _load(self) -> dict[str, Importer]:
        if self._items is None:
            from trajdyn import formats as package

            found: dict[str, Importer] = {}
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if info.name.startswith("_") or info.name in _SKIP_MODULES:
                    continue
                module = importlib.import_module(f"{package.__name__}.{info.name}")
                importer = getattr(module, "IMPORTER", None)
                if isinstance(importer, Importer):
                    found[importer.name] = importer
            self._items = found
        return {**self._items, **self._extra}

    def register(self, importer: Importer) -> None:
        self._extra[importer.name] = importer

    def __getitem__(self, key: str) -> Importer:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


FORMATS: Mapping[str, Importer] = _Formats()
"""Every importable log format by name (``autoresearch``, ``autoresearch-tsv`` …)."""


def register(importer: Importer) -> None:
    """Add (or replace) a format at run time."""
    assert isinstance(FORMATS, _Formats)
    FORMATS.register(importer)


def detect_format(path: Path) -> str | None:
    """The name of the format of ``path`` judged from its first bytes, or ``None`` (OTLP/JSON or unknown).

    Never raises: an unreadable or empty file gives ``None``.
    """
    head = read_head(path)
    if not head.strip():
        return None
    for name, importer in FORMATS.items():
        try:
            if importer.sniff(head):
                return name
        except Exception:  # a sniffer must never make detection fail
            continue
    return None


def convert(path: Path, fmt: str | None = None, *, menu: Path | None = None) -> ImportResult:
    """Convert a foreign log into conventions-v1 OTLP/JSON requests.

    ``fmt`` is a name of :data:`FORMATS`, or ``None`` to detect it from the content; ``menu`` a knob menu file
    that overrides one embedded in the log. Bad rows are skipped and reported in ``ImportResult.errors``;
    an unreadable file, an unknown format or a bad menu raises :class:`~trajdyn.exceptions.InputError`.
    """
    path = Path(path)
    if fmt is None:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        fmt = detect_format(path)
        if fmt is None:
            raise InputError(f"{path}: not a log format trajdyn can import (known: {', '.join(FORMATS)})")
    importer = FORMATS.get(fmt)
    if importer is None:
        raise InputError(f"unknown import format {fmt!r} (known: {', '.join(FORMATS)})")
    menu_names = load_menu(menu) if menu is not None else None
    trajectories, errors = importer.parse(path, menu_names)
    requests = build_requests(trajectories, source=path, format_name=importer.name)
    errors = [ReadError(e.path, e.line, scrub_secrets(e.message)) for e in errors]  # messages may quote a row
    return ImportResult(requests=requests, errors=errors, format=importer.name, source=str(path))
