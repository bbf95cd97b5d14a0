"""The demo company's calendar: when people join, at what time of day they buy, and time units.

Times inside the generator are float days since the first day of the window (midnight); they
become ``datetime64[s]`` timestamps only when written into the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Relative busyness of the shops by hour of day (open 08:00-22:00).
STORE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 7, 9, 11, 10, 8, 8, 9, 11, 12, 9, 6, 3, 0, 0], float)
#: Relative busyness of the web shop by hour of day (evening peak, quiet nights).
WEB_HOURS = np.array([3, 2, 1, 1, 1, 1, 2, 4, 5, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 12, 13, 12, 9, 5], float)
#: Relative number of sign-ups by weekday, Monday first.
WEEKDAY = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.35, 0.85])


@dataclass(frozen=True)
class Window:
    """The observation window: ``start`` (midnight) to the end of the day ``end``."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        """Length in days (the last day included)."""
        return int((self.end - self.start).days) + 1

    def timestamps(self, t: np.ndarray) -> np.ndarray:
        """Float days since ``start`` as ``datetime64[s]`` (floored to the second)."""
        seconds = np.floor(np.asarray(t, dtype=float) * 86_400.0).astype(np.int64)
        return np.datetime64(self.start.to_datetime64(), "s") + seconds.astype("timedelta64[s]")


def acquisition_days(rng: np.random.Generator, window: Window, n: int, earliest: int = 0) -> np.ndarray:
    """Day numbers (0-based) on which ``n`` people are acquired.

    A realistic trend: sign-ups grow steadily (the last day draws twice as many as the first),
    peak around Black Friday and Christmas, and are busier on Saturdays. Days before ``earliest``
    are not drawn.
    """
    day = np.arange(window.days)
    dates = window.start + pd.to_timedelta(day, unit="D")
    growth = 1.0 + day / max(window.days - 1, 1)
    doy = dates.day_of_year.to_numpy()
    season = 1.0 + 0.8 * np.exp(-(((doy - 335) / 18.0) ** 2))
    weekday = WEEKDAY[dates.day_of_week.to_numpy()]
    weight = growth * season * weekday
    weight[:earliest] = 0.0
    cum = np.cumsum(weight)
    return np.searchsorted(cum, rng.random(n) * cum[-1], side="right").astype(np.int64)


def time_of_day(rng: np.random.Generator, web: np.ndarray) -> np.ndarray:
    """A fraction of a day for each purchase: web shop hours where ``web`` is true, else shop hours."""
    web = np.asarray(web, dtype=bool)
    hour = np.empty(len(web), dtype=np.int64)
    for mask, weights in ((web, WEB_HOURS), (~web, STORE_HOURS)):
        k = int(mask.sum())
        if k:
            hour[mask] = rng.choice(24, k, p=weights / weights.sum())
    return (hour + rng.random(len(web))) / 24.0
