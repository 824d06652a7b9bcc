"""Stream ids are UUIDs. A natural key (an account number, an e-mail) becomes one with
:func:`stream_id`: the same key always gives the same id (UUID version 5), and keys of
different stream types never collide."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1c1e5e-9a52-5bb4-8d7e-0c5f0e7e5c11")


def stream_id(stream_type: str, natural_key: str) -> uuid.UUID:
    """The stream id of ``natural_key`` within ``stream_type`` (UUID v5: stable, not secret)."""
    return uuid.uuid5(NAMESPACE, f"{stream_type}\x00{natural_key}")
