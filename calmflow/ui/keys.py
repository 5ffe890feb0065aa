"""Keys that several screens share, told the same way on each (footer and `?` help)."""

from __future__ import annotations

from textual.binding import Binding

REVIEW = Binding(
    "r",
    "review",
    "Review",
    id="review",
    tooltip="How your routines and cues compare, from your own sessions",
)
SESSIONS = Binding(
    "s",
    "sessions",
    "Sessions",
    id="sessions",
    tooltip="Your sessions: delete one, fix its volume or a let-down marked by mistake",
)


def back(to: str) -> Binding:
    """Esc (or q) goes back `to` the screen named."""
    return Binding(
        "escape,q", "back", "Back", id="back", key_display="Esc", tooltip=f"Back to {to} (q too)"
    )
