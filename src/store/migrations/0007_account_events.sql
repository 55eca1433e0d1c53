-- What happened to an account, for its owner: low_balance when a debit takes
-- the balance below the account's threshold (once per crossing, not once per
-- message sent while low). Webhooks will read the same rows.
CREATE TABLE account_events (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind = 'low_balance'),
    balance    INTEGER NOT NULL,
    threshold  INTEGER NOT NULL
) STRICT;
CREATE INDEX account_events_account ON account_events(account_id, id);
