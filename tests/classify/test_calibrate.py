"""Temperature scaling and the expected calibration error, on synthetic scores whose
true calibration is known."""

import numpy as np

from socialcare.classify.calibrate import (
    calibration_report,
    expected_calibration_error,
    fit_temperature,
    softmax,
)


def sampled(temperature: float, n: int = 4000, seed: int = 3):
    """Logits whose labels are drawn from softmax(logits / temperature): calibrated at
    exactly that temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=(n, 5))
    p = softmax(logits, temperature)
    labels = np.array([rng.choice(5, p=row) for row in p])
    return logits, labels


def test_the_fitted_temperature_is_the_true_one():
    for true in (0.7, 1.0, 2.5):
        logits, labels = sampled(true)
        assert abs(fit_temperature(logits, labels) - true) / true < 0.12


def test_an_over_confident_model_is_calibrated_by_its_temperature():
    logits, labels = sampled(2.5)  # the raw softmax is far too sure of itself
    report = calibration_report(logits, labels)
    assert report["ece_before"] > 0.1
    assert report["ece_after"] < 0.03
    assert report["temperature"] > 2


def test_the_error_is_zero_when_confidence_is_accuracy_and_large_when_not():
    confidence = np.array([0.8] * 10)
    assert expected_calibration_error(confidence, np.array([1] * 8 + [0] * 2)) < 1e-9
    assert expected_calibration_error(confidence, np.zeros(10)) == 0.8


def test_temperature_keeps_the_ranking():
    logits, _ = sampled(1.0, n=50)
    assert (softmax(logits, 3.0).argmax(-1) == logits.argmax(-1)).all()
