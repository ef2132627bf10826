from prometheus_client import Counter

REQUESTS = Counter(
    "socialcare_ingest_requests_total",
    "Webhook and API requests, by platform and HTTP status.",
    ["platform", "status"],
)
IGNORED = Counter(
    "socialcare_ingest_ignored_total",
    "Well-formed deliveries without a customer message (receipts, reactions…), by type.",
    ["type"],
)

# Label values of IGNORED. The adapters name what they ignore after the payload
# (a Messenger item's first field, a WhatsApp status, a Telegram update's type), so
# a sender could grow the metric without bound; only these documented types become
# labels, anything else is counted as "<platform>:other".
IGNORED_TYPES = frozenset(
    {
        *(
            f"{platform}:{kind}"
            for platform in ("messenger", "instagram")
            for kind in (
                "delivery",
                "read",
                "postback",
                "reaction",
                "referral",
                "optin",
                "account_linking",
                "message_deleted",
                "message_edit",
                "unknown",
            )
        ),
        *(
            f"facebook:{kind}"
            for kind in (
                "feed:reaction",
                "feed:status",
                "feed:post",
                "feed:photo",
                "feed:video",
                "feed:share",
                "feed:like",
                "comment:edited",
                "comment:remove",
                "comment:hide",
                "comment:unhide",
            )
        ),
        *(
            f"instagram:{field}"
            for field in ("story_insights", "message_reactions", "messaging_seen")
        ),
        *(
            f"whatsapp:{kind}"
            for kind in (
                "status:sent",
                "status:delivered",
                "status:read",
                "status:failed",
                "status:deleted",
                "reaction",
                "unsupported",
                "system",
                "account_update",
                "message_template_status_update",
                "phone_number_quality_update",
            )
        ),
        *(
            f"viber:{event}"
            for event in (
                "delivered",
                "seen",
                "failed",
                "subscribed",
                "unsubscribed",
                "conversation_started",
                "webhook",
                "client_status",
            )
        ),
        *(
            f"telegram:{kind}"
            for kind in (
                "callback_query",
                "inline_query",
                "chosen_inline_result",
                "my_chat_member",
                "chat_member",
                "chat_join_request",
                "message_reaction",
                "message_reaction_count",
                "poll",
                "poll_answer",
                "shipping_query",
                "pre_checkout_query",
                "empty",
            )
        ),
        *(
            f"twitter:{kind}"
            for kind in (
                "favorite_events",
                "follow_events",
                "unfollow_events",
                "block_events",
                "unblock_events",
                "mute_events",
                "unmute_events",
                "user_event",
                "tweet_delete_events",
                "direct_message_indicate_typing_events",
                "direct_message_mark_read_events",
            )
        ),
    }
)
IGNORING_PLATFORMS = frozenset(
    {"messenger", "instagram", "facebook", "whatsapp", "viber", "telegram", "twitter"}
)


def ignored_label(kind: str) -> str:
    """The IGNORED label for what an adapter reported: a fixed set of values only."""
    if kind in IGNORED_TYPES:
        return kind
    platform = kind.partition(":")[0]
    return f"{platform}:other" if platform in IGNORING_PLATFORMS else "other"
