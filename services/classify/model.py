"""The classifier: a transformer encoder, mean pooling, and two heads.

A model directory holds the encoder (config.json, model.safetensors), tokenizer.json,
heads.safetensors, labels.json (label order of each head), metrics.json and VERSION.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import BertModel
from transformers.utils import logging as hf_logging

from socialcare.classify.data import INTENTS, SENTIMENTS


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class Classifier(nn.Module):
    def __init__(self, encoder: BertModel, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent = nn.Linear(hidden, len(INTENTS))
        self.sentiment = nn.Linear(hidden, len(SENTIMENTS))

    @classmethod
    def from_base(cls, base: Path, layers: int | None = None) -> Classifier:
        """The base encoder with fresh heads; ``layers``: keep only its first N layers."""
        if not layers:
            return cls(BertModel.from_pretrained(str(base), add_pooling_layer=False))
        # Leaving the upper layers out is the point: transformers' load report would
        # list every one of their weights as an unexpected key.
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            encoder = BertModel.from_pretrained(
                str(base), add_pooling_layer=False, num_hidden_layers=layers
            )
        finally:
            hf_logging.set_verbosity(verbosity)
        return cls(encoder)

    @classmethod
    def from_trained(cls, path: Path, layers: int) -> Classifier:
        """A trained model cut to ``layers`` evenly spaced layers, its last among them,
        heads included: a student that starts from what the teacher learned."""
        model = cls.load(path)
        total = model.encoder.config.num_hidden_layers
        keep = [round((i + 1) * total / layers) - 1 for i in range(layers)]
        model.encoder.encoder.layer = nn.ModuleList(model.encoder.encoder.layer[i] for i in keep)
        model.encoder.config.num_hidden_layers = layers
        return model.train()

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(intent logits, sentiment logits, L2-normalized sentence embedding)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        pooled = mean_pool(hidden, attention_mask)
        features = self.dropout(pooled)
        embedding = nn.functional.normalize(pooled, dim=-1)
        return self.intent(features), self.sentiment(features), embedding

    def save(self, path: Path, version: str) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(str(path))
        heads = {f"intent.{k}": v for k, v in self.intent.state_dict().items()}
        heads |= {f"sentiment.{k}": v for k, v in self.sentiment.state_dict().items()}
        save_file({k: v.contiguous() for k, v in heads.items()}, str(path / "heads.safetensors"))
        (path / "labels.json").write_text(
            json.dumps({"intent": INTENTS, "sentiment": SENTIMENTS}, indent=2)
        )
        (path / "VERSION").write_text(version + "\n")

    @classmethod
    def load(cls, path: Path) -> Classifier:
        labels = json.loads((path / "labels.json").read_text())
        if labels != {"intent": INTENTS, "sentiment": SENTIMENTS}:
            raise ValueError(f"{path} was trained with other labels: {labels}")
        model = cls(BertModel.from_pretrained(str(path), add_pooling_layer=False))
        heads = load_file(str(path / "heads.safetensors"))
        model.intent.load_state_dict({k[7:]: v for k, v in heads.items() if k[:7] == "intent."})
        model.sentiment.load_state_dict(
            {k[10:]: v for k, v in heads.items() if k.startswith("sentiment.")}
        )
        return model.eval()
