"""A Baby Buddy API on 127.0.0.1, in a thread, answering as Baby Buddy's does.

Written from Baby Buddy's source (github:babybuddy/babybuddy at fa8bf4cd), not
from memory:

- api/urls.py: a DefaultRouter, so /api/pumping/ and /api/pumping/ID/ (trailing
  slash), /api/children/ and /api/profile.
- babybuddy/settings/base.py REST_FRAMEWORK: SessionAuthentication first, then
  TokenAuthentication, so a wrong key answers 403 {"detail": "Invalid token."}
  (DRF answers 401 only when the first authenticator has a WWW-Authenticate
  header; SessionAuthentication has none) and no key 403 "Authentication
  credentials were not provided."; LimitOffsetPagination with PAGE_SIZE 100 and
  no max_limit ({count, next, previous, results}); TIME_ZONE "UTC", USE_TZ.
- babybuddy/middleware.py: UserTimezoneMiddleware reads request.user before
  DRF's token authentication has set it, so an API request runs in UTC: a time
  without an offset is read as UTC, and answers are in UTC ("...Z", DRF's
  DateTimeField).
- api/permissions.py: PUT is not in perms_map: 405 "Method \"PUT\" not allowed.".
- api/serializers.py PumpingSerializer (CoreModelWithDurationSerializer): the
  fields first (amount required, a FloatField; child a PrimaryKeyRelatedField:
  'Invalid pk "9" - object does not exist.'; times parsed as DRF does, with
  Django's parse_datetime), then, for a POST, child/start/end each "This field is
  required.", then the model's clean() on the instance (for a PATCH a copy with
  the changes): core/models.py validate_time ({"start": ["Date/time can not be
  in the future."]}), validate_duration ("Start time must come before end
  time.", "Duration too long." over 24 h, both non_field_errors) and
  validate_unique_period over the child's entries, itself excluded (start <
  end and end > start: "Another entry intersects the specified time period.
  Conflicting entry: <a href=...>...</a>").
- api/filters.py PumpingFilter: child (a ModelChoiceFilter: an unknown id is
  400 "Select a valid choice..."), start_min/start_max/end_min/end_max
  (IsoDateTimeFilter, gte/lte; an unreadable one 400 "Enter a valid
  date/time."); ordering "-end". ChildViewSet filters by id among others.

- Feedings (read by calmflow, never written): core/models.py Feeding (start,
  end, type: "breast milk", "formula", "fortified breast milk", "solid food";
  method: "bottle", "left breast", "right breast", "both breasts", "parent fed",
  "self fed"; amount and notes may be null); api/serializers.py
  FeedingSerializer's fields (id, child, start, end, duration, type, method,
  amount, notes, tags); api/filters.py FeedingFilter (StartEndFieldFilter:
  child, start, start_min, start_max, end, end_min, end_max, each exact, gte or
  lte; type and method, ChoiceFilters: an unknown choice is 400 "Select a valid
  choice. X is not one of the available choices."; tags, a comma-separated
  list, any of them); api/views.py FeedingViewSet ordering "-end". A write to
  /api/feedings/ is answered 405 here (Baby Buddy takes it): calmflow never
  writes a feeding, and a test that made it would see it fail.

Faults for tests: `stop_after` (the server stops listening after that many
requests: the next connection is refused), `lose_answer_after` (takes the
request, then closes the connection without answering), `fail_after` (answers
`fail_status` from then on), `delay_s` (waits before answering), `before_post`
(called with the server before a POST is taken), `feedings_status` (every
request to /api/feedings/ is answered so, with a detail).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.utils.dateparse import parse_datetime

LONGEST = timedelta(hours=24)
REQUIRED = "This field is required."


@dataclass
class Pumping:
    id: int
    child: int
    amount: float
    start: datetime
    end: datetime
    notes: str | None = None
    tags: list[str] = field(default_factory=list)

    def shown(self) -> dict[str, Any]:
        seconds = int((self.end - self.start).total_seconds())
        return {
            "id": self.id,
            "child": self.child,
            "amount": self.amount,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "duration": f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}",
            "notes": self.notes,
            "tags": list(self.tags),
        }


FEEDING_TYPES = ("breast milk", "formula", "fortified breast milk", "solid food")
FEEDING_METHODS = (
    "bottle",
    "left breast",
    "right breast",
    "both breasts",
    "parent fed",
    "self fed",
)


@dataclass
class Feeding:
    id: int
    child: int
    start: datetime
    end: datetime
    type: str = "breast milk"
    method: str = "left breast"
    amount: float | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)

    def shown(self) -> dict[str, Any]:
        seconds = int((self.end - self.start).total_seconds())
        return {
            "id": self.id,
            "child": self.child,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "duration": f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}",
            "type": self.type,
            "method": self.method,
            "amount": self.amount,
            "notes": self.notes,
            "tags": list(self.tags),
        }


def _iso(moment: datetime) -> str:
    # DRF's DateTimeField.to_representation in the current zone (UTC here).
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _read_time(value: Any) -> datetime | None:
    """As DRF's DateTimeField reads an ISO 8601 value: naive read in the current
    zone, UTC for the API; None if it cannot be read."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


