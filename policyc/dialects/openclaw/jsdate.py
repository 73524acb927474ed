"""JavaScript Dates, as js-yaml 4 makes them from YAML timestamps.

``Date.UTC`` arithmetic (months and days overflow; years 0-99 mean
1900-1999), ``toISOString`` and ``String(date)`` as Node prints it with
``TZ=UTC`` (the only text a Date's ``toString`` gives that does not depend
on the machine: js-yaml uses it for a timestamp written as a mapping key).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["JSDate", "date_utc", "days_from_civil"]


@dataclass(frozen=True, eq=False)
class JSDate:
    """A Date: ``ms`` since the epoch (UTC), ``NaN`` for an invalid date."""

    ms: float

    def iso(self) -> str | None:
        """``toISOString()`` (``None`` where JavaScript throws: invalid date)."""
        if not math.isfinite(self.ms):
            return None
        y, mo, d, h, mi, s, ms, _ = _civil(self.ms)
        year = f"{y:04d}" if 0 <= y <= 9999 else f"{'+' if y > 0 else '-'}{abs(y):06d}"
        return f"{year}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z"

    def text(self) -> str:
        """``String(date)`` as Node prints it with ``TZ=UTC``."""
        if not math.isfinite(self.ms):
            return "Invalid Date"
        y, mo, d, h, mi, s, _, wd = _civil(self.ms)
        year = f"{y:04d}" if y >= 0 else f"-{abs(y):04d}"
        return (f"{_DAYS[wd]} {_MONTHS[mo - 1]} {d:02d} {year} {h:02d}:{mi:02d}:{s:02d} "
                "GMT+0000 (Coordinated Universal Time)")


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the proleptic Gregorian date (``month`` 1-12;
    ``day`` may overflow, as ``Date.UTC`` allows)."""
    y = year - (month <= 2)
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5  # day of the year (from March 1st) of the month's first day
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + (day - 1)


def _civil(ms: float) -> tuple[int, int, int, int, int, int, int, int]:
    total = int(ms)
    days, rest = divmod(total, 86_400_000)
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    h, rest = divmod(rest, 3_600_000)
    mi, rest = divmod(rest, 60_000)
    s, msec = divmod(rest, 1000)
    weekday = (days + 4) % 7  # 1970-01-01 was a Thursday
    return y, m, d, h, mi, s, msec, weekday


def date_utc(year: int, month0: int, day: int, hour: int = 0, minute: int = 0,
             second: int = 0, ms: int = 0) -> JSDate:
    """``new Date(Date.UTC(year, month0, day, ...))``: months and days
    overflow into the next ones; years 0-99 mean 1900-1999."""
    if 0 <= year <= 99:
        year += 1900
    year += month0 // 12
    month0 %= 12
    days = days_from_civil(year, month0 + 1, 1) + day - 1
    value = float(days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms)
    return JSDate(value if abs(value) <= 8.64e15 else math.nan)
