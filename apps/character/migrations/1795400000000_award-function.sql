-- Up Migration
-- Awarding a scan in one statement (one round trip instead of nine), with the user's categories
-- kept per user so that "first of its category" and the category count do not read every award.

ALTER TABLE characters ADD COLUMN categories integer NOT NULL DEFAULT 0 CHECK (categories >= 0);

CREATE TABLE character_categories (
  user_id text NOT NULL REFERENCES characters (user_id) ON DELETE CASCADE,
  category text NOT NULL,
  PRIMARY KEY (user_id, category)
);

INSERT INTO character_categories (user_id, category)
  SELECT DISTINCT user_id, category FROM xp_awards WHERE category IS NOT NULL;
UPDATE characters c SET categories = k.n
  FROM (SELECT user_id, count(*)::int AS n FROM character_categories GROUP BY user_id) k
 WHERE k.user_id = c.user_id;

-- Awards one completed scan, exactly once. Returns 'awarded', 'seen' (this scan was awarded
-- before) or 'deleted' (the user's account was deleted: nothing is written). The XP amounts and
-- the badge thresholds come from the caller (the rules live in the service's code).
-- Each statement runs with a fresh snapshot (READ COMMITTED, VOLATILE), so the checks after the
-- row lock see whatever a concurrent award or deletion committed while this one waited.
CREATE FUNCTION award_scan(
  p_user text,
  p_scan uuid,
  p_category text,
  p_completed_at timestamptz,
  p_xp integer,
  p_xp_first integer,
  p_badges text[],
  p_badge_scans integer[],
  p_badge_categories integer[]
) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_first boolean := false;
  v_scans integer;
  v_categories integer;
BEGIN
  IF EXISTS (SELECT 1 FROM deleted_users WHERE user_id = p_user) THEN
    RETURN 'deleted';
  END IF;
  INSERT INTO characters (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
  -- Serialises the user's awards (and a deletion, which takes the same lock).
  PERFORM 1 FROM characters WHERE user_id = p_user FOR UPDATE;
  IF EXISTS (SELECT 1 FROM deleted_users WHERE user_id = p_user) THEN
    -- Deleted while this waited: the row above may be one this call created.
    DELETE FROM characters WHERE user_id = p_user;
    RETURN 'deleted';
  END IF;
  IF EXISTS (SELECT 1 FROM xp_awards WHERE scan_id = p_scan) THEN
    RETURN 'seen';
  END IF;
  IF p_category IS NOT NULL THEN
    INSERT INTO character_categories (user_id, category) VALUES (p_user, p_category)
      ON CONFLICT DO NOTHING;
    v_first := FOUND;
  END IF;
  INSERT INTO xp_awards (scan_id, user_id, xp, category, completed_at)
    VALUES (p_scan, p_user, CASE WHEN v_first THEN p_xp_first ELSE p_xp END, p_category, p_completed_at);
  UPDATE characters
     SET xp = xp + CASE WHEN v_first THEN p_xp_first ELSE p_xp END,
         scans = scans + 1,
         categories = categories + v_first::int,
         updated_at = now()
   WHERE user_id = p_user
  RETURNING scans, categories INTO v_scans, v_categories;
  INSERT INTO badges (user_id, badge)
    SELECT p_user, b.id
      FROM unnest(p_badges, p_badge_scans, p_badge_categories) AS b (id, min_scans, min_categories)
     WHERE v_scans >= b.min_scans AND v_categories >= b.min_categories
    ON CONFLICT DO NOTHING;
  RETURN 'awarded';
END
$$;

-- Down Migration
DROP FUNCTION award_scan(text, uuid, text, timestamptz, integer, integer, text[], integer[], integer[]);
DROP TABLE character_categories;
ALTER TABLE characters DROP COLUMN categories;
