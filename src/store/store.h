#ifndef RL_STORE_H
#define RL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The store: the only code in relais that speaks SQL. SQLite by default;
 * callers see this interface only (no SQLite type crosses it), so that a
 * PostgreSQL backend can come without touching them.
 *
 * Units: times are int64 milliseconds since the Unix epoch (UTC); amounts are
 * int64 micro-euros. Strings are UTF-8, NUL-terminated.
 *
 * Writes go through one writer thread that commits in batches (group commit):
 * a synchronous write returns only after the commit that holds it, so it is
 * durable under store.synchronous (FULL: survives power loss; NORMAL: survives
 * a process crash). Reads use their own connections and never wait for it.
 * Every function is safe to call from any thread. */

struct store;

struct store_opts {
    const char *path; /* the database file; created if missing */
    bool sync_full;   /* synchronous=FULL (fsync every commit) or NORMAL */
};

/* Opens (creating if needed) and migrates the store, then starts its writer.
 * Returns 0 and *out (free with store_close), or an error naming the file and
 * what failed (RL_EIO; a schema newer than this binary is refused). */
int store_open(const struct store_opts *o, struct store **out, struct rl_err *err);
/* Drains the writer's queue (every write accepted is committed), stops it and
 * closes s; NULL is a no-op. No call on s may be running or follow. */
void store_close(struct store *s);

/* The schema version in force (the last migration applied). */
unsigned store_schema_version(const struct store *s);
/* The schema version this binary knows. */
unsigned store_schema_latest(void);
/* "sqlite". */
const char *store_backend(const struct store *s);
/* The path given to store_open (borrowed from s). */
const char *store_path(const struct store *s);
/* Caps the operations per commit (0: the default, 1,000). 1 turns group
 * commit off — one transaction per operation — for the benchmark's baseline. */
void store_set_batch_ops(struct store *s, unsigned n);
/* Sets the low-balance threshold (micro-euros) of accounts whose own is 0; 0
 * (the default): none. A debit that takes a balance from at or above the
 * threshold to below it writes a low_balance account event in the same
 * transaction and logs a warning: once per crossing, not per message sent
 * while low. Call right after store_open, before any write. */
void store_set_low_balance(struct store *s, int64_t micro);
/* Writer counters since open: commits, operations committed or failed, and the
 * largest batch (operations in one transaction). For logs and the benchmark. */
struct store_stats {
    uint64_t commits;
    uint64_t ops;
    uint64_t max_batch;
    /* The writer thread's time, in ns: running operations, in COMMIT (the
     * fsync under FULL), and waiting for work. */
    uint64_t ops_ns, commit_ns, idle_ns;
};
void store_stats_get(struct store *s, struct store_stats *out);

struct store_account_event {
    int64_t id, at;
    char kind[16]; /* "low_balance" */
    int64_t balance, threshold;
};
/* Fills out[0..*n) (n ≤ max) with account_id's latest events, newest first. */
int store_account_events(struct store *s, int64_t account_id, struct store_account_event *out,
                         size_t max, size_t *n, struct rl_err *err);

/* --- message states -------------------------------------------------------- */

#define MSG_STATE_MAP(XX)                                                                          \
    XX(DRAFT, "draft")                                                                             \
    XX(SCHEDULED, "scheduled")                                                                     \
    XX(QUEUED, "queued")                                                                           \
    XX(SUBMITTING, "submitting")                                                                   \
    XX(SUBMITTED, "submitted")                                                                     \
    XX(DELIVERED, "delivered")                                                                     \
    XX(PARTIALLY_DELIVERED, "partially_delivered")                                                 \
    XX(FAILED, "failed")                                                                           \
    XX(EXPIRED, "expired")                                                                         \
    XX(REJECTED, "rejected")                                                                       \
    XX(CANCELLED, "cancelled")                                                                     \
    XX(RETRYING, "retrying")                                                                       \
    XX(UNKNOWN, "unknown")

enum msg_state {
#define XX(c, name) MSG_STATE_##c,
    MSG_STATE_MAP(XX)
#undef XX
        MSG_STATE_COUNT
};

/* "delivered"…; "?" for a value out of range. */
const char *msg_state_name(enum msg_state st);
/* Parses a state name; returns 0 or RL_EINVAL (field "state", naming the value). */
int msg_state_parse(const char *name, enum msg_state *out, struct rl_err *err);

enum msg_category { MSG_CATEGORY_TRANSACTIONAL, MSG_CATEGORY_MARKETING };
enum msg_encoding { MSG_ENCODING_GSM7, MSG_ENCODING_UCS2 };

/* --- accounts ---------------------------------------------------------------- */

#define STORE_ACCOUNT_NAME_MAX 64

struct store_account {
    int64_t id;
    char name[STORE_ACCOUNT_NAME_MAX + 1];
    int64_t balance;
    int64_t low_balance_threshold;
    int64_t created_at;
};

/* Creates account name (1..64 bytes) with an opening balance; *id (may be NULL)
 * gets its id. -EEXIST when the name is taken. Durable on return. Borrows name. */
int store_account_create(struct store *s, const char *name, int64_t balance, int64_t *id,
                         struct rl_err *err);
/* Fills *out with the account called name, or returns RL_ENOTFOUND. */
int store_account_find(struct store *s, const char *name, struct store_account *out,
                       struct rl_err *err);
/* Fills *out with account id, or returns RL_ENOTFOUND. */
int store_account_get(struct store *s, int64_t id, struct store_account *out, struct rl_err *err);
/* Adds amount (negative: a debit) to the balance in one atomic write; a debit
 * that would go below zero is refused with RL_ERANGE (field "balance") unless
 * allow_negative. *balance (may be NULL) gets the new balance. Durable on return. */
int store_account_credit(struct store *s, int64_t id, int64_t amount, bool allow_negative,
                         int64_t *balance, struct rl_err *err);

/* --- API keys ---------------------------------------------------------------- */

/* "rl_" + 43 characters of unpadded base64url (32 random bytes) + NUL. */
#define STORE_KEY_SIZE       47
#define STORE_KEY_PREFIX_LEN 8

/* Creates a key for account_id and writes it to out_key: the only time it
 * exists in clear; only its hash is stored. *key_id (may be NULL) gets its id
 * and prefix (may be NULL, STORE_KEY_PREFIX_LEN + 1 bytes) its first 8
 * characters for display. RL_ENOTFOUND when the account does not exist. */
int store_key_create(struct store *s, int64_t account_id, char out_key[STORE_KEY_SIZE],
                     int64_t *key_id, char *prefix, struct rl_err *err);
/* Finds the live (not revoked) key key; *account_id and *key_id (may be NULL)
 * get its owner and id. RL_ENOTFOUND for an unknown, malformed or revoked key.
 * Borrows key; never logs it. */
int store_key_lookup(struct store *s, const char *key, int64_t *account_id, int64_t *key_id);
/* Revokes key key_id from now on; RL_ENOTFOUND if absent or already revoked. */
int store_key_revoke(struct store *s, int64_t key_id, struct rl_err *err);

/* --- messages ---------------------------------------------------------------- */

