-- Consent (issue 5): opt-outs and opt-ins per account, number and scope, and
-- the history of every change.
--
-- Consent is kept by (account, number), not by contact: a contact deleted and
-- imported again, or a number typed into a campaign that no list holds, is
-- still opted out.
--
-- A scope is 'marketing' (every marketing message of the account) or a
-- category name ('offers', 'orders'…). What each one blocks, and what STOP and
-- START change, is written in src/domain/consent.h.
--
-- Units as in 0002: times are INTEGER milliseconds since the Unix epoch (UTC).

-- The state now: one row per (account, number, scope) that was ever set.
-- WITHOUT ROWID: the dispatcher's check at send time (is this number opted
-- out of marketing?) is one lookup in this primary key, and nothing else.
CREATE TABLE consent_state (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    phone      TEXT NOT NULL CHECK (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 3 AND 16),
    scope      TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 32
                   AND scope NOT GLOB '*[^a-z0-9_-]*' AND scope != 'transactional'),
    status     TEXT NOT NULL CHECK (status IN ('opted_in', 'opted_out')),
    source     TEXT NOT NULL CHECK (source IN ('keyword', 'api', 'link', 'import')),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, phone, scope)
) STRICT, WITHOUT ROWID;
-- GET /v1/optouts?scope=: one account's opt-outs of one scope, by number.
CREATE INDEX consent_state_optouts ON consent_state(account_id, scope, phone)
    WHERE status = 'opted_out';

-- Every change, append-only: who (detail: the inbound message, the API key),
-- what (scope, action), how (source) and when. The triggers make "kept" a
-- property of the schema rather than of the code.
CREATE TABLE consent_events (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    phone      TEXT NOT NULL,
    scope      TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('opt_out', 'opt_in')),
    source     TEXT NOT NULL CHECK (source IN ('keyword', 'api', 'link', 'import')),
    detail     TEXT CHECK (length(detail) <= 256),
    at         INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_events_phone ON consent_events(account_id, phone, id);
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only');
END;
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only');
END;

-- Whether a STOP gets the configured confirmation reply ([consent] stop_reply).
ALTER TABLE accounts ADD COLUMN stop_reply INTEGER NOT NULL DEFAULT 1 CHECK (stop_reply IN (0, 1));

-- Which account an inbound STOP is for: the one whose message reached that
-- number last (src/store/store_consent.c). Inboxes and conversations will ask
-- the same question.
CREATE INDEX messages_to ON messages(to_e164);
