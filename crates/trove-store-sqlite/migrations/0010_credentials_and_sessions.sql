-- Passwords and sign-in sessions: kept out of the workflow's append-only log, since a
-- password hash is replaced and a session ends.

CREATE TABLE credentials (
    email  TEXT PRIMARY KEY,       -- the workflow user's e-mail, lowercase
    phc    TEXT NOT NULL,          -- argon2id PHC string: salt and parameters included
    set_at INTEGER NOT NULL          -- unix seconds
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY, -- BLAKE3 of the secret session id (hex); never the id
    email        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,   -- unix seconds
    expires_at   INTEGER NOT NULL,   -- absolute expiry, unix seconds
    last_seen_at INTEGER NOT NULL    -- for the idle expiry, unix seconds
);

CREATE INDEX sessions_by_email ON sessions (email);
