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
-- same app_idx form one caller's append, decided in order, with one result row per append
-- (several for 'exists'):
--   'exists'   some of its event ids are stored already (or earlier in this batch): their
--              stored rows are returned, nothing is written, and the caller decides whether
--              it is an idempotent retry;
--   'conflict' the expected version does not hold (-1 any, -2 no_stream, -3 stream_exists,
--              n >= 0 exactly n): out_actual is the stream's version, nothing is written;
--   'ok'       its events take the next positions and versions: out_actual is the stream's
--              version before it, out_position its first position.
-- Looking up every event id costs as much as the rest of a small batch, and retries are rare,
-- so the caller first calls with check_known = false and lets the unique index on event_id
-- refuse a reused id; only then does it call again with check_known = true. Every lookup is a
-- single-row index probe, so no cached plan can turn it into a scan of the log.
-- The canonical bytes are the caller's rendering (parts a and c) with the three values only
-- the database knows put in between: position, recorded_at and version; the caller assembles
-- the same bytes from the same parts (service/domain/records.py).
CREATE FUNCTION pledger_append(
    lock_key bigint, check_known boolean, app_idx int[], stream_ids text[], expected int[], event_ids uuid[],
    types text[], datas jsonb[], metas jsonb[], occurred timestamptz[],
    part_a text[], part_c text[])
RETURNS TABLE (out_idx int, out_outcome text, out_actual int, out_position bigint,
               out_canonical bytea, out_recorded_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    head      bigint;
    now_at    timestamptz;
    now_text  text;
    n         int := coalesce(array_length(app_idx, 1), 0);
    i         int := 1;
    j         int;
    m         int;
    s         int;
    cur       int;
    known     uuid[];
    streams   text[];
    versions  int[];
    take      int[] := '{}';
    take_pos  bigint[] := '{}';
    take_ver  int[] := '{}';
    retried   int[] := '{}';
    q         int;
BEGIN
    -- Under REPEATABLE READ the snapshot predates the lock and max(position) would be stale.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'pledger_append needs READ COMMITTED, not %',
            current_setting('transaction_isolation') USING ERRCODE = 'invalid_transaction_state';
    END IF;
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT coalesce(max(e.position), 0) INTO head FROM events e;
    -- recorded_at never goes backwards along positions, even if the clock is stepped back.
    now_at := greatest(clock_timestamp(),
                       (SELECT e.recorded_at FROM events e WHERE e.position = head));
    now_text := to_char(now_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    known := '{}';
    IF check_known THEN
        -- A scalar subquery, not EXISTS or a join: the planner cannot flatten it into a scan.
        known := ARRAY(SELECT x.id FROM unnest(event_ids) AS x(id)
                       WHERE (SELECT true FROM events e WHERE e.event_id = x.id));
    END IF;
    streams := '{}';
    versions := '{}';
    WHILE i <= n LOOP
        j := i;
        WHILE j < n AND app_idx[j + 1] = app_idx[i] LOOP
            j := j + 1;
        END LOOP;
        s := array_position(streams, stream_ids[i]);
        IF s IS NULL THEN
            streams := streams || stream_ids[i];
            versions := versions || coalesce((SELECT e.version FROM events e
                                              WHERE e.stream_id = stream_ids[i]
                                              ORDER BY e.version DESC LIMIT 1), 0);
            s := array_length(streams, 1);
        END IF;
        cur := versions[s];
        IF known && event_ids[i:j] THEN
            retried := retried || i || j;
        ELSIF NOT (expected[i] = -1 OR (expected[i] = -2 AND cur = 0)
                   OR (expected[i] = -3 AND cur > 0) OR expected[i] = cur)
              AND EXISTS (SELECT 1 FROM unnest(event_ids[i:j]) AS x(id)
                          WHERE (SELECT true FROM events e WHERE e.event_id = x.id)) THEN
            -- A retry of an append that moved the stream on fails its version check; it
            -- is answered as a retry all the same.
            retried := retried || i || j;
        ELSIF expected[i] = -1 OR (expected[i] = -2 AND cur = 0)
              OR (expected[i] = -3 AND cur > 0) OR expected[i] = cur THEN
            FOR m IN i .. j LOOP
                take := take || m;
                take_pos := take_pos || (head + m - i + 1);
                take_ver := take_ver || (cur + m - i + 1);
            END LOOP;
            out_idx := app_idx[i]; out_outcome := 'ok'; out_actual := cur;
            out_position := head + 1; out_canonical := NULL; out_recorded_at := now_at;
            RETURN NEXT;
            head := head + (j - i + 1);
            versions[s] := cur + (j - i + 1);
            known := known || event_ids[i:j];
        ELSE
            out_idx := app_idx[i]; out_outcome := 'conflict'; out_actual := cur;
            out_position := 0; out_canonical := NULL; out_recorded_at := NULL;
            RETURN NEXT;
        END IF;
        i := j + 1;
    END LOOP;
    IF array_length(take, 1) > 0 THEN
        INSERT INTO events (position, stream_id, version, event_id, type, data, metadata,
                            occurred_at, recorded_at, canonical)
        SELECT u.p, stream_ids[u.t], u.v, event_ids[u.t], types[u.t], datas[u.t], metas[u.t],
               occurred[u.t], now_at,
               convert_to(part_a[u.t] || u.p::text || ',"recorded_at":"' || now_text
                          || part_c[u.t] || u.v::text || '}', 'UTF8')
          FROM unnest(take, take_pos, take_ver) AS u(t, p, v);
        PERFORM pg_notify('pledger_events', head::text);
    END IF;
    -- Retries are answered after the insert, so a retry within this batch sees its original.
    FOR m IN 1 .. coalesce(array_length(retried, 1), 0) / 2 LOOP
        FOR q IN retried[2 * m - 1] .. retried[2 * m] LOOP
            RETURN QUERY
                SELECT app_idx[q], 'exists'::text, 0, e.position, e.canonical, e.recorded_at
                  FROM events e WHERE e.event_id = event_ids[q];
        END LOOP;
    END LOOP;
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
        GRANT EXECUTE ON FUNCTION pledger_append(bigint, boolean, int[], text[], int[], uuid[], text[],
            jsonb[], jsonb[], timestamptz[], text[], text[]) TO pledger_app;
    END IF;
END
$$;
