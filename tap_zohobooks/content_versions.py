"""Memory of documents that Zoho sends without `last_modified_time` (docs/identity.md).

Such a document has no time to compare, so the poller remembers, per stream and organization in
Singer STATE, a short digest of its list row and of its detail as last emitted:

    {"<document id>": "<list row digest>:<detail digest>:<version link>:<earlier detail digests, '.'-separated>"}

- an unchanged list row is skipped without a detail call and without a record;
- a changed detail is a new version `sha256:<digest>`; when the content returns to one seen before
  for that document (A → B → A), the version is chained to its predecessor (`sha256:<A><<link>`,
  see `link`) so it does not collapse into the earlier version's event;
- a changed list row with an unchanged detail only updates the list digest (nothing is emitted).

Only the first content of a document is unchained, so a poll, a webhook and a run with reset state
give the same event id for it.
"""

from __future__ import annotations

import hashlib

from .events import content_digest, version_token

LIST_DIGEST = 16  # hex digits of the list row digest kept
DETAIL_DIGEST = 16  # of the current detail digest (also the chain link: version_token keeps 16)
HISTORY_DIGEST = 8  # of earlier detail digests, only to tell a return to an earlier content
HISTORY_KEPT = 16


def link(token: str) -> str:
    """What a chained version names as its predecessor: 16 hex of SHA-256 of the previous version token.

    Hashing the whole token (itself chained) makes every return to an earlier content unique, even
    when a document flips between two contents again and again.
    """
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class ContentVersions:
    def __init__(self, entries: dict[str, str] | None = None) -> None:
        self._docs: dict[str, tuple[str, str, str, list[str]]] = {}
        for doc_id, text in (entries or {}).items():
            parts = str(text).split(":")
            if len(parts) == 4:
                self._docs[str(doc_id)] = (parts[0], parts[1], parts[2], [h for h in parts[3].split(".") if h])

    @staticmethod
    def row_digest(row: dict) -> str:
        return content_digest(row)[:LIST_DIGEST]

    def row_unchanged(self, doc_id: str, row: dict) -> bool:
        """Whether this list row is the one seen when the document was last emitted."""
        known = self._docs.get(doc_id)
        return known is not None and known[0] == self.row_digest(row)

    def new_version(self, doc_id: str, row: dict, doc: dict) -> str | None:
        """The version token of `doc` if its content is new for this document (remembered), else None."""
        digest = content_digest(doc)[:DETAIL_DIGEST]
        known = self._docs.get(doc_id)
        if known is not None and known[1] == digest:
            self._docs[doc_id] = (self.row_digest(row), *known[1:])
            return None
        history: list[str] = []
        token = version_token(doc)
        if known is not None:
            _, previous, previous_link, history = known
            if digest[:HISTORY_DIGEST] in history:  # back to an earlier content: chain it
                token = version_token(doc, previous_link)
            history = [h for h in history if h != previous[:HISTORY_DIGEST]] + [previous[:HISTORY_DIGEST]]
        self._docs[doc_id] = (self.row_digest(row), digest, link(token), history[-HISTORY_KEPT:])
        return token

    def entry(self, doc_id: str) -> tuple | None:
        """What is remembered of a document (a fetch worker hands it to the writer: fetch.py)."""
        return self._docs.get(doc_id)

    def remember(self, doc_id: str, entry: tuple) -> None:
        self._docs[doc_id] = entry

    def to_state(self) -> dict[str, str]:
        return {doc_id: ":".join((row, detail, chain, ".".join(history)))
                for doc_id, (row, detail, chain, history) in sorted(self._docs.items())}
