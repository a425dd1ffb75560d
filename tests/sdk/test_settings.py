"""``Settings.resolve(args, env)``: the pure half of ``configure()``, tested without any provider or exporter.

Precedence for every setting: argument, then ``TRAJDYN_*``, then ``OTEL_*`` where one exists, then the default; a bad
environment value is logged and the next source used; a bad argument raises ``ConfigurationError`` (a ValueError).
"""

from __future__ import annotations

import inspect
import logging
import os
from pathlib import Path
from typing import Any

import pytest

import trajdyn
from tests.sdk.conftest import run_python
from trajdyn import conventions as C
from trajdyn.sdk._settings import Arguments, Settings

# setting, an argument, then the environment sources in precedence order as (variable, raw value, value), default
PRECEDENCE: list[tuple[str, Any, list[tuple[str, str, Any]], Any]] = [
    (
        "capture_content",
        False,
        [(C.ENV_CAPTURE_CONTENT, "yes", True), (C.ENV_OTEL_CAPTURE_CONTENT, "false", False)],
        False,
    ),
    ("max_content_length", 7, [(C.ENV_MAX_CONTENT_LENGTH, "99", 99)], C.DEFAULT_MAX_CONTENT_LENGTH),
    ("sidecar_interval", 0.5, [(C.ENV_SIDECAR_INTERVAL, "2.5", 2.5)], C.DEFAULT_SIDECAR_INTERVAL_S),
    ("disabled", False, [(C.ENV_DISABLED, "on", True)], False),
    ("rotate_bytes", 1000, [(C.ENV_ROTATE_BYTES, "4096", 4096)], None),
    ("service_name", "mine", [("OTEL_SERVICE_NAME", "theirs", "theirs")], C.INSTRUMENTATION_SCOPE),
]


@pytest.mark.parametrize(("name", "argument", "sources", "default"), PRECEDENCE)
def test_argument_then_trajdyn_variable_then_otel_variable_then_default(
    name: str, argument: Any, sources: list[tuple[str, str, Any]], default: Any
) -> None:
    """Each source wins over the ones after it, and decides only when the ones before it give nothing."""
    env = {variable: raw for variable, raw, _ in sources}
    assert getattr(Settings.resolve({}, {}), name) == default
    assert getattr(Settings.resolve({name: argument}, env), name) == argument  # type: ignore[misc]
    for i, (_, _, value) in enumerate(sources):
        later = {variable: raw for variable, raw, _ in sources[i:]}
        assert getattr(Settings.resolve({}, later), name) == value


@pytest.mark.parametrize(
    ("variable", "raw", "setting", "expected"),
    [
        (C.ENV_CAPTURE_CONTENT, "maybe", "capture_content", False),
        (C.ENV_DISABLED, "2", "disabled", False),
        (C.ENV_MAX_CONTENT_LENGTH, "lots", "max_content_length", C.DEFAULT_MAX_CONTENT_LENGTH),
        (C.ENV_MAX_CONTENT_LENGTH, "-3", "max_content_length", C.DEFAULT_MAX_CONTENT_LENGTH),
        (C.ENV_SIDECAR_INTERVAL, "soon", "sidecar_interval", C.DEFAULT_SIDECAR_INTERVAL_S),
        (C.ENV_ROTATE_BYTES, "big", "rotate_bytes", None),
        (C.ENV_EXPORTER, "file,kafka", "exporters", ("file",)),
    ],
)
def test_a_bad_environment_value_is_logged_and_the_default_used(
    variable: str, raw: str, setting: str, expected: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A typo in the environment never stops the program: one warning, naming the variable and its value."""
    with caplog.at_level(logging.WARNING, logger="trajdyn"):
        settings = Settings.resolve({}, {variable: raw})
    assert getattr(settings, setting) == expected
    (record,) = caplog.records
    assert variable in record.getMessage() and repr(raw) in record.getMessage()


def test_a_bad_trajdyn_variable_falls_back_to_the_otel_one(caplog: pytest.LogCaptureFixture) -> None:
    """A bad TRAJDYN_CAPTURE_CONTENT is skipped, and the next source, the OTel GenAI variable, decides."""
    env = {C.ENV_CAPTURE_CONTENT: "perhaps", C.ENV_OTEL_CAPTURE_CONTENT: "true"}
    with caplog.at_level(logging.WARNING, logger="trajdyn"):
        assert Settings.resolve({}, env).capture_content is True
    assert len(caplog.records) == 1


def test_an_argument_given_leaves_a_bad_variable_unread(caplog: pytest.LogCaptureFixture) -> None:
    """The environment is read only when the argument is absent: no warning about a value that is not used."""
    with caplog.at_level(logging.WARNING, logger="trajdyn"):
        s = Settings.resolve(
            {"capture_content": True, "max_content_length": 5},
            {C.ENV_CAPTURE_CONTENT: "??", C.ENV_MAX_CONTENT_LENGTH: "x"},
        )
    assert (s.capture_content, s.max_content_length) == (True, 5)
    assert caplog.records == []


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"otlp": "yes"}, "otlp"),
        ({"sidecar_interval": -1}, "sidecar_interval"),
        ({"sidecar_interval": "1"}, "sidecar_interval"),
        ({"max_content_length": -1}, "max_content_length"),
        ({"max_content_length": 1.5}, "max_content_length"),
        ({"rotate_bytes": 0}, "rotate_bytes"),
        ({"rotate_bytes": True}, "rotate_bytes"),
        ({"exporters": ["file", "kafka"]}, "kafka"),
        ({"exporters": [object()]}, "exporter name or a SpanExporter"),
        ({"flie": "spans.jsonl"}, "flie"),
    ],
)
def test_a_bad_argument_raises_configuration_error_naming_it(args: dict[str, Any], names: str) -> None:
    """Bad arguments are the caller's bug: ConfigurationError (a ValueError) naming the argument or value."""
    with pytest.raises(ValueError, match=names) as err:
        Settings.resolve(args, {})  # type: ignore[arg-type]
    assert isinstance(err.value, trajdyn.ConfigurationError)


def test_zero_configuration_writes_the_default_file_with_its_sidecar(tmp_path: Path) -> None:
    """No argument, no variable: the file exporter, ./trajdyn-out/spans-<pid>.jsonl (or under TRAJDYN_HOME)."""
    s = Settings.resolve({}, {})
    assert s.exporters == ("file",)
    assert s.spans_file == Path.cwd() / C.DEFAULT_OUTPUT_DIR / f"spans-{os.getpid()}.jsonl"
    assert s.sidecar == s.spans_file.with_name(f"spans-{os.getpid()}.coverage.json")
    home = Settings.resolve({}, {C.ENV_HOME: str(tmp_path)})
    assert home.spans_file == tmp_path / f"spans-{os.getpid()}.jsonl"
    assert Settings.resolve({}, {C.ENV_FILE: str(tmp_path / "s.jsonl")}).spans_file == tmp_path / "s.jsonl"


OTLP_ENV = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}


