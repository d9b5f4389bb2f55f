-- API tokens: who a token acts as, what it may do, and only a hash of its secret.

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    owner         TEXT NOT NULL,          -- the workflow user's e-mail, lowercase
    scopes        TEXT NOT NULL,          -- space-separated: read, write, ingest:SOURCE
    business_unit TEXT,                   -- the only business unit it reaches, if limited
    secret_hash   TEXT NOT NULL UNIQUE,   -- BLAKE3 of the secret (hex); never the secret
    created_at    BIGINT NOT NULL,       -- unix seconds
    expires_at    BIGINT,
    last_used_at  BIGINT,
    rotated_at    BIGINT,
    revoked_at    BIGINT
);
