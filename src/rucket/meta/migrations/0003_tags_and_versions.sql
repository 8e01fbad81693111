-- Object tags: a separate record per version, keyed by the version's row id, so that
-- PutObjectTagging never rewrites the (immutable) version row.
CREATE TABLE object_tags (
    vid  INTEGER PRIMARY KEY,
    tags TEXT NOT NULL            -- JSON list of [key, value] pairs, in the order sent
);

-- A version's tags go with it, whichever code path removes the version.
CREATE TRIGGER versions_drop_tags AFTER DELETE ON versions
BEGIN
    DELETE FROM object_tags WHERE vid = OLD.id;
END;

-- ListObjectVersions walks keys ascending and, within a key, newest version first: an
-- index in exactly that order keeps each page a range scan instead of a sort.
CREATE INDEX versions_by_key_newest ON versions (bucket, key, id DESC);
