"""``rules.judge_refused_refresh`` as a table: every branch of what a refresh token the one-call rotation
refused is, judged from the session as the refusal returned it (design note §4).

The rotation itself accepts two tokens without this judgement: the current token before any of its
children was used (a retry), and the first used child of the current token (its promotion). The first
rows show what the judge says if it is ever asked about those: the rotation's condition and the judge
must agree that a token the rotation would have taken is never theft when it raced a child's use."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.model import Session, UsedChild
from authstate.recipe.session.refresh_tokens import RefreshToken, token_hash
from authstate.recipe.session.rules import JoinBranch, RefreshVerdict, Theft, judge_refused_refresh

NOW = 1_800_000_000
WINDOW = 10


def token(name: str, parent: str | None) -> RefreshToken:
    """A refresh token whose text is ``name`` (its hash is the hash of that text)."""
    return RefreshToken(
        session_handle="h", parent_hash=None if parent is None else token_hash(parent), token=name
    )


def session(
    *,
    current: str,
    parent: str | None,
    rotated_ago: int = 0,
    used: tuple[str, int] | None = None,
    expired: bool = False,
) -> Session:
    """The session as stored: ``current`` is the current token's text, ``used`` the text of the child
    of it seen in use and how many seconds ago."""
    return Session(
        handle="h",
        user_id="u",
        tenant_id="public",
        payload={},
        created_ms=(NOW - 3600) * 1000,
        expires_at=NOW - 1 if expired else NOW + 3600,
        refresh_hash=token_hash(current),
        parent_hash=None if parent is None else token_hash(parent),
        rotated_at=NOW - rotated_ago,
        used_child=None if used is None else UsedChild(token_hash(used[0]), NOW - used[1]),
        anti_csrf_token=None,
        version=7,
    )


def joins(head: str, *, promote: bool) -> JoinBranch:
    return JoinBranch(head=token_hash(head), promote=promote)


@dataclass(frozen=True)
class Case:
    presented: RefreshToken
    stored: Session
    window: int
    verdict: RefreshVerdict | ErrorCode

    def judged(self) -> RefreshVerdict:
        return judge_refused_refresh(self.presented, self.stored, NOW, self.window)


# The token family: A was issued at creation; B1, B2 are children of A (siblings); C1, C2 children of B1.
CASES: dict[str, Case] = {
    # The current token again (a retry) after one of its children was used first: within the window it
    # joins that child's branch (promoted), after it the retry is theft.
    "retry after a child was used, within the window": Case(
        token("B1", "A"), session(current="B1", parent="A", used=("C1", 3)), WINDOW, joins("C1", promote=True)
    ),
    "retry after a child was used, after the window": Case(
        token("B1", "A"), session(current="B1", parent="A", used=("C1", 30)), WINDOW, Theft()
    ),
    "retry after a child was used, window 0": Case(
        token("B1", "A"), session(current="B1", parent="A", used=("C1", 0)), 0, Theft()
    ),
    # A child of the current token, when another child of it was used first (two tabs refreshing).
    "sibling child after the other child's use, within the window": Case(
        token("C2", "B1"),
        session(current="B1", parent="A", used=("C1", 3)),
        WINDOW,
        joins("C1", promote=True),
    ),
    "sibling child after the other child's use, at the window's edge": Case(
        token("C2", "B1"),
        session(current="B1", parent="A", used=("C1", WINDOW)),
        WINDOW,
        joins("C1", promote=True),
    ),
    "sibling child after the other child's use, after the window": Case(
        token("C2", "B1"), session(current="B1", parent="A", used=("C1", WINDOW + 1)), WINDOW, Theft()
    ),
    # The child that was used, refused (the rotation promotes it; if ever refused it is not joined to itself).
    "the used child itself": Case(
        token("C1", "B1"), session(current="B1", parent="A", used=("C1", 3)), WINDOW, Theft()
    ),
    # A sibling of the current token (B2 lost to B1, which was promoted): within the window after the
    # promotion it joins B1's branch, without promoting anything if no child of B1 was used yet.
    "sibling of the current token, within the window": Case(
        token("B2", "A"), session(current="B1", parent="A", rotated_ago=3), WINDOW, joins("B1", promote=False)
    ),
    "sibling of the current token whose child was used, within the window": Case(
        token("B2", "A"),
        session(current="B1", parent="A", rotated_ago=3, used=("C1", 1)),
        WINDOW,
        joins("C1", promote=True),
    ),
    "sibling of the current token, after the window": Case(
        token("B2", "A"), session(current="B1", parent="A", rotated_ago=30), WINDOW, Theft()
    ),
    "sibling of the current token, window 0": Case(
        token("B2", "A"), session(current="B1", parent="A", rotated_ago=0), 0, Theft()
    ),
    # The parent of the current token presented again (a retry of the refresh that promoted B1).
    "parent of the current token, within the window": Case(
        token("A", None), session(current="B1", parent="A", rotated_ago=3), WINDOW, joins("B1", promote=False)
    ),
    "parent of the current token, after the window": Case(
        token("A", None), session(current="B1", parent="A", rotated_ago=30), WINDOW, Theft()
    ),
    # Older generations: the grandparent, a sibling of the parent, a child of an old token. Theft at once,
    # however recent the rotation.
    "grandparent of the current token": Case(
        token("A", None), session(current="C1", parent="B1", rotated_ago=1), WINDOW, Theft()
    ),
    "sibling of the parent": Case(
        token("B2", "A"), session(current="C1", parent="B1", rotated_ago=1), WINDOW, Theft()
    ),
    "child of an older generation": Case(
        token("D", "B2"), session(current="C1", parent="B1", rotated_ago=1), WINDOW, Theft()
    ),
    # An expired session is expired, whatever the token.
    "expired session, current token": Case(
        token("B1", "A"), session(current="B1", parent="A", expired=True), WINDOW, ErrorCode.SESSION_EXPIRED
    ),
    "expired session, old token": Case(
        token("A", None), session(current="C1", parent="B1", expired=True), WINDOW, ErrorCode.SESSION_EXPIRED
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_refused_refresh_is_judged_by_the_table(case: Case) -> None:
    verdict = case.judged()
    if isinstance(case.verdict, ErrorCode):
        assert isinstance(verdict, AuthstateError)
        assert verdict.code is case.verdict
    else:
        assert verdict == case.verdict


def test_every_verdict_kind_is_in_the_table() -> None:
    kinds = {type(case.verdict) for case in CASES.values()}
    assert kinds == {JoinBranch, Theft, ErrorCode}
    assert {case.verdict.promote for case in CASES.values() if isinstance(case.verdict, JoinBranch)} == {
        True,
        False,
    }
