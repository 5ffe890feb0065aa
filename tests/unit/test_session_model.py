"""The session's rules hold under any sequence of keys (issue 25): the Player,
driven by hypothesis with random waits and keys at awkward moments, agrees after
every step with a reference model written from the documentation, and its log
with `log --json`, `export` and `review --json` (tests/unit/session_machine.py).

The `session-ci` profile (300 sessions) keeps this to about 20 s; `python
benchmarks/session_fuzz.py 5000` runs the same machine for longer.
"""

from __future__ import annotations

from hypothesis import settings

from tests.unit.session_machine import SessionMachine

SessionMachine.TestCase.settings = settings.get_profile("session-ci")
TestSessionModel = SessionMachine.TestCase