/* A message to insert. Every pointer is borrowed for the call. */
struct store_msg_new {
    int64_t account_id;
    const char *to;   /* E.164 */
    const char *from; /* sender ID */
    const char *text;
    enum msg_encoding encoding;
    int segments;
    enum msg_category category;
    enum msg_state state;        /* draft, scheduled, queued or rejected */
    const char *route;           /* NULL: chosen by the dispatcher */
    int64_t cost;                /* debited from the account in the same transaction */
    int64_t scheduled_for;       /* 0: now */
    int64_t validity_until;      /* 0: none */
    bool validity_default;       /* validity_until is the default, not the sender's (0012) */
    const char *metadata;        /* JSON text or NULL */
    const char *idempotency_key; /* NULL, or unique per account (then request_hash too) */
    const char *request_hash;
    const char *reason; /* the first event's reason, e.g. "api"; NULL: "created" */
};

#define STORE_INSERT_BATCH_MAX 10000

/* Inserts msgs[0..n) (n ≤ STORE_INSERT_BATCH_MAX) with their first event and
 * debits each account by their cost, all or nothing, and returns after the
 * commit that holds them; ids[i] (ids may be NULL) gets msgs[i]'s id. Errors:
 * RL_ERANGE "balance" (not enough credit unless allow_negative), -EEXIST
 * "idempotency_key" (key already used: see store_idempotency_lookup),
 * RL_EINVAL naming the field, RL_ETOOLONG for n. */
int store_message_insert_batch(struct store *s, const struct store_msg_new *msgs, size_t n,
                               bool allow_negative, int64_t *ids, struct rl_err *err);
/* The same for one message. */
int store_message_insert(struct store *s, const struct store_msg_new *m, bool allow_negative,
                         int64_t *id, struct rl_err *err);

struct store_part {
    int part;          /* 1-based */
    char *operator_id; /* NULL until accepted */
    char *route;
    enum msg_state state;
    char *error;
};

struct store_event {
    int64_t at;
    enum msg_state state;
    char *reason;
    char *detail; /* may be NULL */
};

/* A message as stored. Strings are owned by the struct (store_message_release). */
struct store_message {
    int64_t id;
    int64_t account_id;
    char *to;
    char *from;
    char *text;
    enum msg_encoding encoding;
    int segments;
    enum msg_category category;
    enum msg_state state;
    char *route; /* may be NULL */
    int64_t cost;
    int64_t scheduled_for;
    int64_t validity_until; /* 0: none */
    bool validity_default;  /* validity_until is relais's default, not the sender's limit */
    int attempts;
    char *metadata;        /* may be NULL */
    char *idempotency_key; /* may be NULL */
    int64_t created_at;
    int64_t updated_at;
    struct store_part *parts; /* filled by store_message_get only */
    size_t nparts;
    struct store_event *events; /* filled by store_message_get only, oldest first */
    size_t nevents;
};

/* Frees what m holds (not m itself); m may be zeroed or already released. */
void store_message_release(struct store_message *m);
/* Fills *out (release with store_message_release) with message id, its parts
 * and its events. account_id > 0 restricts to that account (another account's
 * message is RL_ENOTFOUND, like a missing one). */
int store_message_get(struct store *s, int64_t account_id, int64_t id, struct store_message *out,
                      struct rl_err *err);

#define STORE_CURSOR_SIZE 40
#define STORE_LIST_MAX    1000

struct store_list_query {
    int64_t account_id;
    int state;          /* an enum msg_state, or -1 for any */
    int64_t since;      /* created_at ≥ since; 0 for any */
    const char *cursor; /* NULL or "": the first page; else a previous next_cursor */
    size_t limit;       /* 1..STORE_LIST_MAX */
};

struct store_message_page {
    struct store_message *items; /* newest first, without parts/events */
    size_t n;
    char next_cursor[STORE_CURSOR_SIZE]; /* "" when this is the last page */
};

/* Lists one account's messages newest first. The cursor is opaque; a malformed
 * one is RL_EINVAL "cursor". Release out with store_message_page_release. */
int store_message_list(struct store *s, const struct store_list_query *q,
                       struct store_message_page *out, struct rl_err *err);
void store_message_page_release(struct store_message_page *p);

/* Cancels message id of account_id if it has not been handed to the
 * dispatcher yet (draft, scheduled, queued or retrying): state cancelled, an
 * event with reason, and its cost credited back, in one commit. Otherwise
 * RL_EINVAL with field "state" and a message naming the state it is in;
 * RL_ENOTFOUND if it is not this account's. */
int store_message_cancel(struct store *s, int64_t account_id, int64_t id, const char *reason,
                         struct rl_err *err);

/* Counts every message by state into out[0..MSG_STATE_COUNT) (zeroed first), from
 * one snapshot of a reader connection (for /metrics); the count may be up to a
 * second old (it scans the table: at most one scan a second). Returns 0 or
 * RL_EIO. */
int store_message_counts(struct store *s, int64_t out[MSG_STATE_COUNT], struct rl_err *err);

/* --- the dispatcher's side ------------------------------------------------------- */

/* Atomically moves up to limit due messages — retrying, queued and scheduled
 * ones whose scheduled_for ≤ now, oldest due first — to submitting (attempts
 * + 1, an event each) and fills out[0..*n) (release each with
 * store_message_release). Two claimers never get the same message: claims are
 * writes, serialised by the one writer. */
int store_claim_due(struct store *s, int64_t now, size_t limit, struct store_message *out,
                    size_t *n, struct rl_err *err);

/* On start, before the first claim: every message left in submitting by a
 * crash goes back to queued with an event reason "possible_duplicate". Such a
 * message may or may not have reached the SMSC (submit_sm sent, its response
 * not stored); resending it is the at-least-once choice SMPP leaves us (it has
 * no idempotent submit). An accepted message is never in submitting: its parts
 * and state commit together. *released (may be NULL) gets the count. */
int store_release_stale_submitting(struct store *s, int64_t now, size_t *released,
                                   struct rl_err *err);

enum store_outcome_kind {
    STORE_OUTCOME_ACCEPTED, /* the SMSC took every part: operator ids per part */
    STORE_OUTCOME_FAILED,   /* final: state failed or rejected, with error */
    STORE_OUTCOME_RETRY,    /* temporary error: retrying until retry_at */
    STORE_OUTCOME_EXPIRED,  /* validity passed before it could be sent */
    STORE_OUTCOME_RECEIPT,  /* a delivery receipt for (route, operator_id) */
};

/* One outcome. Pointers are borrowed by store_outcomes_record and copied by
 * store_outcomes_submit. */
struct store_outcome {
    enum store_outcome_kind kind;
    int64_t message_id;              /* all; RECEIPT: 0 when the connector did not know it */
    int part;                        /* RECEIPT: 1-based part, 0 unknown */
    int64_t at;                      /* when it happened; 0: now */
    const char *route;               /* ACCEPTED, RECEIPT */
    const char *const *operator_ids; /* ACCEPTED: one per part, part i+1 */
    size_t nparts;                   /* ACCEPTED; RECEIPT: the message's parts, 0 unknown */
    enum msg_state state;            /* FAILED: failed|rejected|unknown; RECEIPT:
                                        delivered|failed|expired|rejected|unknown */
    const char *error;               /* FAILED, RETRY, RECEIPT: the operator's or our error code */
    int64_t retry_at;                /* RETRY */
    int64_t refund;                  /* FAILED, EXPIRED: credited back to the account */
    const char *operator_id;         /* RECEIPT */
    const char *raw;                 /* RECEIPT: the receipt text as received (may be NULL) */
    const char *reason;              /* the event's reason; NULL: a default per kind */
    const char *detail;              /* ACCEPTED: added to the event's detail (may be NULL) */
};

