from socialcare.alerts.windows import DIM, TERM, Observation, Windows


def obs(n: int, at: float, *words: str, language: str = "en") -> Observation:
    return Observation(f"e{n}", at, "defect", language, "twitter", frozenset(words))


def test_buckets_leave_the_window_for_the_baseline_and_then_go():
    w = Windows(bucket=1, window=2, baseline=3)
    w.add(obs(1, 0.5, "voltbuds"))
    assert w.window[(TERM, "voltbuds")] == 1 and w.window_total == 1
    w.advance(2.5)  # bucket 0 is out of the window (1, 2)
    assert w.window_total == 0 and w.base[(TERM, "voltbuds")] == 1
    assert list(w.observations()) == []  # the baseline keeps counts only
    w.advance(5.1)  # and out of the baseline (2, 3, 4) too
    assert w.base_total == 0 and not w.base


def test_late_events_count_in_their_own_bucket_and_older_ones_not_at_all():
    w = Windows(bucket=1, window=2, baseline=3)
    w.add(obs(1, 10.0))
    w.add(obs(2, 7.5, "late"))  # in the baseline
    w.add(obs(3, 1.0, "ancient"))  # before the baseline
    assert w.base[(TERM, "late")] == 1
    assert (TERM, "ancient") not in w.base and (TERM, "ancient") not in w.window
    assert w.clock == 10.0


def test_events_count_towards_intent_language_and_platform_cells():
    keys = obs(1, 0.0, "voltbuds", language="kk").keys()
    assert (DIM, "intent=defect") in keys
    assert (DIM, "intent=defect,language=kk,platform=twitter") in keys
    assert (TERM, "voltbuds") in keys


def test_baseline_coverage_grows_from_the_first_event():
    w = Windows(bucket=1, window=5, baseline=300)
    w.add(obs(1, 100.0))
    assert w.baseline_seconds == 0
    w.advance(110.2)
    assert w.baseline_seconds == 6.0  # window starts at 106
