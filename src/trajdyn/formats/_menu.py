"""Knob menus: the list of knob names a loop may tune, read from a menu file or embedded in a log."""

from __future__ import annotations

import json
from pathlib import Path

from trajdyn.exceptions import InputError

MENU_KEYS = ("knobs", "knob_menu", "perturbation_menu", "menu")
"""Keys under which a menu document or a log header may hold the menu, in order of preference."""


def menu_from_json(obj: object) -> list[str] | None:
    """The knob names of a menu object, in document order; ``None`` when ``obj`` holds no menu.

    Accepted shapes: ``{"knobs": {name: spec, ...}}`` (the autoresearch ``perturbation_menu.json``),
    ``{"knobs": [name, ...]}``, the same under ``knob_menu`` / ``perturbation_menu`` / ``menu``, a bare
    ``{name: spec}`` under one of those keys, or a plain list of names.
    """
    if isinstance(obj, list):
        names = [str(x) for x in obj if isinstance(x, str | int | float) and not isinstance(x, bool)]
        return names if len(names) == len(obj) else None
    if isinstance(obj, dict):
        for key in MENU_KEYS:
            if key in obj:
                inner = obj[key]
                if isinstance(inner, dict):
                    nested = menu_from_json(inner) if any(k in inner for k in MENU_KEYS) else None
                    return nested if nested is not None else [str(k) for k in inner]
                return menu_from_json(inner)
    return None


def load_menu(path: Path) -> list[str]:
    """Read a knob menu file (see :func:`menu_from_json` for the shapes); :class:`InputError` when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such menu file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the menu file: {exc}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: menu file is not valid JSON: {exc.msg}") from None
    menu = menu_from_json(obj)
    if menu is None:
        raise InputError(f'{path}: no knob menu found (expected {{"knobs": {{name: ...}}}} or a list of names)')
    return menu
