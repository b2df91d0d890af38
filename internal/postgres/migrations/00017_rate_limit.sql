-- +goose Up
-- A tenant's own ceiling on its tokens' request rate, in requests per
-- second (NULL: the server's --rate-limit).
ALTER TABLE tenants ADD COLUMN rate_limit INTEGER;

