"""Foreign span conventions → trajectories: agent runs traced by other instrumentations, read without ``trajdyn.*``.

Spans written by OpenTelemetry GenAI instrumentations (pydantic-ai/Logfire, Google ADK, any-agent …), OpenInference
(Arize Phoenix) or OpenLLMetry (Traceloop) carry no ``trajdyn.phase``; :func:`map_foreign` recognises their agent
runs, turns and model calls and returns the spans frame as conventions v1 would have written it, so that every
report section reads them as it reads the SDK's spans. The rules (docs/conventions.md, "Foreign conventions"):

* **Which traces.** A trace with any span carrying ``trajdyn.phase`` or ``trajdyn.trajectory.id`` is trajdyn's own
  and is left exactly as read (our own attributes win); every other trace is mapped.
* **Roles.** A span is an *agent* span (``gen_ai.operation.name = invoke_agent``; OpenInference kind AGENT or
  CHAIN; ``traceloop.span.kind`` workflow or agent), a *tool* span (``execute_tool``; kind TOOL;
  ``traceloop.span.kind = tool``) or a *model* span (``chat``, ``generate_content``, ``text_completion``, any-agent's
  ``call_llm``; kind LLM; OpenLLMetry's ``llm.request.type`` chat | completion), in that order of precedence.
* **Runs.** A run (trajectory) is an agent span with no agent-span ancestor: the outermost one. Agent spans nested
  in it (a sub-agent, LangGraph nodes that OpenInference labels AGENT, OpenLLMetry's ``invoke_agent`` doubled by its
  workflow span) are part of it, not trajectories of their own (their ``invoke_agent`` is cleared in the mapped
  frame). A run's id is its root span id.
* **Turns.** Every tool span under a run (at any depth) is one turn: a ``propose`` step whose action is the tool
  name (``gen_ai.tool.name`` → ``tool.name`` → ``traceloop.entity.name`` → span name) and whose content is the
  call's arguments, iterations numbered by start time (ties: input order, span id). The tool's result, when
  captured, is an ``observe`` step of the same iteration (a row added to the mapped frame with a span id derived
  from the tool span's), so the dynamics see what the agent saw. LangChain's callback wrappers are unwrapped first
  (OpenLLMetry's ``{"input_str", "inputs", "metadata" …}`` → ``inputs``; a serialized ToolMessage → its content):
  they carry a step number and a call id that differ on every call.
* **Retries.** A tool span that follows, in the same run, an erroring span of the same tool gets a
  ``trajdyn.retry`` event whose reason is the failed call's status message.
* **Model calls.** A model span under a run with no model-span ancestor that is not time-contained in a model span
  of another instrumentation scope in the same trace (one request traced by two instrumentations, e.g. LangChain's
  and OpenAI's, linked to different parents). Tokens: ``gen_ai.usage.input_tokens`` / ``output_tokens``, else
  ``llm.token_count.prompt`` / ``completion``; cost: ``trajdyn.cost``, else any-agent's
  ``gen_ai.usage.input_cost + output_cost``, else ``cost_prompt + cost_completion``.
* **Outside any run.** A tool or model span with no agent-span ancestor is neither a turn nor a counted model call
  (there is no run to charge it to); they are counted by role and reported in one note
  (:func:`outside_runs_note`), never dropped silently. A model span outside that is the double of a counted call
  (it contains or lies inside a model span of another scope under a run, in the same trace) is not counted there.
* **Run facts** (on the root, each only where the root lacks it): ``gen_ai.agent.name`` (else
  ``traceloop.entity.name``, else the span name), ``gen_ai.request.model`` (of the first model call, else
  ``llm.model_name``), ``gen_ai.usage.*`` and ``trajdyn.cost`` summed over the run's model calls (null when none
  recorded them), ``trajdyn.outcome`` ``failure`` when the root's status is ERROR, ``trajdyn.run.id`` from
  ``gen_ai.conversation.id`` / ``session.id`` (a session groups its runs), ``trajdyn.task.text`` from the root's
  ``input.value`` / ``traceloop.entity.input``.

Vectorised polars throughout: the ancestor walk is one join per tree level over the candidate spans; the foreign
keys are read from the ``attributes`` JSON of the candidate rows only. Native input costs one check over two
columns (:func:`needs_mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K

__all__ = ["ForeignRuns", "Mapped", "map_foreign", "model_calls", "needs_mapping", "no_run_note", "outside_runs_note"]

MAX_DEPTH: Final = 256
"""Ancestor walks stop after this many levels (guards against parent cycles in corrupt input)."""

ROLE: Final = "_role"
AGENT: Final = "agent"
TOOL: Final = "tool"
MODEL: Final = "model"
RUN: Final = "_run"
"""Column of :func:`model_calls` and of the classified frame: the span id of the run root a span belongs to."""

_ROW: Final = "_row"
_CUR: Final = "_cur"
_PARENT: Final = "_parent"
_HEX_DIGITS: Final = "0123456789abcdef"
_OBSERVE_SEED: Final = 0x7472616A64796E  # "trajdyn": derives the span id of a tool result's observe row
_MARKERS: Final = (C.FOREIGN_OPENINFERENCE_SPAN_KIND, C.FOREIGN_TRACELOOP_SPAN_KIND, C.FOREIGN_LLM_REQUEST_TYPE)


def _attr(key: str) -> pl.Expr:
    """The value of a foreign attribute key (kept in the ``attributes`` JSON by the reader) as a string."""
    return pl.col(K.ATTRIBUTES).str.json_path_match(f"$['{key}']").alias(key)


def _col(frame: pl.DataFrame, key: str, dtype: pl.DataType) -> pl.Expr:
    if key in frame.columns:
        return pl.col(key)
    return pl.repeat(None, pl.len(), dtype=dtype).alias(key)


def _has_marker(frame: pl.DataFrame) -> pl.Expr:
    if K.ATTRIBUTES not in frame.columns:
        return pl.repeat(False, pl.len())
    attrs = pl.col(K.ATTRIBUTES)
    found = pl.lit(False)
    for key in _MARKERS:
        found = found | attrs.str.contains(f'"{key}"', literal=True)
    return found.fill_null(False)


def needs_mapping(spans: pl.DataFrame) -> bool:
    """Whether ``spans`` may hold a foreign run: a tool or model operation, an ``invoke_agent`` span without a
    ``trajdyn.trajectory.id`` (the SDK and the importers always set one), or an OpenInference / OpenLLMetry kind."""
    if spans.height == 0:
        return False
    checks: list[pl.Expr] = [_has_marker(spans).any()]
    if C.GEN_AI_OPERATION_NAME in spans.columns:
        op = pl.col(C.GEN_AI_OPERATION_NAME)
        bare_agent = (op == C.OPERATION_INVOKE_AGENT) & _col(spans, C.TRAJECTORY_ID, pl.Utf8()).is_null()
        checks.append((op.is_in([C.OPERATION_EXECUTE_TOOL, *C.MODEL_OPERATIONS]) | bare_agent).fill_null(False).any())
    return bool(spans.select(pl.any_horizontal(checks)).item())


def _native_traces(spans: pl.DataFrame) -> pl.Series:
    """Trace ids that hold a trajdyn step or trajectory id: left as read."""
    marks = [pl.col(c).is_not_null() for c in (C.PHASE, C.TRAJECTORY_ID) if c in spans.columns]
    if not marks:
        return pl.Series(K.TRACE_ID, [], dtype=pl.Utf8)
    return spans.filter(pl.any_horizontal(marks))[K.TRACE_ID].drop_nulls().unique()


def _roles(spans: pl.DataFrame) -> pl.DataFrame:
    """``_row``, ids, ``_role`` and the foreign keys read from the attributes, for the spans of foreign traces that
    have a role (agent, tool or model)."""
    native = _native_traces(spans)
    base = spans.with_row_index(_ROW).filter(
        pl.col(K.TRACE_ID).is_not_null() & pl.col(K.SPAN_ID).is_not_null() & ~pl.col(K.TRACE_ID).is_in(native.implode())
    )
    op = _col(base, C.GEN_AI_OPERATION_NAME, pl.Utf8())
    marked = base.select(_has_marker(base)).to_series()
    kinds = base.filter(marked).select(
        _ROW,
        _attr(C.FOREIGN_OPENINFERENCE_SPAN_KIND),
        _attr(C.FOREIGN_TRACELOOP_SPAN_KIND),
        _attr(C.FOREIGN_LLM_REQUEST_TYPE),
    )
    framed = base.select(_ROW, op.alias("_op")).join(kinds, on=_ROW, how="left")
    oi = pl.col(C.FOREIGN_OPENINFERENCE_SPAN_KIND).str.to_uppercase()
    tl = pl.col(C.FOREIGN_TRACELOOP_SPAN_KIND).str.to_lowercase()
    role = (
        pl.when(pl.col("_op") == C.OPERATION_INVOKE_AGENT)
        .then(pl.lit(AGENT))
        .when(pl.col("_op") == C.OPERATION_EXECUTE_TOOL)
        .then(pl.lit(TOOL))
        .when(pl.col("_op").is_in(C.MODEL_OPERATIONS))
        .then(pl.lit(MODEL))
        .when(oi.is_in([C.OPENINFERENCE_AGENT, C.OPENINFERENCE_CHAIN]))
        .then(pl.lit(AGENT))
        .when(oi == C.OPENINFERENCE_TOOL)
        .then(pl.lit(TOOL))
        .when(oi == C.OPENINFERENCE_LLM)
        .then(pl.lit(MODEL))
        .when(tl.is_in([C.TRACELOOP_WORKFLOW, C.TRACELOOP_AGENT]))
        .then(pl.lit(AGENT))
        .when(tl == C.TRACELOOP_TOOL)
        .then(pl.lit(TOOL))
        .when(pl.col(C.FOREIGN_LLM_REQUEST_TYPE).str.to_lowercase().is_in(C.LLM_REQUEST_TYPES))
        .then(pl.lit(MODEL))
        .otherwise(None)
    )
    return framed.select(_ROW, role.alias(ROLE)).filter(pl.col(ROLE).is_not_null())


def _ancestry(spans: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """For each span of ``roles``: the outermost agent-span ancestor (``_run``, excluding itself) and whether a
    model span is among its ancestors (``_model_above``). Vectorised: one join per tree level."""
    nodes = (
        spans.with_row_index(_ROW)
        .select(_ROW, K.TRACE_ID, pl.col(K.SPAN_ID).alias(_CUR), pl.col(K.PARENT_SPAN_ID).alias(_PARENT))
        .filter(pl.col(K.TRACE_ID).is_not_null() & pl.col(_CUR).is_not_null())
        .join(roles, on=_ROW, how="left")
        .unique(subset=[K.TRACE_ID, _CUR], keep="first", maintain_order=True)
        .drop(_ROW)
    )
    start = roles.join(
        spans.with_row_index(_ROW).select(_ROW, K.TRACE_ID, pl.col(K.PARENT_SPAN_ID).alias(_CUR)), on=_ROW
    ).select(_ROW, K.TRACE_ID, _CUR)
    found: list[pl.DataFrame] = []
    state = start.filter(pl.col(_CUR).is_not_null())
    for _ in range(MAX_DEPTH):
        if state.height == 0:
            break
        joined = state.join(nodes, on=[K.TRACE_ID, _CUR], how="inner")
        found.append(
            joined.select(
                _ROW,
                pl.when(pl.col(ROLE) == AGENT).then(pl.col(_CUR)).alias(RUN),
                (pl.col(ROLE) == MODEL).fill_null(False).alias("_model_above"),
                pl.lit(len(found), dtype=pl.Int64).alias("_depth"),
            )
        )
        state = joined.filter(pl.col(_PARENT).is_not_null()).select(_ROW, K.TRACE_ID, pl.col(_PARENT).alias(_CUR))
    schema = {_ROW: pl.UInt32, RUN: pl.Utf8, "_model_above": pl.Boolean, "_depth": pl.Int64}
    walked = pl.concat([pl.DataFrame(schema=schema), *found], how="vertical_relaxed")
    per_row = (
        walked.sort([_ROW, "_depth"]).group_by(_ROW).agg(pl.col(RUN).drop_nulls().last(), pl.col("_model_above").any())
    )
    return roles.join(per_row, on=_ROW, how="left").with_columns(pl.col("_model_above").fill_null(False))


@dataclass(frozen=True, slots=True)
class ForeignRuns:
    """What :func:`classify` finds: each role span with its run (``_row``, ``_role``, ``_run``, ``_model_above``),
    the run roots (``_row``, span id) and the counted model calls (:func:`model_calls`)."""

    spans: pl.DataFrame
    roots: pl.DataFrame
    calls: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Mapped:
    """What :func:`map_foreign` returns: the spans frame in conventions v1 (the input frame itself when no foreign
    run was found), the ``trajdyn.retry`` events found (``None`` when no run), and the tool and model spans of
    foreign traces that belong to no run, counted by role (``outside``: ``{"tool": n, "model": m}``, only roles with
    n > 0): they have no agent-span ancestor, so they are no turn and no counted model call (see
    :func:`outside_runs_note`)."""

    spans: pl.DataFrame
    retries: pl.DataFrame | None
    outside: dict[str, int]


def _f64(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)


def _calls(spans: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The counted model calls among ``members`` (see the module docstring), with tokens, cost and model."""
    candidates = members.filter((pl.col(ROLE) == MODEL) & ~pl.col("_model_above") & pl.col(RUN).is_not_null())
    rows = spans.with_row_index(_ROW).join(candidates.select(_ROW, RUN), on=_ROW, how="semi")
    if rows.height == 0:
        return pl.DataFrame(
            schema={
                _ROW: pl.UInt32,
                RUN: pl.Utf8,
                K.TRACE_ID: pl.Utf8,
                K.SPAN_ID: pl.Utf8,
                K.START_NS: pl.Int64,
                "model": pl.Utf8,
                "input_tokens": pl.Int64,
                "output_tokens": pl.Int64,
                "cost": pl.Float64,
            }
        )
    attrs = rows.select(
        _ROW,
        _attr(C.FOREIGN_OPENINFERENCE_PROMPT_TOKENS),
        _attr(C.FOREIGN_OPENINFERENCE_COMPLETION_TOKENS),
        _attr(C.FOREIGN_OPENINFERENCE_MODEL_NAME),
        _attr(C.FOREIGN_GEN_AI_INPUT_COST),
        _attr(C.FOREIGN_GEN_AI_OUTPUT_COST),
        _attr(C.FOREIGN_COST_PROMPT),
        _attr(C.FOREIGN_COST_COMPLETION),
    )
    calls = (
        rows.select(
            _ROW,
            K.TRACE_ID,
            K.SPAN_ID,
            K.START_NS,
            K.END_NS,
            pl.col(K.SCOPE_NAME).fill_null(""),
            _col(rows, C.GEN_AI_REQUEST_MODEL, pl.Utf8()).alias("_model"),
            _col(rows, C.GEN_AI_USAGE_INPUT_TOKENS, pl.Int64()).alias("_in"),
            _col(rows, C.GEN_AI_USAGE_OUTPUT_TOKENS, pl.Int64()).alias("_out"),
            _col(rows, C.COST, pl.Float64()).alias("_cost"),
        )
        .join(attrs, on=_ROW)
        .join(candidates.select(_ROW, RUN), on=_ROW)
    )
    # one request traced by two instrumentations: drop a call inside another scope's call of the same trace
    other = calls.select(
        pl.col(K.TRACE_ID).alias("_t"),
        pl.col(K.START_NS).alias("_s"),
        pl.col(K.END_NS).alias("_e"),
        pl.col(K.SCOPE_NAME).alias("_sc"),
    )
    inside = (
        calls.filter(pl.col(K.START_NS).is_not_null() & pl.col(K.END_NS).is_not_null())
        .join_where(
            other,
            pl.col(K.TRACE_ID) == pl.col("_t"),
            pl.col("_s") <= pl.col(K.START_NS),
            pl.col("_e") >= pl.col(K.END_NS),
            pl.col(K.SCOPE_NAME) != pl.col("_sc"),
        )
        .select(_ROW)
        .unique()
    )
    calls = calls.join(inside, on=_ROW, how="anti")
    cost = pl.coalesce(
        pl.col("_cost"),
        _f64(pl.col(C.FOREIGN_GEN_AI_INPUT_COST)) + _f64(pl.col(C.FOREIGN_GEN_AI_OUTPUT_COST)).fill_null(0.0),
        _f64(pl.col(C.FOREIGN_COST_PROMPT)) + _f64(pl.col(C.FOREIGN_COST_COMPLETION)).fill_null(0.0),
    )
    return calls.select(
        _ROW,
        RUN,
        K.TRACE_ID,
        K.SPAN_ID,
        K.START_NS,
        pl.coalesce("_model", C.FOREIGN_OPENINFERENCE_MODEL_NAME).alias("model"),
        pl.coalesce("_in", _f64(pl.col(C.FOREIGN_OPENINFERENCE_PROMPT_TOKENS)).cast(pl.Int64)).alias("input_tokens"),
        pl.coalesce("_out", _f64(pl.col(C.FOREIGN_OPENINFERENCE_COMPLETION_TOKENS)).cast(pl.Int64)).alias(
            "output_tokens"
        ),
        cost.alias("cost"),
    ).sort([RUN, K.START_NS, _ROW], nulls_last=True)


