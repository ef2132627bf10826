"""The routing file's automated replies: acknowledgements (an immediate reply that says
when a person will answer) and satisfaction surveys (sent when a conversation is
resolved). The conversations worker sends them (socialcare.conversations.automation);
every key is documented in docs/routing.md."""

from __future__ import annotations

from datetime import timedelta
from string import Formatter

from babel import Locale, UnknownLocaleError
from pydantic import Field, field_validator

from socialcare.route.fields import Language, Minutes, Skill, Strict, Zone

# What each kind of template may name; the acknowledgement must name the deadline.
ACK_FIELDS = frozenset({"due"})
SURVEY_FIELDS: frozenset[str] = frozenset()


def locale_of(language: str) -> Locale:
    """The CLDR locale a language's dates are written in. Serbian customers write in
    Latin script online (docs/routing.md), so its dates are Latin too."""
    return Locale.parse("sr_Latn" if language == "sr" else language)


def _check_templates(
    templates: dict[str, str], allowed: frozenset[str], required: frozenset[str]
) -> dict[str, str]:
    for language, text in templates.items():
        try:
            locale_of(language)
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown language {language!r}") from exc
        try:
            names = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ValueError(f"{language}: {exc} (write a brace as {{{{ or }}}})") from exc
        if names - allowed:
            wanted = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "no placeholder"
            raise ValueError(f"{language}: may name {wanted}, not {sorted(names)}")
        if required - names:
            raise ValueError(f"{language}: must name {sorted(required)}")
    return templates


class AckCondition(Strict):
    """All given conditions must hold; none given: every conversation."""

    platforms: list[str] | None = None
    skills: list[Skill] | None = None
    languages: list[Language] | None = None
    outside_business_hours: bool | None = None


class AckRule(Strict):
    when: AckCondition = Field(default_factory=AckCondition)
    public: bool = Field(False, description="Also on public posts and comments (not DMs).")


class Acknowledgements(Strict):
    rules: list[AckRule] = Field(default_factory=list)
    window_minutes: Minutes = 1440
    counts_as_first_response: bool = False
    timezone: Zone = "UTC"
    templates: dict[Language, str] = Field(default_factory=dict)

    @field_validator("templates")
    @classmethod
    def _templates(cls, templates: dict[str, str]) -> dict[str, str]:
        return _check_templates(templates, ACK_FIELDS, ACK_FIELDS)


class Surveys(Strict):
    platforms: list[str] = Field(default_factory=list)
    skills: list[Skill] = Field(default_factory=list)
    public: bool = False
    window_minutes: Minutes = 1440
    templates: dict[Language, str] = Field(default_factory=dict)

    @property
    def window(self) -> timedelta:
        """How long after the resolution a survey is sent, and after the survey an
        answer counts."""
        return timedelta(minutes=self.window_minutes)

    @field_validator("templates")
    @classmethod
    def _templates(cls, templates: dict[str, str]) -> dict[str, str]:
        return _check_templates(templates, SURVEY_FIELDS, SURVEY_FIELDS)


def template_for(templates: dict[str, str], language: str | None, fallback: str) -> tuple[str, str]:
    """(its language, the template): in ``language``, else in the fallback language."""
    chosen = language if language in templates else fallback
    return chosen, templates[chosen]
