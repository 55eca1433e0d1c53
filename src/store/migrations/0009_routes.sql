-- Routes as the store knows them: one row per [route NAME] of relais.conf,
-- written when `relais serve` starts, so that a route is a thing of the
-- database (GET /v1/routes, and what messages.route names) and not only a
-- line of a file. No secret here: the password stays in relais.conf. A route
-- taken out of the configuration is kept, inactive, because messages and
-- receipts still name it. first_seen: when a serve first found it;
-- updated_at: when its stored definition (or active) last changed.
CREATE TABLE routes (
    name           TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 32),
    kind           TEXT NOT NULL CHECK (kind IN ('smpp')),
    host           TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
    port           INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    system_id      TEXT NOT NULL CHECK (length(system_id) <= 15),
    prefixes       TEXT NOT NULL DEFAULT '' CHECK (length(prefixes) <= 1024),
    default_sender TEXT NOT NULL DEFAULT '' CHECK (length(default_sender) <= 15),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    first_seen     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Idempotency keys are kept api.idempotency_ttl (24 h by default), then the
-- writer deletes the oldest a few hundred at a time: this finds them.
CREATE INDEX idempotency_created ON idempotency(created_at);
