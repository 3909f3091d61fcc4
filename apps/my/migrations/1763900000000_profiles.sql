-- Up Migration
-- One row per user who has opened their profile; user ids come from the auth service's tokens (`sub`).
CREATE TABLE profiles (
  user_id uuid PRIMARY KEY,
  nickname text NOT NULL,
  avatar_url text,
  locale text NOT NULL DEFAULT 'ko-KR',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
  user_id uuid PRIMARY KEY REFERENCES profiles (user_id) ON DELETE CASCADE,
  push_notifications boolean NOT NULL DEFAULT true,
  marketing_emails boolean NOT NULL DEFAULT false,
  theme text NOT NULL DEFAULT 'system' CHECK (theme IN ('system', 'light', 'dark')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE settings;
DROP TABLE profiles;