struct store_result {
    int rc;        /* 0, or the first failure (the commit's own failure fails all) */
    size_t failed; /* how many items failed alone (the others are committed) */
    int64_t id;    /* the row created, for single-row writes */
};
/* Called on the writer thread after the commit; must not block nor call the
 * store's synchronous writes (it would wait on itself). */
typedef void (*store_done_fn)(void *ctx, const struct store_result *r);

/* store_message_insert without waiting for the commit: copies m and queues
 * it (waiting only for room in the writer's queue); after the commit,
 * done(ctx, r) runs on the writer's thread with r->rc and r->id, *err_out
 * (caller-owned, may be NULL, valid until done) naming a refusal. A message
 * refused before it is queued (RL_EINVAL) returns at once, done not called. */
int store_message_submit(struct store *s, const struct store_msg_new *m, bool allow_negative,
                         struct rl_err *err_out, store_done_fn done, void *ctx);

/* Records outcomes[0..n) in one operation, each in its own savepoint: one that
 * does not apply (unknown message, wrong state) fails alone, counted in
 * r->failed. A receipt whose operator id is not known yet is kept and applied
 * when the ACCEPTED outcome naming it arrives; a duplicate receipt changes
 * nothing. Returns after the commit; *r (may be NULL) gets the result. */
int store_outcomes_record(struct store *s, const struct store_outcome *o, size_t n,
                          struct store_result *r, struct rl_err *err);
/* The same, asynchronously: copies o, returns at once (after waiting for room
 * in the writer's queue), and calls done(ctx, r) after the commit. */
int store_outcomes_submit(struct store *s, const struct store_outcome *o, size_t n,
                          store_done_fn done, void *ctx);
/* As store_outcomes_submit, but returns -EBUSY instead of waiting when the
 * writer's queue is full (for an event loop that must not block). */
int store_outcomes_try_submit(struct store *s, const struct store_outcome *o, size_t n,
                              store_done_fn done, void *ctx);

/* --- the receive journal -------------------------------------------------------------- */

/* What is acknowledged to an SMSC (receipts and inbound messages, with the
 * outcomes that travel with them) must be durable first; waiting for the
 * writer's commit makes that acknowledgement wait behind whatever else the
 * commit holds (a 10,000-message batch), and an SMSC's window of
 * unacknowledged deliver_sm is small. So those writes go to a journal first:
 * append-only files in <store.path>.journal/, written and fsynced in groups
 * by a thread of their own, then to the writer as usual. durable_fn says
 * when the journal holds them; the writer's commit, which also records the
 * last journal record it applied (journal_state), lets the journal drop its
 * files. After a crash, the records beyond that mark are applied again, in
 * order, before anything else: none is lost, none applied twice. */

/* Called on the journal's thread once every record submitted with a ticket
 * up to `ticket` (tickets never decrease) is durable. */
typedef void (*store_durable_fn)(void *ud, uint64_t ticket);

enum store_jrec_kind { STORE_JREC_OUTCOMES = 1, STORE_JREC_INBOUND = 2 };

/* A journal record being replayed; everything in it is borrowed for the call. */
struct store_jrec {
    uint64_t seq;
    enum store_jrec_kind kind;
    const struct store_outcome *o; /* OUTCOMES: o[0..n) */
    size_t n;
    const struct store_inbound *in; /* INBOUND, with jseq = seq */
};
/* Applies r synchronously, passing r->seq on (store_outcomes_record_seq, or
 * an inbound write with in->jseq); returns 0 or a negative code, which stops
 * the start. */
typedef int (*store_replay_fn)(void *ud, const struct store_jrec *r);

/* Replays what a crash left in the journal (through replay), then starts it.
 * *replayed (may be NULL) gets how many records were applied. The journaled
 * submits below come from one thread only. Returns 0, or RL_EIO (the
 * directory, a file, or a replayed record failed) with err set. */
int store_journal_start(struct store *s, store_replay_fn replay, void *replay_ud,
                        store_durable_fn durable, void *durable_ud, size_t *replayed,
                        struct rl_err *err);
/* Sets (or with NULL, clears) the function told when records are durable;
 * after it returns, the old one is not called any more. */
void store_journal_on_durable(struct store *s, store_durable_fn durable, void *ud);
/* Waits for the journal's writes, stops its thread and calls durable no more;
 * files whose every record the writer applied are removed. Idempotent; also
 * done by store_close. */
void store_journal_stop(struct store *s);

/* store_outcomes_submit / _try_submit through the journal when it runs (else
 * exactly those): durable_fn will report ticket. */
int store_outcomes_submit_journaled(struct store *s, const struct store_outcome *o, size_t n,
                                    uint64_t ticket, bool try_only, store_done_fn done, void *ctx);
/* store_outcomes_record for a replayed record: the commit also marks seq
 * applied. */
int store_outcomes_record_seq(struct store *s, const struct store_outcome *o, size_t n,
                              uint64_t seq, struct store_result *r, struct rl_err *err);

/* Finds the part the operator knows as (route, operator_id) — the latest if
 * the id was recycled — or RL_ENOTFOUND. */
int store_part_find(struct store *s, const char *route, const char *operator_id,
                    int64_t *message_id, int *part);

/* --- inbound ------------------------------------------------------------------- */

struct store_inbound {
    const char *route;
    const char *from;
    const char *to;
    const char *text;
    int parts;  /* how many SMS parts it was reassembled from */
    int64_t at; /* 0: now */
    /* Through the receive journal (see store_journal_start): journal set, it
     * is journaled first and durable_fn gets ticket once it is; jseq set, it
     * is a journal record being replayed. Both 0 for a plain write. */
    bool journal;
    uint64_t ticket, jseq;
};

/* Stores an inbound message; returns after its commit (acknowledge the SMSC
 * after this). *id (may be NULL) gets its id. Borrows in. */
int store_inbound_insert(struct store *s, const struct store_inbound *in, int64_t *id,
                         struct rl_err *err);
/* The same asynchronously (copies in); done gets r->id. -EBUSY if try and full. */
int store_inbound_submit(struct store *s, const struct store_inbound *in, bool try_only,
                         store_done_fn done, void *ctx);

/* --- routes ------------------------------------------------------------------------ */

/* The [route NAME] sections as the store keeps them: what they are, not how
 * to log in (no password), so the API can list them and messages name them. */

#define STORE_ROUTE_NAME_MAX     32
#define STORE_ROUTE_HOST_MAX     253
#define STORE_ROUTE_PREFIXES_MAX 1024

/* One configured route, to sync. Strings borrowed; NULL reads as "". */
struct store_route_conf {
    const char *name; /* 1..STORE_ROUTE_NAME_MAX bytes */
    const char *kind; /* "smpp" */
    const char *host;
    int port; /* 1..65535 */
    const char *system_id;
    const char *prefixes;       /* as configured: "+33,+32"; "" every destination */
    const char *default_sender; /* "" none */
};

