"""The order in which a document's approvals were signed, for the review-order gate (§7 B-17).

    >>> ranks = approval_ranks(book.judge(path, rev="HEAD"), claimed_times=False)  # doctest: +SKIP
    >>> ranks[act_id]                                                               # doctest: +SKIP
    2

Rego cannot compare times (engines disagree on them), so Python ranks the approvals that count
as approvals and hands each its rank as ``input.approvals[_].order``; ``policies/authority.rego``
decides whether an approval came after the earlier review stages. The time is the trusted one
(the Sigstore log's, an RFC 3161 TSA's); the signer's own ``signed_at`` only where trust.yaml
accepts approvals without a trusted time (``pki.require_timestamp: false``), since otherwise a
signer could backdate an approval into order. Equal times share a rank. Rejections,
revocations and revoked or otherwise invalid acts get no rank: they open no review stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .verdict import ApprovalVerdict


def approval_ranks(verdicts: Sequence[ApprovalVerdict], *, claimed_times: bool) -> dict[str, int]:
    """Act id -> rank from 1 of each counting approval with a usable time; equal times share a rank."""
    times = {v.act_id: moment for v in verdicts
             if v.counts_as_approval and (moment := signing_time(v, claimed_times=claimed_times))}
    rank = {moment: index for index, moment in enumerate(sorted(set(times.values())), start=1)}
    return {act: rank[moment] for act, moment in times.items()}


def signing_time(verdict: ApprovalVerdict, *, claimed_times: bool) -> datetime | None:
    """The trusted signing time; the claimed one only when ``claimed_times``; else None."""
    signature = verdict.signature
    if signature is not None and signature.time_trusted:
        return signature.time
    if claimed_times and verdict.statement is not None:
        return verdict.statement.predicate.signed_at
    return None
