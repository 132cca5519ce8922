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

-- One batch of appends in one statement (one round trip, one commit). Why a lock at all:
-- see service/store/postgres.py. Events arrive as parallel arrays; consecutive rows with the
-- same app_idx form one caller's append, decided in order:
--   'exists'   some of its event ids are stored already: those rows are returned, nothing is
--              written, and the caller decides whether it is an idempotent retry;
--   'conflict' the expected version does not hold (-1 any, -2 no_stream, -3 stream_exists,
--              n >= 0 exactly n): out_actual is the stream's version, nothing is written;
--   'ok'       its events are inserted with the next positions and versions.
-- The canonical bytes are the caller's rendering (parts a and c) with the three values only
-- the database knows put in between: position, recorded_at and version.
CREATE FUNCTION pledger_append(
    lock_key bigint, app_idx int[], stream_ids text[], expected int[], event_ids uuid[],
    types text[], datas jsonb[], metas jsonb[], occurred timestamptz[],
    part_a text[], part_c text[])
RETURNS TABLE (out_idx int, out_outcome text, out_actual int, out_position bigint,
               out_canonical bytea)
LANGUAGE plpgsql AS $$
DECLARE
    head      bigint;
    now_at    timestamptz;
    now_text  text;
    n         int := coalesce(array_length(app_idx, 1), 0);
    i         int := 1;
    j         int;
    cur       int;
    m         int;
    inserted  boolean := false;
    known     uuid[];
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT coalesce(max(e.position), 0) INTO head FROM events e;
    now_at := clock_timestamp();
    now_text := to_char(now_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    -- Lookups are written as one unique-index probe per id, so that no cached plan can turn
    -- them into a scan of the whole log.
    known := '{}';
    FOR m IN 1 .. n LOOP
        IF EXISTS (SELECT 1 FROM events s WHERE s.event_id = event_ids[m]) THEN
            known := known || event_ids[m];
        END IF;
    END LOOP;
    WHILE i <= n LOOP
        j := i;
        WHILE j < n AND app_idx[j + 1] = app_idx[i] LOOP
            j := j + 1;
        END LOOP;
        IF known && event_ids[i:j] THEN
            FOR m IN i .. j LOOP
                RETURN QUERY SELECT app_idx[i], 'exists'::text, 0, s.position, s.canonical
                    FROM events s WHERE s.event_id = event_ids[m];
            END LOOP;
        ELSE
            cur := coalesce((SELECT e.version FROM events e WHERE e.stream_id = stream_ids[i]
                             ORDER BY e.version DESC LIMIT 1), 0);
            IF expected[i] = -1 OR (expected[i] = -2 AND cur = 0)
               OR (expected[i] = -3 AND cur > 0) OR expected[i] = cur THEN
                RETURN QUERY
                INSERT INTO events AS e (position, stream_id, version, event_id, type, data,
                                         metadata, occurred_at, recorded_at, canonical)
                SELECT head + k, stream_ids[i], cur + k, event_ids[i + k - 1], types[i + k - 1],
                       datas[i + k - 1], metas[i + k - 1], occurred[i + k - 1], now_at,
                       convert_to(part_a[i + k - 1] || (head + k)::text || ',"recorded_at":"'
                                  || now_text || part_c[i + k - 1] || (cur + k)::text || '}',
                                  'UTF8')
                FROM generate_series(1, j - i + 1) AS k
                RETURNING app_idx[i], 'ok'::text, cur, e.position, e.canonical;
                head := head + (j - i + 1);
                known := known || event_ids[i:j];
                inserted := true;
            ELSE
                RETURN QUERY SELECT app_idx[i], 'conflict'::text, cur, 0::bigint, NULL::bytea;
            END IF;
        END IF;
        i := j + 1;
    END LOOP;
    IF inserted THEN
        PERFORM pg_notify('pledger_events', head::text);
    END IF;
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
        GRANT EXECUTE ON FUNCTION pledger_append(bigint, int[], text[], int[], uuid[], text[],
            jsonb[], jsonb[], timestamptz[], text[], text[]) TO pledger_app;
    END IF;
END
$$;
