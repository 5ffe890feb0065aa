"""A small line chart of a figure over dates, or a sentence when there is nothing to draw."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

Point = tuple[date, float]
TICKS = 3
"""Labels on each axis: the first, the middle and the last; more crowd a small chart."""


class DateChart(Vertical):
    """A title, then the chart of `points` (dates and values), or `empty` in words."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="date-chart")
        self.title = title
        self.points: list[Point] = []
        self._value_text: Callable[[float], str] = _number_text

    def compose(self) -> ComposeResult:
        yield Static(self.title, classes="chart-title")
        # Plotext's "clear" theme draws in the terminal's own colours, so the chart
        # follows the dark or light theme and NO_COLOR like the text around it.
        plot = PlotextPlot(classes="chart-plot")
        plot.theme = "clear"
        yield plot
        yield Static(classes="chart-empty")

    def show(
        self,
        points: Sequence[Point],
        *,
        title: str | None = None,
        empty: str,
        value_text: Callable[[float], str] | None = None,
        steps: Sequence[float] = (),
        colour: tuple[int, int, int] | None = None,
    ) -> None:
        """Draw `points`, oldest first, each value on the axis as `value_text` says,
        ticks a multiple of one of `steps` apart (default: 1, 2, 2.5 or 5 times a
        power of ten); with no points, say `empty` instead."""
        self.points = list(points)
        if title is not None:
            self.title = title
            self.query_one(".chart-title", Static).update(title)
        if value_text is not None:
            self._value_text = value_text
        plot = self.query_one(PlotextPlot)
        words = self.query_one(".chart-empty", Static)
        plot.display = bool(self.points)
        words.display = not self.points
        words.update(empty)
        if not self.points:
            return
        plt = plot.plt
        plt.clear_figure()
        first = self.points[0][0]
        xs = [(day - first).days for day, _ in self.points]
        ys = [value for _, value in self.points]
        plt.plot(xs, ys, marker="braille", color=colour or "default")
        plt.xaxes(True, False)
        plt.yaxes(True, False)
        span = max(xs)
        x_ticks = sorted({float(round(span * i / (TICKS - 1))) for i in range(TICKS)})
        plt.xticks(x_ticks, [_date_text(first + timedelta(days=x), span) for x in x_ticks])
        low, high = min(ys), max(ys)
        if high == low:
            low, high = low * 0.9, high * 1.1 or 1.0
        y_ticks = _nice_ticks(low, high, steps)
        plt.ylim(y_ticks[0], y_ticks[-1])
        plt.yticks(y_ticks, [self._value_text(y) for y in y_ticks])
        plot.refresh()


def _date_text(day: date, span_days: int) -> str:
    """'3 Nov' within a year, 'Nov 2024' over longer spans."""
    if span_days > 366:
        return f"{day:%b %Y}"
    return f"{day.day} {day:%b}"


def _number_text(value: float) -> str:
    return f"{value:g}"


def _nice_ticks(low: float, high: float, steps: Sequence[float] = ()) -> list[float]:
    """Round values, evenly apart, from at or below `low` to at or above `high`:
    about TICKS of them."""
    raw = (high - low) / (TICKS - 1)
    if not steps:
        magnitude = 10 ** math.floor(math.log10(raw))
        steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    step = next((s for s in steps if s >= raw), None)
    if step is None:  # past the largest step: a multiple of it
        step = math.ceil(raw / steps[-1]) * steps[-1]
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks
