-- The JetStream relay (docs/operations.md, "Relay to NATS JetStream"): how far into the log the
-- broker has acknowledged, per relay name. Written only after JetStream's ack, on the leader's
-- own session, so a relay that lost its lock cannot move it.
CREATE TABLE relay_checkpoints (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL CHECK (position >= 0),
    stream_seq  bigint      NOT NULL CHECK (stream_seq >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        GRANT SELECT, INSERT, UPDATE ON relay_checkpoints TO pledger_app;
    END IF;
END
$$;
