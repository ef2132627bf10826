"""The model's tokenizer, straight from its tokenizer.json (the `tokenizers` library).

Training and every inference backend encode through here, so they cannot disagree.
It needs neither torch nor transformers: the ONNX serving path starts in a second.
(transformers' AutoTokenizer would also rebuild an XLM-R pipeline that differs from
the one in tokenizer.json.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

PAD_ID = 1  # "<pad>" in the XLM-R vocabulary


def load_tokenizer(model_dir: Path, max_length: int) -> Tokenizer:
    """Truncates to ``max_length`` tokens; padding is left to `pad`, per batch."""
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.no_padding()
    return tokenizer


def token_ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch(texts)]


def pad(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) as int64 arrays, padded to the longest sequence."""
    longest = max(len(s) for s in sequences)
    ids = np.full((len(sequences), longest), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(sequences), longest), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return ids, mask


def encode(tokenizer: Tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return pad(token_ids(tokenizer, texts))
