-- The database as a boundary (docs/operations.md, "Roles"): the service's login may append to
-- the log and grow the ledger only through functions owned by the role that runs migrations,
-- never by writing those tables itself.
--
-- pledger_append() and the two ledger functions run as their owner (SECURITY DEFINER) with a
-- fixed search_path, so a caller cannot put its own objects in their way.
ALTER FUNCTION pledger_append(bigint, boolean, int[], text[], int[], uuid[], text[], jsonb[],
    jsonb[], timestamptz[], text[], text[]) SECURITY DEFINER SET search_path = public, pg_temp;

-- Complete subtrees of the Merkle tree, written once (schema/003_ledger.sql).
CREATE FUNCTION pledger_add_nodes(levels smallint[], indexes bigint[], hashes bytea[])
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO merkle_nodes (level, index, hash) SELECT * FROM unnest(levels, indexes, hashes);
$$;

-- A signed checkpoint; NULL when one for this size exists (it is never replaced).
CREATE FUNCTION pledger_add_checkpoint(size bigint, root bytea, signed_note text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO checkpoints (tree_size, root_hash, note) VALUES (size, root, signed_note)
    ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size;
$$;

REVOKE ALL ON FUNCTION pledger_add_nodes(smallint[], bigint[], bytea[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pledger_add_checkpoint(bigint, bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pledger_append(bigint, boolean, int[], text[], int[], uuid[], text[],
    jsonb[], jsonb[], timestamptz[], text[], text[]) FROM PUBLIC;

-- pledger_app (NOLOGIN) holds what the service may do; every later migration grants to it.
-- pledger_service is the login the service uses: a member of pledger_app that inherits those
-- grants and nothing else (no superuser, no CREATEROLE, no CREATEDB, not the owner). Its
-- password, if the server asks for one, is the operator's to set (ALTER ROLE ... PASSWORD).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events, merkle_nodes, checkpoints
            FROM pledger_app;
        GRANT EXECUTE ON FUNCTION pledger_add_nodes(smallint[], bigint[], bytea[]),
            pledger_add_checkpoint(bigint, bytea, text) TO pledger_app;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_service')
           AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            CREATE ROLE pledger_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_service') THEN
            GRANT pledger_app TO pledger_service;
        END IF;
    END IF;
    -- Whoever may connect may reach the database; what it may do there is granted above.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_service') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO pledger_service', current_database());
    END IF;
END
$$;
