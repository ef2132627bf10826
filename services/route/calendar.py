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


def staffed_time(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """The staffed time between ``start`` and ``end`` (all of it when ``hours`` is
    None): what a first response took in business hours."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    zone = ZoneInfo(hours.timezone)
    cursor, end = start.astimezone(zone), end.astimezone(zone)
    total = timedelta(0)
    while cursor < end:
        day = cursor.date()
        if DAYS[day.weekday()] in hours.days:
            opens = datetime.combine(day, hours.start, tzinfo=zone)
            closes = datetime.combine(day, hours.end, tzinfo=zone)
            total += max(timedelta(0), min(closes, end) - max(opens, cursor))
        cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return total


def staffed(at: datetime, hours: BusinessHours | None) -> bool:
    """Whether a queue with ``hours`` is staffed at ``at`` (always, without hours)."""
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(hours.timezone))
    return DAYS[local.weekday()] in hours.days and hours.start <= local.time() < hours.end
