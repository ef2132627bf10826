import ssl
from pathlib import Path

import certifi
import faust
import pytest
from pydantic import ValidationError

from socialcare import elastic, kafka
from socialcare.settings import Settings

# A real PEM bundle to load as "the CA"; its content does not matter here.
CA_FILE = Path(certifi.where())


def test_defaults_point_at_the_local_stack(monkeypatch):
    monkeypatch.delenv("SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("SOCIALCARE_ELASTICSEARCH_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.kafka_address == ("127.0.0.1", 9092)
    assert settings.elasticsearch_address == ("127.0.0.1", 9200)


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9094,kafka-1:9094")
    monkeypatch.setenv("SOCIALCARE_ELASTICSEARCH_URL", "https://es.internal:9243")
    monkeypatch.setenv("SOCIALCARE_INDEX_REPLICAS", "2")
    settings = Settings()
    assert settings.kafka_address == ("kafka-0", 9094)
    assert settings.elasticsearch_address == ("es.internal", 9243)
    assert settings.index_replicas == 2


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_bootstrap_servers_are_parsed_in_one_place():
    settings = _settings(kafka_bootstrap_servers=" kafka-0:9093, ,:9094,")
    assert settings.kafka_servers == ["kafka-0:9093", ":9094"]
    assert settings.kafka_addresses == [("kafka-0", 9093), ("127.0.0.1", 9094)]
    assert settings.kafka_address == ("kafka-0", 9093)
    assert kafka.client_config(settings)["bootstrap_servers"] == settings.kafka_servers


def test_a_sasl_protocol_needs_a_username_and_a_password():
    with pytest.raises(ValidationError, match="needs SOCIALCARE_KAFKA_SASL_USERNAME"):
        _settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="socialcare-ingest")
    settings = _settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="socialcare-ingest",
        kafka_sasl_password="s3cret",
    )
    assert settings.kafka_sasl_credentials == ("socialcare-ingest", "s3cret")
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kafka_sasl_username": "u", "kafka_sasl_password": "p"}, "sends no credentials"),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
                "kafka_ssl_cafile": "CA",
            },
            "does not use TLS",
        ),
        ({"elasticsearch_ca_certs": "CA"}, "is not https"),
        ({"kafka_security_protocol": "TLS"}, "kafka_security_protocol"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/no/such/ca.crt"}, "file"),
    ],
)
def test_settings_that_would_be_ignored_or_are_wrong_fail_at_start(values, message, tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("not read here")
    values = {k: str(ca) if v == "CA" else v for k, v in values.items()}
    with pytest.raises(ValidationError, match=message):
        _settings(**values)


def test_the_kafka_clients_get_the_security_settings(tmp_path):
    ca = CA_FILE
    settings = _settings(
        kafka_bootstrap_servers="kafka-0:9093, kafka-1:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="socialcare-route",
        kafka_sasl_password="s3cret",
        kafka_ssl_cafile=ca,
    )
    config = kafka.client_config(settings)
    context = config.pop("ssl_context")
    assert config == {
        "bootstrap_servers": ["kafka-0:9093", "kafka-1:9093"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "socialcare-route",
        "sasl_plain_password": "s3cret",
    }
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert context.get_ca_certs()
    credentials = kafka.faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("socialcare-route", "s3cret")
    app = kafka.faust_app(
        "test-security", settings.model_copy(update={"worker_data_dir": tmp_path})
    )
    assert isinstance(app.conf.broker_credentials, faust.SASLCredentials)
    assert app.conf.broker_credentials.ssl_context is not None


def test_plaintext_clients_send_no_credentials():
    settings = _settings(kafka_bootstrap_servers="kafka:9092", kafka_security_protocol="PLAINTEXT")
    assert kafka.client_config(settings) == {
        "bootstrap_servers": ["kafka:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert kafka.faust_credentials(settings) is None


def test_elasticsearch_verifies_against_the_configured_ca():
    ca = CA_FILE
    settings = _settings(
        elasticsearch_url="https://socialcare-es-http:9200", elasticsearch_ca_certs=ca
    )
    es = elastic.client(settings)
    try:
        (node,) = es.transport.node_pool.all()
        assert node.config.ca_certs == str(ca)
    finally:
        es.close()
