-- +goose Up
-- The filtered and sorted fields of a contact become columns contactd
-- writes, instead of columns generated from the document, so that storing
-- a contact parses no JSON. Dropping a stored column's expression keeps its
-- values and rewrites nothing.
ALTER TABLE contacts
    ALTER COLUMN kind DROP EXPRESSION,
    ALTER COLUMN contact_type DROP EXPRESSION,
    ALTER COLUMN first_name DROP EXPRESSION,
    ALTER COLUMN last_name DROP EXPRESSION,
    ALTER COLUMN company DROP EXPRESSION,
    ALTER COLUMN department DROP EXPRESSION,
    ALTER COLUMN job_title DROP EXPRESSION,
    ALTER COLUMN status DROP EXPRESSION,
    ALTER COLUMN source DROP EXPRESSION,
    ALTER COLUMN owner_id DROP EXPRESSION,
    ALTER COLUMN account_id DROP EXPRESSION,
    ALTER COLUMN do_not_call DROP EXPRESSION,
    ALTER COLUMN email_opt_out DROP EXPRESSION,
    ALTER COLUMN sms_opt_out DROP EXPRESSION,
    ALTER COLUMN is_unknown DROP EXPRESSION,
    ALTER COLUMN blocked DROP EXPRESSION;
-- Sort keys must never be NULL (keyset pages compare them); one scan checks them all.
ALTER TABLE contacts
    ALTER COLUMN kind SET NOT NULL,
    ALTER COLUMN contact_type SET NOT NULL,
    ALTER COLUMN first_name SET NOT NULL,
    ALTER COLUMN last_name SET NOT NULL,
    ALTER COLUMN company SET NOT NULL,
    ALTER COLUMN department SET NOT NULL,
    ALTER COLUMN job_title SET NOT NULL,
    ALTER COLUMN status SET NOT NULL,
    ALTER COLUMN source SET NOT NULL,
    ALTER COLUMN owner_id SET NOT NULL,
    ALTER COLUMN account_id SET NOT NULL;
