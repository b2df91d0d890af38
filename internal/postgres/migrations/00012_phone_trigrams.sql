-- +goose Up
-- Phone digits leave the term index, as they did on SQLite in 00004. It held
-- every trailing run of three or more digits of every number: about fifteen
-- rows a contact, most of the term table and of its primary key, each a
-- random insert. A trigram index over the digits of each stored number
-- (pg_trgm, which ships with PostgreSQL and is a trusted extension since
-- PostgreSQL 13) answers the same "any three consecutive digits" queries,
-- through LIKE '%digits%', and costs a fraction of that to write and keep.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The operator class is named with the schema the extension lives in, which
-- need not be on the search path.
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema TEXT;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX contact_phones_digits ON contact_phones USING gin ((substr(e164, 2)) %I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd

-- The suffix terms go. An email's word that happens to be the same digits
-- goes too (the terms were kept once per contact): a search for them still
-- finds the contact, through its number, with the same score.
DELETE FROM contact_terms t
    WHERE weight = 1 AND term ~ '^[0-9]{3,}$'
      AND EXISTS (SELECT 1 FROM contact_phones p
                  WHERE p.tenant_id = t.tenant_id AND p.contact_id = t.contact_id
                    AND substr(p.e164, 2) LIKE '%' || t.term);

-- +goose Down
DROP INDEX contact_phones_digits;
