"""Console session cookies: sealed, expiring, bound to the secret; CSRF tokens per session."""

from __future__ import annotations

import base64

from rucket.console.session import TTL_MS, Sessions

KEY = bytes(range(32))


def test_cookie_round_trip_and_expiry() -> None:
    sessions = Sessions(KEY)
    session, cookie = sessions.issue("AK", "secret", 1_000)
    assert sessions.open(cookie, 2_000) == session
    assert sessions.open(cookie, 1_000 + TTL_MS) is None
    assert b"secret" not in base64.urlsafe_b64decode(cookie + "==")


def test_cookie_from_another_key_or_tampered_is_refused() -> None:
    _, cookie = Sessions(KEY).issue("AK", "secret", 0)
    assert Sessions(bytes(32)).open(cookie, 1) is None
    flipped = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    assert Sessions(KEY).open(flipped, 1) is None
    assert Sessions(KEY).open("not-base64!", 1) is None
    assert Sessions(KEY).open("", 1) is None


def test_same_master_key_means_same_sessions_across_workers() -> None:
    session, cookie = Sessions(KEY).issue("AK", "secret", 0)
    other_worker = Sessions(KEY)
    assert other_worker.open(cookie, 1) == session
    assert other_worker.csrf(session) == Sessions(KEY).csrf(session)


def test_session_is_bound_to_the_secret() -> None:
    session, _ = Sessions(KEY).issue("AK", "secret", 0)
    assert Sessions.same_secret(session, "secret")
    assert not Sessions.same_secret(session, "rotated")


def test_csrf_token_is_per_session() -> None:
    sessions = Sessions(KEY)
    a, _ = sessions.issue("AK", "secret", 0)
    b, _ = sessions.issue("AK", "secret", 0)
    assert sessions.check_csrf(a, sessions.csrf(a))
    assert not sessions.check_csrf(a, sessions.csrf(b))
    assert not sessions.check_csrf(a, "")
