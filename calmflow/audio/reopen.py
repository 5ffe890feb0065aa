"""Opening the sound again after it was lost, without the UI ever waiting for it.

While a session goes on silently because its sound card went away (the sound
server was restarted, the audio process crashed), the player calls `poll()` on
each tick. Every RETRY_S (RETRY_SLOW_S once the sound has been gone for
SLOW_AFTER_S) a thread starts a held output like the lost one: starting its
audio process takes half a second or more, and up to START_TIMEOUT_S. Once one
is open, `poll()` hands it over, and the player lets it play from the session's
frame.

The audio process looks for the sound card before it prepares the routine's
sounds, so a try while the card is gone costs little; a sound file found bad
is left out of the tries (DeviceOutput.again), never decoded again at each one,
and never keeps the sound from coming back. A try that fails because of the
sounds rather than the card (`OutputUnavailable.device` False) ends the tries:
the next would prepare them again in vain.

Shared between the UI thread and the thread of a try, under `_lock`: `_busy`,
`_opened`, `_stopped` and `_hopeless`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from calmflow.audio.output import OutputUnavailable, Reopenable
from calmflow.core.timeline import Timeline

RETRY_S = 3.0
SLOW_AFTER_S = 60.0
RETRY_SLOW_S = 10.0
"""Each try starts a process (about 0.3 s of CPU when it fails): after a
minute without sound, fewer tries."""


class Reopener:
    """Tries to open the lost output's device again until it opens or `stop()`."""

    def __init__(self, lost: Reopenable, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lost = lost
        self._clock = clock
        self._since = clock()
        self._next_at = self._since + RETRY_S
        self._lock = threading.Lock()
        self._busy = False
        self._opened: Reopenable | None = None
        self._stopped = False
        self._hopeless = False
        """A try failed for a reason trying again cannot mend."""

    @property
    def busy(self) -> bool:
        """A try is under way."""
        with self._lock:
            return self._busy

    def poll(self, timeline: Timeline) -> Reopenable | None:
        """An output open and held, ready to take over; or None, and a try
        starts if one is due. Returns at once."""
        with self._lock:
            opened, self._opened = self._opened, None
            busy = self._busy or self._stopped or self._hopeless
        if opened is not None:
            opened.frames()  # hears whether it was lost again while it waited
            if opened.problem() is None:
                return opened
            _close_later(opened, timeline)
        now = self._clock()
        if busy or now < self._next_at:
            return None
        self._next_at = now + (RETRY_S if now - self._since < SLOW_AFTER_S else RETRY_SLOW_S)
        with self._lock:
            self._busy = True
        threading.Thread(
            target=self._try,
            args=(self._lost.again(), timeline),
            name="calmflow-reopen",
            daemon=True,
        ).start()
        return None

    def _try(self, output: Reopenable, timeline: Timeline) -> None:
        hopeless = False
        try:
            output.start(timeline)
        except OutputUnavailable as exc:  # still gone, most often
            opened, hopeless = None, not exc.device
        except Exception:  # could not even try
            opened = None
        else:
            opened = output
        with self._lock:
            self._busy = False
            self._hopeless = hopeless
            too_late = self._stopped
            if not too_late:
                self._opened = opened
        if too_late and opened is not None:
            _close(opened, timeline)

    def stop(self, timeline: Timeline) -> None:
        """The session is over: no more tries; an output opened too late is closed."""
        with self._lock:
            self._stopped = True
            opened, self._opened = self._opened, None
        if opened is not None:
            _close_later(opened, timeline)


def _close_later(output: Reopenable, timeline: Timeline) -> None:
    """Close in a thread: an audio process can take a moment to end."""
    threading.Thread(
        target=_close, args=(output, timeline), name="calmflow-close", daemon=True
    ).start()


def _close(output: Reopenable, timeline: Timeline) -> None:
    with contextlib.suppress(Exception):  # nobody is left to tell
        output.close(timeline)
