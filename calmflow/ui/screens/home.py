"""Home: the routines, and the last sessions. Enter starts the one selected."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Label, ListItem, ListView, Static

from calmflow import catalog
from calmflow.core.routine import load_routine
from calmflow.core.yamlsource import SourceError
from calmflow.format import clock_text


class HomeScreen(Screen[None]):
    BINDINGS = [Binding("q", "app.quit", "Quit", id="quit")]

    def compose(self) -> ComposeResult:
        yield Static("[b]calmflow[/b]  ·  choose a routine, Enter to start", id="home-title")
        items = []
        self._entries = catalog.entries()
        for entry in self._entries:
            try:
                routine = catalog.load(entry.name).routine
                text = f"[b]{entry.name}[/b]  {clock_text(routine.duration_s)}  [dim]{routine.description}[/dim]"
            except SourceError as exc:
                text = (
                    f"[b]{entry.name}[/b]  [red]cannot be played: {exc.problems[0].message}[/red]"
                )
            items.append(ListItem(Label(text), name=entry.name))
        yield ListView(*items, id="routines")
        yield Static(id="recent")
        yield Footer()

    def on_mount(self) -> None:
        self.show_recent()

    def on_screen_resume(self) -> None:
        self.show_recent()

    def show_recent(self) -> None:
        records = self.app.store.sessions()[-5:]  # type: ignore[attr-defined]
        if not records:
            self.query_one("#recent", Static).update("[dim]No sessions yet.[/dim]")
            return
        lines = ["[b]Last sessions[/b]"]
        for r in reversed(records):
            when = r.started_at.astimezone().strftime("%a %H:%M")
            first = clock_text(r.first_letdown_s)
            lines.append(f"{when}  {r.routine:<12} {len(r.letdowns)} let-down(s), first at {first}")
        self.query_one("#recent", Static).update("\n".join(lines))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        name = event.item.name
        if not name:
            return
        entry = next(e for e in self._entries if e.name == name)
        try:
            # Media are looked inside by the audio process, not here: probing
            # them silences stderr, which is where the screen is drawn.
            loaded = load_routine(entry.path)
        except SourceError as exc:
            self.notify(escape(str(exc.problems[0])), severity="error", timeout=8)
            return
        self.app.play(loaded)  # type: ignore[attr-defined]
