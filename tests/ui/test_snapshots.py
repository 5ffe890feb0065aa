"""What each screen looks like, as SVG snapshots at 80×24 and 120×40.

The session's clock is a ManualClock and the log's dates are fixed, so every
figure on screen is the same from one run to the next. Colours do not depend on
the terminal (Textual draws the screenshot in true colour) nor on NO_COLOR,
which is taken out of the environment here.

After a change that alters a screen on purpose, look at the report pytest
names and accept the new pictures with `pytest tests/ui/test_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Input

from calmflow.audio.output import NullOutput
from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.app import CalmflowApp, make_app
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.help import HelpScreen
from calmflow.ui.screens.home import HomeScreen
from calmflow.ui.screens.review import ReviewScreen
from calmflow.ui.screens.welcome import WelcomeScreen, remember_welcome
from calmflow.ui.widgets.photo import Photo
from tests.conftest import ManualClock
from tests.ui import seeding
from tests.ui.driving import after, app_for, started

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])

NOW = datetime(2025, 11, 5, 9, 30, tzinfo=UTC)
"""A Wednesday morning: 'now' for the log and for the home screen."""

ROUTINE = """\
version: 1
name: every-kind
description: One phase of each kind, for the screenshots.
breathing:
  inhale_s: 4
  exhale_s: 6
cues:
  picture:
    photo: bundled:calm.png
    at: 30s
  compress:
    text: "Compress: hand flat, press and hold while the flow slows."
phases:
  - name: Settle
    kind: prep
    duration: 1m
    prompt: Sit back, drop your shoulders, and breathe with the guide.
    cues: [picture]
  - name: Stimulation
    kind: stimulation
    duration: 2m
    prompt: Flanges on. Fast and light; press space at the let-down.
  - name: Expression
    kind: expression
    duration: 10m
    prompt: Slower and deeper, as strong as is still comfortable.
    cues: [compress]
  - name: Hands-on finish
    kind: hands_on
    duration: 3m
    prompt: Compress and massage while pumping, until the breasts feel soft.
  - name: Rest
    kind: rest
    duration: 1m
    prompt: Flanges off. Stretch, and drink some water.
  - name: Pump again
    kind: pump
    duration: 5m
    prompt: Flanges on again, slow and deep.
