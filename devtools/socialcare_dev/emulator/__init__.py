"""A local emulator of the platforms' send APIs, for tests and the demo (a development
tool: the production image does not install it). ``socialcare emulator serve`` runs it.

It answers like each platform's public documentation: the same paths, the same
authentication (a token is any non-empty string, except one that starts with
``invalid``, which is refused as the platform refuses a bad token), the same request
checks and size limits, the same success bodies with realistic ids and the same error
bodies. It records every request and can be told to fail the next N calls.

Send endpoints (a client's base URL is the emulator's, e.g. http://127.0.0.1:8090)

Meta Graph API (Messenger, Instagram, Facebook comments, WhatsApp Cloud API); the
version is ``v<major>.<minor>`` (e.g. v21.0); the token is ``Authorization: Bearer
<token>`` or the ``access_token`` query parameter:

- ``POST /{version}/{page_id}/messages`` Messenger / Instagram DM: ``{"recipient":
  {"id"}, "messaging_type": "RESPONSE", "message": {"text"}}`` -> 200 ``{"recipient_id",
  "message_id": "m_..."}``. Text limit: Messenger 2000, Instagram 1000 characters.
- ``POST /{version}/{phone_number_id}/messages`` WhatsApp (told apart from Messenger by
  ``"messaging_product": "whatsapp"``): ``{"messaging_product": "whatsapp",
  "recipient_type": "individual", "to", "type": "text", "text": {"body"}, "context":
  {"message_id"}?}`` -> 200 ``{"messaging_product": "whatsapp", "contacts": [{"input",
  "wa_id"}], "messages": [{"id": "wamid...."}]}``. Limit 4096 characters.
- ``POST /{version}/{comment_id}/comments`` Facebook comment reply ``{"message"}`` ->
  200 ``{"id": "<post>_<comment>"}``. Limit 8000 characters.
- ``POST /{version}/{comment_id}/replies`` Instagram comment reply ``{"message"}`` ->
  200 ``{"id"}``. Limit 2200 characters.
- ``POST /{version}/{ig_user_id}/mentions`` Instagram mention reply ``{"media_id",
  "comment_id"?, "message"}`` (``comment_id`` for a mention in a comment, none for one
  in a caption; ids are digits) -> 200 ``{"id"}``. Limit 2200 characters. Recorded as
  Instagram, endpoint ``mention_reply``.
- ``GET /{version}/{ig_user_id}?fields=mentioned_media.media_id({media_id}){caption,
  username,timestamp}`` (or ``mentioned_comment.comment_id({comment_id}){text,...}``):
  the caption or comment an Instagram mention names, over those seeded with ``POST
  /_emulator/instagram/media`` / ``comments`` -> 200 ``{"mentioned_media": {<fields>,
  "id"}, "id"}``; an unseeded id is 400 code 100 subcode 33. Recorded as Instagram.
- Errors: ``{"error": {"message", "type": "OAuthException", "code", "error_subcode"?,
  "error_data"?, "fbtrace_id"}}``: no token 400 code 104, bad token 401 code 190,
  invalid parameter or text too long 400 code 100.

Telegram Bot API:

- ``POST /bot{token}/sendMessage`` ``{"chat_id", "text", "reply_parameters":
  {"message_id"}?}`` (or the older ``reply_to_message_id``) -> 200 ``{"ok": true,
  "result": {"message_id": int, "from", "chat": {"id", "type"}, "date", "text",
  "reply_to_message"?}}``. Errors: ``{"ok": false, "error_code", "description",
  "parameters": {"retry_after"}?}`` (400 "Bad Request: message is too long" past 4096
  characters, 401 "Unauthorized" for a bad token).

Viber REST API:

- ``POST /pa/send_message`` with ``X-Viber-Auth-Token``: ``{"receiver", "type": "text",
  "text", "sender": {"name"}}`` -> 200 ``{"status": 0, "status_message": "ok",
  "message_token": int, "chat_hostname"}``. Viber's errors are HTTP 200 with a non-zero
  ``status``: 2 invalidAuthToken, 3 badData (also text past 7000 characters), 4
  missingData, 6 receiverNotSubscribed, 12 tooManyRequests.

X API v2 (``Authorization: Bearer <token>``):

- ``POST /2/dm_conversations/with/{participant_id}/messages`` ``{"text"}`` -> 201
  ``{"data": {"dm_conversation_id", "dm_event_id"}}``. Limit 10000 characters.
- ``POST /2/tweets`` ``{"text", "reply": {"in_reply_to_tweet_id"}}`` -> 201 ``{"data":
  {"id", "text"}}``. Limit 280 characters.
- ``GET /2/tweets/search/recent?query=&max_results=&since_id=&until_id=&next_token=
  &tweet.fields=&expansions=author_id&user.fields=`` (recent search, what the listening
  poller calls) -> 200 ``{"data": [tweet, ...], "includes": {"users"}, "meta":
  {"newest_id", "oldest_id", "result_count", "next_token"?}}`` newest first, over the
  tweets seeded with ``POST /_emulator/x/tweets``; the query subset it understands is
  in ``socialcare_dev.emulator.x_query``. Every answer carries ``x-rate-limit-limit``,
  ``-remaining`` and ``-reset``.
- Errors: problem JSON ``{"title", "detail", "type", "status"}`` (400 ones also carry
  ``errors``); 401 without a token.

Platform prefixes: every path above may also be called under ``/{platform}`` (one of
twitter, x, facebook, messenger, instagram, whatsapp, viber, telegram), e.g. a
Instagram client's Graph base URL ``http://127.0.0.1:8090/instagram``. The prefix names
the platform a Graph call is recorded (and faulted) as; without one, ``/messages`` is
WhatsApp or Messenger by its body, ``/comments`` Facebook, ``/replies`` and
``/mentions`` Instagram.

Control endpoints

- ``GET /healthz``: 200 ``{"status": "ok"}`` (and ``GET /readyz``).
- ``GET /_emulator/requests?platform=&since=``: ``{"requests": [record, ...]}`` in
  arrival order; a record is ``{"seq", "platform", "endpoint", "method", "path",
  "query", "headers", "body", "received_at", "status", "response", "fault"}`` with
  tokens redacted (``***``, also in the path and query). ``since`` is a ``seq`` (records
  after it) or an ISO 8601 time.
- ``DELETE /_emulator/requests``: forget them (204).
- ``POST /_emulator/faults`` ``{"platform": "telegram" | null, "kind": "rate_limit" |
  "server_error" | "timeout" | "policy", "count": 1, "retry_after": 5, "status"?,
  "hang_seconds"?}`` -> 201: the next ``count`` calls of that platform (null: any)
  fail so:

  - ``rate_limit``: 429 with a ``Retry-After`` header (seconds) on every platform, plus
    the platform's own signal: Graph code 613 (WhatsApp 130429, Instagram 4) with
    ``X-Business-Use-Case-Usage``'s ``estimated_time_to_regain_access``; Telegram's
    ``parameters.retry_after``; X's ``x-rate-limit-remaining: 0`` and
    ``x-rate-limit-reset`` (epoch seconds). Viber signals it as Viber does: HTTP 200
    ``{"status": 12, "status_message": "tooManyRequests"}``.
  - ``server_error``: ``status`` (default 500; 503 for X) in the platform's error shape.
  - ``timeout``: no answer for ``hang_seconds`` (default: the server's
    ``--hang-seconds``, 30), longer than any client timeout, then 504; nothing is sent.
  - ``policy``: the platform's refusal that no retry changes: Messenger 400 code 10
    subcode 2018278 (outside of the allowed window), Instagram DM code 10 subcode
    2534022, Facebook / Instagram comment and Instagram mention replies code 100
    subcode 33 (no such object), WhatsApp 400 code 131047 "Re-engagement message"
    (more than 24 hours since the customer's last message), Telegram 403 "Forbidden:
    bot was blocked by the user", Viber status 6 receiverNotSubscribed, X 403.

- ``GET /_emulator/faults``: the pending faults; ``DELETE /_emulator/faults`` clears.
- ``POST /_emulator/x/tweets`` ``{"tweets": [{"text", "author_id"?, "username"?, "name"?,
  "followers_count"?, "lang"?, "in_reply_to_user_id"?, "id"?, "created_at"?}]}`` -> 201
  the stored tweets with their ids (fresh snowflakes, so the last is the newest): what
  the recent search finds. ``GET`` lists them, ``DELETE`` forgets them.
- ``POST /_emulator/instagram/media`` ``{"id", "caption", "username", "media_type"?,
  "timestamp"?}`` and ``POST /_emulator/instagram/comments`` ``{"id", "text",
  "username", "timestamp"?}`` -> 201: what the mention reads find. ``DELETE
  /_emulator/instagram/mentions`` forgets them.

A faulted call is recorded too (``fault`` names the kind); only a call answered with
success counts as sent.
"""

from socialcare_dev.emulator.app import create_app

__all__ = ["create_app"]
