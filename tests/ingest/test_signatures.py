import base64
import hashlib
import hmac
import json

import pytest

from socialcare.ingest import signatures
from socialcare.ingest.signatures import SignatureError

BODY = json.dumps({"text": "Punjač je pregorio 😡"}).encode()  # ASCII-escaped, as Meta sends


def meta_header(body: bytes, secret: str = "app-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_meta_accepts_the_signature_over_the_bytes_as_received():
    assert b"\\u010d" in BODY  # the body really carries \uXXXX escapes
    signatures.verify_meta(BODY, meta_header(BODY), "app-secret")


def test_meta_rejects_a_reserialized_body():
    # Decoding and re-encoding (here without ASCII escapes) changes the bytes.
    reencoded = json.dumps(json.loads(BODY), ensure_ascii=False).encode()
    with pytest.raises(SignatureError) as wrong:
        signatures.verify_meta(reencoded, meta_header(BODY), "app-secret")
    assert wrong.value.status == 403


@pytest.mark.parametrize(
    "header,secret,status",
    [
        (None, "app-secret", 401),
        ("sha1=abc", "app-secret", 401),
        ("sha256=00", None, 401),
        (meta_header(BODY, "other"), "app-secret", 403),
    ],
)
def test_meta_rejections(header, secret, status):
    with pytest.raises(SignatureError) as rejected:
        signatures.verify_meta(BODY, header, secret)
    assert rejected.value.status == status


def test_twitter_signature_and_crc_are_base64_hmac_sha256():
    expected = (
        "sha256="
        + base64.b64encode(hmac.new(b"consumer", b"challenge", hashlib.sha256).digest()).decode()
    )
    assert signatures.twitter_signature(b"challenge", "consumer") == expected
    signatures.verify_twitter(BODY, signatures.twitter_signature(BODY, "consumer"), "consumer")
    with pytest.raises(SignatureError):
        signatures.verify_twitter(
            BODY + b" ", signatures.twitter_signature(BODY, "consumer"), "consumer"
        )


def test_viber_signature_is_hex_hmac_with_the_bot_token():
    good = hmac.new(b"token", BODY, hashlib.sha256).hexdigest()
    signatures.verify_viber(BODY, good, "token")
    with pytest.raises(SignatureError) as wrong:
        signatures.verify_viber(BODY, good, "another-token")
    assert wrong.value.status == 403


def test_telegram_secret_token_must_match_exactly():
    signatures.verify_telegram("s3cret", "s3cret")
    for header in ("s3cret ", "S3CRET"):
        with pytest.raises(SignatureError):
            signatures.verify_telegram(header, "s3cret")
    with pytest.raises(SignatureError) as missing:
        signatures.verify_telegram(None, "s3cret")
    assert missing.value.status == 401


def test_api_keys_give_their_permissions():
    keys = {"k1": frozenset({"inbound"}), "k2": frozenset({"inbound", "outbound"})}
    assert signatures.verify_api_key("k2", keys) == {"inbound", "outbound"}
    assert signatures.verify_api_key("k1", keys) == {"inbound"}
    with pytest.raises(SignatureError):
        signatures.verify_api_key("k3", keys)
    with pytest.raises(SignatureError, match="not configured"):
        signatures.verify_api_key("k1", {})


@pytest.mark.parametrize(
    "token",
    [
        "ODI3ZDUzMDctMjI3MC00MmE2LWJkNWQtNTQ1NzkxZjE3Yzdi",  # base64 of a UUID, as X sends
        "challenge_string",
        "YWJj+/==",
        "a" * signatures.CRC_TOKEN_MAX_LENGTH,
    ],
)
def test_crc_answers_x_shaped_tokens(token):
    assert signatures.twitter_crc_response(token, "consumer") == signatures.twitter_signature(
        token.encode(), "consumer"
    )


@pytest.mark.parametrize(
    "token",
    [
        '{"for_user_id": "1", "tweet_create_events": []}',  # a delivery body
        "[1]",
        "abc\n",
        "a b",
        "a" * (signatures.CRC_TOKEN_MAX_LENGTH + 1),
        "",
    ],
)
def test_crc_refuses_to_sign_anything_else(token):
    with pytest.raises(ValueError, match="crc_token must be base64"):
        signatures.twitter_crc_response(token, "consumer")
