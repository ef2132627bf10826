"""How the respond and listen workers are pointed at the emulator: their platform
base URLs and tokens (any non-empty token passes the emulator's checks)."""

from __future__ import annotations


def respond_env(base_url: str) -> dict[str, str]:
    """The ``SOCIALCARE_RESPOND_*`` variables that send every platform to ``base_url``."""
    return {
        "SOCIALCARE_RESPOND_GRAPH_BASE_URL": f"{base_url}/v21.0",
        "SOCIALCARE_RESPOND_INSTAGRAM_BASE_URL": f"{base_url}/instagram/v21.0",
        "SOCIALCARE_RESPOND_TELEGRAM_BASE_URL": base_url,
        "SOCIALCARE_RESPOND_VIBER_BASE_URL": base_url,
        "SOCIALCARE_RESPOND_X_BASE_URL": base_url,
        "SOCIALCARE_RESPOND_META_PAGE_TOKEN": "page-token",
        "SOCIALCARE_RESPOND_WHATSAPP_TOKEN": "whatsapp-token",
        "SOCIALCARE_RESPOND_TELEGRAM_BOT_TOKEN": "123456:bot-token",
        "SOCIALCARE_RESPOND_VIBER_AUTH_TOKEN": "viber-token",
        "SOCIALCARE_RESPOND_X_BEARER_TOKEN": "x-token",
    }


def listen_env(base_url: str) -> dict[str, str]:
    """The ``SOCIALCARE_LISTEN_*`` variables that search X's recent posts on
    ``base_url``; every 5 s, which the emulator's 450 calls per 15 minutes bear for a
    demo's three brands."""
    return {
        "SOCIALCARE_LISTEN_X_BASE_URL": base_url,
        "SOCIALCARE_LISTEN_X_BEARER_TOKEN": "x-token",
        "SOCIALCARE_LISTEN_POLL_INTERVAL_SECONDS": "5",
    }
