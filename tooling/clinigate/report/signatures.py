"""How a signature act reads in every report: printed name, meaning, both times (21 CFR 11.50).

``verify``, ``check`` and ``ledger list`` render acts from the same dictionaries
(:meth:`ApprovalVerdict.as_dict` and the policies' ``input.approvals``), so one wording here
keeps a claimed time from ever reading like a trusted one in any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def time_label(row: dict[str, Any]) -> str:
    """Both times of a signature, each labelled: what a log or TSA vouches for, what the signer says."""
    if row["trusted_time"]:
        trusted = f"trusted time {row['trusted_time']} (trusted: {row['time_source']})"
    else:
        trusted = "trusted time: none (no Sigstore log or RFC 3161 timestamp vouches for it)"
    if row["claimed_time"]:
        return f"{trusted} · claimed time {row['claimed_time']} (claimed by the signer)"
    unverified = (row.get("claimed") or {}).get("signed_at")
    return f"{trusted} · claimed time {unverified} (in the unverified entry)" if unverified else trusted


def claim_text(claimed: dict[str, str | None] | None, quote: Callable[[str], str] = str) -> str:
    """What an unverifiable entry says of itself, labelled: it proves nothing.

    ``quote`` renders the claim inert where markup is live (markdown job summaries): anyone who
    can write to the ledger chooses these words.
    """
    if not claimed:
        return "it carries no readable approval statement"
    parts = [claimed.get("decision"), f"as {claimed['role']}" if claimed.get("role") else None,
             f"by {person(claimed.get('printed_name'), claimed.get('signer_id'))}"
             if claimed.get("printed_name") or claimed.get("signer_id") else None]
    shown = " ".join(p for p in parts if p)
    return f"it claims (unverified): {quote(shown)}" if shown else "it names no signer or role"


def person(name: str | None, person_id: str | None) -> str:
    if name and person_id:
        return f"{name} ({person_id})"
    return name or person_id or "an unnamed signer"
