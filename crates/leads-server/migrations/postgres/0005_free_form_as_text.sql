-- `attributes` and `properties` as the JSON text the server wrote: `jsonb` refuses
-- `\u0000` in strings and keeps numbers as `numeric`, so some values the API accepts could
-- not be stored, or read back as what was sent. No query filters on these columns.
ALTER TABLE leads ALTER COLUMN attributes DROP DEFAULT;
ALTER TABLE leads ALTER COLUMN attributes TYPE TEXT USING attributes::text;
ALTER TABLE leads ALTER COLUMN attributes SET DEFAULT '{}';
ALTER TABLE leads ALTER COLUMN properties TYPE TEXT USING properties::text;
