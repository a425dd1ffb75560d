"""trajdyn wire conventions, version 1: the contract between the SDK, the analyzer, importers and third-party emitters.

This is the ONE module that spells span names, attribute keys, event names, enum values, environment
variables and file schemas. Everything else imports the constants from here. The human-readable version
is ``docs/conventions.md``; the two are kept in step by ``tests/test_conventions.py``.

OpenTelemetry GenAI semantic-convention names (``gen_ai.*``) are reused where they exist.
"""

from __future__ import annotations

from typing import Final, Literal

CONVENTIONS_VERSION: Final = "1"
SCHEMA_URL: Final = "https://trajdyn.dev/conventions/1"
INSTRUMENTATION_SCOPE: Final = "trajdyn"

# --------------------------------------------------------------------------------------------------
# Span names and phases
# --------------------------------------------------------------------------------------------------
OPERATION_INVOKE_AGENT: Final = "invoke_agent"
"""Value of ``gen_ai.operation.name`` on a trajectory (root) span; also the root span's name prefix."""

PHASE_PROPOSE: Final = "propose"
PHASE_OBSERVE: Final = "observe"
PHASE_DECIDE: Final = "decide"
PHASES: Final = (PHASE_PROPOSE, PHASE_OBSERVE, PHASE_DECIDE)
Phase = Literal["propose", "observe", "decide"]


def trajectory_span_name(agent_name: str | None) -> str:
    """Root span name: ``invoke_agent {gen_ai.agent.name}``, or ``invoke_agent`` without an agent name."""
    return f"{OPERATION_INVOKE_AGENT} {agent_name}" if agent_name else OPERATION_INVOKE_AGENT


# --------------------------------------------------------------------------------------------------
# OpenTelemetry GenAI attributes (reused)
# --------------------------------------------------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"

# --------------------------------------------------------------------------------------------------
# Other OpenTelemetry semantic-convention keys trajdyn reads or writes
# --------------------------------------------------------------------------------------------------
SERVICE_NAME: Final = "service.name"
"""Resource attribute; the analyzer keeps it as the ``service_name`` column."""
VCS_REF_HEAD_REVISION: Final = "vcs.ref.head.revision"
"""The commit a step was evaluated at (set by the ``autoresearch-tsv`` importer on propose spans)."""

# --------------------------------------------------------------------------------------------------
# Import provenance (resource attributes of spans written by ``trajdyn-import``)
# --------------------------------------------------------------------------------------------------
IMPORT_SERVICE_NAME: Final = "trajdyn-import"
"""``service.name`` of imported spans."""
IMPORT_SOURCE: Final = "trajdyn.import.source"
"""Resource attribute: the path of the file the spans were imported from."""
IMPORT_FORMAT: Final = "trajdyn.import.format"
"""Resource attribute: the importer's format name (``autoresearch`` …)."""
IMPORT_SCOPE_PREFIX: Final = "trajdyn.import."
"""Instrumentation scope of an importer: ``trajdyn.import.<format>``."""

# --------------------------------------------------------------------------------------------------
# Trajectory (root span) attributes
# --------------------------------------------------------------------------------------------------
TRAJECTORY_ID: Final = "trajdyn.trajectory.id"
"""String; default a fresh uuid4 hex. Also set on every step span the SDK emits, so that steps can be
grouped even when the root span never arrived (a crashed run)."""
TASK_ID: Final = "trajdyn.task.id"
TASK_CATEGORY: Final = "trajdyn.task.category"
TASK_TEXT: Final = "trajdyn.task.text"
"""Only with content capture on."""
RUN_ID: Final = "trajdyn.run.id"
ATTEMPT: Final = "trajdyn.attempt"
PERTURBATION_GROUP: Final = "trajdyn.perturbation.group"
PERTURBATION_VARIANT: Final = "trajdyn.perturbation.variant"
VARIANT_ORIGINAL: Final = "original"
SPLIT: Final = "trajdyn.split"
SPLITS: Final = ("train", "validation", "test")
LEARNING_KEY: Final = "trajdyn.learning_key"
EXECUTION_MODE: Final = "trajdyn.execution_mode"

