-- The verifiable ledger (docs/ledger.md): the RFC 6962 Merkle tree over the event log, kept as
-- write-once complete subtrees, and the signed checkpoints. Guarded like the events table:
-- nothing here is ever updated or deleted, only inserted.

-- Node (level, index) is the hash of the complete subtree over leaves
-- [index * 2^level, (index + 1) * 2^level); level 0 holds the leaf hashes, leaf i being the event
-- at position i + 1. The tree's size is the number of level-0 rows (no mutable head row).
CREATE TABLE merkle_nodes (
    level  smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    index  bigint   NOT NULL CHECK (index >= 0),
    hash   bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, index)
);

-- One signed tree head per size, in the C2SP signed-note text form, never re-signed.
CREATE TABLE checkpoints (
    tree_size  bigint      PRIMARY KEY CHECK (tree_size > 0),
    root_hash  bytea       NOT NULL CHECK (length(root_hash) = 32),
    note       text        NOT NULL,
    signed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER merkle_nodes_refuse_update_delete
    BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION pledger_refuse_change();
CREATE TRIGGER merkle_nodes_refuse_truncate
    BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION pledger_refuse_change();
CREATE TRIGGER checkpoints_refuse_update_delete
    BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION pledger_refuse_change();
CREATE TRIGGER checkpoints_refuse_truncate
    BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION pledger_refuse_change();
-- ALWAYS: the triggers fire even with session_replication_role = replica.
ALTER TABLE merkle_nodes ENABLE ALWAYS TRIGGER merkle_nodes_refuse_update_delete;
ALTER TABLE merkle_nodes ENABLE ALWAYS TRIGGER merkle_nodes_refuse_truncate;
ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_refuse_update_delete;
ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_refuse_truncate;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        GRANT SELECT, INSERT ON merkle_nodes, checkpoints TO pledger_app;
    END IF;
END
$$;
