"""Ingest's Prometheus metrics, and the fixed label values of what it ignores."""

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
ENRICHMENTS = Counter(
    "socialcare_ingest_enrichments_total",
    "Graph API fetches for events published with ids only (Instagram mentions), by "
    "outcome: done, retry (an attempt failed, another follows), failed (gave up).",
    ["outcome"],
)
ENRICHMENT_SWEEP = Counter(
    "socialcare_ingest_enrichment_sweep_total",
    "Mentions the enrichment sweep took up again, by outcome: done (fetched and "
    "republished), failed (the fetch failed again; the next sweep tries again), expired "
    "(left pending past the retry budget; republished failed), deferred (the Graph API "
    "asked to wait; the next sweep takes it), unpublished (Kafka refused the copy).",
    ["outcome"],
)

_RECEIPTS = "A receipt or a signal about a message, not a message from the customer."
_ACCOUNT = "About the account or the subscription, not a message."
_EDITS = "A change to a message already taken: nothing new to answer."
_REACTION = "A reaction or a like: no words to answer."

# What each platform sends that ingest acknowledges and drops, and why: the label values
# of IGNORED (as "<platform>:<kind>") and the table in docs/ingest.md. The adapters name
# what they ignore after the payload (a Messenger item's first field, a WhatsApp status,
# a Telegram update's type), so a sender could grow the metric without bound; only these
# types become labels, anything else is counted as "<platform>:other".
_IGNORED_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("messenger", "instagram"), ("delivery", "read", "referral", "optin"), _RECEIPTS),
    (("messenger", "instagram"), ("postback",), "A button press of a bot menu: no text."),
    (("messenger", "instagram"), ("reaction",), _REACTION),
    (("messenger", "instagram"), ("account_linking",), _ACCOUNT),
    (("messenger", "instagram"), ("message_deleted", "message_edit"), _EDITS),
    (("messenger", "instagram"), ("unknown",), "A messaging item with no field at all."),
    (("facebook",), ("feed:reaction", "feed:like"), _REACTION),
    (("facebook",), ("feed:share",), "A share of a post: no words addressed to the brand."),
    (("facebook",), ("feed:page_post",), "The Page's own post: the brand speaking."),
    (
        ("facebook",),
        (
            "comment:edited",
            "comment:remove",
            "comment:hide",
            "comment:unhide",
            "post:edited",
            "post:remove",
            "post:hide",
            "post:unhide",
            "mention:edited",
            "mention:remove",
        ),
        _EDITS,
    ),
    (("instagram",), ("story_insights",), "Statistics of an expired story."),
    (("instagram",), ("message_reactions",), _REACTION),
    (("instagram",), ("messaging_seen",), _RECEIPTS),
    (
        ("whatsapp",),
        ("status:sent", "status:delivered", "status:read", "status:failed", "status:deleted"),
        "The delivery status of a message the brand sent.",
    ),
    (("whatsapp",), ("reaction",), _REACTION),
    (("whatsapp",), ("unsupported",), "A message type the Cloud API does not deliver."),
    (("whatsapp",), ("system",), "A system notice (the customer changed number)."),
    (
        ("whatsapp",),
        ("account_update", "message_template_status_update", "phone_number_quality_update"),
        _ACCOUNT,
    ),
    (("viber",), ("delivered", "seen", "failed"), _RECEIPTS),
    (
        ("viber",),
        ("subscribed", "unsubscribed", "conversation_started", "webhook", "client_status"),
        _ACCOUNT,
    ),
    (
        ("telegram",),
        ("callback_query", "inline_query", "chosen_inline_result"),
        "A bot button or inline query: no message to the brand.",
    ),
    (("telegram",), ("my_chat_member", "chat_member", "chat_join_request"), _ACCOUNT),
    (("telegram",), ("message_reaction", "message_reaction_count"), _REACTION),
    (("telegram",), ("poll", "poll_answer"), "A poll's state or a vote: no text."),
    (("telegram",), ("shipping_query", "pre_checkout_query"), "A payment step: no text."),
    (("telegram",), ("empty",), "An update that carries nothing."),
    (
        ("twitter",),
        (
            "favorite_events",
            "follow_events",
            "unfollow_events",
            "block_events",
            "unblock_events",
            "mute_events",
            "unmute_events",
            "user_event",
        ),
        "A like, follow, block or mute, or an account event: no words to answer.",
    ),
    (("twitter",), ("tweet_delete_events",), _EDITS),
    (
        ("twitter",),
        ("direct_message_indicate_typing_events", "direct_message_mark_read_events"),
        _RECEIPTS,
    ),
)
IGNORED_REASONS: dict[str, str] = {
    f"{platform}:{kind}": reason
    for platforms, kinds, reason in _IGNORED_GROUPS
    for platform in platforms
    for kind in kinds
}
IGNORED_TYPES = frozenset(IGNORED_REASONS)
IGNORING_PLATFORMS = frozenset(
    {"messenger", "instagram", "facebook", "whatsapp", "viber", "telegram", "twitter"}
)
OTHER_REASON = "A kind this table does not list (new to the platform, or malformed)."


def ignored_label(kind: str) -> str:
    """The IGNORED label for what an adapter reported: a fixed set of values only."""
    if kind in IGNORED_TYPES:
        return kind
    platform = kind.partition(":")[0]
    return f"{platform}:other" if platform in IGNORING_PLATFORMS else "other"


def ignored_labels() -> dict[str, str]:
    """Every label IGNORED can carry, with why such deliveries are dropped."""
    others = {f"{platform}:other": OTHER_REASON for platform in sorted(IGNORING_PLATFORMS)}
    return {**IGNORED_REASONS, **others, "other": OTHER_REASON}
