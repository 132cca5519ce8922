-- Principals and their bearer tokens (service/auth/, docs/security.md). These tables hold what
-- must never enter the log: which token hashes are live. Who acts for which party, and each
-- party's grant, are also events in the party's stream (principal_added, principal_revoked,
-- grant_changed), so that an auditor can check authority from the log alone.

CREATE TABLE principals (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    party       text,       -- NULL for an administrator, who acts for no party
    admin       boolean     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((party IS NULL) = admin)
);

-- Only SHA-256 hashes of the tokens: a token has 256 random bits, so a plain hash cannot be
-- reversed by guessing, and a copy of this table lets nobody in.
CREATE TABLE principal_tokens (
    token_id    text        PRIMARY KEY CHECK (token_id ~ '^[a-f0-9]{16}$'),
    principal   text        NOT NULL REFERENCES principals (name),
    token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE INDEX principal_tokens_principal ON principal_tokens (principal);

-- Every change, whoever makes it (the service, the CLI, psql), tells every process to reload
-- its token cache: that is how a revocation takes effect everywhere within a second.
CREATE FUNCTION pledger_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pledger_auth', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER principals_changed AFTER INSERT OR UPDATE OR DELETE ON principals
    FOR EACH STATEMENT EXECUTE FUNCTION pledger_auth_changed();
CREATE TRIGGER principal_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON principal_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION pledger_auth_changed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        GRANT SELECT, INSERT, UPDATE ON principals, principal_tokens TO pledger_app;
    END IF;
END
$$;