# search space
KNOB_MENU: Final = "trajdyn.knob.menu"
KNOB_DEFAULT: Final = "trajdyn.knob.default"
"""Sweep runs: the canonical value of the swept knob's current default (the value a proposal is compared with)."""
SWEEP_DEGENERATE: Final = "trajdyn.sweep.degenerate"
"""Sweep runs: bool, the scenario's result is degenerate (no relevant item, a trivial ranking …): the run is counted,
never scored."""
OBJECTIVE: Final = "trajdyn.objective"
OBJECTIVE_MINIMIZE: Final = "minimize"
OBJECTIVE_MAXIMIZE: Final = "maximize"
OBJECTIVES: Final = (OBJECTIVE_MINIMIZE, OBJECTIVE_MAXIMIZE)
DEFAULT_OBJECTIVE: Final = OBJECTIVE_MAXIMIZE
Objective = Literal["minimize", "maximize"]
METRIC_NAME: Final = "trajdyn.metric.name"
BASELINE: Final = "trajdyn.baseline"

# outcome (also allowed on any step)
REWARD: Final = "trajdyn.reward"
OUTCOME: Final = "trajdyn.outcome"
OUTCOME_SUCCESS: Final = "success"
OUTCOME_FAILURE: Final = "failure"
OUTCOME_ERROR: Final = "error"
COST: Final = "trajdyn.cost"
"""Double, US dollars: what the trajectory's (or a step's) model calls cost, as the producer recorded it."""

# --------------------------------------------------------------------------------------------------
# Step span attributes
# --------------------------------------------------------------------------------------------------
PHASE: Final = "trajdyn.phase"
ITERATION: Final = "trajdyn.iteration"
"""Int >= 1. Each propose that is not blocked opens the next iteration; observe and decide carry the
current one. A blocked propose carries the iteration its re-proposal will open and is not an iteration."""

# propose
KNOB: Final = "trajdyn.knob"
VALUE: Final = "trajdyn.value"
"""Canonical string, see :func:`trajdyn.canonical_value`."""
ACTION: Final = "trajdyn.action"
"""Canonical action signature: ``knob=value`` for knob proposals, the tool name for tool calls."""
REPEAT: Final = "trajdyn.repeat"
BLOCKED: Final = "trajdyn.blocked"
"""Bool: the proposal was refused before evaluation (repeat guard, rails) and is not an iteration."""
CONTENT: Final = "trajdyn.content"
"""Step text (prompt, response, tool arguments); only with content capture on."""
CONTENT_LENGTH_SUFFIX: Final = ".original_length"
"""``<key>.original_length`` (int) is set when a captured value was truncated."""

# observe
METRIC: Final = "trajdyn.metric"
METRICS_PREFIX: Final = "trajdyn.metrics."
"""Further metrics: ``trajdyn.metrics.<name>`` (double)."""


def metrics_key(name: str) -> str:
    """Attribute key of a secondary metric: ``trajdyn.metrics.<name>``."""
    return METRICS_PREFIX + name


# decide
DECISION: Final = "trajdyn.decision"
DECISION_KEEP: Final = "keep"
DECISION_REVERT: Final = "revert"
DECISIONS: Final = (DECISION_KEEP, DECISION_REVERT)
Decision = Literal["keep", "revert"]
DECISION_ALIASES: Final[dict[str, str]] = {
    "keep": DECISION_KEEP,
    "kept": DECISION_KEEP,
    "true": DECISION_KEEP,
    "accept": DECISION_KEEP,
    "accepted": DECISION_KEEP,
    "revert": DECISION_REVERT,
    "reverted": DECISION_REVERT,
    "false": DECISION_REVERT,
    "discard": DECISION_REVERT,
    "discarded": DECISION_REVERT,
    "reject": DECISION_REVERT,
    "rejected": DECISION_REVERT,
}
"""Lower-cased spellings accepted from user code and foreign logs, mapped to the canonical decision."""

