-- Read models kept by the projector (service/projections/, docs/projections.md). Unlike the
-- log they are mutable and disposable: `pledger rebuild` derives them again from position 0.
--
-- Generations: every row carries the generation it belongs to. A rebuild writes generation
-- N+1 beside the live N, then swaps by updating one row of projection_generations in one
-- transaction; readers always select `generation = live` in the same statement, so each read
-- sees one whole generation, old or new, and never blocks or fails during the swap.

CREATE TABLE projection_generations (
    name  text    PRIMARY KEY,
    live  integer NOT NULL CHECK (live > 0)
);

-- The position up to which a generation has folded the log; written in the same transaction
-- as that generation's rows, so rows and checkpoint always move together.
CREATE TABLE projection_checkpoints (
    name        text        NOT NULL,
    generation  integer     NOT NULL CHECK (generation > 0),
    position    bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, generation)
);

INSERT INTO projection_generations (name, live) VALUES ('commitments', 1);
INSERT INTO projection_checkpoints (name, generation, position) VALUES ('commitments', 1, 0);

-- One row per commitment ever made, folded as of the projector's clock with everything known.
-- The schedule depends on the reader's clock, so it is stored as a step: schedule_until while
-- now <= switch_at, schedule_after once now > switch_at ('infinity' when it never changes).
-- refold_at: the earliest occurred_at after the fold of one of its events (a future-dated
-- event); the projector folds the row again then.
CREATE TABLE commitment_status_current (
    generation      integer     NOT NULL,
    commitment_id   text        NOT NULL,
    promisor        text        NOT NULL,
    promisees       text[]      NOT NULL,
    agreement       text,
    made_at         timestamptz NOT NULL,
    verdict         text,       -- NULL: it does not exist now (made_at ahead, or corrected away)
    disputed        boolean     NOT NULL,
    due_by          timestamptz,
    met_at          timestamptz,  -- effective_at of the assessment behind a met verdict
    closed          boolean     NOT NULL,
    schedule_until  text,
    schedule_after  text,
    switch_at       timestamptz NOT NULL,
    folded_at       timestamptz NOT NULL,
    refold_at       timestamptz,
    event_count     integer     NOT NULL,
    last_position   bigint      NOT NULL,
    PRIMARY KEY (generation, commitment_id)
);

CREATE INDEX commitment_status_promisor
    ON commitment_status_current (generation, promisor, commitment_id);
CREATE INDEX commitment_status_agreement
    ON commitment_status_current (generation, agreement, commitment_id);
CREATE INDEX commitment_status_promisees
    ON commitment_status_current USING gin (promisees);
CREATE INDEX commitment_status_refold
    ON commitment_status_current (generation, refold_at) WHERE refold_at IS NOT NULL;

-- Counts of the existing commitments a party made, grouped by verdict and schedule step.
CREATE TABLE party_tallies (
    generation      integer     NOT NULL,
    party_id        text        NOT NULL,
    verdict         text        NOT NULL,
    schedule_until  text        NOT NULL,
    schedule_after  text        NOT NULL,
    switch_at       timestamptz NOT NULL,
    n               integer     NOT NULL,  -- no CHECK: ON CONFLICT checks the delta row first
    PRIMARY KEY (generation, party_id, verdict, schedule_until, schedule_after, switch_at)
);

-- The same per agreement and promisor.
CREATE TABLE agreement_tallies (
    generation      integer     NOT NULL,
    agreement_id    text        NOT NULL,
    promisor        text        NOT NULL,
    verdict         text        NOT NULL,
    schedule_until  text        NOT NULL,
    schedule_after  text        NOT NULL,
    switch_at       timestamptz NOT NULL,
    n               integer     NOT NULL,  -- no CHECK: ON CONFLICT checks the delta row first
    PRIMARY KEY (generation, agreement_id, promisor, verdict, schedule_until, schedule_after,
                 switch_at)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON projection_generations, projection_checkpoints,
            commitment_status_current, party_tallies, agreement_tallies TO pledger_app;
    END IF;
END
$$;
