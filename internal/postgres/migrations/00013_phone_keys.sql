-- +goose Up
-- Nothing to do: SQLite's 00013 gives its phone rows a stable key for its
-- trigram index; this store's index is on the number itself (00012). Both
-- stores keep their migrations numbered alike.
SELECT 1;
