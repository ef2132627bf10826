"""Every setting the product and the development tools read, by variable name."""

from __future__ import annotations

from pydantic import AliasChoices

from socialcare_dev.settings import StackSettings


def all_setting_names() -> set[str]:
    """Every SOCIALCARE_* variable: the shared settings and each service's additions."""
    from socialcare.alerts.settings import AlertsSettings
    from socialcare.classify.settings import ClassifySettings
    from socialcare.conversations.settings import ConversationsSettings
    from socialcare.erasure import ErasureSettings
    from socialcare.index.settings import IndexSettings
    from socialcare.ingest.settings import IngestSettings
    from socialcare.listen.settings import ListenSettings
    from socialcare.respond.settings import RespondSettings
    from socialcare.route.settings import RouteSettings
    from socialcare.search.settings import SearchSettings
    from socialcare.topics import Retention

    models = (
        IngestSettings,
        RouteSettings,
        RespondSettings,
        ConversationsSettings,
        AlertsSettings,
        ListenSettings,
        SearchSettings,
        IndexSettings,
        ClassifySettings,
        ErasureSettings,
        StackSettings,
    )
    names = {f"SOCIALCARE_{name.upper()}" for m in models for name in m.model_fields}
    # A renamed setting still reads its old variable (a validation alias).
    names |= {
        alias
        for m in models
        for field in m.model_fields.values()
        if isinstance(field.validation_alias, AliasChoices)
        for alias in field.validation_alias.choices
        if isinstance(alias, str)
    }
    return names | {f"SOCIALCARE_RETENTION_{name.upper()}" for name in Retention.model_fields}
