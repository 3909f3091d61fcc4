-- Up Migration
CREATE TABLE categories (
  id serial PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name_en text NOT NULL,
  name_ko text NOT NULL,
  summary_en text NOT NULL,
  summary_ko text NOT NULL,
  position integer NOT NULL DEFAULT 0
);

CREATE TABLE materials (
  id serial PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
  name_en text NOT NULL,
  name_ko text NOT NULL,
  -- Other words people use for the item, space separated, both languages.
  aliases text NOT NULL DEFAULT '',
  note_en text NOT NULL DEFAULT '',
  note_ko text NOT NULL DEFAULT ''
);
CREATE INDEX materials_category_idx ON materials (category_id);

CREATE TABLE disposal_steps (
  id serial PRIMARY KEY,
  category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
  position integer NOT NULL,
  text_en text NOT NULL,
  text_ko text NOT NULL,
  UNIQUE (category_id, position)
);

-- One search document per category and per material. English text goes through the English
-- stemmer; Korean through the 'simple' configuration (PostgreSQL ships no Korean stemmer), so
-- Korean matches whole words.
ALTER TABLE categories ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', name_en), 'A') ||
  setweight(to_tsvector('simple', name_ko), 'A') ||
  setweight(to_tsvector('english', summary_en), 'C') ||
  setweight(to_tsvector('simple', summary_ko), 'C')
) STORED;
CREATE INDEX categories_search_idx ON categories USING gin (search);

ALTER TABLE materials ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', name_en), 'A') ||
  setweight(to_tsvector('simple', name_ko), 'A') ||
  setweight(to_tsvector('simple', aliases), 'B') ||
  setweight(to_tsvector('english', aliases), 'B') ||
  setweight(to_tsvector('english', note_en), 'C') ||
  setweight(to_tsvector('simple', note_ko), 'C')
) STORED;
CREATE INDEX materials_search_idx ON materials USING gin (search);

-- Down Migration
DROP TABLE disposal_steps;
DROP TABLE materials;
DROP TABLE categories;