struct store_route {
    char name[STORE_ROUTE_NAME_MAX + 1];
    char kind[8];
    char host[STORE_ROUTE_HOST_MAX + 1];
    int port;
    char system_id[16];
    char prefixes[STORE_ROUTE_PREFIXES_MAX + 1];
    char default_sender[16];
    bool active;        /* in the configuration of the last serve */
    int64_t first_seen; /* ms */
    int64_t updated_at; /* ms: when its definition or active last changed */
};

/* Makes the routes table say what routes[0..n) (the configuration, borrowed)
 * says, in one write at now (ms; 0: the clock): a new route is added, a
 * changed one updated (updated_at = now), one no longer configured marked
 * inactive; a route the same as stored is left as it is. *changed (may be
 * NULL) gets how many rows changed. RL_EINVAL names the route and the field
 * the schema refuses; nothing is written then. */
int store_routes_sync(struct store *s, const struct store_route_conf *routes, size_t n, int64_t now,
                      size_t *changed, struct rl_err *err);
/* Every stored route, by name, into *out (free() it) and *n. */
int store_routes_list(struct store *s, struct store_route **out, size_t *n, struct rl_err *err);

/* --- idempotency ----------------------------------------------------------------- */

#define STORE_REQUEST_HASH_MAX 128

/* Finds the request that used key for account_id: *message_id (0 if none was
 * created) and request_hash (STORE_REQUEST_HASH_MAX + 1 bytes). RL_ENOTFOUND
 * if the key is unused. */
int store_idempotency_lookup(struct store *s, int64_t account_id, const char *key,
                             int64_t *message_id, char *request_hash, struct rl_err *err);

#define STORE_IDEM_PURGE_BATCH    500   /* keys one purge deletes at most */
#define STORE_IDEM_PURGE_EVERY_MS 60000 /* between purges, unless one found more */

/* Keeps idempotency keys ttl_ms (0, the default: for good) and purges older
 * ones by itself: an insert with a key finds a purge due at most every
 * STORE_IDEM_PURGE_EVERY_MS and queues it to the writer ahead of itself (never
 * waiting for room: a full queue skips it). A purge deletes the oldest
 * STORE_IDEM_PURGE_BATCH keys at most, so that no commit holds a giant
 * DELETE; one that found that many is due again at the next insert. The
 * table then grows only with the keys of one ttl. Call after store_open. */
void store_set_idempotency_ttl(struct store *s, int64_t ttl_ms);
/* Deletes the oldest keys created before `before` (ms), at most max
 * (1..STORE_IDEM_PURGE_BATCH * 100), in one write; *purged (may be NULL) gets
 * how many. A purged key may be used again, for a new message. */
int store_idempotency_purge(struct store *s, int64_t before, size_t max, size_t *purged,
                            struct rl_err *err);

/* --- contacts and lists ---------------------------------------------------------- */

/* Caps, in bytes, checked before a write (and by the schema's CHECKs). */
#define STORE_PHONE_SIZE         20 /* "+" and up to 15 digits, NUL, room */
#define STORE_PHONE_TYPE_SIZE    24 /* "fixed_line_or_mobile" and NUL */
#define STORE_CONTACT_EMAIL_MAX  254
#define STORE_CONTACT_NAME_MAX   256 /* first_name, last_name */
#define STORE_CONTACT_LANG_MAX   35
#define STORE_CONTACT_FIELDS_MAX 16384 /* the custom fields as JSON text */
#define STORE_LIST_NAME_MAX      100
#define STORE_IMPORT_BATCH_MAX   5000 /* rows per store_contacts_upsert */

/* A contact as stored. Strings are owned by the struct (store_contact_release);
 * NULL where unset. */
struct store_contact {
    int64_t id;
    int64_t account_id;
    char phone[STORE_PHONE_SIZE];           /* E.164 */
    char phone_type[STORE_PHONE_TYPE_SIZE]; /* phone_type_name(): "mobile", "fixed_line"… */
    char *email;
    char *first_name;
    char *last_name;
    char *language;
    char *fields; /* a JSON object's text, never NULL once read ("{}" when empty) */
    int64_t created_at;
    int64_t updated_at;
};

/* Frees what c holds (not c itself); c may be zeroed or already released. */
void store_contact_release(struct store_contact *c);

/* A contact to write. Every pointer is borrowed for the call; NULL is unset
 * (on an upsert of an existing contact: left as it is). */
struct store_contact_new {
    const char *phone;      /* E.164, as phone_parse gives it */
    const char *phone_type; /* phone_type_name() of it */
    const char *email;
    const char *first_name;
    const char *last_name;
    const char *language;
    const char *fields; /* a JSON object's text, or NULL for none */
};

/* Creates a contact of account_id; *id (may be NULL) gets its id. Durable on
 * return. -EEXIST (field "phone", naming the existing contact's id in the
 * message, and *id set to it) when the account already has this number;
 * RL_EINVAL or RL_ETOOLONG naming the field for a value the schema refuses. */
int store_contact_create(struct store *s, int64_t account_id, const struct store_contact_new *c,
                         int64_t *id, struct rl_err *err);
/* Fills *out (release with store_contact_release) with contact id of
 * account_id, or RL_ENOTFOUND (another account's contact is not found either). */
int store_contact_get(struct store *s, int64_t account_id, int64_t id, struct store_contact *out,
                      struct rl_err *err);
/* The same by number (E.164, borrowed). */
int store_contact_find(struct store *s, int64_t account_id, const char *phone,
                       struct store_contact *out, struct rl_err *err);

enum store_fields_op {
    STORE_FIELDS_KEEP,
    STORE_FIELDS_MERGE, /* fields merged in by json_patch: a null member deletes its key */
    STORE_FIELDS_CLEAR, /* every custom field removed */
};

/* A change to a contact, as a JSON merge patch (RFC 7396) reads: absent
 * members stay, null clears. Pointers are borrowed for the call. */
struct store_contact_patch {
    const char *phone;      /* NULL: unchanged; else E.164 with phone_type */
    const char *phone_type; /* with phone */
    bool set_email, set_first_name, set_last_name, set_language;
    const char *email, *first_name, *last_name, *language; /* NULL with set_*: cleared */
    enum store_fields_op fields_op;
    const char *fields; /* MERGE: a JSON object's text */
};

/* Applies p to contact id of account_id in one write; durable on return.
 * RL_ENOTFOUND if it is not this account's; -EEXIST (field "phone") when the
 * new number is another contact's; RL_ETOOLONG (field "fields") when the merged
 * custom fields would exceed STORE_CONTACT_FIELDS_MAX. */
int store_contact_update(struct store *s, int64_t account_id, int64_t id,
                         const struct store_contact_patch *p, struct rl_err *err);
/* Deletes contact id of account_id and its list memberships (its opt-outs are
 * kept: they are by number). RL_ENOTFOUND if it is not this account's. */
int store_contact_delete(struct store *s, int64_t account_id, int64_t id, struct rl_err *err);

struct store_contact_query {
    int64_t account_id;
    int64_t list_id; /* > 0: members of this list only (RL_ENOTFOUND "list" if not the account's) */
    const char *phone;  /* E.164: only this number; NULL: any */
    const char *cursor; /* NULL or "": the first page; else a previous next_cursor */
    size_t limit;       /* 1..STORE_LIST_MAX */
};

