-- Up Migration
-- The outbox of account events. A deletion inserts its row in the transaction that deletes the
-- user, so the event exists exactly when the deletion committed; the relay publishes pending rows
-- to RabbitMQ (x.account) and deletes each row only after the broker confirmed it. Rows hold the
-- user's id only, and only until they are published.
CREATE TABLE account_events (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type IN ('account.deleted')),
  user_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE account_events;
