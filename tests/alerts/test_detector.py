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


def observation(m) -> Observation:
    return Observation(f"e{m.n}", m.at.timestamp(), m.intent, m.language, m.platform, terms(m.text))


def observe_all(detector, messages, wall=0.0):
    return [a for m in messages for a in detector.observe(observation(m), wall=wall + m.n)]


def test_a_restart_during_a_spike_continues_its_alert():
    messages = demo_messages(seed=2)
    spike = [i for i, m in enumerate(messages) if m.spike]
    cut = spike[len(spike) // 2]  # the worker stops halfway through the spike
    before = observe_all(Detector(DetectorConfig()), messages[:cut])
    assert before and before[-1].status != AlertStatus.cleared
    restarted = Detector(DetectorConfig())
    # What the worker reads again from the topic: the baseline before its offsets.
    restarted.warm([observation(m) for m in messages[:cut]])
    restarted.adopt([before[-1]], wall=0.0)
    after = observe_all(restarted, messages[cut:])
    after += [a for second in range(15) for a in restarted.tick(len(messages) + second + 1.0)]
    # One alert over the restart: continued (updated), not raised again, then cleared.
    assert {a.alert_id for a in after} == {before[-1].alert_id}
    assert after[0].status == AlertStatus.updated and after[0].since == before[-1].since
    assert after[-1].status == AlertStatus.cleared


def test_an_alert_left_open_by_a_previous_run_clears_after_the_warm_up():
    messages = demo_messages(seed=2)
    spiking = observe_all(Detector(DetectorConfig()), messages)
    left_open = next(a for a in spiking if a.status == AlertStatus.open)
    steady = demo_messages(events=400, seed=4, spike=False)
    restarted = Detector(DetectorConfig(warmup=3.0))
    restarted.adopt([left_open], wall=0.0)
    published = observe_all(restarted, steady)
    assert [(a.alert_id, a.status) for a in published] == [
        (left_open.alert_id, AlertStatus.cleared)
    ]
    assert published[0].cleared_at - steady[0].at < timedelta(seconds=10)


def test_with_no_event_after_a_restart_the_left_alerts_clear_on_the_wall_clock():
    left_open = next(
        a
        for a in observe_all(Detector(DetectorConfig()), demo_messages(seed=2))
        if a.status == AlertStatus.open
    )
    restarted = Detector(DetectorConfig(warmup=3.0))
    restarted.adopt([left_open], wall=1000.0)
    assert restarted.tick(1001.0) == []
    (cleared,) = restarted.tick(1004.0)
    assert (cleared.alert_id, cleared.status) == (left_open.alert_id, AlertStatus.cleared)
    assert restarted.tick(1010.0) == []
