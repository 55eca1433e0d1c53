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
/* Writer counters since open: commits, operations committed or failed, and the
 * largest batch (operations in one transaction). For logs and the benchmark. */
struct store_stats {
    uint64_t commits;
    uint64_t ops;
    uint64_t max_batch;
};
void store_stats_get(struct store *s, struct store_stats *out);

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
 * one snapshot of a reader connection (for /metrics). Returns 0 or RL_EIO. */
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
    int64_t message_id;              /* all but RECEIPT */
    int64_t at;                      /* when it happened; 0: now */
    const char *route;               /* ACCEPTED, RECEIPT */
    const char *const *operator_ids; /* ACCEPTED: one per part, part i+1 */
    size_t nparts;
    enum msg_state
        state; /* FAILED: failed|rejected; RECEIPT: delivered|failed|expired|rejected|unknown */
    const char *error;       /* FAILED, RETRY, RECEIPT: the operator's or our error code */
    int64_t retry_at;        /* RETRY */
    int64_t refund;          /* FAILED, EXPIRED: credited back to the account */
    const char *operator_id; /* RECEIPT */
    const char *raw;         /* RECEIPT: the receipt text as received (may be NULL) */
    const char *reason;      /* the event's reason; NULL: a default per kind */
};

struct store_result {
    int rc;        /* 0, or the first failure (the commit's own failure fails all) */
    size_t failed; /* how many items failed alone (the others are committed) */
    int64_t id;    /* the row created, for single-row writes */
};
/* Called on the writer thread after the commit; must not block nor call the
 * store's synchronous writes (it would wait on itself). */
typedef void (*store_done_fn)(void *ctx, const struct store_result *r);

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
};

/* Stores an inbound message; returns after its commit (acknowledge the SMSC
 * after this). *id (may be NULL) gets its id. Borrows in. */
int store_inbound_insert(struct store *s, const struct store_inbound *in, int64_t *id,
                         struct rl_err *err);
/* The same asynchronously (copies in); done gets r->id. -EBUSY if try and full. */
int store_inbound_submit(struct store *s, const struct store_inbound *in, bool try_only,
                         store_done_fn done, void *ctx);

/* --- idempotency ----------------------------------------------------------------- */

#define STORE_REQUEST_HASH_MAX 128

/* Finds the request that used key for account_id: *message_id (0 if none was
 * created) and request_hash (STORE_REQUEST_HASH_MAX + 1 bytes). RL_ENOTFOUND
 * if the key is unused. */
int store_idempotency_lookup(struct store *s, int64_t account_id, const char *key,
                             int64_t *message_id, char *request_hash, struct rl_err *err);

#endif
