"""The durable record of the replies to writes that carried a request id.

A client that lost a reply retries with the same request id, and must get the first reply back
rather than a second copy of its write, even when the service restarted in between. So a reply
is stored in the same transaction as the write it answers: after a crash there are both or
neither. Rows older than REPLY_RETENTION_S are deleted as new ones are added (an indexed range,
so the common case deletes nothing and costs one index probe).
"""

from __future__ import annotations

from braidflow.exceptions import CommandError
from braidflow.metadata._transaction import Transaction
from braidflow.metadata.base import REPLY_RETENTION_S

# A UUID is 32-36 characters; the bound keeps a client from storing a large blob as an id.
MAX_REQUEST_ID = 128


def check_request_id(request_id: str) -> None:
    """Refuse an empty or oversized request id.

    Raises:
        CommandError: the id is empty or longer than MAX_REQUEST_ID characters.
    """
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise CommandError(
            f"request_id must be 1 to {MAX_REQUEST_ID} characters (a UUID, say), not {len(request_id)}"
        )


def recorded_reply(tx: Transaction, scope: str, request_id: str) -> bytes | None:
    """The reply recorded for `request_id` in `scope`, or None."""
    row = tx.first(
        "SELECT reply FROM request_replies WHERE scope = ? AND request_id = ?", (scope, request_id)
    )
    return None if row is None else bytes(row[0])


def record_reply(tx: Transaction, scope: str, request_id: str, reply: bytes, now: float) -> None:
    """Record a reply, and forget those older than the retention period."""
    tx.run(
        "INSERT INTO request_replies (scope, request_id, reply, created_at) VALUES (?, ?, ?, ?)",
        (scope, request_id, reply, now),
    )
    tx.run("DELETE FROM request_replies WHERE created_at < ?", (now - REPLY_RETENTION_S,))