def _classify(spans: pl.DataFrame) -> tuple[ForeignRuns | None, dict[str, int]]:
    """:func:`classify`, and the tool and model spans of foreign traces under no run counted by role."""
    if not needs_mapping(spans) or K.ATTRIBUTES not in spans.columns:
        return None, {}
    roles = _roles(spans)
    if roles.height == 0:
        return None, {}
    members = _ancestry(spans, roles)
    ids = spans.with_row_index(_ROW).select(_ROW, K.SPAN_ID)
    roots = (
        members.filter((pl.col(ROLE) == AGENT) & pl.col(RUN).is_null())
        .join(ids, on=_ROW)
        .select(_ROW, pl.col(K.SPAN_ID).alias(RUN))
    )
    outside = _outside(spans, members)
    if roots.height == 0:
        return None, outside
    members = members.join(roots.rename({RUN: "_self"}), on=_ROW, how="left").with_columns(
        pl.coalesce(RUN, "_self").alias(RUN)
    )
    return ForeignRuns(members.drop("_self"), roots, _calls(spans, members)), outside


def _outside(spans: pl.DataFrame, members: pl.DataFrame) -> dict[str, int]:
    """Tool and model spans under no agent span, by role. A model span under another model span, or one that
    contains or lies inside the model span of another instrumentation scope under a run in the same trace (the same
    request traced twice, e.g. OpenAI's instrumentation next to LangChain's), is not counted: its call is."""
    under_none = members.filter(pl.col(RUN).is_null() & (pl.col(ROLE) != AGENT) & ~pl.col("_model_above"))
    if under_none.height == 0:
        return {}
    timed = spans.with_row_index(_ROW).select(
        _ROW, K.TRACE_ID, K.START_NS, K.END_NS, pl.col(K.SCOPE_NAME).fill_null("")
    )
    loose = under_none.filter(pl.col(ROLE) == MODEL).join(timed, on=_ROW)
    counted = (
        members.filter((pl.col(ROLE) == MODEL) & pl.col(RUN).is_not_null())
        .join(timed, on=_ROW)
        .select(
            pl.col(K.TRACE_ID).alias("_t"),
            pl.col(K.START_NS).alias("_s"),
            pl.col(K.END_NS).alias("_e"),
            pl.col(K.SCOPE_NAME).alias("_sc"),
        )
    )
    same = (pl.col(K.TRACE_ID) == pl.col("_t"), pl.col(K.SCOPE_NAME) != pl.col("_sc"))
    inside = loose.join_where(counted, *same, pl.col("_s") <= pl.col(K.START_NS), pl.col("_e") >= pl.col(K.END_NS))
    around = loose.join_where(counted, *same, pl.col(K.START_NS) <= pl.col("_s"), pl.col(K.END_NS) >= pl.col("_e"))
    doubles = pl.concat([inside.select(_ROW), around.select(_ROW)]).unique()
    return dict(under_none.join(doubles, on=_ROW, how="anti").group_by(ROLE).len().sort(ROLE).iter_rows())


