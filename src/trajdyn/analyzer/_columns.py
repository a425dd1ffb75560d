"""Column names and dtypes of the analyzer's polars frames: the contract between ingest, model and metrics.

Attribute keys come from :mod:`trajdyn.conventions`; this module only maps them to short column names that
read well in a notebook. Four frames:

``spans`` (``read_spans``)
    one row per distinct span, every trajdyn.* / gen_ai.* attribute of conventions v1 as a typed column
    (column name = the attribute key itself, e.g. ``"trajdyn.iteration"``), ``trajdyn.metrics.<name>`` keys as
    Float64 columns of that name, all other span attributes kept as a JSON object string in ``attributes``.
``trajectories`` / ``steps`` / ``events``
    derived by :mod:`trajdyn.analyzer.model`, with the short column names below.

No string here is an attribute key; keys are imported from conventions.
"""

from __future__ import annotations

from typing import Final

from trajdyn import conventions as C

# ---- spans frame: fixed columns (attribute columns are named by their conventions key) -------------------
TRACE_ID: Final = "trace_id"  # Utf8, 32 lower-case hex
SPAN_ID: Final = "span_id"  # Utf8, 16 lower-case hex
PARENT_SPAN_ID: Final = "parent_span_id"  # Utf8, null for a root span
NAME: Final = "name"  # Utf8
KIND: Final = "kind"  # Int8, OTLP SpanKind number (0 unspecified … 5 consumer)
START_NS: Final = "start_ns"  # Int64, unix nanoseconds
END_NS: Final = "end_ns"  # Int64, unix nanoseconds
STATUS_CODE: Final = "status_code"  # Int8, 0 unset, 1 ok, 2 error
STATUS_MESSAGE: Final = "status_message"  # Utf8
SERVICE_NAME: Final = "service_name"  # Utf8, resource attribute service.name
RESOURCE: Final = "resource"  # Utf8, JSON object of the other resource attributes
SCOPE_NAME: Final = "scope_name"  # Utf8
SCOPE_VERSION: Final = "scope_version"  # Utf8
ATTRIBUTES: Final = "attributes"  # Utf8, JSON object of attributes that are not typed columns
SOURCE: Final = "source"  # Utf8, input path the span came from
LINE: Final = "line"  # Int64, 1-based line (or document index) in that input

# ---- events frame ----------------------------------------------------------------------------------------
EVENT_NAME: Final = "event"  # Utf8
TIME_NS: Final = "time_ns"  # Int64

# ---- trajectories / steps frames -----------------------------------------------------------------------
TRAJECTORY_ID: Final = "trajectory_id"
"""Utf8: ``trajdyn.trajectory.id`` when present, else the root span id, else the trace id."""
ROOT_SPAN_ID: Final = "root_span_id"  # Utf8, null when the root never arrived
HAS_ROOT: Final = "has_root"  # Boolean
TASK_ID: Final = "task_id"
TASK_CATEGORY: Final = "task_category"
TASK_TEXT: Final = "task_text"
AGENT: Final = "agent"
MODEL: Final = "model"
PROVIDER: Final = "provider"
RUN_ID: Final = "run_id"
ATTEMPT: Final = "attempt"
PERTURBATION_GROUP: Final = "perturbation_group"
VARIANT: Final = "variant"
SPLIT: Final = "split"
LEARNING_KEY: Final = "learning_key"
EXECUTION_MODE: Final = "execution_mode"
KNOB_MENU: Final = "knob_menu"  # List(Utf8), null without a menu
OBJECTIVE: Final = "objective"  # Utf8, "minimize" | "maximize" (default maximize)
METRIC_NAME: Final = "metric_name"
BASELINE: Final = "baseline"  # Float64
REWARD: Final = "reward"  # Float64
OUTCOME: Final = "outcome"
INPUT_TOKENS: Final = "input_tokens"  # Int64
OUTPUT_TOKENS: Final = "output_tokens"  # Int64
COST: Final = "cost"  # Float64, US dollars as the producer recorded them (null when not recorded)
N_STEPS: Final = "n_steps"  # UInt32/Int64
SWEEP_KNOB: Final = "sweep_knob"  # Utf8: trajdyn.knob on the root span (a sweep run's constant)
SWEEP_VALUE: Final = "sweep_value"  # Utf8: trajdyn.value on the root span (the constant's value in that run)
KNOB_DEFAULT: Final = "knob_default"  # Utf8: the swept knob's current default (canonical string)
SWEEP_DEGENERATE: Final = "sweep_degenerate"  # Boolean: the run's scenario is degenerate (counted, never scored)

