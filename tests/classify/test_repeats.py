"""The classify worker's repeat cache: an exact repeat is classified once, and the
event it answers gets the same classification a fresh run gives."""

from socialcare.classify.language import DetectedLanguage
from socialcare.classify.predict import Prediction
from socialcare.classify.repeats import LOOKUPS, RepeatCache, repeat_key
from socialcare.classify.settings import ClassifySettings
from socialcare.classify.worker import EventClassifier
from socialcare.schema import Event
from tests.support.events import event_data


class CountingPredictor:
    version = "test-model"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict(self, texts: list[str]) -> list[Prediction]:
        self.seen += texts
        return [prediction(len(t) / 7) for t in texts]


class FixedLanguages:
    def detect(self, text: str) -> DetectedLanguage:
        return DetectedLanguage("en", 0.9)


def prediction(x: float) -> Prediction:
    return Prediction("shipping", {"shipping": 0.9}, "negative", {"negative": 0.8}, [x, 1 / 3])


def classifier(size: int) -> EventClassifier:
    """The worker's classifier with a stand-in model: the unit under test is the cache."""
    c = EventClassifier.__new__(EventClassifier)
    c.predictor, c.languages = CountingPredictor(), FixedLanguages()  # type: ignore[assignment]
    c.max_chars = ClassifySettings().classify_max_text_chars
    c.repeats = RepeatCache(size)
    return c


def events(*texts: str) -> list[Event]:
    return [Event.model_validate(event_data(n, text=t)) for n, t in enumerate(texts)]


def hits() -> float:
    return LOOKUPS.labels("hit")._value.get()


def test_the_key_collapses_whitespace_only():
    assert repeat_key("  Where is\tmy\n\nparcel?  ") == "Where is my parcel?"
    assert repeat_key("Where is my parcel?") != repeat_key("where is my parcel?")


def test_a_repeat_is_classified_once_and_answered_identically():
    c = classifier(size=8)
    before = hits()
    first = c.classify(events("Where is my parcel?", "RT  Where is my parcel? ", "other"))
    again = c.classify(events("Where is my  parcel?", "other"))
    assert c.predictor.seen == ["Where is my parcel?", "RT Where is my parcel?", "other"]
    assert again[0].classification == first[0].classification
    assert again[1].classification == first[2].classification
    assert [e.event_id for e in again] == [e.event_id for e in events("x", "y")]
    assert hits() - before == 2


def test_repeats_within_a_batch_are_classified_once_even_without_a_cache():
    c = classifier(size=0)
    out = c.classify(events("same words", "same  words", "same words"))
    assert c.predictor.seen == ["same words"]
    assert len({e.classification.model_dump_json() for e in out}) == 1
    assert len(c.repeats) == 0


def test_the_least_recently_used_text_goes_first():
    cache = RepeatCache(2)
    language = DetectedLanguage("de", 0.5)
    for key in ("a", "b"):
        cache.put(key, prediction(0.1), language)
    assert cache.known(["a"])  # a is now the most recent
    cache.put("c", prediction(0.2), language)
    assert set(cache.known(["a", "b", "c"])) == {"a", "c"}
    found, found_language = cache.known(["c"])["c"]
    assert found == prediction(0.2) and found_language == language
