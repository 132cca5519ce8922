-- Compliance rules v2 (docs/compliance-rules.md): every verdict has a basis (R7), tallies count
-- by basis (R9), and a commitment's row depends on its parties' streams (R5).
--
-- The rules changed, so every row folded under v1 is stale: the read tables of every generation
-- are emptied and their checkpoints set back to 0, and the projector folds the log again from
-- the start, as on a fresh install: lists and tallies from the read tables are incomplete until
-- it has caught up (`GET /v1/events` and `min_position` show how far it is).

DELETE FROM commitment_status_current;
DELETE FROM party_tallies;
DELETE FROM agreement_tallies;
UPDATE projection_checkpoints SET position = 0, updated_at = now();

ALTER TABLE commitment_status_current ADD COLUMN basis text NOT NULL DEFAULT 'none';
CREATE INDEX commitment_status_basis
    ON commitment_status_current (generation, basis, commitment_id);

ALTER TABLE party_tallies ADD COLUMN basis text NOT NULL DEFAULT 'none';
ALTER TABLE party_tallies DROP CONSTRAINT party_tallies_pkey;
ALTER TABLE party_tallies
    ADD PRIMARY KEY (generation, party_id, verdict, basis, schedule_until, schedule_after,
                     switch_at);

ALTER TABLE agreement_tallies ADD COLUMN basis text NOT NULL DEFAULT 'none';
ALTER TABLE agreement_tallies DROP CONSTRAINT agreement_tallies_pkey;
ALTER TABLE agreement_tallies
    ADD PRIMARY KEY (generation, agreement_id, promisor, verdict, basis, schedule_until,
                     schedule_after, switch_at);