@pytest.mark.parametrize(
    ("args", "env", "exporters"),
    [
        ({}, OTLP_ENV, ("file", "otlp")),  # zero configuration: the standard OTLP variables are the configuration
        ({}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": " "}, ("file",)),  # a blank endpoint is no endpoint
        ({"file": "s.jsonl"}, OTLP_ENV, ("file",)),  # an explicit file: a stray endpoint adds no network export
        ({"file": "s.jsonl", "otlp": True}, {}, ("file", "otlp")),
        ({}, {**OTLP_ENV, C.ENV_EXPORTER: "file,otlp"}, ("file", "otlp")),
        ({"otlp": False}, OTLP_ENV, ("file",)),
        ({"exporters": ["otlp"], "otlp": False}, {}, ()),
        ({}, {C.ENV_EXPORTER: "none"}, ()),
        ({"exporters": ["none"], "otlp": True}, {}, ("otlp",)),
        ({"tracer_provider": object()}, {}, ()),  # the caller's provider, and no file asked for: theirs alone
        ({"tracer_provider": object(), "file": "s.jsonl"}, {}, ("file",)),
        ({"tracer_provider": object()}, {C.ENV_FILE: "s.jsonl"}, ("file",)),
        ({"exporters": ["otlp"]}, {C.ENV_FILE: "s.jsonl"}, ("otlp",)),  # explicit exporters: the file is not added
        ({"disabled": True, "otlp": True}, OTLP_ENV, ()),
    ],
)
def test_exporter_choice(args: dict[str, Any], env: dict[str, str], exporters: tuple[str, ...]) -> None:
    """Which exporters, in which order; the spans file is set exactly when the file exporter is among them."""
    s = Settings.resolve(args, env)  # type: ignore[arg-type]
    assert s.exporters == exporters
    assert (s.spans_file is not None) == ("file" in exporters)


def test_sidecar_path_argument_then_variable_then_next_to_the_file(tmp_path: Path) -> None:
    """The sidecar: sidecar=, else TRAJDYN_SIDECAR, else next to the spans file, else none."""
    env = {C.ENV_SIDECAR: str(tmp_path / "env.json")}
    assert Settings.resolve({"sidecar": tmp_path / "arg.json"}, env).sidecar == tmp_path / "arg.json"
    assert Settings.resolve({}, env).sidecar == tmp_path / "env.json"
    assert Settings.resolve({"file": tmp_path / "s.jsonl"}, {}).sidecar == tmp_path / "s.coverage.json"
    assert Settings.resolve({"exporters": ["none"]}, {}).sidecar is None
    assert Settings.resolve({"disabled": True, "file": tmp_path / "s.jsonl"}, {}).sidecar is None


def test_resolve_reads_the_given_environment_not_the_process_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """env= is the whole environment: os.environ is not consulted (and never written)."""
    monkeypatch.setenv(C.ENV_CAPTURE_CONTENT, "true")
    monkeypatch.setenv(C.ENV_EXPORTER, "none")
    before = dict(os.environ)
    s = Settings.resolve({}, {})
    assert (s.capture_content, s.exporters) == (False, ("file",))
    assert dict(os.environ) == before


def test_resolve_imports_no_opentelemetry_sdk() -> None:
    """Settings are decided without the OpenTelemetry SDK (the wiring imports it, on first use)."""
    proc = run_python(
        """
        import sys
        from trajdyn.sdk._settings import Settings
        s = Settings.resolve({"file": "x.jsonl", "otlp": True, "capture_content": True}, {})
        print(s.exporters, sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk")))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "('file', 'otlp') []"


def test_arguments_are_the_keyword_arguments_of_configure() -> None:
    """Arguments (what resolve reads) and configure()'s signature name the same arguments."""
    params = inspect.signature(trajdyn.configure).parameters
    assert set(params) == Arguments.__optional_keys__
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
