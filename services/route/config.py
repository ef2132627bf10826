"""The routing rules: one declarative YAML file, validated at start-up.

Errors name the file and line, because the person reading them is editing YAML,
not Python. Every key is documented in docs/routing.md; the shipped defaults are
services/route/default_routing.yaml.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from socialcare.config_files import ConfigFileError, load_yaml, parse_yaml
from socialcare.keywords import ANY, KeywordMatcher
from socialcare.route.automation import Acknowledgements, Surveys
from socialcare.route.fields import Language, Minutes, Skill, Strict, Zone
from socialcare.schema import MARKET_PATTERN, Intent, Kind, Priority, Sentiment

DEFAULT_CONFIG = Path(__file__).resolve().parent / "default_routing.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Market = Annotated[str, Field(pattern=MARKET_PATTERN)]


class ConfigError(ConfigFileError):
    """The routing file is invalid; the message names file, line and key."""


class Languages(Strict):
    staffed: list[Language] = Field(min_length=1)
    fallback: Language
    # A language nobody staffs whose speakers one staffed team reads without a
    # translator (bs -> hr): served there, without the translation flag.
    neighbours: dict[Language, Language] = Field(default_factory=dict)
    # The market of a brand account (its id -> language): what a message on it is
    # taken to be written in when the detector cannot tell (und, or below
    # min_confidence): "ok 👍" on the Croatian page is Croatian.
    accounts: dict[str, Language] = Field(default_factory=dict)
    min_confidence: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _targets_are_staffed(self) -> Languages:
        if self.fallback not in self.staffed:
            raise ValueError(f"fallback {self.fallback!r} must be one of the staffed languages")
        for kind, mapping in (("neighbour", self.neighbours), ("account language", self.accounts)):
            for source, target in mapping.items():
                if target not in self.staffed:
                    raise ValueError(f"{kind} of {source!r}: {target!r} is not staffed")
        return self


class Triage(Strict):
    skill: Skill = "triage"
    min_intent_confidence: float = Field(0.5, ge=0, le=1)


class Condition(Strict):
    """All given conditions must hold for the rule to fire."""

    intent: list[Intent] | None = None
    sentiment: list[Sentiment] | None = None
    kind: list[Kind] | None = None
    platform: list[str] | None = None
    language: list[Language] | None = None
    public: bool | None = None
    min_followers: int | None = Field(None, ge=0)
    keywords: list[Annotated[str, Field(min_length=1)]] | None = None
    min_contacts: int | None = Field(None, ge=2)
    within_minutes: Minutes | None = None

    @model_validator(mode="after")
    def _contacts_need_a_window(self) -> Condition:
        if (self.min_contacts is None) != (self.within_minutes is None):
            raise ValueError("min_contacts and within_minutes go together")
        if not self.model_fields_set:
            raise ValueError("a rule needs at least one condition")
        return self

    @cached_property
    def keyword_matcher(self) -> KeywordMatcher:
        # Listening's matcher (normalised case, accents and Arabic letter forms), on
        # whole words: "refunding" is not "refund" here.
        return KeywordMatcher({ANY: self.keywords or []}, inflect=False)


class PriorityRule(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    when: Condition
    priority: Priority
    escalate_to_skill: Skill | None = Field(
        None, description="Move the conversation to this skill queue, even if it is sticky."
    )


class Priorities(Strict):
    default: Priority = Priority.P3
    rules: list[PriorityRule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[PriorityRule]) -> list[PriorityRule]:
        names = [r.name for r in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return rules


class FirstResponse(Strict):
    """Minutes to the first answer, by priority, with per-platform overrides."""

    minutes: dict[Priority, Minutes]
    platforms: dict[str, dict[Priority, Minutes]] = Field(default_factory=dict)

    @field_validator("minutes")
    @classmethod
    def _every_priority(cls, minutes: dict[Priority, float]) -> dict[Priority, float]:
        missing = [p.value for p in Priority if p not in minutes]
        if missing:
            raise ValueError(f"a target is needed for every priority; missing {missing}")
        return minutes

    def target(self, priority: Priority, platform: str) -> float:
        return self.platforms.get(platform, {}).get(priority, self.minutes[priority])


class BusinessHours(Strict):
    timezone: Zone
    days: list[str] = Field(min_length=1)
    start: time
    end: time

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: list[str]) -> list[str]:
        unknown = [d for d in days if d not in DAYS]
        if unknown:
            raise ValueError(f"days are {', '.join(DAYS)}; unknown: {unknown}")
        return days

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end (overnight shifts: use two queues)")
        return self


class Conversations(Strict):
    follow_up_bump: bool = Field(
        True, description="A follow-up while the customer waits raises priority one level."
    )


class Markets(Strict):
    # The country a brand account serves (its id -> ISO 3166-1 alpha-2), for messages
    # whose platform does not tell the customer's: a Page per country.
    accounts: dict[str, Market] = Field(default_factory=dict)


class RoutingConfig(Strict):
    version: int = Field(1, ge=1, le=1)
    languages: Languages
    skills: dict[Intent, Skill]
    triage: Triage = Field(default_factory=Triage)
    priority: Priorities = Field(default_factory=Priorities)
    first_response: FirstResponse
    business_hours: dict[Language, BusinessHours] = Field(default_factory=dict)
    conversations: Conversations = Field(default_factory=Conversations)
    acknowledgements: Acknowledgements = Field(default_factory=Acknowledgements)
    surveys: Surveys = Field(default_factory=Surveys)
    markets: Markets = Field(default_factory=Markets)

    @field_validator("skills")
    @classmethod
    def _every_intent(cls, skills: dict[Intent, str]) -> dict[Intent, str]:
        missing = [i.value for i in Intent if i not in skills]
        if missing:
            raise ValueError(f"a skill is needed for every intent; missing {missing}")
        return skills

    @model_validator(mode="after")
    def _fallback_templates(self) -> RoutingConfig:
        """A language without a template gets the fallback language's: it must exist."""
        fallback, acks, surveys = self.languages.fallback, self.acknowledgements, self.surveys
        for section, used, templates in (
            ("acknowledgements", bool(acks.rules), acks.templates),
            ("surveys", bool(surveys.platforms), surveys.templates),
        ):
            if used and fallback not in templates:
                raise ValueError(f"{section}.templates: no template in the fallback {fallback!r}")
        return self

    def all_skills(self) -> list[str]:
        """Every skill an event can be routed to: the queue topics to create."""
        skills = {*self.skills.values(), self.triage.skill}
        skills.update(r.escalate_to_skill for r in self.priority.rules if r.escalate_to_skill)
        return sorted(skills)


def load_config(path: Path = DEFAULT_CONFIG) -> RoutingConfig:
    return load_yaml(path, RoutingConfig, error=ConfigError, what="the routing file")


def parse_config(text: str, source: str = "<routing>") -> RoutingConfig:
    return parse_yaml(text, RoutingConfig, source, error=ConfigError, what="the routing file")
