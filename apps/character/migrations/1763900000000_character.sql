-- Up Migration
CREATE TABLE characters (
  user_id text PRIMARY KEY,
  xp integer NOT NULL DEFAULT 0 CHECK (xp >= 0),
  scans integer NOT NULL DEFAULT 0 CHECK (scans >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per completed scan: the key that makes awarding idempotent.
CREATE TABLE xp_awards (
  scan_id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES characters (user_id) ON DELETE CASCADE,
  xp integer NOT NULL CHECK (xp > 0),
  category text,
  completed_at timestamptz NOT NULL,
  awarded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX xp_awards_user_idx ON xp_awards (user_id, awarded_at DESC);

CREATE TABLE badges (
  user_id text NOT NULL REFERENCES characters (user_id) ON DELETE CASCADE,
  badge text NOT NULL,
  awarded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, badge)
);

-- Down Migration
DROP TABLE badges;
DROP TABLE xp_awards;
DROP TABLE characters;
