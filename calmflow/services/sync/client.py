"""A small JSON client for a REST API a person names (Baby Buddy's), on the
standard library.

- https is verified (the system's certificates, or SSL_CERT_FILE's); plain http
  only to this machine (localhost, 127.0.0.1, ::1) unless the person says
  `insecure`, since the API key and health records would cross the network
  readable by anyone on the way.
- Every request has a timeout; one connection is kept open for a run (a TLS
  handshake per entry would make thousands of entries take minutes).
- Redirects are not followed: a POST turned into a GET, or the key sent on to
  another host, are worse than asking the person for the right address.
- What goes wrong is one line: `Unreachable` (no answer: refused, timed out, a
  certificate not trusted), `Answered` (an HTTP status other than 2xx, with
  what the server said, its HTML taken out).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

TIMEOUT_S = 30.0
"""The longest calmflow waits for any answer."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class ApiError(Exception):
    """A request that did not get the answer it needed; `str()` is one line."""


class Unreachable(ApiError):
    """No answer came: no network, nothing listening, a timeout, a TLS failure."""


class Answered(ApiError):
    """The server answered with a status other than 2xx."""

    def __init__(self, method: str, path: str, status: int, payload: Any) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.payload = payload
        """The body, decoded from JSON when it was JSON, else its text."""
        super().__init__(f"HTTP {status} to {method} {path}: {self.detail}")

    @property
    def detail(self) -> str:
        """What the server said, on one line: DRF's {"detail": ...}, or each field
        and its messages (`start: Date/time can not be in the future.`)."""
        return one_line(self.payload) or http.client.responses.get(self.status, "")


def one_line(payload: Any) -> str:
    """An error body (Django REST framework's shapes) as one line of plain text."""
    if isinstance(payload, dict):
        if set(payload) == {"detail"}:
            return one_line(payload["detail"])
        return "; ".join(
            one_line(value) if key == "non_field_errors" else f"{key}: {one_line(value)}"
            for key, value in payload.items()
        )
    if isinstance(payload, list):
        return " ".join(one_line(item) for item in payload)
    text = re.sub(r"<[^>]*>", "", str(payload))  # Baby Buddy's overlap message links the entry
    return " ".join(text.split())[:300]


@dataclass(frozen=True)
class Address:
    """Where an API is: scheme, host, port and the path it is under."""

    scheme: str
    host: str
    port: int | None
    prefix: str
    """The path before the API's own ('' at the root, '/babybuddy' under a sub-path)."""

    @property
    def key(self) -> str:
        """The address as calmflow remembers it: lower-case, no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{host}{port}{self.prefix}"

    @property
    def local(self) -> bool:
        return self.host in LOCAL_HOSTS


def address(url: str, *, insecure: bool = False, api_root: str = "/api") -> Address:
    """The address of `url` (the site, or its API root `api_root` under it);
    ValueError saying why it cannot be used."""
    text = url.strip()
    if "://" not in text:
        raise ValueError(f"{url!r} is not a web address: give it whole, as https://baby.example")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"{url!r}: calmflow speaks https (or http), not {scheme}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number from 1 to 65535") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"{url!r} names no host")
    if parts.username or parts.password:
        raise ValueError(f"{url!r}: leave the user and password out of the address")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: leave '?' and '#' parts out of the address")
    prefix = parts.path.rstrip("/")
    if prefix.endswith(api_root):
        prefix = prefix[: -len(api_root)]
    found = Address(scheme, host, port, prefix)
    if scheme == "http" and not found.local and not insecure:
        raise ValueError(
            f"{found.key} is plain http: your API key and sessions would cross the network"
            " unencrypted; use its https address (or --insecure on a network you trust)"
        )
    return found


class Api:
    """Requests to the API at `where`, authorised by `token` (`Authorization:
    Token ...`), over one connection kept open, each with a timeout."""

    def __init__(self, where: Address, token: str, *, timeout_s: float = TIMEOUT_S) -> None:
        self.where = where
        self.timeout_s = timeout_s
        self._token = token
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, body=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one) to `method` `path`
        (after the prefix); Unreachable or Answered if it is not a 2xx."""
        target = self.where.prefix + path
        if query:
            target += "?" + urlencode(query)  # '+' of an offset as %2B, else it is a space
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {
            "Authorization": f"Token {self._token}",
            "Accept": "application/json",
            "User-Agent": "calmflow",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        status, raw, location = self._exchange(method, target, data, headers)
        try:
            payload: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        if 300 <= status < 400:
            raise Answered(
                method, path, status, f"it sends calmflow on to {location or 'another address'}"
            )
        if not 200 <= status < 300:
            raise Answered(method, path, status, payload)
        return payload

    def _exchange(
        self, method: str, target: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, str | None]:
        for attempt in (1, 2):
            reused = self._conn is not None
            conn = self._connection()
            try:
                conn.request(method, target, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                if response.will_close:
                    self.close()
                return response.status, raw, response.getheader("Location")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                # A kept connection the server closed while idle: once more, afresh;
                # never a POST, which it may have taken before closing (it would
                # make a second entry).
                if reused and attempt == 1 and method != "POST":
                    continue
                raise Unreachable(self._why(exc)) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Unreachable(self._why(exc)) from None
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.where.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self.where.host,
                    self.where.port,
                    timeout=self.timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                self._conn = http.client.HTTPConnection(
                    self.where.host, self.where.port, timeout=self.timeout_s
                )
        return self._conn

    def _why(self, exc: BaseException) -> str:
        at = self.where.key
        if isinstance(exc, ConnectionRefusedError):
            return f"could not reach {at}: connection refused (is Baby Buddy running there?)"
        if isinstance(exc, TimeoutError | socket.timeout):
            return f"{at} did not answer within {self.timeout_s:g} s"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"{at}'s certificate is not trusted ({exc.verify_message or exc.reason})"
        if isinstance(exc, ssl.SSLError):
            return f"could not talk securely with {at} ({exc.reason or exc})"
        if isinstance(exc, socket.gaierror):
            return f"could not find {self.where.host} ({exc.strerror or exc}); check the address and the network"
        if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
            return f"{at} closed the connection without answering"
        if isinstance(exc, OSError) and exc.strerror:
            return f"could not reach {at}: {exc.strerror}"
        return f"could not reach {at}: {exc}"