# the Ratchet's evidence, set on decide spans whose function returned a trajdyn.RatchetDecision (docs/sdk.md)
RATCHET_PREFIX: Final = "trajdyn.ratchet."
RATCHET_STEP: Final = "trajdyn.ratchet.step"
"""``decide`` (a candidate against the incumbent) or ``confirm`` (accumulated keeps re-checked on a fresh split)."""
RATCHET_STEPS: Final = ("decide", "confirm")
RatchetStep = Literal["decide", "confirm"]
RATCHET_IMPROVEMENT: Final = "trajdyn.ratchet.improvement"
"""Mean paired improvement, in the metric's units, positive = better whatever the objective."""
RATCHET_CI_LOW: Final = "trajdyn.ratchet.ci_low"
"""One-sided lower confidence bound of the mean paired improvement (paired t) at ``trajdyn.ratchet.confidence``."""
RATCHET_CI_HIGH: Final = "trajdyn.ratchet.ci_high"
"""One-sided upper bound at the same confidence (with the lower: a ``2·confidence − 1`` interval)."""
RATCHET_CONFIDENCE: Final = "trajdyn.ratchet.confidence"
RATCHET_MIN_EFFECT: Final = "trajdyn.ratchet.min_effect"
"""η: the candidate is kept only when the lower bound exceeds it."""
RATCHET_N: Final = "trajdyn.ratchet.n"
"""Paired scores used."""
RATCHET_N_EXCLUDED: Final = "trajdyn.ratchet.n_excluded"
"""Pairs left out: a task scored on one side only, a non-finite incumbent score, or a non-finite candidate score
(which always reverts)."""
RATCHET_QUERIES: Final = "trajdyn.ratchet.queries"
"""Decisions made so far on the data the loop decides on (queries of it), this one included."""
RATCHET_CONFIRM_QUERIES: Final = "trajdyn.ratchet.confirm_queries"
"""Confirmations made so far on fresh splits, this one included."""
RATCHET_PENDING: Final = "trajdyn.ratchet.pending"
"""Keeps since the last confirmation (0 after a confirmation)."""
RATCHET_CONFIRM_DUE: Final = "trajdyn.ratchet.confirm_due"
"""Bool: ``confirm_every`` keeps have accumulated; the caller should confirm them on a fresh split."""
RATCHET_REASON: Final = "trajdyn.ratchet.reason"
"""The decision's reason in words (the bound against η, too few pairs, a rollback …)."""

# live coverage numbers, set on decide spans
COVERAGE_PREFIX: Final = "trajdyn.coverage."
COVERAGE_KNOBS_TOUCHED: Final = "trajdyn.coverage.knobs_touched"
COVERAGE_KNOB_COVERAGE: Final = "trajdyn.coverage.knob_coverage"
COVERAGE_UNIQUE_PAIRS: Final = "trajdyn.coverage.unique_pairs"
COVERAGE_REPEAT_COUNT: Final = "trajdyn.coverage.repeat_count"
COVERAGE_REPEAT_RATE: Final = "trajdyn.coverage.repeat_rate"
COVERAGE_KEEP_COUNT: Final = "trajdyn.coverage.keep_count"
COVERAGE_BEST_VALUE: Final = "trajdyn.coverage.best_value"
COVERAGE_BEST_ITERATION: Final = "trajdyn.coverage.best_iteration"
COVERAGE_SINCE_IMPROVEMENT: Final = "trajdyn.coverage.since_improvement"
COVERAGE_ATTRIBUTES: Final = (
    COVERAGE_KNOBS_TOUCHED,
    COVERAGE_KNOB_COVERAGE,
    COVERAGE_UNIQUE_PAIRS,
    COVERAGE_REPEAT_COUNT,
    COVERAGE_REPEAT_RATE,
    COVERAGE_KEEP_COUNT,
    COVERAGE_BEST_VALUE,
    COVERAGE_BEST_ITERATION,
    COVERAGE_SINCE_IMPROVEMENT,
)