struct store_contact_page {
    struct store_contact *items; /* in id order */
    size_t n;
    char next_cursor[STORE_CURSOR_SIZE]; /* "" when this is the last page */
};

/* Lists contacts in id order, a page at a time. The cursor is opaque; a
 * malformed one is RL_EINVAL "cursor". Release out with
 * store_contact_page_release. */
int store_contact_list(struct store *s, const struct store_contact_query *q,
                       struct store_contact_page *out, struct rl_err *err);
void store_contact_page_release(struct store_contact_page *p);

/* The members of list_id with contact id > after_contact_id, in id order, at
 * most limit (1..STORE_LIST_MAX): keyset pagination for a campaign that
 * streams a list of any size in flat memory (pass the last item's id as the
 * next after_contact_id; next_cursor is "" on the last page). account_id > 0
 * restricts to that account's list (else RL_ENOTFOUND "list"). Release out
 * with store_contact_page_release. */
int store_list_members_page(struct store *s, int64_t account_id, int64_t list_id,
                            int64_t after_contact_id, size_t limit, struct store_contact_page *out,
                            struct rl_err *err);

struct store_list {
    int64_t id;
    int64_t account_id;
    char name[STORE_LIST_NAME_MAX + 1];
    int64_t contacts; /* members */
    int64_t created_at;
    int64_t updated_at;
};

struct store_list_page {
    struct store_list *items; /* in id order */
    size_t n;
    char next_cursor[STORE_CURSOR_SIZE];
};

/* The lists contact id of account_id belongs to, in id order, in one page
 * (id and name filled; contacts left 0). Release out with
 * store_list_page_release. */
int store_contact_lists(struct store *s, int64_t account_id, int64_t id,
                        struct store_list_page *out, struct rl_err *err);
/* Creates list name (1..STORE_LIST_NAME_MAX bytes, borrowed) of account_id;
 * *id (may be NULL) gets its id. -EEXIST (field "name") when the account has a
 * list of that name, with *id set to it. */
int store_list_create(struct store *s, int64_t account_id, const char *name, int64_t *id,
                      struct rl_err *err);
/* Fills *out with list id of account_id, member count included, or RL_ENOTFOUND. */
int store_list_get(struct store *s, int64_t account_id, int64_t id, struct store_list *out,
                   struct rl_err *err);
/* The same by name (borrowed). */
int store_list_find(struct store *s, int64_t account_id, const char *name, struct store_list *out,
                    struct rl_err *err);
/* Lists account_id's lists in id order (limit 1..STORE_LIST_MAX, opaque cursor
 * as for contacts). Release out with store_list_page_release. */
int store_list_list(struct store *s, int64_t account_id, const char *cursor, size_t limit,
                    struct store_list_page *out, struct rl_err *err);
void store_list_page_release(struct store_list_page *p);
/* Renames list id; -EEXIST (field "name") if the account has another list of
 * that name, RL_ENOTFOUND if it is not the account's. */
int store_list_rename(struct store *s, int64_t account_id, int64_t id, const char *name,
                      struct rl_err *err);
/* Deletes list id and its memberships; its contacts stay. RL_ENOTFOUND if it
 * is not the account's. */
int store_list_delete(struct store *s, int64_t account_id, int64_t id, struct rl_err *err);

/* Adds contacts ids[0..n) (n ≤ STORE_IMPORT_BATCH_MAX; borrowed) of account_id
 * to list_id, all or nothing: RL_ENOTFOUND on field "list" for a list that is
 * not the account's, or on field "contact_ids" naming the first id that is
 * not. *added and *already (may be NULL) get how many became members and how
 * many were already. Durable on return. */
int store_list_members_add(struct store *s, int64_t account_id, int64_t list_id, const int64_t *ids,
                           size_t n, size_t *added, size_t *already, struct rl_err *err);
/* Removes contacts ids[0..n) from list_id; *removed (may be NULL) gets how
 * many were members. RL_ENOTFOUND "list" as above; ids that are not members
 * (or not the account's) are skipped. */
int store_list_members_remove(struct store *s, int64_t account_id, int64_t list_id,
                              const int64_t *ids, size_t n, size_t *removed, struct rl_err *err);

/* Fills *out with the store's account when it has exactly one (a command
 * line's default): RL_ENOTFOUND when there is none, RL_EINVAL (field
 * "account") when there are several. */
int store_account_sole(struct store *s, struct store_account *out, struct rl_err *err);

/* A batch of contacts to upsert into one list: what an import sends, a few
 * thousand rows at a time. Each row's contact is created, or merged into the
 * existing one of that number (non-NULL values replace, fields merge by
 * json_patch), and made a member of the list. */
struct store_upsert {
    int64_t account_id;
    int64_t list_id;                      /* the list; 0: list_name, found or created */
    const char *list_name;                /* with list_id 0 */
    const struct store_contact_new *rows; /* borrowed until the write completes */
    size_t n; /* 0..STORE_IMPORT_BATCH_MAX (0 still finds or creates the list) */
    /* Numbers (E.164, borrowed like rows) the import's opt-out column marks:
     * opted out of marketing with source import and detail "list=ID", in the
     * same transaction as the rows. Never an opt-in. 0..STORE_IMPORT_BATCH_MAX. */
    const char *const *optouts;
    size_t noptouts;
    /* Filled by the store, each row counted once: */
    int64_t list_id_out;
    size_t created;    /* new contacts */
    size_t updated;    /* existing contacts, now members of the list */
    size_t duplicates; /* contacts already in the list (a number twice in one import too) */
    size_t opted_out;  /* of optouts, those not opted out of marketing before */
    struct rl_err err; /* why the write failed, if it did */
};

/* Writes u in one operation (all its rows or none) and returns after its
 * commit; fills u's counters. RL_ENOTFOUND "list" for a list_id that is not
 * the account's; RL_EINVAL or RL_ETOOLONG naming the row and field of a value
 * refused before anything is written. */
int store_contacts_upsert(struct store *s, struct store_upsert *u, struct rl_err *err);
/* The same without waiting: u is checked now (a refusal returns here, done is
 * not called) and borrowed until done(ctx, r) runs on the writer's thread after
 * the commit, with u's counters filled or r->rc and u->err set. So an importer
 * parses the next batch while this one commits. */
int store_contacts_upsert_submit(struct store *s, struct store_upsert *u, store_done_fn done,
                                 void *ctx, struct rl_err *err);

/* --- consent ------------------------------------------------------------------- */

/* Opt-outs and opt-ins by account, number and scope, and the history of every
 * change; what each scope blocks and what STOP/START change is the domain's
 * (domain/consent.h). A scope is STORE_CONSENT_MARKETING or a category name:
 * 1..STORE_CONSENT_SCOPE_MAX bytes of [a-z0-9_-], not "transactional". */

#define STORE_CONSENT_MARKETING   "marketing"
#define STORE_CONSENT_SCOPE_MAX   32
#define STORE_CONSENT_PHONE_SIZE  20  /* "+", up to 15 digits, NUL, room */
#define STORE_CONSENT_DETAIL_MAX  256 /* bytes of an event's detail */
#define STORE_CONSENT_BATCH_MAX   10000
#define STORE_CONSENT_HISTORY_MAX 1000 /* events store_consent_get returns: the latest */
#define STORE_CONSENT_CURSOR_SIZE 64
#define STORE_CONSENT_SECRET_SIZE 32

