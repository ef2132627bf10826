"""Training, prediction, evaluation and the CLI, on a tiny model (fast), and one short
run on the real base encoder (marked slow)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from typer.testing import CliRunner

from socialcare.classify.calibrate import softmax, temperatures
from socialcare.classify.data import INTENTS, SENTIMENTS, load, split_of
from socialcare.classify.evaluate import evaluate, table
from socialcare.classify.predict import BACKENDS, Predictor
from socialcare.classify.settings import ClassifySettings
from socialcare.classify.train import TrainConfig, train
from socialcare.cli import app


def test_split_is_stable_and_disjoint(tiny_corpus):
    splits = {name: load(tiny_corpus, split=name) for name in ("train", "dev", "test")}
    texts = [{e.text for e in examples} for examples in splits.values()]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])
    assert sum(len(t) for t in texts) == len(load(tiny_corpus))
    assert split_of("Where is my parcel?") == split_of("Where is my parcel?")


@pytest.fixture(scope="module")
def trained(tiny_base, tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    config = TrainConfig(base=tiny_base, out=out, corpus=tiny_corpus, supplement=None, epochs=2)
    report = train(config)
    return out, report


def test_training_writes_a_complete_model_directory(trained):
    out, report = trained
    for name in (
        "config.json",
        "model.safetensors",
        "heads.safetensors",
        "tokenizer.json",
        "labels.json",
        "VERSION",
        "training.json",
        "model.int8.onnx",
        "calibration.json",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "labels.json").read_text()) == {
        "intent": INTENTS,
        "sentiment": SENTIMENTS,
    }
    assert (out / "VERSION").read_text().strip() == report["version"]
    assert report["steps"] > 0


def test_the_same_seed_gives_the_same_model(tiny_base, tiny_corpus, tmp_path, trained):
    out, _ = trained
    train(TrainConfig(base=tiny_base, out=tmp_path, corpus=tiny_corpus, supplement=None, epochs=2))
    first, again = (
        load_file(str(out / "heads.safetensors")),
        load_file(str(tmp_path / "heads.safetensors")),
    )
    assert all((first[k] == again[k]).all() for k in first)


@pytest.mark.parametrize("backend", BACKENDS)
def test_predictions_are_labels_with_scores_and_an_embedding(trained, backend):
    out, _ = trained
    predictions = Predictor(out, backend).predict(["Where is my parcel?", "Thanks!", "x" * 3000])
    assert len(predictions) == 3
    for p in predictions:
        assert p.intent in INTENTS and p.sentiment in SENTIMENTS
        assert sum(p.intent_scores.values()) == pytest.approx(1, abs=1e-3)
        assert p.intent_scores[p.intent] == max(p.intent_scores.values())
        assert len(p.embedding) == 16
        assert sum(v * v for v in p.embedding) == pytest.approx(1, abs=1e-2)


def test_int8_backend_agrees_with_fp32(trained, tiny_corpus):
    out, _ = trained
    texts = [e.text for e in load(tiny_corpus)]
    fp32, int8 = (Predictor(out, b).predict(texts) for b in ("torch-fp32", "onnx-int8"))
    pairs = list(zip(fp32, int8, strict=True))
    cosines = [sum(a * b for a, b in zip(x.embedding, y.embedding, strict=True)) for x, y in pairs]
    assert sum(cosines) / len(cosines) > 0.95
    agree = sum(x.intent == y.intent for x, y in pairs)
    assert agree >= 0.8 * len(texts)


def test_the_onnx_backend_never_imports_torch(trained):
    """What keeps the worker's cold start near a second: importing torch and transformers
    and loading the model took 12.7 s, the int8 session 0.66 s (docs/performance.md)."""
    out, _ = trained
    script = (
        "import sys; from pathlib import Path; from socialcare.classify.predict import Predictor; "
        f"Predictor(Path({str(out)!r}), 'onnx-int8').predict(['hello']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_evaluation_report_and_table(trained, tiny_corpus):
    out, _ = trained
    report = evaluate(out, split="train", corpus=tiny_corpus)
    assert set(report["overall"]) == {"intent", "sentiment", "language"}
    assert 0 <= report["overall"]["language"]["accuracy"] <= 1
    assert 0 <= report["overall"]["intent"]["macro_f1"] <= 1
    assert set(report["confusion"]["intent"]) == set(INTENTS)
    assert (
        sum(sum(row.values()) for row in report["confusion"]["intent"].values())
        == (report["overall"]["intent"]["n"])
    )
    assert "overall" in table(report)
    assert report["backend"] == "torch-fp32"


def test_predict_command_adds_the_fields_to_each_object(trained, tmp_path):
    out, _ = trained
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "Тапсырысым әлі келген жоқ, қашан жеткізесіздер?"})
        + "\n"
        + json.dumps({"id": 2, "text": "😡😡"})
        + "\n"
    )
    result = CliRunner().invoke(
        app, ["classify", "predict", "--input", str(source), "--model", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["language"] == "kk" and rows[1]["language"] == "und"
    for row in rows:
        assert row["intent"] in INTENTS and row["sentiment"] in SENTIMENTS
        assert row["model_version"] == (out / "VERSION").read_text().strip()


@pytest.mark.slow
def test_a_short_run_on_the_real_base_encoder(tiny_corpus, tmp_path):
    base = ClassifySettings().base_model_dir
    if not (base / "config.json").exists():
        result = CliRunner().invoke(app, ["classify", "convert-base", "--dest", str(base)])
        assert result.exit_code == 0, result.output
    config = TrainConfig(base=base, out=tmp_path, corpus=tiny_corpus, supplement=None, max_steps=3)
    report = train(config)
    assert report["steps"] == 3
    assert len(Predictor(tmp_path).predict(["Wo ist mein Paket?"])[0].embedding) == 384


def test_train_if_stale_trains_once_then_reuses(tiny_base, tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALCARE_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "model"
    args = [
        "classify",
        "train",
        "--if-stale",
        "--base",
        str(tiny_base),
        "--out",
        str(out),
        "--max-steps",
        "2",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "written to" in first.output
    version = (out / "VERSION").read_text().strip()
    assert (tmp_path / "cache" / version / "model.int8.onnx").exists()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "is current" in again.output
    # A current model without its int8 graph (trained before it existed) gets one.
    (out / "model.int8.onnx").unlink()
    third = CliRunner().invoke(app, args)
    assert third.exit_code == 0, third.output
    assert (out / "model.int8.onnx").exists() and "is current" in third.output
    # A fresh clone (no model directory) restores the cached model instead of training.
    shutil.rmtree(out)
    fourth = CliRunner().invoke(app, args)
    assert fourth.exit_code == 0, fourth.output
    assert "restored from" in fourth.output and "written to" not in fourth.output
    assert (out / "VERSION").read_text().strip() == version


@pytest.mark.slow
def test_the_trained_model_gets_plain_messages_right():
    """The model the quick start trains (scripts/model.sh), on unambiguous messages."""
    model_dir = ClassifySettings().model_dir
    if not (model_dir / "heads.safetensors").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    predictions = Predictor(model_dir).predict(
        [
            "Where is my parcel?! Tracking has not moved for a week, this is ridiculous 😡",
            "Thank you so much, your support team was wonderful!",
            "Вы списали деньги дважды за один заказ, верните",
            "Die Kopfhörer laden nach zwei Tagen nicht mehr",
        ]
    )
    assert [p.intent for p in predictions] == ["shipping", "praise", "order_issue", "defect"]
    assert [p.sentiment for p in predictions] == ["negative", "positive", "negative", "negative"]


@pytest.mark.slow
def test_the_int8_default_stays_within_a_point_of_fp32():
    """The rule that made onnx-int8 the default backend, on the test split."""
    model_dir = ClassifySettings().model_dir
    if not (model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    reports = {b: evaluate(model_dir, backend=b) for b in ("torch-fp32", "onnx-int8")}
    for task in ("intent", "sentiment"):
        fp32, int8 = (reports[b]["overall"][task]["macro_f1"] for b in reports)
        assert int8 >= fp32 - 0.01, (task, fp32, int8)


def test_the_scores_are_softmax_at_the_fitted_temperature(trained, tiny_corpus):
    out, report = trained
    calibration = json.loads((out / "calibration.json").read_text())
    assert calibration == report["calibration"]
    intent_t, sentiment_t = temperatures(out)
    assert intent_t == calibration["intent"]["temperature"] > 0
    assert sentiment_t == calibration["sentiment"]["temperature"] > 0
    texts = [e.text for e in load(tiny_corpus)][:6]
    predictor = Predictor(out, "onnx-int8")
    intent_logits, _ = predictor.logits(texts)
    expected = softmax(intent_logits, intent_t)
    for row, prediction in zip(expected, predictor.predict(texts), strict=True):
        assert list(prediction.intent_scores.values()) == pytest.approx(row.tolist(), abs=1e-3)


def test_label_smoothing_is_part_of_the_version_only_when_set(tiny_corpus, tmp_path):
    from socialcare.classify.train import expected_version

    def version(**options):
        config = TrainConfig(base=tmp_path, out=tmp_path, corpus=tiny_corpus, **options)
        return expected_version(config)

    # Models trained before the option existed keep their versions (and cache entries).
    assert version() == version(label_smoothing=0.0)
    assert version(label_smoothing=0.1) not in {version(), version(label_smoothing=0.2)}


def test_fewer_layers_keep_the_base_encoders_first_ones(tiny_base):
    from socialcare.classify.model import Classifier

    full, student = Classifier.from_base(tiny_base), Classifier.from_base(tiny_base, layers=1)
    assert len(full.encoder.encoder.layer) == 2
    assert len(student.encoder.encoder.layer) == 1
    kept, first = student.encoder.encoder.layer[0], full.encoder.encoder.layer[0]
    pairs = zip(kept.parameters(), first.parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_a_distilled_student_has_its_own_version(trained, tiny_base, tiny_corpus, tmp_path):
    from socialcare.classify.train import expected_version

    teacher, teacher_report = trained
    config = TrainConfig(
        base=tiny_base,
        out=tmp_path,
        corpus=tiny_corpus,
        supplement=None,
        epochs=1,
        layers=1,
        teacher=teacher,
    )
    report = train(config)
    assert json.loads((tmp_path / "config.json").read_text())["num_hidden_layers"] == 1
    assert Predictor(tmp_path, "onnx-int8").predict(["Where is my parcel?"])[0].intent in INTENTS
    # The layers and the teacher are part of the version: neither restores the other.
    plain = TrainConfig(base=tiny_base, out=tmp_path, corpus=tiny_corpus, supplement=None, epochs=1)
    assert report["version"] == expected_version(config)
    assert len({report["version"], expected_version(plain), teacher_report["version"]}) == 3
    # The teacher's version, given before the teacher is trained, gives the same version;
    # another teacher gives another.
    assert expected_version(config, teacher_version=teacher_report["version"]) == report["version"]
    assert expected_version(config, teacher_version="e5-small-care-0000000000") != report["version"]


def test_the_distillation_loss_is_zero_only_when_the_student_agrees():
    from socialcare.classify.train import _distillation_loss

    teacher = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], dtype=np.float32)
    same = _distillation_loss(torch.from_numpy(teacher.copy()), teacher, 2.0)
    other = _distillation_loss(torch.from_numpy(teacher[::-1].copy()), teacher, 2.0)
    assert float(same) == pytest.approx(0, abs=1e-6)
    assert float(other) > 0.1


def test_the_embedding_loss_is_zero_only_when_the_embeddings_agree():
    from socialcare.classify.train import _embedding_loss

    teacher = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    same = _embedding_loss(torch.from_numpy(teacher.copy()), teacher)
    other = _embedding_loss(torch.from_numpy(teacher[::-1].copy()), teacher)
    assert float(same) == pytest.approx(0, abs=1e-6)
    assert float(other) == pytest.approx(1.0, abs=1e-6)  # orthogonal: cosine 0


def test_a_student_starts_from_the_teachers_evenly_spaced_layers_and_heads(trained):
    from socialcare.classify.model import Classifier

    teacher_dir, _ = trained
    teacher, student = Classifier.load(teacher_dir), Classifier.from_trained(teacher_dir, 1)
    assert len(student.encoder.encoder.layer) == student.encoder.config.num_hidden_layers == 1
    # Of the tiny teacher's two layers the last is kept: it feeds the heads.
    pairs = zip(
        student.encoder.encoder.layer[0].parameters(),
        teacher.encoder.encoder.layer[1].parameters(),
        strict=True,
    )
    assert all(torch.equal(a, b) for a, b in pairs)
    assert torch.equal(student.intent.weight, teacher.intent.weight)


def test_unlabelled_texts_are_learned_from_the_teacher_and_enter_the_version(
    trained, tiny_base, tiny_corpus, tmp_path
):
    from socialcare.classify.train import expected_version, training_examples

    teacher, _ = trained
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    dev_text = next(e.text for e in load(tiny_corpus, split="dev"))
    lines = [
        {"text": "The courier left my box in the rain", "language": "en"},
        {"text": dev_text, "language": "en"},  # a dev text: never trained on
    ]
    (unlabelled / "en.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")

    def config(**options):
        return TrainConfig(
            base=tiny_base,
            out=tmp_path / "student",
            corpus=tiny_corpus,
            supplement=None,
            epochs=1,
            layers=1,
            teacher=teacher,
            **options,
        )

    with_texts = config(unlabelled=unlabelled, distill_embedding_weight=1.0, init_from_teacher=True)
    examples = training_examples(with_texts)
    extra = [e for e in examples if not e.labelled]
    assert [e.text for e in extra] == ["The courier left my box in the rain"]
    assert len(examples) == len(training_examples(config())) + 1
    report = train(with_texts)
    assert report["examples"] == len(examples)
    assert report["version"] == expected_version(with_texts)
    # Each setting is part of the version only when set.
    versions = {
        expected_version(config()),
        expected_version(config(unlabelled=unlabelled)),
        expected_version(config(distill_embedding_weight=1.0)),
        expected_version(config(init_from_teacher=True)),
        report["version"],
    }
    assert len(versions) == 5
    with pytest.raises(ValueError, match="teacher"):
        TrainConfig(base=tiny_base, out=tmp_path, corpus=tiny_corpus, unlabelled=unlabelled)
    with pytest.raises(ValueError, match="layers"):
        TrainConfig(base=tiny_base, out=tmp_path, teacher=teacher, init_from_teacher=True)


def test_the_cli_refuses_student_settings_without_a_teacher(tmp_path):
    result = CliRunner().invoke(
        app, ["classify", "train", "--out", str(tmp_path), "--unlabelled", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "need a teacher" in result.output
    assert not (tmp_path / "VERSION").exists()
