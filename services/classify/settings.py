import re
from pathlib import Path

from pydantic import Field, field_validator

from socialcare.classify.predict import Backend
from socialcare.settings import Settings

# The corpus languages, and the close relatives whose speakers routing sends to one of
# them (docs/routing.md, `languages.neighbours`): without bs and sr among the
# candidates, a Bosnian or Serbian message would be forced into Croatian or Slovenian
# at random; with them it is named for what it is and routed on purpose.
DEFAULT_LANGUAGES = (
    "ar", "de", "en", "es", "fa", "fr", "hr", "it", "kk", "nl", "pl", "pt", "ru", "sl",
    "tr", "uk", "bs", "sr",
)  # fmt: skip


class ClassifySettings(Settings):
    base_model_dir: Path = Field(
        Path(".models/multilingual-e5-small"),
        description="The base encoder (a transformers checkpoint with tokenizer.json); "
        "`classify convert-base` writes it, any other BERT-style encoder works too.",
    )
    model_dir: Path = Field(
        Path(".models/socialcare-classifier"),
        description="The classifier the workers load (`classify prepare` trains or restores "
        "the served one there: the 6-layer student).",
    )
    teacher_model_dir: Path = Field(
        Path(".models/socialcare-teacher"),
        description="The 12-layer model the served student is distilled from; "
        "`classify prepare` trains it first. Only training reads it.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "socialcare" / "models",
        description="Trained models kept by version (a hash of corpus and training "
        "configuration) outside the clone, so a fresh clone on the same machine restores "
        "the model instead of training it again.",
    )
    classify_backend: Backend = Field(
        "onnx-int8",
        description="Inference backend: onnx-int8 (fastest, model.int8.onnx), torch-fp32 "
        "(the reference) or torch-bf16.",
    )
    classify_threads: int = Field(
        1,
        ge=0,
        description="CPU threads of one worker's model (0: one per core). Scale out with "
        "replicas: two one-thread workers beat one two-thread worker (255 vs 226 texts/s, "
        "docs/performance.md).",
    )
    classify_app_id: str = Field(
        "socialcare-classify",
        description="Faust app id of the classify worker: its consumer group.",
    )
    classify_web_port: int = Field(
        6066, description="Port of the classify worker's /healthz, /readyz and /metrics."
    )
    classify_batch_size: int = Field(
        64,
        ge=1,
        description="Most events per micro-batch. The model runs them in batches of up to "
        "16 texts of similar length, so a larger micro-batch means less padding.",
    )
    classify_batch_seconds: float = Field(
        0.05, gt=0, description="Longest wait to fill a model batch (latency vs throughput)."
    )
    classify_max_text_chars: int = Field(
        2000,
        ge=1,
        description="Most characters of a text the model and the language detector see. "
        "The model keeps 64 tokens (a few hundred characters) anyway; the cap bounds the "
        "work one long message can cause.",
    )
    classify_repeat_cache_size: int = Field(
        4096,
        ge=0,
        description="Texts whose classification one worker keeps for exact repeats "
        "(retweets, copy-paste campaigns; whitespace runs count as one space), least "
        "recently used out first; about 4 KB each. 0: none kept (repeats within one "
        "micro-batch are still classified once).",
    )
    classify_batch_budget_seconds: float = Field(
        30.0,
        gt=0,
        description="Time budget of one micro-batch. When a batch fails or overruns it, "
        "its records are classified one by one, each within the budget, and the one that "
        "fails or overruns again goes to the DLQ with the reason.",
    )
    classify_languages: str = Field(
        ",".join(DEFAULT_LANGUAGES),
        description="The languages the detector chooses among (ISO 639-1, comma-separated; "
        "`all`: the 75 it knows): the corpus languages and the close relatives routing maps "
        "onto them (bs, sr -> hr). Fewer candidates are more accurate on short texts and "
        "several times faster (README, Language identification).",
    )

    @field_validator("classify_languages")
    @classmethod
    def _language_codes(cls, value: str) -> str:
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if codes != ["all"] and not all(re.fullmatch(r"[a-z]{2}", c) for c in codes):
            raise ValueError("ISO 639-1 codes separated by commas, or `all`")
        return value
