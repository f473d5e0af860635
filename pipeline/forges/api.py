"""One request to a forge's API: limits honoured, failures turned into a reason, never an exception.

The token goes into the Authorization header and nowhere else: no reason, evidence or log line built
here contains a header, and httpx errors are reported by their class name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from pipeline.forges.limits import Gate

MAX_ATTEMPTS = 4  # a request refused by a rate limit is tried again at most this often (after waiting)
MAX_BODY_CHARS = 5_000_000  # a bigger answer is not an answer we asked for


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # parsed JSON; None when the body is not JSON
    etag: str | None


@dataclass(frozen=True)
class Refused:
    reason: str  # why the question could not be asked or answered: "rate limit: ...", "unreachable"
    unreachable: bool = False  # below HTTP: the forge cannot be reached at all this run


async def call(
    client: httpx.AsyncClient,
    gate: Gate,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json: Any = None,
) -> Reply | Refused:
    for _ in range(MAX_ATTEMPTS):
        why = await gate.admit()
        if why is not None:
            return Refused(why)
        try:
            response = await client.request(method, url, headers=headers, json=json)
        except httpx.TransportError as error:
            return Refused(f"the API could not be reached ({type(error).__name__})", unreachable=True)
        except httpx.HTTPError as error:
            return Refused(f"the API request failed ({type(error).__name__})")
        gate.requests += 1
        if response.status_code == 304:
            gate.not_modified += 1
        if gate.observe(response):
            continue
        return Reply(response.status_code, _json(response), response.headers.get("etag"))
    return Refused(f"rate limit: still refused after {MAX_ATTEMPTS} attempts ({gate.why})")


def _json(response: httpx.Response) -> Any:
    if response.status_code == 304 or len(response.content) > MAX_BODY_CHARS:
        return None
    try:
        return response.json()
    except ValueError:
        return None