"""

PHASE_STARTS_S = {"prep": 0, "stimulation": 60, "hands_on": 780, "rest": 960, "pump": 1020}
"""When each phase of ROUTINE begins, played straight through with no let-down."""
ROUTINE_S = 1320
LETDOWN_AT_S = 70
"""The let-down marked in stimulation, which moves the session on to expression."""
INTO_PHASE_S = 2
"""Each phase is shown this long after it begins, while the pump setting is framed."""
PHOTO_AT_S = 40
"""Ten seconds after the picture comes on in Settle; the pump setting has settled."""

Snap = Callable[..., bool]


@pytest.fixture(autouse=True)
def same_everywhere(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Colours on whatever NO_COLOR says; dates in one time zone ('now' is the store's clock)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "every-kind.yaml"
    path.write_text(ROUTINE)
    return path


def _input_still(app: CalmflowApp) -> None:
    """A blinking cursor is caught on or off by chance: keep it on."""
    for field in app.screen.query(Input):
        field.cursor_blink = False


# --- home ---------------------------------------------------------------------------


def _log_sessions(path: Path) -> None:
    """Three past sessions: this morning, last night, and Monday (left early, in oz)."""
    moment = [NOW]
    store = Store(path, clock=lambda: moment[0])
    sessions: list[tuple[datetime, str, list[float], str, AfterSession | None]] = [
        (
            NOW - timedelta(days=2, hours=-4, minutes=50),
            "hands-on",
            [],
            "finished_early",
            AfterSession.from_entry(None, None, 2.5, "oz"),
        ),
        (
            NOW - timedelta(hours=11, minutes=50),
            "quick-letdown",
            [95.0],
            "completed",
            AfterSession.from_entry(40, 35, None, "ml"),
        ),
        (
            NOW - timedelta(hours=3, minutes=25),
            "standard",
            [130.0, 410.0],
            "completed",
            AfterSession.from_entry(65, 55, None, "ml", comfort=4, relaxation=5),
        ),
    ]
    for started_at, routine, letdowns_s, status, answers in sessions:
        moment[0] = started_at
        session_id = store.start_session(
            routine=routine,
            routine_path=None,
            routine_digest=None,
            planned_s=1200.0,
            output="device",
        )
        for number, t_s in enumerate(letdowns_s, start=1):
            moment[0] = started_at + timedelta(seconds=t_s)
            store.add_letdown(
                session_id,
                number=number,
                t_s=t_s,
                phase="Stimulation",
                phase_kind="stimulation",
                cues=[],
            )
        moment[0] = started_at + timedelta(minutes=20)
        store.end_session(session_id, status=status, played_s=1200.0)
        if answers is not None:
            store.save_form(session_id, answers)
    store.close()


class TestHome:
    @SIZES
    def test_routines_and_the_last_sessions(
        self, snap_compare: Snap, home: Path, clock: ManualClock, size: tuple[int, int]
    ) -> None:
        _log_sessions(paths.database_path())
        app = make_app(
            store=Store(paths.database_path(), clock=lambda: NOW),
            output_factory=lambda plan: NullOutput(plan.rate, clock=clock),
            clock=clock,
        )

        async def opened(pilot: Any) -> None:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)

        assert snap_compare(app, terminal_size=size, run_before=opened)

    def test_the_welcome_on_the_very_first_start(
        self, snap_compare: Snap, home: Path, clock: ManualClock
    ) -> None:
        remember_welcome(paths.database_path())  # pushed below, with a path of its own
        app = make_app(
            store=Store(paths.database_path(), clock=lambda: NOW),
            output_factory=lambda plan: NullOutput(plan.rate, clock=clock),
            clock=clock,
        )

        async def welcomed(pilot: Any) -> None:
            app.push_screen(WelcomeScreen("~/.local/share/calmflow/routines"))
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=welcomed)


# --- the player ---------------------------------------------------------------------


class TestPlayer:
    @SIZES
    @pytest.mark.parametrize("kind", ["prep", "stimulation", "hands_on", "rest", "pump"])
    def test_each_phase_kind_as_it_begins(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        kind: str,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def into_phase(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(PHASE_STARTS_S[kind] + INTO_PHASE_S, clock, pilot, screen)

        assert snap_compare(app, terminal_size=size, run_before=into_phase)

    @SIZES
    def test_expression_after_a_letdown(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def letdown(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(LETDOWN_AT_S, clock, pilot, screen)
            await pilot.press("space")
            app.clear_notifications()  # 'marked at', gone in 3 s of real time
            await after(INTO_PHASE_S, clock, pilot, screen)
            assert "Expression" in str(screen.query_one("#title").render())

        assert snap_compare(app, terminal_size=size, run_before=letdown)

    @SIZES
    def test_a_photo_cue(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def photo_drawn(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(PHOTO_AT_S, clock, pilot, screen)
            photo = screen.query_one(Photo)
            assert photo.display
            # Decoded in a thread, again if the layout changes its size: wait
            # until no decoding is left and the picture is there.
            for _ in range(200):
                await pilot.pause(0.02)
                await app.workers.wait_for_complete()
                drawn = photo.render()
                if isinstance(drawn, Text) and "▀" in drawn.plain:
                    break
            await pilot.pause()
            await app.workers.wait_for_complete()
            drawn = photo.render()
            assert isinstance(drawn, Text) and "▀" in drawn.plain, "the photo was not drawn"

        assert snap_compare(app, terminal_size=size, run_before=photo_drawn)

    @SIZES
    def test_help(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def help_open(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(5, clock, pilot, screen)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)

        assert snap_compare(app, terminal_size=size, run_before=help_open)


class TestPlayerAt3am:
    """The night palette, big letters, the photo full screen, NO_COLOR's greys,
    and the small terminals, where the key bar still ends with ? for help."""

    @pytest.mark.parametrize(
        "size", [(80, 24), (60, 20), (40, 12)], ids=["80x24", "60x20", "40x12"]
    )
    def test_expression_at_small_sizes(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def letdown(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(LETDOWN_AT_S, clock, pilot, screen)
            await pilot.press("space")
            await after(INTO_PHASE_S, clock, pilot, screen)

        assert snap_compare(app, terminal_size=size, run_before=letdown)

    @SIZES
    def test_the_night_palette(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock, night=True)

        async def photo_at_night(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(PHOTO_AT_S, clock, pilot, screen)
            await _photo_drawn(app, pilot, screen.query_one(Photo))

        assert snap_compare(app, terminal_size=size, run_before=photo_at_night)

    def test_the_night_palette_in_expression(
        self, snap_compare: Snap, home: Path, routine: Path, clock: ManualClock
    ) -> None:
        app = app_for(routine, clock, night=True)

        async def letdown(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(LETDOWN_AT_S, clock, pilot, screen)
            await pilot.press("space")
            await after(INTO_PHASE_S + 10, clock, pilot, screen)

        assert snap_compare(app, terminal_size=(120, 40), run_before=letdown)

    @SIZES
    def test_the_photo_full_screen(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def full(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(PHOTO_AT_S, clock, pilot, screen)
            await pilot.press("z")
            await after(0.1, clock, pilot, screen)
            await _photo_drawn(app, pilot, screen.query_one(Photo))

        assert snap_compare(app, terminal_size=size, run_before=full)

    def test_no_color_draws_the_photo_in_greys(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("NO_COLOR", "1")
        app = app_for(routine, clock)

        async def photo(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(PHOTO_AT_S, clock, pilot, screen)
            await _photo_drawn(app, pilot, screen.query_one(Photo))

        assert snap_compare(app, terminal_size=(80, 24), run_before=photo)


async def _photo_drawn(app: CalmflowApp, pilot: Any, photo: Photo) -> None:
    """Decoded in a thread, again if the layout changes its size: wait until no
    decoding is left and the picture is there, at its size."""
    for _ in range(200):
        await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        drawn = photo.render()
        key = photo._key
        if isinstance(drawn, Text) and "▀" in drawn.plain and key and key[1:] == photo._box():
            break
    await pilot.pause()
    await app.workers.wait_for_complete()
    drawn = photo.render()
    assert isinstance(drawn, Text) and "▀" in drawn.plain, "the photo was not drawn"


class TestAfterSession:
    @SIZES
    def test_the_form_at_the_end(
        self,
        snap_compare: Snap,
        home: Path,
        routine: Path,
        clock: ManualClock,
        size: tuple[int, int],
    ) -> None:
        app = app_for(routine, clock)

        async def ended(pilot: Any) -> None:
            screen = await started(pilot, app)
            await after(ROUTINE_S + 1, clock, pilot, screen)
            await pilot.pause()
            assert isinstance(app.screen, AfterSessionScreen)
            _input_still(app)

        assert snap_compare(app, terminal_size=size, run_before=ended)


class TestForm:
    """The form with each control focused: which one has the focus, and ticked
    against unticked, must be plain to see."""

    @pytest.mark.parametrize(
        "focused", ["left", "unit", "comfort", "dmer", "notes", "save", "leave-asked"]
    )
    def test_each_control_focused(self, snap_compare: Snap, home: Path, focused: str) -> None:
        app = _at_home_with_a_log()

        async def filled(pilot: Any) -> None:
            app.push_screen(AfterSessionScreen("oz"))
            await pilot.pause()
            await pilot.press("4", "tab", "tab", "tab", "tab", "3")  # 4 oz left; comfort 3
            if focused == "leave-asked":
                await pilot.press("escape")
            elif focused == "dmer":
                await pilot.press("tab", "space")  # ticked, beside Relaxed left empty
            else:
                app.screen.query_one(f"#{focused}").focus()
            await pilot.pause()
            _input_still(app)

        assert snap_compare(app, terminal_size=(80, 24), run_before=filled)


# --- the review and the sessions list ----------------------------------------------


def _at_home_with_a_log() -> CalmflowApp:
    seeding.log(paths.database_path(), seeding.three_weeks())
    return make_app(
        store=Store(paths.database_path(), clock=lambda: seeding.NOW),
        output_factory=lambda plan: NullOutput(plan.rate),
    )


class TestReview:
    @SIZES
    def test_the_review_of_three_weeks(
        self, snap_compare: Snap, home: Path, size: tuple[int, int]
    ) -> None:
        app = _at_home_with_a_log()

        async def opened(pilot: Any) -> None:
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen) and app.screen.loaded is not None

        assert snap_compare(app, terminal_size=size, run_before=opened)

    def test_the_review_scrolled_to_its_table(self, snap_compare: Snap, home: Path) -> None:
        """The answer and the charts come first; the table of figures below them."""
        app = _at_home_with_a_log()

        async def charts(pilot: Any) -> None:
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("end")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=charts)

    def test_no_sessions_yet(self, snap_compare: Snap, home: Path) -> None:
        remember_welcome(paths.database_path())  # not the very first start
        app = make_app(
            store=Store(paths.database_path(), clock=lambda: seeding.NOW),
            output_factory=lambda plan: NullOutput(plan.rate),
        )

        async def opened(pilot: Any) -> None:
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=opened)


class TestSessions:
    @SIZES
    def test_the_list_and_a_delete_asked(
        self, snap_compare: Snap, home: Path, size: tuple[int, int]
    ) -> None:
        app = _at_home_with_a_log()

        async def asked(pilot: Any) -> None:
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("down", "d")
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=asked)

    def test_fixing_a_volume(self, snap_compare: Snap, home: Path) -> None:
        app = _at_home_with_a_log()

        async def volume(pilot: Any) -> None:
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("down", "down", "v")
            await pilot.pause()
            _input_still(app)

        assert snap_compare(app, terminal_size=(80, 24), run_before=volume)

    def test_the_letdowns_of_a_session(self, snap_compare: Snap, home: Path) -> None:
        app = _at_home_with_a_log()

        async def marks(pilot: Any) -> None:
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("down", "down", "down", "enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=marks)
