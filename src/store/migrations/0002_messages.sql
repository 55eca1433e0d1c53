-- Accounts, API keys, messages with their parts and history, receipts,
-- inbound messages and idempotency keys.
--
-- Units: every time is INTEGER milliseconds since the Unix epoch (UTC); every
-- amount is INTEGER micro-euros (1 EUR = 1,000,000), so sums are exact.
-- Message states are TEXT from one fixed list (DESIGN.md §3), checked here so
-- that no code path can store a state the dispatcher does not know.

CREATE TABLE accounts (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    balance               INTEGER NOT NULL DEFAULT 0,
    low_balance_threshold INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL
) STRICT;

-- The key itself is never stored: only its BLAKE2b-256 hash (see store_keys.c)
-- and its first 8 characters, so that a list of keys can say which is which.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    prefix     TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_account ON api_keys(account_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    to_e164         TEXT NOT NULL,
    from_addr       TEXT NOT NULL,
    text            TEXT NOT NULL,
    encoding        TEXT NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    segments        INTEGER NOT NULL CHECK (segments >= 0),
    category        TEXT NOT NULL CHECK (category IN ('transactional', 'marketing')),
    state           TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'queued', 'submitting',
                        'submitted', 'delivered', 'partially_delivered', 'failed', 'expired',
                        'rejected', 'cancelled', 'retrying', 'unknown')),
    route           TEXT,
    cost            INTEGER NOT NULL DEFAULT 0,
    scheduled_for   INTEGER NOT NULL,
    validity_until  INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    metadata        TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
-- The dispatcher's claim: due messages of one state, oldest first.
CREATE INDEX messages_due ON messages(state, scheduled_for);
-- GET /v1/messages: one account's messages, newest first, by (created_at, id) cursor.
CREATE INDEX messages_account ON messages(account_id, created_at, id);

-- One row per SMS part as the operator knows it: its id comes back in receipts.
CREATE TABLE message_parts (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    part        INTEGER NOT NULL CHECK (part >= 1),
    operator_id TEXT,
    route       TEXT,
    state       TEXT NOT NULL CHECK (state IN ('submitted', 'delivered', 'failed', 'expired',
                    'rejected', 'unknown')),
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (message_id, part)
) STRICT, WITHOUT ROWID;
-- Receipt matching: operator ids are unique per route only (and may be recycled).
CREATE INDEX message_parts_operator ON message_parts(route, operator_id);

-- Every state change of a message, with its time and reason.
CREATE TABLE message_events (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    at         INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'queued', 'submitting',
                   'submitted', 'delivered', 'partially_delivered', 'failed', 'expired',
                   'rejected', 'cancelled', 'retrying', 'unknown')),
    reason     TEXT NOT NULL,
    detail     TEXT
) STRICT;
CREATE INDEX message_events_message ON message_events(message_id, id);

-- Every receipt as it came, matched or not: one may arrive before the
-- submit_sm_resp that tells us its operator id (message_id NULL until then).
CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY,
    route       TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('delivered', 'failed', 'expired', 'rejected',
                    'unknown')),
    err         TEXT,
    raw         TEXT,
    message_id  INTEGER REFERENCES messages(id),
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX receipts_operator ON receipts(route, operator_id);

CREATE TABLE inbound (
    id        INTEGER PRIMARY KEY,
    route     TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    to_addr   TEXT NOT NULL,
    text      TEXT NOT NULL,
    parts     INTEGER NOT NULL DEFAULT 1 CHECK (parts >= 1),
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX inbound_at ON inbound(at);

-- An Idempotency-Key names one request per account: a replay with the same
-- request hash gets the first answer, another body under the same key a 409.
CREATE TABLE idempotency (
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    message_id   INTEGER REFERENCES messages(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) STRICT, WITHOUT ROWID;
