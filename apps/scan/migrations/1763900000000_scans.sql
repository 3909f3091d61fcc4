-- Up Migration
CREATE TABLE scans (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  status text NOT NULL DEFAULT 'awaiting_upload'
    CHECK (status IN ('awaiting_upload', 'queued', 'checking', 'classifying', 'done', 'failed')),
  -- Category slug the user picked at upload (used by the label provider), if any.
  label text,
  content_type text NOT NULL,
  declared_size integer NOT NULL CHECK (declared_size > 0),
  upload_key text NOT NULL,
  image_key text,
  thumb_key text,
  detected_type text,
  width integer,
  height integer,
  result jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scans_user_history_idx ON scans (user_id, created_at DESC, id DESC);

-- Every status change, in order: the audit trail and the source of the status streams.
CREATE TABLE scan_events (
  id bigserial PRIMARY KEY,
  scan_id uuid NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  status text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scan_events_scan_idx ON scan_events (scan_id, id);

CREATE FUNCTION scans_status_changed() RETURNS trigger AS $$
DECLARE
  event_id bigint;
BEGIN
  IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN
    NEW.updated_at := now();
    INSERT INTO scan_events (scan_id, status) VALUES (NEW.id, NEW.status) RETURNING id INTO event_id;
    -- Delivered on commit to every scan API replica listening.
    PERFORM pg_notify('scan_status', json_build_object(
      'id', NEW.id, 'userId', NEW.user_id, 'status', NEW.status, 'eventId', event_id)::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER scans_status_insert AFTER INSERT ON scans
  FOR EACH ROW EXECUTE FUNCTION scans_status_changed();
CREATE TRIGGER scans_status_update BEFORE UPDATE ON scans
  FOR EACH ROW EXECUTE FUNCTION scans_status_changed();

-- Down Migration
DROP TABLE scan_events;
DROP TABLE scans;
DROP FUNCTION scans_status_changed();
