-- Up Migration
-- Accounts deleted recently. An upload URL issued before the deletion still works until it
-- expires, so the cleanup-uploads job sweeps these users' S3 prefixes again until every such URL
-- has expired (ABANDONED_UPLOAD_SEC, which exceeds UPLOAD_URL_TTL_SEC), then forgets them.
CREATE TABLE deleted_users (
  user_id text PRIMARY KEY,
  deleted_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE deleted_users;