enum store_consent_status {
    STORE_CONSENT_NONE, /* never set: no opt-out, no explicit opt-in */
    STORE_CONSENT_OPTED_IN,
    STORE_CONSENT_OPTED_OUT,
};

enum store_consent_source {
    STORE_CONSENT_KEYWORD, /* an inbound SMS (STOP, START…) */
    STORE_CONSENT_API,     /* /v1/optouts, /v1/optins */
    STORE_CONSENT_LINK,    /* the /u/<token> page */
    STORE_CONSENT_IMPORT,  /* a contacts import */
};

/* "none", "opted_in", "opted_out"; "?" out of range. */
const char *store_consent_status_name(enum store_consent_status st);
/* "keyword", "api", "link", "import"; "?" out of range. */
const char *store_consent_source_name(enum store_consent_source src);
/* True for "marketing" or a valid category name (borrowed; NULL is false). */
bool store_consent_scope_valid(const char *scope);

/* One change. Pointers are borrowed for the call. */
struct store_consent_change {
    int64_t account_id;
    const char *phone;                /* E.164 */
    const char *scope;                /* NULL: STORE_CONSENT_MARKETING */
    enum store_consent_status status; /* OPTED_IN or OPTED_OUT */
    enum store_consent_source source;
    const char *detail; /* who: "key=12", "inbound=345"…; may be NULL */
    int64_t at;         /* 0: now */
};

/* Sets the state of (account, phone, scope) and appends an event — only when
 * the state changes: the same opt-out twice is one change. *changed (may be
 * NULL) says which. Durable on return. RL_EINVAL naming the field (phone,
 * scope, status, detail) or an unknown account. */
int store_consent_record(struct store *s, const struct store_consent_change *c, bool *changed,
                         struct rl_err *err);
/* The same for c[0..n) (n ≤ STORE_CONSENT_BATCH_MAX) in one transaction, all or
 * nothing (an import's opt-out column); *changed (may be NULL) gets how many
 * changed. RL_EINVAL names the item and field. */
int store_consent_record_batch(struct store *s, const struct store_consent_change *c, size_t n,
                               size_t *changed, struct rl_err *err);

/* The send-time check: 1 when account_id's phone (E.164, borrowed) is opted
 * out of marketing, 0 when not, RL_EIO when the store cannot tell. One
 * primary-key lookup on a reader connection; any thread. */
int store_consent_opted_out(struct store *s, int64_t account_id, const char *phone);
/* The state of one scope (NULL: marketing) for one number; both borrowed. */
int store_consent_status_get(struct store *s, int64_t account_id, const char *phone,
                             const char *scope, enum store_consent_status *out, struct rl_err *err);
/* The same for phones[0..n) (borrowed) on one reader connection: out[i] is
 * phones[i]'s state. "Has number N opted in to category C" for a campaign's
 * audience is out[i] == STORE_CONSENT_OPTED_IN. */
int store_consent_status_batch(struct store *s, int64_t account_id, const char *scope,
                               const char *const *phones, size_t n, enum store_consent_status *out,
                               struct rl_err *err);

struct store_consent_scope {
    char scope[STORE_CONSENT_SCOPE_MAX + 1];
    enum store_consent_status status;
    enum store_consent_source source; /* of the change that set it */
    int64_t updated_at;
};

struct store_consent_event {
    int64_t id;
    char scope[STORE_CONSENT_SCOPE_MAX + 1];
    enum store_consent_status action; /* OPTED_IN (opt_in) or OPTED_OUT (opt_out) */
    enum store_consent_source source;
    char *detail; /* owned; may be NULL */
    int64_t at;
};

/* One number's consent: the state of each scope ever set, and the history.
 * Owned by the struct (store_consent_view_release). */
struct store_consent_view {
    struct store_consent_scope *scopes; /* by scope name */
    size_t nscopes;
    struct store_consent_event *events; /* oldest first: the latest HISTORY_MAX */
    size_t nevents;
};

/* Fills *out (release with store_consent_view_release) for account_id's phone
 * (borrowed); a number never seen has no scope and no event (not an error). */
int store_consent_get(struct store *s, int64_t account_id, const char *phone,
                      struct store_consent_view *out, struct rl_err *err);
/* Frees what v holds; v may be zeroed or already released. */
void store_consent_view_release(struct store_consent_view *v);

struct store_optout {
    char phone[STORE_CONSENT_PHONE_SIZE];
    char scope[STORE_CONSENT_SCOPE_MAX + 1];
    enum store_consent_source source;
    int64_t at;
};

struct store_optout_page {
    struct store_optout *items; /* owned; by number, then scope */
    size_t n;
    char next_cursor[STORE_CONSENT_CURSOR_SIZE]; /* "" on the last page */
};

/* Lists account_id's opt-outs (scope NULL: of every scope), limit
 * 1..STORE_LIST_MAX at a time; scope and cursor borrowed. The cursor is
 * opaque; a malformed one is RL_EINVAL "cursor". Release out with
 * store_optout_page_release. */
int store_optout_list(struct store *s, int64_t account_id, const char *scope, const char *cursor,
                      size_t limit, struct store_optout_page *out, struct rl_err *err);
void store_optout_page_release(struct store_optout_page *p);

/* What an inbound keyword changes, written in the inbound message's own
 * transaction: a crash keeps both or neither. Pointers borrowed (copied by
 * store_inbound_consent_submit). */
struct store_inbound_consent {
    const char *phone;                /* the sender, E.164 */
    enum store_consent_status status; /* OPTED_OUT (STOP) or OPTED_IN (START), scope marketing */
    const char *keyword;              /* for the event's detail: "stop" */
    /* The confirmation, a transactional message to phone queued on the
     * inbound's route; none when text is NULL or "", when status is OPTED_OUT
     * and the account turned stop_reply off, or when the balance cannot pay
     * cost. */
    const char *reply_text;
    const char *reply_from; /* "" : the route's default sender */
    enum msg_encoding reply_encoding;
    int reply_segments;
    int64_t reply_cost;
};

struct store_inbound_consent_result {
    int64_t inbound_id;
    int64_t account_id; /* 0: no message ever went to that number: nothing changed */
    bool changed;       /* the state changed (else it already was so) */
    int64_t reply_id;   /* the confirmation's message id, 0 when none */
};

/* Stores the inbound message in (as store_inbound_insert) and, in the same
 * transaction, applies k to the account whose message reached in->from last
 * (through in->route if one did; see store_consent.c), with source keyword
 * and detail "inbound=ID keyword=K". A consent change that fails is rolled
 * back alone and logged: the inbound message is kept. *out may be NULL. */
int store_inbound_consent_insert(struct store *s, const struct store_inbound *in,
                                 const struct store_inbound_consent *k,
                                 struct store_inbound_consent_result *out, struct rl_err *err);
/* The same asynchronously, as store_inbound_submit (copies in and k, waits for
 * room in the writer's queue); done gets r->id, the inbound id. */
int store_inbound_consent_submit(struct store *s, const struct store_inbound *in,
                                 const struct store_inbound_consent *k, store_done_fn done,
                                 void *ctx);

