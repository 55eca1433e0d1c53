-- A message's history moves into its own row.
--
-- Until now every state change was a row of message_events, with an index on
-- (message_id, id): four inserts into two b-trees for each message sent
-- (queued, submitting, submitted, delivered), measured as 27 % of the store
-- writer's time on bench/pipeline (docs/benchmarks.md). Every one of those
-- changes already rewrites the message's row (its state), so the line that
-- records it is now appended to that row in the same UPDATE: nothing more to
-- insert, nothing more to index. The history is read only with its message
-- (GET /v1/messages/{id}); what reports need of it, the reason of the last
-- change, is a column of its own.
--
-- history: one line per change, oldest first,
--   "<at ms>\t<state>\t<reason>\t<detail>\n"
-- with backslash, tab and newline in reason and detail written \\ \t \n
-- (store_history_line in store_sqlite.c writes them, store_history_parse
-- reads them; a NULL detail is an empty field).
ALTER TABLE messages ADD COLUMN history TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN reason TEXT;

-- The events recorded so far, in their order (the subquery's ORDER BY is
-- the order group_concat sees its rows in; test_store checks it).
UPDATE messages SET
    history = coalesce((
        SELECT group_concat(e.at || char(9) || e.state || char(9)
            || replace(replace(replace(e.reason, '\', '\\'), char(9), '\t'), char(10), '\n')
            || char(9)
            || coalesce(replace(replace(replace(e.detail, '\', '\\'), char(9), '\t'), char(10), '\n'), '')
            || char(10), '')
        FROM (SELECT * FROM message_events WHERE message_id = messages.id ORDER BY id) AS e), ''),
    reason = (SELECT reason FROM message_events WHERE message_id = messages.id
              ORDER BY id DESC LIMIT 1);

DROP TABLE message_events;
