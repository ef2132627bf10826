"""Value types shared by the sections of the routing file (socialcare.route.config
and socialcare.route.automation)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from socialcare.schema import LANGUAGE_PATTERN

SKILL_PATTERN = r"^[a-z][a-z0-9_]*$"


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
Skill = Annotated[str, Field(pattern=SKILL_PATTERN)]
Minutes = Annotated[float, Field(gt=0)]
Zone = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, e.g. ``Asia/Almaty``."""


class Strict(BaseModel):
    """A section of the routing file: unknown keys are errors (typos), values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
