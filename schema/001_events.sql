-- The append-only event log. Nothing here is ever updated or deleted: triggers refuse it,
-- and the application role may only SELECT and INSERT.

CREATE TABLE events (
    position     bigint      PRIMARY KEY CHECK (position > 0),
    stream_id    text        NOT NULL CHECK (length(stream_id) BETWEEN 1 AND 200),
    version      integer     NOT NULL CHECK (version > 0),
    event_id     uuid        NOT NULL UNIQUE,
    type         text        NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    data         jsonb       NOT NULL,
    metadata     jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    -- The exact bytes that are hashed into the ledger (docs/ledger.md); reads decode these,
    -- never the jsonb columns, which exist for queries only.
    canonical    bytea       NOT NULL,
    UNIQUE (stream_id, version)
);

CREATE INDEX events_type_position ON events (type, position);

CREATE FUNCTION pledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pledger_refuse_change();
CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION pledger_refuse_change();
-- ALWAYS: the triggers fire even with session_replication_role = replica.
ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_update_delete;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_truncate;

-- Everything an append needs to decide, in one round trip, after taking the append lock.
-- Statements in a function run in order, so the reads below see every earlier append.
CREATE FUNCTION pledger_prepare_append(lock_key bigint, stream_ids text[], event_ids uuid[])
RETURNS TABLE (head bigint, now_at timestamptz, versions jsonb, existing jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    head := (SELECT coalesce(max(e.position), 0) FROM events e);
    now_at := clock_timestamp();
    versions := (
        SELECT coalesce(jsonb_object_agg(s.id, coalesce(
            (SELECT e.version FROM events e WHERE e.stream_id = s.id
             ORDER BY e.version DESC LIMIT 1), 0)), '{}'::jsonb)
        FROM unnest(stream_ids) AS s(id)
    );
    existing := (
        SELECT coalesce(jsonb_agg(jsonb_build_array(e.position, encode(e.canonical, 'base64'))),
                        '[]'::jsonb)
        FROM events e WHERE e.event_id = ANY(event_ids)
    );
    RETURN NEXT;
END
$$;

-- The application role: may read and append, never change. Created only where allowed.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            CREATE ROLE pledger_app NOLOGIN;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        EXECUTE format('GRANT pledger_app TO %I', current_user);
        GRANT SELECT, INSERT ON events TO pledger_app;
        GRANT SELECT ON schema_migrations TO pledger_app;
        GRANT EXECUTE ON FUNCTION pledger_prepare_append(bigint, text[], uuid[]) TO pledger_app;
    END IF;
END
$$;