/* An account's consent settings. */
struct store_consent_settings {
    bool stop_reply; /* a STOP gets [consent] stop_reply (default true) */
};

/* Fills *out, or RL_ENOTFOUND for an unknown account. */
int store_consent_settings_get(struct store *s, int64_t account_id,
                               struct store_consent_settings *out, struct rl_err *err);
/* Writes *in (borrowed); RL_ENOTFOUND for an unknown account. Durable on return. */
int store_consent_settings_set(struct store *s, int64_t account_id,
                               const struct store_consent_settings *in, struct rl_err *err);

/* The key that signs opt-out links: STORE_CONSENT_SECRET_SIZE random bytes
 * made once per database (libsodium's CSPRNG) and kept in its meta table, so
 * that every node of one database signs alike and links survive restarts. */
int store_consent_secret(struct store *s, unsigned char out[STORE_CONSENT_SECRET_SIZE],
                         struct rl_err *err);

/* --- campaigns ------------------------------------------------------------------- */

/* A campaign is a definition (text, audience, timing) until its launch writes
 * one message per recipient, each carrying the campaign's id; from then on
 * its messages live their own lives and the campaign row keeps what the
 * launch found and the pace of its sending (domain/campaign.h says how). */

#define STORE_CAMPAIGN_NAME_MAX 100
#define STORE_CAMPAIGN_CHUNK    10000 /* messages per sweep or reschedule write */
#define STORE_CAMPAIGN_ERRORS   32    /* error kinds a report lists, most frequent first */

#define STORE_CAMPAIGN_STATE_MAP(XX)                                                               \
    XX(DRAFT, "draft")                                                                             \
    XX(LAUNCHING, "launching")                                                                     \
    XX(SCHEDULED, "scheduled")                                                                     \
    XX(SENDING, "sending")                                                                         \
    XX(PAUSED, "paused")                                                                           \
    XX(DONE, "done")                                                                               \
    XX(CANCELLED, "cancelled")

enum store_campaign_state {
#define XX(c, name) STORE_CAMPAIGN_##c,
    STORE_CAMPAIGN_STATE_MAP(XX)
#undef XX
        STORE_CAMPAIGN_STATE_COUNT
};

/* "draft"…; "?" out of range. */
const char *store_campaign_state_name(enum store_campaign_state st);
/* A bit per state, for the from masks below. */
#define STORE_CAMPAIGN_BIT(st) (1u << (STORE_CAMPAIGN_##st))

/* A campaign to create. Every pointer is borrowed for the call; NULL is unset. */
struct store_campaign_new {
    int64_t account_id;
    const char *name;     /* 1..STORE_CAMPAIGN_NAME_MAX bytes */
    const char *category; /* "transactional", "marketing" or a consent category */
    bool require_optin;
    const char *sender;        /* NULL: the route's default */
    const char *text;          /* exactly one of text and template_text */
    const char *template_text; /* #field# placeholders from the contacts */
    const char *audience;      /* JSON object text */
    int64_t send_at;           /* 0: at launch */
    const char *window;        /* canonical window spec, or NULL */
    const char *timezone;      /* IANA zone, or NULL: the recipient's */
    double rate;               /* messages a second; 0: no cap */
    bool smart_encoding;
};

/* A campaign as stored. Strings are owned (store_campaign_release); NULL where unset. */
struct store_campaign {
    int64_t id;
    int64_t account_id;
    char *name, *kind, *category;
    bool require_optin;
    char *sender, *text, *template_text, *audience;
    int64_t send_at; /* 0: none */
    char *window, *timezone;
    double rate; /* 0: no cap */
    bool smart_encoding;
    enum store_campaign_state state;
    char *figures;                       /* JSON object: what the launch found, or NULL before */
    int64_t messages;                    /* written by the launch */
    int64_t first_send_at, last_send_at; /* 0 until the launch sets them */
    int64_t pace_us;                     /* the next free slot of the pace */
    int64_t heartbeat_at;                /* a launch in progress: its last write; 0 otherwise */
    char *launch_error;                  /* why a launch stopped, or NULL */
    int64_t created_at, updated_at, launched_at, finished_at; /* 0: not yet */
};

/* Frees what c holds (not c); c may be zeroed or already released. */
void store_campaign_release(struct store_campaign *c);

/* The account's own opt-out mentions (PATCH /v1/account): *json gets a new
 * string (free()) holding the JSON object stored, or NULL when the account
 * has none. RL_ENOTFOUND for an unknown account. */
int store_account_mentions_get(struct store *s, int64_t account_id, char **json,
                               struct rl_err *err);
/* Replaces them with json (a JSON object's text, borrowed; NULL removes
 * them). Durable on return. RL_ENOTFOUND for an unknown account, RL_EINVAL
 * "optout_mention" for text that is not a JSON object. */
int store_account_mentions_set(struct store *s, int64_t account_id, const char *json,
                               struct rl_err *err);

/* Creates a draft campaign; *id (may be NULL) gets its id. Durable on return.
 * RL_EINVAL naming the field for what the schema refuses. */
int store_campaign_create(struct store *s, const struct store_campaign_new *c, int64_t *id,
                          struct rl_err *err);
/* Fills *out (release it) with campaign id; account_id > 0 restricts to that
 * account's (another's is RL_ENOTFOUND, like a missing one). */
int store_campaign_get(struct store *s, int64_t account_id, int64_t id, struct store_campaign *out,
                       struct rl_err *err);

struct store_campaign_page {
    struct store_campaign *items; /* in id order; owned */
    size_t n;
    char next_cursor[STORE_CURSOR_SIZE]; /* "" on the last page */
};

/* account_id's campaigns in id order, limit 1..STORE_LIST_MAX; the cursor is
 * opaque (RL_EINVAL "cursor" when malformed). Release out with
 * store_campaign_page_release. */
int store_campaign_list(struct store *s, int64_t account_id, const char *cursor, size_t limit,
                        struct store_campaign_page *out, struct rl_err *err);
void store_campaign_page_release(struct store_campaign_page *p);

/* Moves campaign id of account_id (> 0; 0: any) from a state in from_mask
 * (STORE_CAMPAIGN_BIT) to `to` in one write, setting finished_at for done and
 * cancelled; *was (may be NULL) gets the state it was in. RL_EINVAL on field
 * "state" naming the state it is in when that is not in from_mask,
 * RL_ENOTFOUND when it is not the account's. */
int store_campaign_transition(struct store *s, int64_t account_id, int64_t id, unsigned from_mask,
                              enum store_campaign_state to, enum store_campaign_state *was,
                              struct rl_err *err);

/* --- launching: a launch writes its messages in batches; each batch renews
 * its heartbeat, so that one interrupted (a crash, the balance) can be taken
 * over and resumed, and a live one is not launched twice. --- */

/* Starts (draft) or takes over (launching, with a heartbeat older than
 * stale_ms or an error recorded) the launch of campaign id of account_id.
 * *resumed says which; *lease gets the heartbeat to pass to the writes below.
 * -EBUSY (field "state") when a live launch holds it, RL_EINVAL "state" in any
 * other state, RL_ENOTFOUND. */
int store_campaign_launch_begin(struct store *s, int64_t account_id, int64_t id, int64_t stale_ms,
                                bool *resumed, int64_t *lease, struct rl_err *err);