# --------------------------------------------------------------------------------------------------
# Events (on any span of a trajectory)
# --------------------------------------------------------------------------------------------------
EVENT_CUE_HIT: Final = "trajdyn.playbook.cue_hit"
EVENT_ADOPTION: Final = "trajdyn.playbook.adoption"
EVENT_RETRY: Final = "trajdyn.retry"
EVENT_FAILURE: Final = "trajdyn.failure"
EVENT_EXCEPTION: Final = "exception"
"""The standard OpenTelemetry exception event; the span's status is ERROR."""
PLAYBOOK_ENTRY_ID: Final = "trajdyn.playbook.entry_id"
PLAYBOOK_SUCCESS: Final = "trajdyn.playbook.success"
REASON: Final = "trajdyn.reason"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
EXCEPTION_ESCAPED: Final = "exception.escaped"
"""The other two keys of the standard exception event (not read by the analyzer)."""

# --------------------------------------------------------------------------------------------------
# Metric instruments (OpenTelemetry metrics, when a MeterProvider is configured)
# --------------------------------------------------------------------------------------------------
INSTRUMENT_PREFIX: Final = "trajdyn.coverage."
"""Gauges named like the coverage attributes (``trajdyn.coverage.repeat_rate`` …), with the
``trajdyn.trajectory.id`` and ``trajdyn.task.id`` attributes."""

# --------------------------------------------------------------------------------------------------
# Foreign conventions: keys of other instrumentations the analyzer reads when a trace carries no trajdyn step
# (docs/conventions.md, "Foreign conventions"; the mapping is trajdyn.analyzer.foreign). Never written by trajdyn.
# --------------------------------------------------------------------------------------------------
# OpenTelemetry GenAI semantic conventions
OPERATION_EXECUTE_TOOL: Final = "execute_tool"
OPERATION_CHAT: Final = "chat"
OPERATION_GENERATE_CONTENT: Final = "generate_content"
OPERATION_TEXT_COMPLETION: Final = "text_completion"
OPERATION_CALL_LLM: Final = "call_llm"
"""any-agent's operation name for a model call (its GenAI dialect)."""
MODEL_OPERATIONS: Final = (
    OPERATION_CHAT,
    OPERATION_GENERATE_CONTENT,
    OPERATION_TEXT_COMPLETION,
    OPERATION_CALL_LLM,
)
"""``gen_ai.operation.name`` values of a model call."""
FOREIGN_GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
FOREIGN_GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
FOREIGN_GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
FOREIGN_GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
FOREIGN_GEN_AI_TOOL_ARGS: Final = "gen_ai.tool.args"
"""any-agent: the tool call's arguments."""
FOREIGN_GEN_AI_OUTPUT: Final = "gen_ai.output"
"""any-agent: a tool's result (or a model's output)."""
FOREIGN_GEN_AI_INPUT_COST: Final = "gen_ai.usage.input_cost"
"""any-agent: USD cost of a model call's input tokens."""
FOREIGN_GEN_AI_OUTPUT_COST: Final = "gen_ai.usage.output_cost"
# OpenInference (Arize Phoenix)
FOREIGN_OPENINFERENCE_SPAN_KIND: Final = "openinference.span.kind"
OPENINFERENCE_AGENT: Final = "AGENT"
OPENINFERENCE_CHAIN: Final = "CHAIN"
OPENINFERENCE_TOOL: Final = "TOOL"
OPENINFERENCE_LLM: Final = "LLM"
FOREIGN_OPENINFERENCE_TOOL_NAME: Final = "tool.name"
FOREIGN_OPENINFERENCE_INPUT_VALUE: Final = "input.value"
FOREIGN_OPENINFERENCE_OUTPUT_VALUE: Final = "output.value"
FOREIGN_OPENINFERENCE_SESSION_ID: Final = "session.id"
FOREIGN_OPENINFERENCE_MODEL_NAME: Final = "llm.model_name"
FOREIGN_OPENINFERENCE_PROMPT_TOKENS: Final = "llm.token_count.prompt"
FOREIGN_OPENINFERENCE_COMPLETION_TOKENS: Final = "llm.token_count.completion"
FOREIGN_COST_PROMPT: Final = "cost_prompt"
"""any-agent on OpenInference spans: USD cost of a model call's prompt."""
FOREIGN_COST_COMPLETION: Final = "cost_completion"
# OpenLLMetry (Traceloop)
FOREIGN_TRACELOOP_SPAN_KIND: Final = "traceloop.span.kind"
TRACELOOP_WORKFLOW: Final = "workflow"
TRACELOOP_AGENT: Final = "agent"
TRACELOOP_TOOL: Final = "tool"
FOREIGN_TRACELOOP_ENTITY_NAME: Final = "traceloop.entity.name"
FOREIGN_TRACELOOP_ENTITY_INPUT: Final = "traceloop.entity.input"
FOREIGN_TRACELOOP_ENTITY_OUTPUT: Final = "traceloop.entity.output"
FOREIGN_LLM_REQUEST_TYPE: Final = "llm.request.type"
"""OpenLLMetry's model-call marker (``chat`` | ``completion``) on provider spans such as ``openai.chat``."""
LLM_REQUEST_TYPES: Final = ("chat", "completion")
# Langfuse and the Vercel AI SDK (read from a Langfuse trace export)
FOREIGN_LANGFUSE_OBSERVATION_TYPE: Final = "langfuse.observation.type"
FOREIGN_VERCEL_TOOL_CALL_NAME: Final = "ai.toolCall.name"
FOREIGN_VERCEL_TOOL_CALL_ARGS: Final = "ai.toolCall.args"
FOREIGN_VERCEL_TOOL_CALL_RESULT: Final = "ai.toolCall.result"

