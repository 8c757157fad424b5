"""Who the caller is, as far as the call knows, and what they must still show before hearing their memory."""

from __future__ import annotations

from dataclasses import dataclass

from parley.dialogue.disclosure import SecondDetail
from parley.dialogue.types import Caller


@dataclass
class Identity:
    """Kept for the whole call: a task ending does not make the caller a stranger again."""

    caller: Caller | None = None  # who we are talking to, once known
    trusted: bool = False  # known up front (a client id, --user) or by two matching details
    claimed_by: str | None = None  # how an untrusted caller said who they are: "phone" or "name"
    candidate: Caller | None = None  # someone known by the name given, not yet confirmed
    asked_by_name: bool = False  # asked once per call whether the caller is someone we know
    second: SecondDetail | None = None  # the detail asked for before going on
    pending: str | None = None  # a memory request waiting for the caller to be identified
    said_name: str | None = None  # the name the caller last gave, asked or not
