-- The built-in KMS: named keys, each with numbered versions of key material. Rotation adds
-- a version; old versions stay so every object sealed under them still opens. Material is
-- stored wrapped (nonce || AES-256-GCM) under a key derived from the server master key
-- (engine/kms.py), so a copy of meta.db alone opens nothing.
CREATE TABLE kms_keys (
    key_id      TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE kms_key_versions (
    key_id      TEXT NOT NULL REFERENCES kms_keys(key_id),
    version     INTEGER NOT NULL,
    material    BLOB NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (key_id, version)
) WITHOUT ROWID;
