"""The model the workers serve, and the teacher it is distilled from.

One place for the recipe that the quick start, CI, the image build and the image tag
all use: a 12-layer teacher fine-tuned on the corpus and its hard cases, then a
6-layer student that learns the labels and the teacher's outputs, also on the
unlabelled messages of ``data/unlabelled``. The student costs about half the
teacher's CPU per text (docs/performance.md, "Six layers distilled on unlabelled
messages"); a deployment that prefers the teacher points ``SOCIALCARE_MODEL_DIR`` at
its directory, which the workers load like any other model.
"""

from __future__ import annotations

from socialcare.classify.data import UNLABELLED_DIR
from socialcare.classify.settings import ClassifySettings
from socialcare.classify.train import TrainConfig, expected_version

STUDENT_LAYERS = 6


def teacher_config(settings: ClassifySettings) -> TrainConfig:
    return TrainConfig(base=settings.base_model_dir, out=settings.teacher_model_dir)


def served_config(settings: ClassifySettings) -> TrainConfig:
    return TrainConfig(
        base=settings.base_model_dir,
        out=settings.model_dir,
        layers=STUDENT_LAYERS,
        teacher=settings.teacher_model_dir,
        unlabelled=UNLABELLED_DIR,
    )


def recipe(settings: ClassifySettings) -> list[TrainConfig]:
    """What to train, in order: each model only after the one it learns from."""
    return [teacher_config(settings), served_config(settings)]


def served_version(settings: ClassifySettings) -> str:
    """The version of the model the workers serve, trained or not (the image tag)."""
    teacher = expected_version(teacher_config(settings))
    return expected_version(served_config(settings), teacher_version=teacher)
