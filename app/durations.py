"""Ages as kubectl prints them (the AGE column, the console's Created column).

The text is ``Words`` (``app.policies.words``): the CLI and the API read kubectl's "12s", "5m3s",
"2d4h" as they are; the pages say them in their language ("12 秒", "5 分 3 秒", "2 天 4 小时").
"""

from __future__ import annotations

from app.policies.words import Words


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration, which kubectl's AGE column uses."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return Words("{s}s", s="0")
    if s < 120:
        return Words("{s}s", s=str(s))
    minutes = s // 60
    if minutes < 10:
        return Words("{m}m{s}s", m=str(minutes), s=str(s % 60)) if s % 60 else Words("{m}m", m=str(minutes))
    if minutes < 180:
        return Words("{m}m", m=str(minutes))
    hours = minutes // 60
    if hours < 8:
        return Words("{h}h{m}m", h=str(hours), m=str(minutes % 60)) if minutes % 60 else Words("{h}h", h=str(hours))
    if hours < 48:
        return Words("{h}h", h=str(hours))
    if hours < 24 * 8:
        days, rest = hours // 24, hours % 24
        return Words("{d}d{h}h", d=str(days), h=str(rest)) if rest else Words("{d}d", d=str(days))
    if hours < 24 * 365 * 2:
        return Words("{d}d", d=str(hours // 24))
    years = hours // 24 // 365
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return Words("{y}y{d}d", y=str(years), d=str(days)) if days else Words("{y}y", y=str(years))
    return Words("{y}y", y=str(years))