def classify(spans: pl.DataFrame) -> ForeignRuns | None:
    """The foreign runs of ``spans`` (``None`` when there is nothing to map; see :func:`needs_mapping`)."""
    return _classify(spans)[0]


def model_calls(spans: pl.DataFrame) -> pl.DataFrame:
    """The model calls counted for foreign runs: one row per call (``_run`` = its run's root span id, trace and
    span id, start, model, input/output tokens, cost), ordered by run and start. Empty when nothing is foreign."""
    found = classify(spans)
    if found is None:
        return _calls(
            spans, pl.DataFrame(schema={_ROW: pl.UInt32, ROLE: pl.Utf8, RUN: pl.Utf8, "_model_above": pl.Boolean})
        )
    return found.calls


def _unwrap_arguments(value: pl.Expr) -> pl.Expr:
    """LangChain's callback payload (``{"input_str", "inputs", …}``, OpenLLMetry) → its ``inputs``; else as is."""
    wrapped = value.str.json_path_match("$.input_str").is_not_null()
    return pl.when(wrapped).then(pl.coalesce(value.str.json_path_match("$.inputs"), value)).otherwise(value)


def _unwrap_result(value: pl.Expr) -> pl.Expr:
    """A serialized LangChain ToolMessage → its content (OpenInference ``data``, OpenLLMetry ``output.kwargs``)."""
    oi = value.str.json_path_match("$.data.tool_call_id").is_not_null()
    ol = value.str.json_path_match("$.output.kwargs.tool_call_id").is_not_null()
    return (
        pl.when(oi)
        .then(pl.coalesce(value.str.json_path_match("$.data.content"), value))
        .when(ol)
        .then(pl.coalesce(value.str.json_path_match("$.output.kwargs.content"), value))
        .otherwise(value)
    )


