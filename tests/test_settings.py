from pathlib import Path

from socialcare.settings import Settings


def test_defaults_point_at_the_local_stack():
    settings = Settings(_env_file=None)
    assert settings.kafka_address == ("127.0.0.1", 9092)
    assert settings.elasticsearch_address == ("127.0.0.1", 9200)
    assert settings.stack_dir == Path(".stack")


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9094,kafka-1:9094")
    monkeypatch.setenv("SOCIALCARE_ELASTICSEARCH_URL", "https://es.internal:9243")
    monkeypatch.setenv("SOCIALCARE_INDEX_REPLICAS", "2")
    settings = Settings()
    assert settings.kafka_address == ("kafka-0", 9094)
    assert settings.elasticsearch_address == ("es.internal", 9243)
    assert settings.index_replicas == 2
