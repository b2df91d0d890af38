-- +goose Up
-- Nothing to do: this store has indexed phone digits in a trigram index
-- since 00004. PostgreSQL's 00012 moves its phone digits there too, and
-- both stores keep their migrations numbered alike.
SELECT 1;
