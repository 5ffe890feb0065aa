"""The night palette: dim, warm and low in saturation, for a dark room at 3 a.m.

No colour it draws is brighter than a relative luminance of BRIGHTEST (of 255,
0.2126 R + 0.7152 G + 0.0722 B), photos included (they are dimmed to it), and
nothing large is bright: the breathing guide becomes an outline.
"""

from __future__ import annotations

from datetime import datetime

from textual.theme import Theme

from calmflow.system import wallclock

NAME = "calmflow-night"
BRIGHTEST = 110.0
"""The brightest colour on screen at night, as relative luminance of 255."""
NIGHT_HOURS = (22, 6)
"""From 22:00 to 06:00 on the person's clock, the night palette is the default."""

_TEXT = "#7d6250"
_MUTED = "#5e4a3c"

THEME = Theme(
    name=NAME,
    primary="#6e5238",
    secondary="#5a4a3a",
    accent="#6a5440",
    warning="#8a6238",
    error="#8a4a3a",
    success="#66663e",
    foreground=_TEXT,
    background="#0e0906",
    surface="#150e0a",
    panel="#1d140e",
    boost="#1a120c",
    dark=True,
    luminosity_spread=0.05,
    text_alpha=1.0,
    variables={
        "text": _TEXT,
        "text-muted": _MUTED,
        "text-disabled": "#4a3a2e",
        "text-primary": "#86664a",
        "text-secondary": "#7a6450",
        "text-accent": "#826850",
        "text-warning": "#8c643c",
        "text-error": "#94584a",
        "text-success": "#6a6a44",
        "foreground-muted": _MUTED,
        "footer-foreground": _MUTED,
        "footer-background": "#120c08",
        "footer-key-foreground": "#86664a",
        "footer-key-background": "transparent",
        "footer-description-foreground": _MUTED,
        "footer-description-background": "#120c08",
        "footer-item-background": "#120c08",
        "block-cursor-foreground": _TEXT,
        "block-cursor-background": "#2e2016",
        "block-cursor-blurred-foreground": _TEXT,
        "block-cursor-blurred-background": "#241a12",
        "block-hover-background": "#241a12",
        "input-cursor-background": _TEXT,
        "input-cursor-foreground": "#0e0906",
        "input-selection-background": "#3a2a1e",
        "border": "#4a3a2c",
        "border-blurred": "#2e241a",
        "scrollbar": "#2e2218",
        "scrollbar-hover": "#3a2a1e",
        "scrollbar-active": "#4a3626",
        "scrollbar-background": "#120c08",
        "link-color": "#86664a",
        "link-color-hover": "#86664a",
        "link-background-hover": "#2e2016",
        "button-foreground": _TEXT,
        "button-color-foreground": "#0e0906",
    },
)


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance of an sRGB colour, 0 to 255 (Rec. 709 weights)."""
    r, g, b = rgb
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def is_night(moment: datetime | None = None) -> bool:
    """Whether it is night on the person's clock (22:00 to 06:00)."""
    hour = wallclock.local(moment or wallclock.now()).hour
    start, end = NIGHT_HOURS
    return hour >= start or hour < end


def dim_pixel(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A photo's pixel for the night: less saturated, warmer, and the whole
    picture dimmed alike (its shading kept) so that white stays under BRIGHTEST."""
    grey = luminance(rgb)
    r, g, b = (0.6 * c + 0.4 * grey for c in rgb)
    return (round(r * _DIM), round(g * 0.9 * _DIM), round(b * 0.7 * _DIM))


_DIM = (BRIGHTEST - 10) / luminance((255, 229, 178))
"""White, made warm as above, comes out at BRIGHTEST - 10."""


def grey_pixel(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A photo's pixel in shades of grey (NO_COLOR)."""
    level = round(luminance(rgb))
    return (level, level, level)
