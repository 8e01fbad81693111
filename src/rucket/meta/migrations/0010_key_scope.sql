-- Access keys that expire, and service accounts: a key whose own policy narrows what its
-- user may do (a request is allowed only when the user's permissions AND this policy allow
-- it). A row exists only for keys that have one of these; a plain key has none.
CREATE TABLE iam_key_scope (
    access_key   TEXT PRIMARY KEY REFERENCES iam_keys(access_key) ON DELETE CASCADE,
    expires_ms   INTEGER,                              -- NULL: never expires
    policy       TEXT,                                 -- NULL: the user's permissions, unnarrowed
    description  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