PHASE: Final = "phase"  # Utf8
ITERATION: Final = "iteration"  # Int64
KNOB: Final = "knob"
VALUE: Final = "value"  # canonical string
ACTION: Final = "action"
REPEAT: Final = "repeat"  # Boolean (as emitted; the analyzer recomputes repeats itself)
BLOCKED: Final = "blocked"  # Boolean, null → false
CONTENT: Final = "content"
METRIC: Final = "metric"  # Float64
DECISION: Final = "decision"  # Utf8, "keep" | "revert" (normalised)
ENTRY_ID: Final = "entry_id"
SUCCESS: Final = "success"
REASON: Final = "reason"

TRAJECTORY_COLUMNS: Final[dict[str, str]] = {
    TASK_ID: C.TASK_ID,
    TASK_CATEGORY: C.TASK_CATEGORY,
    TASK_TEXT: C.TASK_TEXT,
    AGENT: C.GEN_AI_AGENT_NAME,
    MODEL: C.GEN_AI_REQUEST_MODEL,
    PROVIDER: C.GEN_AI_PROVIDER_NAME,
    RUN_ID: C.RUN_ID,
    ATTEMPT: C.ATTEMPT,
    PERTURBATION_GROUP: C.PERTURBATION_GROUP,
    VARIANT: C.PERTURBATION_VARIANT,
    SPLIT: C.SPLIT,
    LEARNING_KEY: C.LEARNING_KEY,
    EXECUTION_MODE: C.EXECUTION_MODE,
    KNOB_MENU: C.KNOB_MENU,
    OBJECTIVE: C.OBJECTIVE,
    METRIC_NAME: C.METRIC_NAME,
    BASELINE: C.BASELINE,
    REWARD: C.REWARD,
    OUTCOME: C.OUTCOME,
    INPUT_TOKENS: C.GEN_AI_USAGE_INPUT_TOKENS,
    OUTPUT_TOKENS: C.GEN_AI_USAGE_OUTPUT_TOKENS,
    COST: C.COST,
    SWEEP_KNOB: C.KNOB,
    SWEEP_VALUE: C.VALUE,
    KNOB_DEFAULT: C.KNOB_DEFAULT,
    SWEEP_DEGENERATE: C.SWEEP_DEGENERATE,
}
"""trajectories-frame column → the root-span attribute it is read from."""

STEP_COLUMNS: Final[dict[str, str]] = {
    PHASE: C.PHASE,
    ITERATION: C.ITERATION,
    KNOB: C.KNOB,
    VALUE: C.VALUE,
    ACTION: C.ACTION,
    REPEAT: C.REPEAT,
    BLOCKED: C.BLOCKED,
    CONTENT: C.CONTENT,
    METRIC: C.METRIC,
    DECISION: C.DECISION,
    REWARD: C.REWARD,
    INPUT_TOKENS: C.GEN_AI_USAGE_INPUT_TOKENS,
    OUTPUT_TOKENS: C.GEN_AI_USAGE_OUTPUT_TOKENS,
}
"""steps-frame column → the step-span attribute it is read from."""

EVENT_COLUMNS: Final[dict[str, str]] = {
    ENTRY_ID: C.PLAYBOOK_ENTRY_ID,
    SUCCESS: C.PLAYBOOK_SUCCESS,
    REASON: C.REASON,
}
"""events-frame column → the event attribute it is read from."""
