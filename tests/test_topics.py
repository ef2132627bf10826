import pytest

from socialcare.schema import RoutedEvent
from socialcare.topics import DLQ, PIPELINE_TOPICS, RAW, queue_topic


def test_pipeline_topic_names_follow_the_design():
    assert [t.name for t in PIPELINE_TOPICS] == [
        "social.events.raw",
        "social.events.classified",
        "social.events.routed",
        "social.events.dlq",
        "social.erasures",
        "support.actions",
        "support.action-results",
        "support.conversations",
        "social.alerts",
        "social.listening.positions",
    ]
    assert all(t.partitions >= 1 for t in PIPELINE_TOPICS)
    assert RAW.partitions > 1  # conversations spread over partitions, one each
    assert int(DLQ.config["retention.ms"]) > int(RAW.config["retention.ms"])


def test_queue_topics_carry_routed_events():
    spec = queue_topic("de", "tech_support")
    assert spec.name == "support.queue.de.tech_support"
    assert spec.model is RoutedEvent


@pytest.mark.parametrize("language,skill", [("DE", "orders"), ("de", "tech support"), ("", "x")])
def test_queue_topic_rejects_names_kafka_tools_would_mangle(language, skill):
    with pytest.raises(ValueError, match="invalid queue name part"):
        queue_topic(language, skill)


def test_alerts_are_keyed_by_alert_id_and_compacted():
    from socialcare.topics import ALERTS

    assert ALERTS.key == "alert_id"
    assert "compact" in ALERTS.config["cleanup.policy"]


def test_listening_positions_are_keyed_by_brand_compacted_and_kept():
    from socialcare.topics import LISTENING_POSITIONS

    assert LISTENING_POSITIONS.key == "brand"
    assert LISTENING_POSITIONS.config == {"cleanup.policy": "compact", "retention.ms": "-1"}
