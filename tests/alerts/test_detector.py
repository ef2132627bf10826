from datetime import timedelta

from socialcare.alerts.detector import Detector, DetectorConfig
from socialcare.alerts.terms import terms
from socialcare.alerts.windows import Observation
from socialcare.schema import AlertStatus
from tests.alerts.demo_traffic import demo_messages


def run(messages, config=None, quiet_seconds=15):
    """Every alert message the detector publishes for the messages, then a quiet stream."""
    detector = Detector(config or DetectorConfig())
    published = []
    for m in messages:
        o = Observation(
            f"e{m.n}", m.at.timestamp(), m.intent, m.language, m.platform, terms(m.text)
        )
        published += [(m.n, a) for a in detector.observe(o, wall=float(m.n))]
    wall = float(len(messages))
    for second in range(quiet_seconds):
        published += [(None, a) for a in detector.tick(wall + second + 1)]
    return published


def test_steady_demo_traffic_raises_nothing():
    for seed in range(3):
        assert run(demo_messages(events=4000, seed=seed, spike=False)) == []


def test_the_demo_spike_raises_one_alert_naming_voltbuds_in_its_languages_then_clears():
    for seed in range(5):
        messages = demo_messages(seed=seed)
        spike = [m for m in messages if m.spike]
        published = [a for _, a in run(messages)]
        assert len({a.alert_id for a in published}) == 1, [a.terms for a in published]
        first, last = published[0], published[-1]
        assert first.status == AlertStatus.open and "voltbuds" in first.terms
        assert first.updated_at - spike[0].at < timedelta(seconds=5)
        assert first.since <= spike[0].at and first.intent == "defect"
        assert last.status == AlertStatus.cleared and last.cleared_at is not None
        assert set(last.languages) == {m.language for m in spike}
        assert last.terms[0] in {"voltbuds", "voltbuds pro", "pro"}
        assert set(last.example_event_ids) <= {f"e{m.n}" for m in spike}
        assert last.events >= 0.9 * len(spike)
        assert all(a.status == AlertStatus.updated for a in published[1:-1])


def test_a_slower_demo_still_alerts_within_two_minutes():
    messages = demo_messages(rate=10.0, seed=3)
    start = next(m.at for m in messages if m.spike)
    published = [a for _, a in run(messages)]
    assert len({a.alert_id for a in published}) == 1
    assert published[0].updated_at - start < timedelta(minutes=2)


def test_nothing_before_the_baseline_has_warmed_up():
    # The spike from the first second: no baseline to compare with, no alert yet.
    messages = demo_messages(events=100, seed=1)
    burst = [m for m in demo_messages(events=600, seed=1) if m.spike][:40]
    at = messages[0].at
    burst = [type(m)(m.n + 1000, at, m.platform, m.language, m.text, m.intent, True) for m in burst]
    config = DetectorConfig(warmup=3.0)
    assert run(burst + messages[:20], config, quiet_seconds=0) == []
