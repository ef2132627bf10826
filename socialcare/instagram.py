"""Where an Instagram mention's ids sit in an event, for everything that calls the
Graph API about it (ingest fetches it, respond answers it).

Ingest's Meta adapter writes a mention in a comment as the comment (its
``platform_message_id``) on a media (its ``parent_id``), and a mention in a caption as
the media itself, without a parent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MentionIds:
    media_id: str
    comment_id: str | None  # None: the mention is in the media's caption


def mention_ids(platform_message_id: str, parent_id: str | None) -> MentionIds:
    if parent_id:
        return MentionIds(media_id=parent_id, comment_id=platform_message_id)
    return MentionIds(media_id=platform_message_id, comment_id=None)
