-- Identities: users (each one a principal with a canonical id), their access keys (secrets
-- encrypted at rest by the engine; the database never sees a plaintext secret), named
-- identity policies and which user has which attached.
CREATE TABLE iam_users (
    name          TEXT PRIMARY KEY,
    canonical_id  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT 'api',      -- 'config' (bootstrapped each start) or 'api'
    created_ms    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE iam_keys (
    access_key  TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES iam_users(name) ON DELETE CASCADE,
    secret_enc  BLOB NOT NULL,                       -- nonce || AES-256-GCM(secret), see engine/secrets.py
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX iam_keys_by_user ON iam_keys (user_name);

CREATE TABLE iam_policies (
    name        TEXT PRIMARY KEY,
    document    TEXT NOT NULL,                       -- the JSON exactly as submitted (validated first)
    created_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE iam_attachments (
    user_name   TEXT NOT NULL REFERENCES iam_users(name) ON DELETE CASCADE,
    policy_name TEXT NOT NULL REFERENCES iam_policies(name),
    PRIMARY KEY (user_name, policy_name)
) WITHOUT ROWID;

-- Object ACLs changed after the write (PutObjectAcl): a separate record per version, like
-- tags, so the version row stays immutable. The ACL given at write time lives in the
-- version's attrs; a row here overrides it.
CREATE TABLE object_acls (
    vid  INTEGER PRIMARY KEY,
    acl  TEXT NOT NULL                               -- JSON, see engine/acl.py
);

CREATE TRIGGER versions_drop_acl AFTER DELETE ON versions
BEGIN
    DELETE FROM object_acls WHERE vid = OLD.id;
END;
