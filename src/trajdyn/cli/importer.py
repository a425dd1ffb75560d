"""``trajdyn-import FORMAT INPUT -o spans.jsonl [--menu FILE] [--strict] [--quiet]``: a thin CLI over :func:`trajdyn.formats.convert` (docs/importers.md).

Exit codes (as ``trajdyn-analyze``): 0 converted (skipped rows are reported on stderr), 1 some rows were bad
and ``--strict`` was given (nothing is written), 2 usage error (unknown format, unreadable input or menu, or an
input that gives no trajectory: not of that format, or empty; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from trajdyn.analyzer.report import plain_text
from trajdyn.exceptions import InputError
from trajdyn.formats import FORMATS, convert, detect_format, write_jsonl

EXIT_OK: Final = 0
EXIT_INPUT_ERRORS: Final = 1
EXIT_USAGE: Final = 2
AUTO: Final = "auto"
_PROG: Final = "trajdyn-import"


def _span_formats() -> list[str]:
    return [name for name, fmt in FORMATS.items() if fmt.kind == "spans"]


def _parser() -> argparse.ArgumentParser:
    formats = "\n".join(f"  {name:<18} {FORMATS[name].description}" for name in _span_formats())
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Convert a foreign agent-loop log into conventions-v1 OTLP/JSON lines.",
        epilog=f"formats:\n{formats}\n  {AUTO:<18} detect the format from the file's content",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", metavar="FORMAT", help="log format (see below) or 'auto'")
    parser.add_argument("input", metavar="INPUT", type=Path, help="the log file (plain or .gz)")
    parser.add_argument("-o", "--output", default="-", help="output OTLP/JSON lines file; '-' for stdout (default)")
    parser.add_argument("--menu", type=Path, default=None, help='knob menu JSON ({"knobs": {name: ...}})')
    parser.add_argument("--strict", action="store_true", help="exit 1 and write nothing if any row is bad")
    parser.add_argument("-q", "--quiet", action="store_true", help="print no summary and no row errors")
    return parser


def _nothing_imported(path: Path, fmt: str) -> str:
    """Why ``path`` gave no trajectory as ``fmt``: it is another format (named when detected), or none is in it."""
    if detect_format(path, kind="spans") == fmt:
        return f"{path}: no {fmt} trajectory in it (nothing written)"
    found = detect_format(path)
    what = f"it looks like {found}" if found is not None else "no format trajdyn imports recognises it"
    return f"{path}: not in the {fmt} format ({what}); nothing written"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    fmt: str | None = None if args.format == AUTO else args.format
    if fmt is not None and fmt not in _span_formats():
        print(
            plain_text(f"{_PROG}: unknown format {fmt!r} (known: {', '.join(_span_formats())}, {AUTO})"),
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        result = convert(args.input, fmt, menu=args.menu)
    except InputError as exc:
        print(plain_text(f"{_PROG}: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        for error in result.errors:
            print(plain_text(f"{_PROG}: {error}"), file=sys.stderr)
    if not result.requests:  # nothing to write: never an empty output and exit 0
        print(plain_text(f"{_PROG}: {_nothing_imported(args.input, result.format)}"), file=sys.stderr)
        return EXIT_USAGE
    if args.strict and result.errors:
        print(f"{_PROG}: {len(result.errors)} bad row(s); nothing written (--strict)", file=sys.stderr)
        return EXIT_INPUT_ERRORS
    try:
        if args.output == "-":
            n_spans = write_jsonl(result.requests, sys.stdout)
        else:
            n_spans = write_jsonl(result.requests, Path(args.output))
    except OSError as exc:
        print(plain_text(f"{_PROG}: cannot write {args.output}: {exc.strerror or exc}"), file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        print(
            f"{_PROG}: {result.format}: {len(result.requests)} trajectory(ies), {n_spans} spans → {where}"
            f"{f'; {len(result.errors)} row(s) skipped' if result.errors else ''}",
            file=sys.stderr,
        )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
