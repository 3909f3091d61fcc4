-- Up Migration
-- Users whose account was deleted (the id only, for 30 days): a completed scan announced after
-- the deletion, one that was still in the pipeline when the account went, must not bring the
-- character back.
CREATE TABLE deleted_users (
  user_id text PRIMARY KEY,
  deleted_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE deleted_users;