/* Inserts msgs[0..n) (n ≤ STORE_INSERT_BATCH_MAX; state scheduled or queued;
 * borrowed; validity_until 0: none) as campaign id's, each with its first
 * event, debits their cost
 * (RL_ERANGE "balance" when the account cannot pay: nothing written), and
 * records the progress: pace_us, the messages' first and last scheduled_for,
 * a new heartbeat in *lease. -EBUSY "state" when the lease was taken over. */
int store_campaign_launch_batch(struct store *s, int64_t id, const struct store_msg_new *msgs,
                                size_t n, int64_t pace_us, int64_t *lease, struct rl_err *err);
/* Ends the launch: state (scheduled or sending), figures (JSON text, borrowed)
 * and pace_us. -EBUSY "state" when the lease was taken over. */
int store_campaign_launch_end(struct store *s, int64_t id, enum store_campaign_state state,
                              const char *figures, int64_t pace_us, int64_t lease,
                              struct rl_err *err);
/* Records why the launch stopped (error and figures so far, borrowed); the
 * campaign stays launching, and a new launch resumes it at once. */
int store_campaign_launch_error(struct store *s, int64_t id, const char *error, const char *figures,
                                struct rl_err *err);
/* The numbers campaign id's messages were written to, id > after_id, in id
 * order, at most limit (≤ STORE_CAMPAIGN_CHUNK): ids[i] and phones[i]
 * (caller-owned arrays of limit); *n gets the count. For a resumed launch. */
int store_campaign_numbers(struct store *s, int64_t id, int64_t after_id, size_t limit,
                           int64_t *ids, char (*phones)[STORE_PHONE_SIZE], size_t *n,
                           struct rl_err *err);

/* --- pause, resume, cancel: one write per STORE_CAMPAIGN_CHUNK messages, so
 * that a million-message campaign never holds the writer for long. --- */

enum store_campaign_sweep {
    STORE_CAMPAIGN_SWEEP_PARK,   /* scheduled, queued, retrying → draft (not claimed) */
    STORE_CAMPAIGN_SWEEP_CANCEL, /* draft, scheduled, queued, retrying → cancelled, refunded */
};

/* Applies kind to up to limit (1..STORE_CAMPAIGN_CHUNK) of campaign id's
 * messages, each with an event (reason, borrowed) and, for a cancel, its cost
 * credited back; *done gets how many (0: none left) and *refunded (may be
 * NULL) the sum credited. */
int store_campaign_sweep(struct store *s, int64_t id, enum store_campaign_sweep kind,
                         const char *reason, size_t limit, size_t *done, int64_t *refunded,
                         struct rl_err *err);
/* The draft messages of campaign id with id > after_id, in id order, at most
 * limit (≤ STORE_CAMPAIGN_CHUNK), as store_campaign_numbers gives them. */
int store_campaign_drafts(struct store *s, int64_t id, int64_t after_id, size_t limit, int64_t *ids,
                          char (*phones)[STORE_PHONE_SIZE], size_t *n, struct rl_err *err);

/* One message put back in the queue at a time of its own. */
struct store_campaign_slot {
    int64_t message_id;
    int64_t at;          /* its scheduled_for */
    const char *reason;  /* the event's reason (borrowed); NULL: "campaign_resumed" */
    int64_t valid_until; /* its new validity_until; 0 keeps the one it has */
};

/* Moves slots[0..n) (n ≤ STORE_CAMPAIGN_CHUNK) of campaign id from draft to
 * scheduled (queued when at ≤ now) at their time, with an event each, and
 * sets the campaign's pace_us; a message no longer draft is skipped. */
int store_campaign_reschedule(struct store *s, int64_t id, const struct store_campaign_slot *slots,
                              size_t n, int64_t pace_us, struct rl_err *err);

/* Settles a launched campaign: scheduled or sending with no message left to
 * send (none draft, waiting or submitting) becomes done. *state gets the
 * state after. */
int store_campaign_settle(struct store *s, int64_t id, enum store_campaign_state *state,
                          struct rl_err *err);

/* --- the dispatcher's side ---------------------------------------------------- */

/* For ids[0..n) (claimed messages): the campaign of each that has one, as
 * campaign_ids[i] (0: none). One read of the batch. */
int store_campaign_of_messages(struct store *s, const int64_t *ids, size_t n, int64_t *campaign_ids,
                               struct rl_err *err);

#define STORE_CAMPAIGN_WINDOW_MAX 512
#define STORE_CAMPAIGN_ZONE_MAX   64

/* What the send-time check needs of a campaign, and nothing heavier. */
struct store_campaign_rules {
    enum store_campaign_state state;
    char window[STORE_CAMPAIGN_WINDOW_MAX + 1]; /* its window spec; "" none */
    char zone[STORE_CAMPAIGN_ZONE_MAX + 1];     /* its time zone; "" the recipient's */
    char category[STORE_CONSENT_SCOPE_MAX + 1]; /* "transactional", "marketing" or a category */
    bool require_optin;
};

/* Fills *out for campaign id, or RL_ENOTFOUND. */
int store_campaign_rules(struct store *s, int64_t id, struct store_campaign_rules *out,
                         struct rl_err *err);

enum store_hold_kind {
    STORE_HOLD_DEFER,  /* scheduled again at `at`: a lawful time */
    STORE_HOLD_PARK,   /* draft: its campaign is paused */
    STORE_HOLD_CANCEL, /* cancelled and refunded: its campaign is cancelled */
};

/* One claimed message the send-time rules hold back. */
struct store_hold {
    int64_t message_id;
    int64_t campaign_id; /* DEFER: > 0 paces it at the campaign's rate from at */
    enum store_hold_kind kind;
    int64_t at;          /* DEFER: the first allowed time; set to the slot given */
    const char *reason;  /* the event's reason ("deferred:quiet_hours"); borrowed */
    const char *detail;  /* may be NULL; borrowed */
    int64_t validity_ms; /* DEFER: > 0 sets validity_until to the slot + this; 0 keeps it */
};

/* Applies holds[0..n) to messages still submitting (claimed and not yet sent),
 * giving the claim's attempt back, with an event each; a deferred campaign
 * message gets the campaign's next free slot at or after its `at` (then
 * holds[i].at is that slot), so that a backlog leaves at the campaign's rate.
 * One write; a message no longer submitting is skipped. */
int store_campaign_hold(struct store *s, struct store_hold *holds, size_t n, struct rl_err *err);

/* --- reporting ------------------------------------------------------------------- */

struct store_campaign_error {
    char key[64]; /* the operator's error code or the rule's reason: "opted_out" */
    int64_t n;
};

struct store_campaign_report {
    int64_t by_state[MSG_STATE_COUNT];
    int64_t undelivered; /* failed or expired after the SMSC took a part */
    int64_t billed;      /* debited and not refunded */
    struct store_campaign_error errors[STORE_CAMPAIGN_ERRORS];
    size_t nerrors;
    int64_t optouts; /* numbers of the campaign opted out since optouts_since */
};

/* Fills *out for campaign id of account_id from one read snapshot. */
int store_campaign_report(struct store *s, int64_t account_id, int64_t id, int64_t optouts_since,
                          struct store_campaign_report *out, struct rl_err *err);

#endif
