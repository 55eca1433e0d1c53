-- Contacts and lists (issue 5).
--
-- A contact is one phone number of one account (E.164, unique per account),
-- with what an import or the API knows of its owner. Deletion is hard: opt-outs
-- are kept apart, by account and number (0004_consent), so a contact deleted
-- and imported again is still opted out.
--
-- phone_type is libphonenumber's type name (phone_type_name()): a campaign's
-- audience takes 'mobile' and 'fixed_line_or_mobile' and leaves the others out
-- (reported as non_mobile), while e-mail may still reach them.
--
-- Units as in 0002: times are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    phone      TEXT NOT NULL CHECK (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 3 AND 16),
    phone_type TEXT NOT NULL CHECK (phone_type IN ('fixed_line', 'mobile',
                   'fixed_line_or_mobile', 'toll_free', 'premium_rate', 'shared_cost', 'voip',
                   'personal_number', 'pager', 'uan', 'voicemail', 'unknown')),
    email      TEXT CHECK (length(email) <= 254),
    first_name TEXT CHECK (length(first_name) <= 256),
    last_name  TEXT CHECK (length(last_name) <= 256),
    language   TEXT CHECK (length(language) <= 35),
    -- Custom fields: one JSON object of scalars, merged by imports and PATCH
    -- (json_patch, RFC 7396). Named so that the store can tell which check failed.
    fields     TEXT NOT NULL DEFAULT '{}'
               CONSTRAINT fields_size CHECK (length(fields) <= 16384 AND json_valid(fields)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (account_id, phone)
) STRICT;
-- GET /v1/contacts: one account's contacts in id order (keyset pagination).
CREATE INDEX contacts_account ON contacts(account_id, id);

CREATE TABLE lists (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
) STRICT;

-- Membership, many to many. The primary key is the order a campaign reads a
-- list in: (list_id, contact_id), so "the members of list X after contact N"
-- is one range of this table, whatever the list's size.
CREATE TABLE list_members (
    list_id    INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (list_id, contact_id)
) STRICT, WITHOUT ROWID;
-- A contact's lists, and the cascade when a contact is deleted.
CREATE INDEX list_members_contact ON list_members(contact_id);
