-- Up Migration
CREATE TABLE game_results (
  id text PRIMARY KEY,
  room_code text NOT NULL,
  language text NOT NULL,
  rounds integer NOT NULL,
  player_count integer NOT NULL,
  finished_at timestamptz NOT NULL
);

CREATE TABLE game_scores (
  game_id text NOT NULL REFERENCES game_results (id) ON DELETE CASCADE,
  player_id text NOT NULL,
  nickname text NOT NULL,
  score integer NOT NULL,
  rank integer NOT NULL,
  PRIMARY KEY (game_id, player_id)
);

CREATE INDEX game_scores_score_idx ON game_scores (score DESC);

-- Down Migration
DROP TABLE game_scores;
DROP TABLE game_results;
