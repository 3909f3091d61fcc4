-- Up Migration
-- earthdistance measures on a sphere (radius earth() metres) through cube; both ship with
-- PostgreSQL (Debian: in the postgresql-NN package) and are trusted extensions.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE collection_points (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The importer's key: re-importing the same source updates rows instead of duplicating them.
  source_id text NOT NULL UNIQUE CHECK (length(source_id) BETWEEN 1 AND 200),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  categories text[] NOT NULL CHECK (
    cardinality(categories) > 0 AND
    categories <@ ARRAY['recycling', 'clothing', 'battery', 'lamp', 'e-waste', 'large-item']
  ),
  address text NOT NULL DEFAULT '',
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  opening_hours text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- The point on earthdistance's sphere (a 3-D cube point), stored so searches never recompute it.
  earth cube NOT NULL GENERATED ALWAYS AS (ll_to_earth(lat, lng)) STORED
);

-- Nearby search: `earth_box(origin, r) @> earth` (index condition) and `earth <-> origin` (KNN
-- order: the chord distance, which grows with the great-circle distance) both use this index.
CREATE INDEX collection_points_earth_idx ON collection_points USING gist (earth);

-- Points within radius_m metres of (origin_lat, origin_lng), nearest first, ties by id, after the
-- cursor (after_chord, after_id). The inner query walks the GiST index in distance order and stops
-- after max_rows rows plus any tied with the last; the outer sort makes the order total. Bitmap
-- scans are turned off here because the planner cannot estimate a box's row count (cube has no
-- statistics) and would otherwise sort every point in the box when a category filter is present.
CREATE FUNCTION nearby_points(
  origin_lat float8, origin_lng float8, radius_m float8, category text,
  after_chord float8, after_id bigint, max_rows int
) RETURNS TABLE (
  id bigint, name text, categories text[], address text, lat float8, lng float8,
  opening_hours text, chord float8, distance float8
)
LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
  SELECT s.* FROM (
    SELECT p.id, p.name, p.categories, p.address, p.lat, p.lng, p.opening_hours,
           p.earth <-> ll_to_earth(origin_lat, origin_lng) AS chord,
           earth_distance(ll_to_earth(origin_lat, origin_lng), p.earth) AS distance
      FROM collection_points p
     WHERE earth_box(ll_to_earth(origin_lat, origin_lng), radius_m) @> p.earth
       AND earth_distance(ll_to_earth(origin_lat, origin_lng), p.earth) <= radius_m
       AND (category IS NULL OR p.categories @> ARRAY[category])
       AND (after_chord IS NULL
            OR (p.earth <-> ll_to_earth(origin_lat, origin_lng), p.id) > (after_chord, after_id))
     ORDER BY p.earth <-> ll_to_earth(origin_lat, origin_lng)
     FETCH FIRST max_rows ROWS WITH TIES
  ) s
  ORDER BY s.chord, s.id
  LIMIT max_rows
$$;

-- Down Migration
DROP FUNCTION nearby_points;
DROP TABLE collection_points;
