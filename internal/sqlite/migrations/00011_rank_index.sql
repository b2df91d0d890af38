-- +goose Up
-- The rank index: a ranked search of one token reads the terms sharing its
-- first two characters in display-name order, per weight, and stops at the
-- page, rather than scoring and sorting every match of a common prefix
-- (see sqlq's rankLevels).
CREATE INDEX contact_terms_rank ON contact_terms (tenant_id, substr(term, 1, 2), weight, live, display_name, contact_id) WHERE weight > 1;