def _hex64(expr: pl.Expr) -> pl.Expr:
    """A UInt64 as 16 lower-case hex digits (vectorised)."""
    digits = list(_HEX_DIGITS)
    return pl.concat_str(
        [
            ((expr // (16 ** (15 - k))) % 16)
            .cast(pl.UInt8)
            .replace_strict(list(range(16)), digits, return_dtype=pl.Utf8)
            for k in range(16)
        ]
    )


def _turns(spans: pl.DataFrame, found: ForeignRuns) -> pl.DataFrame:
    """One row per turn (tool span under a run): ``_row``, run, iteration, action, content, result, status."""
    tools = found.spans.filter((pl.col(ROLE) == TOOL) & pl.col(RUN).is_not_null()).select(_ROW, RUN)
    rows = spans.with_row_index(_ROW).join(tools, on=_ROW)
    if rows.height == 0:
        return rows.select(
            _ROW, RUN, K.TRACE_ID, K.SPAN_ID, K.START_NS, K.END_NS, K.STATUS_CODE, K.STATUS_MESSAGE
        ).with_columns(
            pl.lit(None, pl.Int64).alias(C.ITERATION),
            pl.lit(None, pl.Utf8).alias(C.ACTION),
            pl.lit(None, pl.Utf8).alias(C.CONTENT),
            pl.lit(None, pl.Utf8).alias("_result"),
        )
    read = rows.select(
        _ROW,
        RUN,
        K.TRACE_ID,
        K.SPAN_ID,
        K.NAME,
        K.START_NS,
        K.END_NS,
        K.STATUS_CODE,
        K.STATUS_MESSAGE,
        pl.col(K.LINE) if K.LINE in rows.columns else pl.lit(None, pl.Int64).alias(K.LINE),
        _attr(C.FOREIGN_GEN_AI_TOOL_NAME),
        _attr(C.FOREIGN_OPENINFERENCE_TOOL_NAME),
        _attr(C.FOREIGN_TRACELOOP_ENTITY_NAME),
        _attr(C.FOREIGN_GEN_AI_TOOL_CALL_ARGUMENTS),
        _attr(C.FOREIGN_GEN_AI_TOOL_ARGS),
        _attr(C.FOREIGN_OPENINFERENCE_INPUT_VALUE),
        _attr(C.FOREIGN_TRACELOOP_ENTITY_INPUT),
        _attr(C.FOREIGN_GEN_AI_TOOL_CALL_RESULT),
        _attr(C.FOREIGN_GEN_AI_OUTPUT),
        _attr(C.FOREIGN_OPENINFERENCE_OUTPUT_VALUE),
        _attr(C.FOREIGN_TRACELOOP_ENTITY_OUTPUT),
    )
    arguments = pl.coalesce(
        C.FOREIGN_GEN_AI_TOOL_CALL_ARGUMENTS,
        C.FOREIGN_GEN_AI_TOOL_ARGS,
        C.FOREIGN_OPENINFERENCE_INPUT_VALUE,
        C.FOREIGN_TRACELOOP_ENTITY_INPUT,
    )
    result = pl.coalesce(
        C.FOREIGN_GEN_AI_TOOL_CALL_RESULT,
        C.FOREIGN_GEN_AI_OUTPUT,
        C.FOREIGN_OPENINFERENCE_OUTPUT_VALUE,
        C.FOREIGN_TRACELOOP_ENTITY_OUTPUT,
    )
    ordered = read.sort([RUN, K.START_NS, K.LINE, K.SPAN_ID], nulls_last=True)
    action = pl.coalesce(
        C.FOREIGN_GEN_AI_TOOL_NAME, C.FOREIGN_OPENINFERENCE_TOOL_NAME, C.FOREIGN_TRACELOOP_ENTITY_NAME, K.NAME
    )
    return ordered.select(
        _ROW,
        RUN,
        K.TRACE_ID,
        K.SPAN_ID,
        K.START_NS,
        K.END_NS,
        K.STATUS_CODE,
        K.STATUS_MESSAGE,
        (pl.int_range(pl.len(), dtype=pl.Int64).over(RUN) + 1).alias(C.ITERATION),
        action.alias(C.ACTION),
        _unwrap_arguments(arguments).alias(C.CONTENT),
        _unwrap_result(result).alias("_result"),
    )


def _retries(turns: pl.DataFrame) -> pl.DataFrame:
    """``trajdyn.retry`` events: a turn whose previous turn in its run called the same tool and failed."""
    schema = {K.TRACE_ID: pl.Utf8, K.SPAN_ID: pl.Utf8, K.EVENT_NAME: pl.Utf8, K.TIME_NS: pl.Int64, C.REASON: pl.Utf8}
    if turns.height == 0:
        return pl.DataFrame(schema=schema)
    same_tool = (pl.col(C.ACTION) == pl.col(C.ACTION).shift(1).over(RUN)).fill_null(False)
    after_error = (pl.col(K.STATUS_CODE).shift(1).over(RUN) == 2).fill_null(False)
    return (
        turns.with_columns(
            (same_tool & after_error).alias("_retry"), pl.col(K.STATUS_MESSAGE).shift(1).over(RUN).alias(C.REASON)
        )
        .filter(pl.col("_retry"))
        .select(
            K.TRACE_ID,
            K.SPAN_ID,
            pl.lit(C.EVENT_RETRY).alias(K.EVENT_NAME),
            pl.col(K.START_NS).alias(K.TIME_NS),
            C.REASON,
        )
    )


def map_foreign(spans: pl.DataFrame) -> Mapped:
    """The spans frame with its foreign runs written in conventions v1, the ``trajdyn.retry`` events found
    (``trace_id``, ``span_id``, ``event``, ``time_ns``, ``trajdyn.reason``) and the foreign spans under no run
    (:class:`Mapped`); when ``spans`` holds no foreign run the frame is returned as read. See the module docstring for
    the rules."""
    found, outside = _classify(spans)
    if found is None:
        return Mapped(spans, None, outside)
    turns = _turns(spans, found)
    n = spans.height
    row = pl.int_range(n, dtype=pl.UInt32).alias(_ROW)
    per_root = _root_facts(spans, found)
    # step columns of the tool spans (propose)
    step = turns.select(
        _ROW,
        pl.lit(C.PHASE_PROPOSE).alias("_phase"),
        pl.col(C.ITERATION).alias("_iteration"),
        pl.col(C.ACTION).alias("_action"),
        pl.col(C.CONTENT).alias("_content"),
        pl.col(RUN).alias("_tid"),
    )
    members = found.spans.select(_ROW, RUN, ROLE)
    mapped = (
        spans.with_columns(row)
        .join(step, on=_ROW, how="left", maintain_order="left")
        .join(members, on=_ROW, how="left", maintain_order="left")
        .join(per_root, on=_ROW, how="left", maintain_order="left")
    )
    op = _col(mapped, C.GEN_AI_OPERATION_NAME, pl.Utf8())
    is_root = pl.col("_is_root").fill_null(False)
    nested_agent = (pl.col(ROLE) == AGENT) & ~is_root
    out = mapped.with_columns(
        pl.when(is_root)
        .then(pl.lit(C.OPERATION_INVOKE_AGENT))
        .when(nested_agent & (op == C.OPERATION_INVOKE_AGENT))
        .then(None)
        .otherwise(op)
        .alias(C.GEN_AI_OPERATION_NAME),
        pl.coalesce(_col(mapped, C.PHASE, pl.Utf8()), "_phase").alias(C.PHASE),
        pl.coalesce(_col(mapped, C.ITERATION, pl.Int64()), "_iteration").alias(C.ITERATION),
        pl.coalesce(_col(mapped, C.ACTION, pl.Utf8()), "_action").alias(C.ACTION),
        pl.coalesce(_col(mapped, C.CONTENT, pl.Utf8()), "_content").alias(C.CONTENT),
        pl.coalesce(_col(mapped, C.TRAJECTORY_ID, pl.Utf8()), "_tid").alias(C.TRAJECTORY_ID),
        *[pl.coalesce(_col(mapped, key, dtype), f"_root_{key}").alias(key) for key, dtype in _ROOT_KEYS.items()],
    ).drop(
        "_phase",
        "_iteration",
        "_action",
        "_content",
        "_tid",
        RUN,
        ROLE,
        "_is_root",
        *[f"_root_{k}" for k in _ROOT_KEYS],
    )
    observes = _observe_rows(spans, turns, out)
    out = out.drop(_ROW)
    if observes.height:
        out = pl.concat([out, observes], how="diagonal_relaxed")
    return Mapped(out, _retries(turns), outside)


_ROOT_KEYS: Final[dict[str, pl.DataType]] = {
    C.GEN_AI_AGENT_NAME: pl.Utf8(),
    C.GEN_AI_REQUEST_MODEL: pl.Utf8(),
    C.GEN_AI_USAGE_INPUT_TOKENS: pl.Int64(),
    C.GEN_AI_USAGE_OUTPUT_TOKENS: pl.Int64(),
    C.COST: pl.Float64(),
    C.OUTCOME: pl.Utf8(),
    C.RUN_ID: pl.Utf8(),
    C.TASK_TEXT: pl.Utf8(),
}
"""Run facts set on a foreign run's root where it lacks them."""


def _root_facts(spans: pl.DataFrame, found: ForeignRuns) -> pl.DataFrame:
    """Per root row: ``_is_root`` and ``_root_<key>`` for each key of :data:`_ROOT_KEYS`."""
    rows = spans.with_row_index(_ROW).join(found.roots, on=_ROW)
    read = rows.select(
        _ROW,
        RUN,
        K.NAME,
        K.STATUS_CODE,
        _attr(C.FOREIGN_TRACELOOP_ENTITY_NAME),
        _attr(C.FOREIGN_GEN_AI_CONVERSATION_ID),
        _attr(C.FOREIGN_OPENINFERENCE_SESSION_ID),
        _attr(C.FOREIGN_OPENINFERENCE_INPUT_VALUE),
        _attr(C.FOREIGN_TRACELOOP_ENTITY_INPUT),
        _attr(C.FOREIGN_OPENINFERENCE_MODEL_NAME),
    )
    calls = found.calls.group_by(RUN).agg(
        pl.col("model").drop_nulls().first().alias("_model"),
        pl.when(pl.col("input_tokens").is_not_null().any()).then(pl.col("input_tokens").sum()).alias("_in"),
        pl.when(pl.col("output_tokens").is_not_null().any()).then(pl.col("output_tokens").sum()).alias("_out"),
        pl.when(pl.col("cost").is_not_null().any()).then(pl.col("cost").sum()).alias("_cost"),
    )
    joined = read.join(calls, on=RUN, how="left")
    return joined.select(
        _ROW,
        pl.lit(True).alias("_is_root"),
        pl.coalesce(C.FOREIGN_TRACELOOP_ENTITY_NAME, K.NAME).alias(f"_root_{C.GEN_AI_AGENT_NAME}"),
        pl.coalesce("_model", C.FOREIGN_OPENINFERENCE_MODEL_NAME).alias(f"_root_{C.GEN_AI_REQUEST_MODEL}"),
        pl.col("_in").cast(pl.Int64).alias(f"_root_{C.GEN_AI_USAGE_INPUT_TOKENS}"),
        pl.col("_out").cast(pl.Int64).alias(f"_root_{C.GEN_AI_USAGE_OUTPUT_TOKENS}"),
        pl.col("_cost").cast(pl.Float64).alias(f"_root_{C.COST}"),
        pl.when(pl.col(K.STATUS_CODE) == 2).then(pl.lit(C.OUTCOME_FAILURE)).alias(f"_root_{C.OUTCOME}"),
        pl.coalesce(C.FOREIGN_GEN_AI_CONVERSATION_ID, C.FOREIGN_OPENINFERENCE_SESSION_ID).alias(f"_root_{C.RUN_ID}"),
        pl.coalesce(C.FOREIGN_OPENINFERENCE_INPUT_VALUE, C.FOREIGN_TRACELOOP_ENTITY_INPUT).alias(
            f"_root_{C.TASK_TEXT}"
        ),
    )


def _observe_rows(spans: pl.DataFrame, turns: pl.DataFrame, mapped: pl.DataFrame) -> pl.DataFrame:
    """An ``observe`` row per turn with a captured result: the tool's result as content, its status, at its end."""
    with_result = turns.filter(pl.col("_result").is_not_null())
    if with_result.height == 0:
        return pl.DataFrame()
    template = mapped.join(with_result.select(_ROW), on=_ROW, how="semi", maintain_order="left")
    keep = [K.TRACE_ID, K.SOURCE, K.LINE, K.SERVICE_NAME, K.RESOURCE, K.SCOPE_NAME, K.SCOPE_VERSION]
    base = template.select(_ROW, *[c for c in keep if c in template.columns])
    return base.join(
        with_result.select(
            _ROW,
            _hex64(pl.col(K.SPAN_ID).hash(_OBSERVE_SEED)).alias(K.SPAN_ID),
            pl.col(K.SPAN_ID).alias(K.PARENT_SPAN_ID),
            pl.lit(C.PHASE_OBSERVE).alias(K.NAME),
            pl.col(K.END_NS).alias(K.START_NS),
            pl.col(K.END_NS),
            pl.col(K.STATUS_CODE),
            pl.lit(C.PHASE_OBSERVE).alias(C.PHASE),
            pl.col(C.ITERATION),
            pl.col("_result").alias(C.CONTENT),
            pl.col(RUN).alias(C.TRAJECTORY_ID),
        ),
        on=_ROW,
    ).drop(_ROW)


def no_run_note(spans: pl.DataFrame, *, shown: int = 5) -> str:
    """One line saying what ``spans`` hold (span count, services, operation names by frequency) and what a run
    needs, for spans in which neither trajdyn's own attributes nor a foreign convention recognised an agent run
    (docs/conventions.md, "Foreign conventions")."""

    def top(column: pl.Expr) -> str:
        counts = (
            spans.select(column.alias("v"))
            .drop_nulls()
            .group_by("v")
            .len()
            .sort(["len", "v"], descending=[True, False])
        )
        names = [f"{v} ×{n}" for v, n in counts.head(shown).iter_rows()]
        more = f" and {counts.height - shown} more" if counts.height > shown else ""
        return (", ".join(names) + more) or "none named"

    operation = _col(spans, C.GEN_AI_OPERATION_NAME, pl.Utf8()).fill_null(pl.col(K.NAME))
    services = top(pl.col(K.SERVICE_NAME)) if K.SERVICE_NAME in spans.columns else "none named"
    return (
        f"{spans.height} span(s) but no agent run recognised: services {services}; operations {top(operation)}. "
        "A run needs trajdyn's SDK attributes (trajdyn.phase), or GenAI spans (gen_ai.operation.name invoke_agent "
        "with execute_tool turns), OpenInference spans (openinference.span.kind AGENT/CHAIN with TOOL), or "
        "OpenLLMetry spans (traceloop.span.kind workflow/agent with tool); see docs/conventions.md"
    )


def outside_runs_note(outside: dict[str, int]) -> str | None:
    """One line for the tool and model spans of foreign traces that belong to no agent run (``outside`` of
    :class:`Mapped`), or ``None`` when there are none: they are not turns and their tokens and cost are in no run's
    totals (docs/conventions.md, "Foreign conventions")."""
    if not outside:
        return None
    counts = ", ".join(f"{role} ×{n}" for role, n in sorted(outside.items()))
    return (
        f"{sum(outside.values())} foreign span(s) outside any agent run ({counts}): no invoke_agent, AGENT/CHAIN or "
        "workflow/agent span above them, so they are no turns and their tokens and cost are in no run's totals; "
        "see docs/conventions.md"
    )