# --------------------------------------------------------------------------------------------------
# Typed attribute table: the analyzer turns these keys into typed columns
# --------------------------------------------------------------------------------------------------
AttrType = Literal["string", "int", "double", "bool", "string[]"]

ATTRIBUTE_TYPES: Final[dict[str, AttrType]] = {
    GEN_AI_OPERATION_NAME: "string",
    GEN_AI_AGENT_NAME: "string",
    GEN_AI_REQUEST_MODEL: "string",
    GEN_AI_PROVIDER_NAME: "string",
    GEN_AI_USAGE_INPUT_TOKENS: "int",
    GEN_AI_USAGE_OUTPUT_TOKENS: "int",
    TRAJECTORY_ID: "string",
    TASK_ID: "string",
    TASK_CATEGORY: "string",
    TASK_TEXT: "string",
    RUN_ID: "string",
    ATTEMPT: "int",
    PERTURBATION_GROUP: "string",
    PERTURBATION_VARIANT: "string",
    SPLIT: "string",
    LEARNING_KEY: "string",
    EXECUTION_MODE: "string",
    KNOB_MENU: "string[]",
    KNOB_DEFAULT: "string",
    SWEEP_DEGENERATE: "bool",
    OBJECTIVE: "string",
    METRIC_NAME: "string",
    BASELINE: "double",
    REWARD: "double",
    OUTCOME: "string",
    COST: "double",
    PHASE: "string",
    ITERATION: "int",
    KNOB: "string",
    VALUE: "string",
    ACTION: "string",
    REPEAT: "bool",
    BLOCKED: "bool",
    CONTENT: "string",
    METRIC: "double",
    DECISION: "string",
    COVERAGE_KNOBS_TOUCHED: "int",
    COVERAGE_KNOB_COVERAGE: "double",
    COVERAGE_UNIQUE_PAIRS: "int",
    COVERAGE_REPEAT_COUNT: "int",
    COVERAGE_REPEAT_RATE: "double",
    COVERAGE_KEEP_COUNT: "int",
    COVERAGE_BEST_VALUE: "double",
    COVERAGE_BEST_ITERATION: "int",
    COVERAGE_SINCE_IMPROVEMENT: "int",
    RATCHET_STEP: "string",
    RATCHET_IMPROVEMENT: "double",
    RATCHET_CI_LOW: "double",
    RATCHET_CI_HIGH: "double",
    RATCHET_CONFIDENCE: "double",
    RATCHET_MIN_EFFECT: "double",
    RATCHET_N: "int",
    RATCHET_N_EXCLUDED: "int",
    RATCHET_QUERIES: "int",
    RATCHET_CONFIRM_QUERIES: "int",
    RATCHET_PENDING: "int",
    RATCHET_CONFIRM_DUE: "bool",
    RATCHET_REASON: "string",
    PLAYBOOK_ENTRY_ID: "string",
    PLAYBOOK_SUCCESS: "bool",
    REASON: "string",
    EXCEPTION_TYPE: "string",
    EXCEPTION_MESSAGE: "string",
}
"""Every key of conventions v1 with its wire type. ``trajdyn.metrics.<name>`` keys are doubles."""