WRONG_TIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


@dataclass
class BabyBuddyState:
    token: str = "secret-key"
    user_zone: str = "America/Chicago"
    children: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            1: {
                "id": 1,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "birth_date": "2026-09-01",
                "birth_time": None,
                "slug": "ada-lovelace",
                "picture": None,
            }
        }
    )
    entries: dict[int, Pumping] = field(default_factory=dict)
    next_id: int = 1
    feedings: dict[int, Feeding] = field(default_factory=dict)
    next_feeding_id: int = 1
    feedings_status: int | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path with query) of every request that reached the API."""
    unauthorized_status: int = 403
    stop_after: int | None = None
    lose_answer_after: int | None = None
    fail_after: int | None = None
    fail_status: int = 500
    delay_s: float = 0.0
    before_post: Callable[[BabyBuddyState], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        child: int,
        amount: float,
        start: datetime,
        end: datetime,
        notes: str | None = None,
        tags: list[str] | None = None,
    ) -> Pumping:
        entry = Pumping(self.next_id, child, amount, start, end, notes, list(tags or []))
        self.entries[entry.id] = entry
        self.next_id += 1
        return entry

    def feed(
        self,
        child: int,
        start: datetime,
        minutes: float = 15,
        method: str = "left breast",
        type: str = "breast milk",
        amount: float | None = None,
    ) -> Feeding:
        """A feeding, as one made in Baby Buddy (its model's choices only)."""
        assert method in FEEDING_METHODS and type in FEEDING_TYPES
        end = start + timedelta(minutes=minutes)
        assert end - start <= LONGEST and start <= self.now()
        made = Feeding(self.next_feeding_id, child, start, end, type, method, amount)
        self.feedings[made.id] = made
        self.next_feeding_id += 1
        return made

    def of_child(self, child: int) -> list[Pumping]:
        return sorted((e for e in self.entries.values() if e.child == child), key=lambda e: e.start)

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] not in ("GET", "HEAD")]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _answer(self, status: int, payload: Any = None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # Head and body in one write: two small writes meet the client's delayed
        # ACK (Nagle), 40 ms an answer, which no real server pays.
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _handle(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with state.lock:
            count = len(state.requests)
            if state.stop_after is not None and count >= state.stop_after:
                self.close_connection = True
                threading.Thread(target=self.server.stop, daemon=True).start()
                return
            state.requests.append((method, self.path))
        if state.delay_s:
            time.sleep(state.delay_s)
        if state.fail_after is not None and count >= state.fail_after:
            self._answer(state.fail_status, {"detail": "A server error occurred."})
            return
        with state.lock:
            status, payload = self._api(method, raw)
        if state.lose_answer_after is not None and count >= state.lose_answer_after:
            self.close_connection = True
            return
        self._answer(status, payload)

    def _api(self, method: str, raw: bytes) -> tuple[int, Any]:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        auth = self.headers.get("Authorization", "")
        if not auth:
            return 403, {"detail": "Authentication credentials were not provided."}
        if auth != f"Token {state.token}":
            return state.unauthorized_status, {"detail": "Invalid token."}
        path = parts.path
        if path == "/api/profile":
            if method != "GET":
                return 405, {"detail": f'Method "{method}" not allowed.'}
            return 200, {
                "user": {"id": 1, "username": "parent", "first_name": "", "last_name": ""},
                "language": "en-US",
                "timezone": state.user_zone,
                "api_key": state.token,
            }
        if path == "/api/children/":
            if method != "GET":
                return 405, {"detail": f'Method "{method}" not allowed.'}
            found = list(state.children.values())
            if "id" in query:
                found = [c for c in found if str(c["id"]) == query["id"]]
            return 200, self._page(found, query)
        if path == "/api/pumping/":
            if method == "GET":
                return self._list(query)
            if method == "POST":
                if state.before_post is not None:
                    state.before_post(state)
                return self._create(raw)
            return 405, {"detail": f'Method "{method}" not allowed.'}
        if path.startswith("/api/feedings/"):
            return self._feedings(method, path, query)
        if path.startswith("/api/pumping/") and path.endswith("/"):
            try:
                entry_id = int(path.removeprefix("/api/pumping/").rstrip("/"))
            except ValueError:
                return 404, {"detail": "Not found."}
            if method == "PUT":
                return 405, {"detail": 'Method "PUT" not allowed.'}
            entry = state.entries.get(entry_id)
            if entry is None:
                return 404, {"detail": "No Pumping matches the given query."}
            if method == "GET":
                return 200, entry.shown()
            if method == "DELETE":
                del state.entries[entry_id]
                return 204, None
            if method == "PATCH":
                return self._update(entry, raw)
            return 405, {"detail": f'Method "{method}" not allowed.'}
        return 404, {"detail": "Not found."}

    def _page(self, items: list[Any], query: dict[str, str]) -> dict[str, Any]:
        try:
            limit = int(query.get("limit", 100))
            limit = limit if limit > 0 else 100
        except ValueError:
            limit = 100
        try:
            offset = max(0, int(query.get("offset", 0)))
        except ValueError:
            offset = 0
        base = f"http://{self.headers.get('Host')}{urlsplit(self.path).path}"
        nxt = (
            f"{base}?limit={limit}&offset={offset + limit}" if offset + limit < len(items) else None
        )
        prev = None if offset <= 0 else f"{base}?limit={limit}&offset={max(0, offset - limit)}"
        return {
            "count": len(items),
            "next": nxt,
            "previous": prev,
            "results": items[offset : offset + limit],
        }

    def _list(self, query: dict[str, str]) -> tuple[int, Any]:
        state = self.server.state
        found = list(state.entries.values())
        errors: dict[str, list[str]] = {}
        if "child" in query and query["child"] != "":
            if not query["child"].isdigit() or int(query["child"]) not in state.children:
                errors["child"] = [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            else:
                found = [e for e in found if e.child == int(query["child"])]
        found = _within_times(
            found, query, errors, ("start_min", "start_max", "end_min", "end_max")
        )
        if errors:
            return 400, errors
        found.sort(key=lambda e: e.end, reverse=True)
        return 200, self._page([e.shown() for e in found], query)

    def _feedings(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        state = self.server.state
        if state.feedings_status is not None:
            detail = {
                403: "You do not have permission to perform this action.",
                404: "Not found.",
            }.get(state.feedings_status, "A server error occurred.")
            return state.feedings_status, {"detail": detail}
        if method != "GET":
            return 405, {"detail": f'Method "{method}" not allowed.'}
        if path != "/api/feedings/":
            try:
                feeding = state.feedings[int(path.removeprefix("/api/feedings/").rstrip("/"))]
            except (KeyError, ValueError):
                return 404, {"detail": "No Feeding matches the given query."}
            return 200, feeding.shown()
        found = list(state.feedings.values())
        errors: dict[str, list[str]] = {}
        if query.get("child"):
            if not query["child"].isdigit() or int(query["child"]) not in state.children:
                errors["child"] = [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            else:
                found = [f for f in found if f.child == int(query["child"])]
        found = _within_times(
            found, query, errors, ("start", "start_min", "start_max", "end", "end_min", "end_max")
        )
        for name, choices in (("type", FEEDING_TYPES), ("method", FEEDING_METHODS)):
            if query.get(name):
                if query[name] not in choices:
                    errors[name] = [
                        f"Select a valid choice. {query[name]} is not one of the available choices."
                    ]
                    continue
                found = [f for f in found if getattr(f, name) == query[name]]
        if query.get("tags"):
            wanted = {t for t in query["tags"].split(",") if t}
            found = [f for f in found if wanted & set(f.tags)]
        if errors:
            return 400, errors
        found.sort(key=lambda f: f.end, reverse=True)
        return 200, self._page([f.shown() for f in found], query)

    def _fields(self, body: Any, partial: bool) -> tuple[dict[str, Any], dict[str, list[str]]]:
        state = self.server.state
        attrs: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        if not isinstance(body, dict):
            return {}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}
        if "child" in body and body["child"] is not None:
            child = body["child"]
            if isinstance(child, bool) or not isinstance(child, int | str):
                errors["child"] = [
                    f"Incorrect type. Expected pk value, received {type(child).__name__}."
                ]
            elif str(child).isdigit() and int(child) in state.children:
                attrs["child"] = int(child)
            else:
                errors["child"] = [f'Invalid pk "{child}" - object does not exist.']
        if "amount" in body:
            try:
                if body["amount"] is None or isinstance(body["amount"], bool):
                    raise ValueError
                attrs["amount"] = float(body["amount"])
            except (TypeError, ValueError):
                errors["amount"] = ["A valid number is required."]
        elif not partial:
            errors["amount"] = [REQUIRED]
        for name in ("start", "end"):
            if name in body and body[name] is not None:
                when = _read_time(body[name])
                if when is None:
                    errors[name] = [WRONG_TIME]
                else:
                    attrs[name] = when
        if "notes" in body:
            attrs["notes"] = body["notes"]
        if "tags" in body:
            attrs["tags"] = list(body["tags"])
        return attrs, errors

    def _clean(self, entry: Pumping, exclude: int | None) -> dict[str, list[str]] | None:
        state = self.server.state
        if entry.start > state.now():
            return {"start": ["Date/time can not be in the future."]}
        if entry.start > entry.end:
            return {"non_field_errors": ["Start time must come before end time."]}
        if entry.end - entry.start > LONGEST:
            return {"non_field_errors": ["Duration too long."]}
        for other in state.entries.values():
            if other.child != entry.child or other.id == exclude:
                continue
            if other.start < entry.end and other.end > entry.start:
                link = (
                    f'<a href="/pumping/{other.id}/">Pumping'
                    f" ({other.start:%m/%d/%Y %H:%M} - {other.end:%m/%d/%Y %H:%M})</a>"
                )
                return {
                    "non_field_errors": [
                        "Another entry intersects the specified time period. "
                        f"Conflicting entry: {link}"
                    ]
                }
        return None

    def _create(self, raw: bytes) -> tuple[int, Any]:
        state = self.server.state
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {"detail": "JSON parse error"}
        attrs, errors = self._fields(body, partial=False)
        if errors:
            return 400, errors
        missing = {name: [REQUIRED] for name in ("child", "start", "end") if name not in attrs}
        if missing:
            return 400, missing
        entry = Pumping(0, attrs["child"], attrs["amount"], attrs["start"], attrs["end"])
        problem = self._clean(entry, exclude=None)
        if problem:
            return 400, problem
        made = state.add(
            attrs["child"],
            attrs["amount"],
            attrs["start"],
            attrs["end"],
            attrs.get("notes"),
            attrs.get("tags"),
        )
        return 201, made.shown()

    def _update(self, entry: Pumping, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {"detail": "JSON parse error"}
        attrs, errors = self._fields(body, partial=True)
        if errors:
            return 400, errors
        changed = Pumping(**{**entry.__dict__, **attrs})
        problem = self._clean(changed, exclude=entry.id)
        if problem:
            return 400, problem
        for name, value in attrs.items():
            setattr(entry, name, value)
        return 200, entry.shown()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: BabyBuddyState

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client gone mid-answer (timeouts, a TLS hello): the test sees it itself

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@contextmanager
def babybuddy_server(
    state: BabyBuddyState | None = None, *, tls: tuple[Path, Path] | None = None
) -> Iterator[tuple[str, BabyBuddyState]]:
    """A Baby Buddy on 127.0.0.1 at a free port: its URL and its state; over https
    with `tls` (a certificate file and its key)."""
    state = state or BabyBuddyState()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = state
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


_TIME_FILTERS = {
    "start": ("start", lambda a, b: a == b),
    "start_min": ("start", lambda a, b: a >= b),
    "start_max": ("start", lambda a, b: a <= b),
    "end": ("end", lambda a, b: a == b),
    "end_min": ("end", lambda a, b: a >= b),
    "end_max": ("end", lambda a, b: a <= b),
}
"""The time filters Baby Buddy's filter sets take (api/filters.py), by name."""


def _within_times(
    found: list[Any], query: dict[str, str], errors: dict[str, Any], names: tuple[str, ...]
) -> list[Any]:
    """`found` kept to the time filters `names` in `query`, as Baby Buddy's
    filter sets answer them; a time it cannot read is an error of that name."""
    for name in names:
        if query.get(name):
            attr, keep = _TIME_FILTERS[name]
            when = _read_time(query[name])
            if when is None:
                errors[name] = ["Enter a valid date/time."]
                continue
            found = [e for e in found if keep(getattr(e, attr), when)]
    return found
