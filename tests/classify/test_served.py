"""The served model's recipe: the 12-layer teacher first, then the student distilled
from it, and a version for the image tag before either is trained."""

from socialcare.classify.served import recipe, served_version, teacher_config
from socialcare.classify.settings import ClassifySettings
from socialcare.classify.train import expected_version


def _settings(tmp_path):
    return ClassifySettings(
        base_model_dir=tmp_path / "base",
        teacher_model_dir=tmp_path / "teacher",
        model_dir=tmp_path / "served",
    )


def test_the_student_the_workers_load_is_trained_after_its_teacher(tmp_path):
    settings = _settings(tmp_path)
    teacher, served = recipe(settings)
    assert teacher.out == settings.teacher_model_dir
    assert teacher.layers is None and teacher.teacher is None
    assert served.out == settings.model_dir and served.teacher == teacher.out
    assert served.layers == 6
    assert served.unlabelled is not None and any(served.unlabelled.glob("*.jsonl"))


def test_the_served_version_is_known_before_any_model_is_trained(tmp_path):
    # scripts/image.sh tag and the manifests' tag test run in a clone with no model.
    settings = _settings(tmp_path)
    version = served_version(settings)
    assert not settings.teacher_model_dir.exists()
    assert version.startswith("e5-small-care-")
    assert version != expected_version(teacher_config(settings))
    assert served_version(settings) == version
