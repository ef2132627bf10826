from pydantic import Field, SecretStr

from socialcare.settings import Settings


class RespondSettings(Settings):
    """The respond worker's settings (``SOCIALCARE_RESPOND_*``).

    Tokens are ``SecretStr``: they print as ``**********`` and are read only where a
    request is built, so no log line can carry one.
    """

    respond_app_id: str = Field(
        "socialcare-respond",
        description="Faust app id of the respond worker: its consumer group.",
    )
    respond_web_port: int = Field(
        6071, description="Port of the respond worker's /healthz, /readyz and /metrics."
    )
    respond_http_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for a platform's answer to one send request."
    )
    respond_graph_base_url: str = Field(
        "https://graph.facebook.com/v21.0",
        description="Meta Graph API base URL, with its version (Messenger, Facebook, "
        "Instagram, WhatsApp).",
    )
    respond_instagram_base_url: str = Field(
        "https://graph.facebook.com/v21.0",
        description="Graph API base URL of Instagram messages, comment replies and mention "
        "replies (https://graph.instagram.com/v21.0 with Instagram Login).",
    )
    respond_telegram_base_url: str = Field(
        "https://api.telegram.org", description="Telegram Bot API base URL."
    )
    respond_viber_base_url: str = Field(
        "https://chatapi.viber.com", description="Viber REST bot API base URL."
    )
    respond_x_base_url: str = Field("https://api.x.com", description="X (Twitter) API base URL.")
    respond_meta_page_token: SecretStr | None = Field(
        None,
        description="Meta page access token: Messenger, Facebook comments, Instagram (secret).",
    )
    respond_whatsapp_token: SecretStr | None = Field(
        None, description="WhatsApp Cloud API access token (secret)."
    )
    respond_whatsapp_phone_number_id: str | None = Field(
        None,
        description="WhatsApp phone number id to send from; unset: the number the customer "
        "wrote to (the event's brand_account_id).",
    )
    respond_telegram_bot_token: SecretStr | None = Field(
        None, description="Telegram bot token (secret)."
    )
    respond_viber_auth_token: SecretStr | None = Field(
        None, description="Viber bot auth token, sent as X-Viber-Auth-Token (secret)."
    )
    respond_viber_sender_name: str = Field(
        "Support", max_length=28, description="Sender name Viber shows on replies."
    )
    respond_x_bearer_token: SecretStr | None = Field(
        None, description="X API bearer token (user context) for DMs and replies (secret)."
    )
