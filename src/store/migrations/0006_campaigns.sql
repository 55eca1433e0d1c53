-- Campaigns (issue 5): one text to an audience of lists and typed numbers,
-- expanded at launch into one message per recipient.
--
-- A campaign is a definition (what, to whom, when, how fast) until its launch
-- writes its messages; from then on each message lives its own life in
-- messages (campaign_id below), and the campaign keeps what the launch found
-- (figures) and what it has to say about pacing (pace_us).
--
-- Every CHECK of a list of values is a chain of equalities, not an IN list:
-- SQLite builds a temporary b-tree for an IN list of more than two constants
-- at every row write (0005_hot_path.sql).
--
-- Units as in 0002: times are INTEGER milliseconds since the Unix epoch (UTC),
-- amounts INTEGER micro-euros. pace_us is in microseconds, so that a rate of
-- 3 messages a second spaces them by 333,333 us and not by 333 ms, which would
-- drift by a second every thousand messages.

CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Surveys and review requests come next; each will widen this CHECK.
    kind           TEXT NOT NULL DEFAULT 'broadcast' CHECK (kind = 'broadcast'),
    -- 'transactional', 'marketing', or a marketing category that is also a
    -- consent scope ('offers'): src/domain/consent.h.
    category       TEXT NOT NULL CHECK (length(category) BETWEEN 1 AND 32
                       AND category NOT GLOB '*[^a-z0-9_-]*'),
    require_optin  INTEGER NOT NULL DEFAULT 0 CHECK (require_optin = 0 OR require_optin = 1),
    sender         TEXT CHECK (length(sender) BETWEEN 1 AND 15),
    text           TEXT,
    template       TEXT,
    -- {"lists":[ids],"numbers":["+33…" or as typed],"exclude_lists":[ids]}
    audience       TEXT NOT NULL CHECK (json_valid(audience)),
    send_at        INTEGER,
    send_window    TEXT CHECK (length(send_window) <= 512),
    timezone       TEXT CHECK (length(timezone) <= 64),
    rate           REAL CHECK (rate IS NULL OR rate > 0),
    smart_encoding INTEGER NOT NULL DEFAULT 0 CHECK (smart_encoding = 0 OR smart_encoding = 1),
    state          TEXT NOT NULL DEFAULT 'draft'
                       CHECK (state = 'draft' OR state = 'launching' OR state = 'scheduled'
                           OR state = 'sending' OR state = 'paused' OR state = 'done'
                           OR state = 'cancelled'),
    -- What the launch found, as the summary shows it (JSON object), and the
    -- first message's slot (a launched campaign is 'scheduled' until then).
    figures        TEXT CHECK (figures IS NULL OR json_valid(figures)),
    messages       INTEGER NOT NULL DEFAULT 0,
    first_send_at  INTEGER,
    last_send_at   INTEGER,
    -- The next free slot of the campaign's pace (us): where a message the
    -- dispatcher defers, or a resumed one, goes at the campaign's rate.
    pace_us        INTEGER NOT NULL DEFAULT 0,
    -- A launch in progress writes heartbeat_at with every batch; one whose
    -- heartbeat is old was interrupted (a crash) and may be taken over.
    heartbeat_at   INTEGER,
    launch_error   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    launched_at    INTEGER,
    finished_at    INTEGER,
    CHECK ((text IS NULL) != (template IS NULL))
) STRICT;
-- GET /v1/campaigns: one account's campaigns in id order (keyset pagination).
CREATE INDEX campaigns_account ON campaigns(account_id, id);

ALTER TABLE messages ADD COLUMN campaign_id INTEGER REFERENCES campaigns(id);
-- Reports (counts by state), pause, resume and cancel (the waiting messages
-- of one campaign). Partial: messages sent one by one never enter it, so the
-- API's hot path does not pay for it.
CREATE INDEX messages_campaign ON messages(campaign_id, state) WHERE campaign_id IS NOT NULL;
