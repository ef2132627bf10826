from pathlib import Path

from pydantic import Field

from socialcare.settings import Settings


class ClassifySettings(Settings):
    base_model_dir: Path = Field(
        Path(".models/multilingual-e5-small"),
        description="The base encoder (a transformers checkpoint with tokenizer.json); "
        "`classify convert-base` writes it, any other BERT-style encoder works too.",
    )
    model_dir: Path = Field(
        Path(".models/socialcare-classifier"),
        description="The fine-tuned classifier `classify train` writes and the worker loads.",
    )