# --------------------------------------------------------------------------------------------------
# Sidecar file (live coverage)
# --------------------------------------------------------------------------------------------------
SIDECAR_SCHEMA: Final = "trajdyn.coverage/1"
SIDECAR_SUFFIX: Final = ".coverage.json"
"""Default sidecar path: the spans file's path with this suffix in place of its extension."""
DEFAULT_COVERAGE_WINDOW: Final = 10
DEFAULT_SIDECAR_INTERVAL_S: Final = 1.0

# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------
REPORT_SCHEMA: Final = "trajdyn.report/1"
PLAYBOOK_LINT_SCHEMA: Final = "trajdyn.playbook-lint/1"
"""``trajdyn-analyze --playbook FILE --json OUT`` writes this document (see docs/metrics/playbook.md)."""

# --------------------------------------------------------------------------------------------------
# Environment variables (argument > TRAJDYN_* > OTEL_* where one exists > default)
# --------------------------------------------------------------------------------------------------
ENV_FILE: Final = "TRAJDYN_FILE"
"""Path of the OTLP/JSON lines spans file."""
ENV_SIDECAR: Final = "TRAJDYN_SIDECAR"
ENV_SIDECAR_INTERVAL: Final = "TRAJDYN_SIDECAR_INTERVAL"
ENV_EXPORTER: Final = "TRAJDYN_EXPORTER"
"""Comma-separated: ``file``, ``otlp``, ``none``. Default: ``file``, plus ``otlp`` when an
``OTEL_EXPORTER_OTLP_*ENDPOINT`` is set."""
ENV_CAPTURE_CONTENT: Final = "TRAJDYN_CAPTURE_CONTENT"
ENV_OTEL_CAPTURE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_MAX_CONTENT_LENGTH: Final = "TRAJDYN_MAX_CONTENT_LENGTH"
ENV_STRICT: Final = "TRAJDYN_STRICT"
ENV_DISABLED: Final = "TRAJDYN_DISABLED"
ENV_ROTATE_BYTES: Final = "TRAJDYN_FILE_ROTATE_BYTES"
ENV_HOME: Final = "TRAJDYN_HOME"
"""Directory for the zero-configuration spans file; default ``./trajdyn-out``."""
ENV_CACHE_DIR: Final = "TRAJDYN_CACHE_DIR"
"""Directory of the analyzer's on-disk caches (the MiniLM embedding cache); default the user cache directory
(``$XDG_CACHE_HOME/trajdyn``, ``~/.cache/trajdyn``; ``~/Library/Caches/trajdyn`` on macOS;
``%LOCALAPPDATA%\\trajdyn\\Cache`` on Windows)."""
DEFAULT_OUTPUT_DIR: Final = "trajdyn-out"
DEFAULT_MAX_CONTENT_LENGTH: Final = 4096
