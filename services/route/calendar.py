"""First-response deadlines that only count staffed hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from socialcare.route.config import DAYS, BusinessHours


def due_at(start: datetime, minutes: float, hours: BusinessHours | None) -> datetime:
    """``start`` plus ``minutes`` of staffed time (all time when ``hours`` is None)."""
    if hours is None:
        return (start + timedelta(minutes=minutes)).astimezone(UTC)
    zone = ZoneInfo(hours.timezone)
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(zone)
    for _ in range(366):
        day = cursor.date()
        opens = datetime.combine(day, hours.start, tzinfo=zone)
        closes = datetime.combine(day, hours.end, tzinfo=zone)
        if DAYS[day.weekday()] in hours.days and cursor < closes:
            begin = max(cursor, opens)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    raise ValueError("business hours leave no staffed time within a year")


def staffed(at: datetime, hours: BusinessHours | None) -> bool:
    """Whether a queue with ``hours`` is staffed at ``at`` (always, without hours)."""
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(hours.timezone))
    return DAYS[local.weekday()] in hours.days and hours.start <= local.time() < hours.end
