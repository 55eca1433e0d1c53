-- The receive journal's high-water mark (src/store/store_journal.c).
--
-- Receipts and inbound messages are acknowledged to the SMSC once they are in
-- the journal, an append-only file beside the database, and applied here by
-- the writer afterwards. Every commit that applies journal records sets
-- `applied` to the last one's number in the same transaction, so that after
-- a crash exactly the records beyond it are applied again: none twice, none
-- lost.
CREATE TABLE journal_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    applied INTEGER NOT NULL CHECK (applied >= 0)
) STRICT;
INSERT INTO journal_state (id, applied) VALUES (1, 0);
