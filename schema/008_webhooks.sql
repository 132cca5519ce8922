-- Webhooks on derived status changes (service/webhooks/, docs/api.md, docs/operations.md).
--
-- The projector writes a message and one delivery per matching subscription in the same
-- transaction as its rows (so a change is never lost nor announced for rows that rolled back);
-- the deliverer posts the deliveries and logs each attempt.

CREATE TABLE webhook_subscriptions (
    id              uuid        PRIMARY KEY,
    url             text        NOT NULL,
    secret          text        NOT NULL,  -- whsec_<base64>: the deliverer must sign with it
    owner           text,                  -- the party whose principal created it; NULL: admin
    party           text,                  -- filters; NULL matches every value
    agreement       text,
    commitment      text,
    changes         text[]      NOT NULL,  -- subset of {verdict, schedule}
    description     text,
    state           text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
    failing_since   timestamptz,           -- first failure since the last success
    disabled_at     timestamptz,
    disabled_reason text,
    created_at      timestamptz NOT NULL
);

CREATE INDEX webhook_subscriptions_active ON webhook_subscriptions (id)
    WHERE state = 'active';

-- The last status announced for each commitment (live generation): both the projector's batches
-- and the clock scan compare against it, so each change is announced exactly once.
CREATE TABLE webhook_status_seen (
    commitment_id   text        PRIMARY KEY,
    verdict         text,
    disputed        boolean     NOT NULL,
    schedule        text
);

-- The clock scan has announced every schedule switch with switch_at < scanned_until
-- (commitment_status_current.switch_at).
-- The projector's batch reads it FOR SHARE and the scan updates it, so the two serialise: a row
-- either commits before the scan passes its switch_at, or is announced as already switched.
CREATE TABLE webhook_clock (
    id              boolean     PRIMARY KEY DEFAULT true CHECK (id),
    scanned_until   timestamptz NOT NULL
);
INSERT INTO webhook_clock (scanned_until) VALUES (now());

CREATE TABLE webhook_messages (
    id              uuid        PRIMARY KEY,  -- webhook-id: the same on every retry
    type            text        NOT NULL,
    payload         text        NOT NULL,     -- the exact bytes that are signed and posted
    created_at      timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    message_id      uuid        NOT NULL REFERENCES webhook_messages (id),
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    UNIQUE (subscription_id, message_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';

-- The delivery log: one row per attempt, and one when an endpoint is disabled.
CREATE TABLE webhook_attempts (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    message_id      uuid,
    attempt         integer,
    at              timestamptz NOT NULL,
    outcome         text        NOT NULL,  -- delivered | retrying | failed | endpoint_disabled
    status_code     integer,
    error           text,
    duration_ms     integer,
    next_attempt_at timestamptz
);

CREATE INDEX webhook_attempts_subscription ON webhook_attempts (subscription_id, id);

-- The clock scan finds the rows whose schedule switches next.
CREATE INDEX commitment_status_switch ON commitment_status_current (generation, switch_at);

-- Commitments already projected count as announced: subscribers hear of changes from now on.
INSERT INTO webhook_status_seen (commitment_id, verdict, disputed, schedule)
SELECT c.commitment_id, c.verdict, c.disputed,
       CASE WHEN now() <= c.switch_at THEN c.schedule_until ELSE c.schedule_after END
FROM commitment_status_current c
JOIN projection_generations g ON g.name = 'commitments' AND c.generation = g.live;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pledger_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions, webhook_status_seen,
            webhook_clock, webhook_messages, webhook_deliveries, webhook_attempts TO pledger_app;
    END IF;
END
$$;
