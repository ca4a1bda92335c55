"""Claim judge: does a sentence state the same claim as a rubric anchor, the opposite, or neither?

Cosine similarity of sentence embeddings cannot tell "randomize whole groups" from "randomize
individual admins": the words are the same. The judge reads both texts together and returns
probabilities for ``[entails, contradicts, neutral]`` (`LABELS`). For a red-flag anchor,
"entails" means the sentence commits the mistake and "contradicts" that it rejects it.

The model is all-MiniLM-L6-v2 (the grader's embedding model) turned into a late cross-encoder
by ``scripts/train_claim_judge.py`` (docs/claim-judge.md has the data, CV figures and limits):

* ``assets/judge-encoder.onnx``: embeddings + the frozen bottom layers, run on each text
  alone (anchor as ``[CLS] a [SEP]``, token type 0; sentence as ``[CLS] b [SEP]``, token type
  1, its ``[CLS]`` dropped). No weights inside: like the embedder's graph, every initializer is
  external data in the package's ``model.safetensors`` (sha256-checked by the embedder's code).
  Outputs are cached per text, so rubric anchors are encoded once per process.
* ``assets/judge-cross.onnx``: the trained top layer(s) over the concatenation, i.e. the token
  layout of ``[CLS] a [SEP] b [SEP]``; then u, v = the mean token of each side and a small MLP
  on ``[u, v, |u - v|, u * v]`` gives the 3 logits (float16 weights).

Each text is truncated to 128 tokens, so a pair is at most 255. Importing this module is cheap:
numpy, onnxruntime and tokenizers are imported when the first `ClaimJudge` is built.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from casecoach.grading.embedder import (
    LruCache,
    checked_model_files,
    load_tokenizer,
    session_options,
    weights_session,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

LABELS = ("entails", "contradicts", "neutral")
ENTAILS, CONTRADICTS, NEUTRAL = range(3)
ASSETS = Path(__file__).resolve().parent / "assets"
ENCODER_PATH = ASSETS / "judge-encoder.onnx"
CROSS_PATH = ASSETS / "judge-cross.onnx"
HIDDEN = 384
MAX_SIDE_TOKENS = 128  # per text, as in training; a pair is then at most 255 tokens
DEFAULT_CACHE_ENTRIES = 4096  # encoded texts kept (~25 tokens x 384 floats = ~40 KB each)
_ANCHOR, _SENTENCE = 0, 1  # the token type of each side


class ClaimJudge:
    """Probabilities [entails, contradicts, neutral] for (anchor, sentence) pairs.

    Thread-safe: onnxruntime sessions may run concurrently and the text cache is locked.
    """

    # How weights reach onnxruntime; None picks by onnxruntime version (as the embedder does).
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
        """Load the two graphs; the arguments mean what they mean for `Embedder`."""
        import onnxruntime as ort

        self.model_dir, weights_path, tokenizer_path = checked_model_files(
            model_dir, cache_dir=cache_dir, verify_cache=verify_cache
        )
        self._tokenizer = load_tokenizer(tokenizer_path, MAX_SIDE_TOKENS)

        providers = ["CPUExecutionProvider"]
        self._cross = ort.InferenceSession(
            str(CROSS_PATH), session_options(threads), providers=providers
        )
        meta = self._cross.get_modelmeta().custom_metadata_map
        frozen = int(meta.get("frozen_layers", "5"))
        self.metadata: dict[str, str] = dict(meta)

        used = ("embeddings.", *(f"encoder.layer.{i}." for i in range(frozen)))
        self._encoder, self._mapped = weights_session(
            ENCODER_PATH, weights_path, session_options(threads),
            in_memory=self.weights_in_memory, what="the claim judge",
            keep=lambda n: n.startswith(used) and n != "embeddings.position_ids",
        )

        self._cache: LruCache[tuple[int, str], npt.NDArray[np.float32]] = LruCache(
            max_cache_entries
        )

    def cache_size(self) -> int:
        """Number of (side, text) encodings cached."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget cached text encodings (e.g. to measure the model itself)."""
        self._cache.clear()

    def judge(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32
    ) -> npt.NDArray[np.float32]:
        """Probabilities, shape (len(pairs), 3), columns `LABELS`; each row sums to 1.

        Each pair is (anchor, sentence): anchor = a rubric phrasing or description.
        Distinct texts are encoded once (and cached); pairs run sorted by length in batches.
        """
        import numpy as np

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        pairs = [(str(a), str(b)) for a, b in pairs]
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        if not pairs:
            return out
        states = self._states(
            {(_ANCHOR, a) for a, _ in pairs} | {(_SENTENCE, b) for _, b in pairs}, batch_size
        )
        lengths = [len(states[(_ANCHOR, a)]) + len(states[(_SENTENCE, b)]) for a, b in pairs]
        order = sorted(range(len(pairs)), key=lengths.__getitem__)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(lengths[i] for i in chunk)
            hidden = np.zeros((len(chunk), width, HIDDEN), dtype=np.float32)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            types = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                a = states[(_ANCHOR, pairs[i][0])]
                b = states[(_SENTENCE, pairs[i][1])]
                hidden[row, : len(a)] = a
                hidden[row, len(a) : lengths[i]] = b
                mask[row, : lengths[i]] = 1
                types[row, len(a) : lengths[i]] = _SENTENCE
            feeds = {"hidden": hidden, "attention_mask": mask, "token_type_ids": types}
            (probs,) = self._cross.run(["probabilities"], feeds)
            out[chunk] = probs
        return out

    def _states(
        self, keys: set[tuple[int, str]], batch_size: int
    ) -> dict[tuple[int, str], npt.NDArray[np.float32]]:
        """Frozen-layer hidden states per (side, text), from the cache or the encoder graph."""
        import numpy as np

        found = self._cache.get_many(keys)
        todo = sorted((k for k in keys if k not in found), key=lambda k: (len(k[1]), k))
        fresh: dict[tuple[int, str], npt.NDArray[np.float32]] = {}
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([text for _, text in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([[side] * ids.shape[1] for side, _ in chunk], dtype=np.int64)
            (hidden,) = self._encoder.run(
                ["hidden"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            for row, (key, enc) in enumerate(zip(chunk, encodings, strict=True)):
                n = sum(enc.attention_mask)
                state = np.ascontiguousarray(hidden[row, key[0] : n], dtype=np.float32)
                state.flags.writeable = False  # shared with the cache
                fresh[key] = state
        found.update(fresh)
        self._cache.put_many(fresh)
        return found


@functools.lru_cache(maxsize=1)
def get_judge() -> ClaimJudge:
    """The process-wide claim judge, built on first use and then shared."""
    return ClaimJudge()
