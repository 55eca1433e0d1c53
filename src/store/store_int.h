#ifndef RL_STORE_INT_H
#define RL_STORE_INT_H

/* The SQLite store's private parts, shared by store_*.c and nothing else. */

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

/* Every statement relais runs, prepared once per connection (persistent) and
 * reused: a message insert costs a bind and a step, not a parse. */
#define STORE_STMT_MAP(XX)                                                                         \
    XX(BEGIN, "BEGIN IMMEDIATE")                                                                   \
    XX(COMMIT, "COMMIT")                                                                           \
    XX(ROLLBACK, "ROLLBACK")                                                                       \
    XX(SP_OP, "SAVEPOINT op")                                                                      \
    XX(RELEASE_OP, "RELEASE op")                                                                   \
    XX(UNDO_OP, "ROLLBACK TO op")                                                                  \
    XX(SP_ITEM, "SAVEPOINT item")                                                                  \
    XX(RELEASE_ITEM, "RELEASE item")                                                               \
    XX(UNDO_ITEM, "ROLLBACK TO item")                                                              \
    XX(ACCOUNT_INSERT, "INSERT INTO accounts (name, balance, created_at) VALUES (?1, ?2, ?3)")     \
    XX(ACCOUNT_BY_NAME, "SELECT id, name, balance, low_balance_threshold, created_at "             \
                        "FROM accounts WHERE name = ?1")                                           \
    XX(ACCOUNT_BY_ID, "SELECT id, name, balance, low_balance_threshold, created_at "               \
                      "FROM accounts WHERE id = ?1")                                               \
    XX(ACCOUNT_ADD, "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1 "                    \
                    "AND (?3 OR balance + ?2 >= 0 OR ?2 >= 0) "                                    \
                    "RETURNING balance, low_balance_threshold")                                    \
    XX(ACCOUNT_EVENT_INSERT, "INSERT INTO account_events (account_id, at, kind, balance, "         \
                             "threshold) VALUES (?1, ?2, ?3, ?4, ?5)")                             \
    XX(ACCOUNT_EVENTS, "SELECT id, at, kind, balance, threshold FROM account_events "              \
                       "WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2")                          \
    XX(ACCOUNT_EXISTS, "SELECT 1 FROM accounts WHERE id = ?1")                                     \
    XX(KEY_INSERT, "INSERT INTO api_keys (account_id, prefix, hash, created_at) "                  \
                   "VALUES (?1, ?2, ?3, ?4)")                                                      \
    XX(KEY_LOOKUP, "SELECT id, account_id, hash FROM api_keys "                                    \
                   "WHERE hash = ?1 AND revoked_at IS NULL")                                       \
    XX(KEY_REVOKE, "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")     \
    XX(MSG_INSERT,                                                                                 \
       "INSERT INTO messages (account_id, to_e164, from_addr, text, encoding, segments, "          \
       "category, state, route, cost, scheduled_for, validity_until, metadata, "                   \
       "idempotency_key, request_hash, created_at, updated_at, history, reason, "                  \
       "validity_default) "                                                                        \
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, " \
       "?18, ?19)")                                                                                \
    XX(IDEM_INSERT, "INSERT INTO idempotency (account_id, key, request_hash, message_id, "         \
                    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)")                                     \
    XX(IDEM_LOOKUP, "SELECT message_id, request_hash FROM idempotency "                            \
                    "WHERE account_id = ?1 AND key = ?2")                                          \
    /* The oldest keys created before ?1, at most ?2 (index idempotency_created). */               \
    XX(IDEM_PURGE, "DELETE FROM idempotency WHERE (account_id, key) IN (SELECT account_id, key "   \
                   "FROM idempotency WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)")         \
    XX(MSG_GET, "SELECT " STORE_MSG_COLS " FROM messages WHERE id = ?1")                           \
    XX(PARTS_GET, "SELECT part, operator_id, route, state, error FROM message_parts "              \
                  "WHERE message_id = ?1 ORDER BY part")                                           \
    XX(HISTORY_GET, "SELECT history FROM messages WHERE id = ?1")                                  \
    XX(MSG_LIST, "SELECT " STORE_MSG_COLS " FROM messages WHERE account_id = ?1 "                  \
                 "AND (?2 IS NULL OR state = ?2) AND created_at >= ?3 "                            \
                 "AND (created_at, id) < (?4, ?5) ORDER BY created_at DESC, id DESC LIMIT ?6")     \
    XX(MSG_STATE, "SELECT state, account_id, cost FROM messages WHERE id = ?1")                    \
    XX(MSG_COUNTS, "SELECT state, count(*) FROM messages GROUP BY state")                          \
    /* Each change of state appends its history line (?4 or ?N) and reason in                      \
     * the same UPDATE: one row rewrite, not a rewrite and an insert. */                           \
    XX(MSG_SET_STATE, "UPDATE messages SET state = ?2, updated_at = ?3, "                          \
                      "history = history || ?4, reason = ?5 WHERE id = ?1")                        \
    XX(MSG_RETRY, "UPDATE messages SET state = 'retrying', scheduled_for = ?2, updated_at = ?3, "  \
                  "history = history || ?4, reason = ?5 WHERE id = ?1")                            \
    /* The first term repeats messages_due's WHERE, without which SQLite does                      \
     * not use that partial index (it does not infer it from state = ?1). */                       \
    XX(CLAIM,                                                                                      \
       "UPDATE messages SET state = 'submitting', attempts = attempts + 1, updated_at = ?3, "      \
       "history = history || ?4 || (attempts + 1) || char(10), reason = 'claimed' "                \
       "WHERE id IN (SELECT id FROM messages WHERE (state = 'retrying' "                           \
       "OR state = 'queued' OR state = 'scheduled') AND state = ?1 AND scheduled_for <= ?3 "       \
       "ORDER BY scheduled_for, id LIMIT ?2) RETURNING " STORE_MSG_COLS)                           \
    XX(STALE, "UPDATE messages SET state = 'queued', updated_at = ?1, history = history || ?2, "   \
              "reason = 'possible_duplicate' WHERE state = 'submitting' RETURNING id")             \
    XX(PART_UPSERT,                                                                                \
       "INSERT INTO message_parts (message_id, part, operator_id, route, state, error, "           \
       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (message_id, part) DO "        \
       "UPDATE SET operator_id = excluded.operator_id, route = excluded.route, "                   \
       "state = excluded.state, error = excluded.error, updated_at = excluded.updated_at")         \
    XX(MSG_ACCEPT, "UPDATE messages SET state = 'submitted', route = ?2, updated_at = ?3, "        \
                   "history = history || ?4, reason = ?5 WHERE id = ?1 AND state = 'submitting'")  \
    XX(MSG_VERDICT, "UPDATE messages SET state = ?2, updated_at = ?3, history = history || ?4, "   \
                    "reason = ?5 WHERE id = ?1 AND state != ?2")                                   \
    XX(PART_RECEIPT, "UPDATE message_parts SET state = ?3, error = ?4, updated_at = ?5 "           \
                     "WHERE message_id = ?1 AND part = ?2 AND route = ?6 AND operator_id = ?7 "    \
                     "AND state != ?3")                                                            \
    /* A receipt's part by operator id, with how many parts its message has. */                    \
    XX(PART_FIND_RECEIPT,                                                                          \
       "SELECT p.message_id, p.part, (SELECT count(*) FROM message_parts q WHERE "                 \
       "q.message_id = p.message_id) FROM message_parts p WHERE p.route = ?1 AND "                 \
       "p.operator_id = ?2 ORDER BY p.message_id DESC LIMIT 1")                                    \
    XX(PART_FIND, "SELECT message_id, part, state FROM message_parts WHERE route = ?1 "            \
                  "AND operator_id = ?2 ORDER BY message_id DESC LIMIT 1")                         \
    XX(PART_SET, "UPDATE message_parts SET state = ?3, error = ?4, updated_at = ?5 "               \
                 "WHERE message_id = ?1 AND part = ?2")                                            \
    XX(PART_STATES, "SELECT state, count(*) FROM message_parts WHERE message_id = ?1 "             \
                    "GROUP BY state")                                                              \
    XX(RECEIPT_INSERT, "INSERT INTO receipts (route, operator_id, state, err, raw, message_id, "   \
                       "at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                  \
    XX(RECEIPT_PENDING, "SELECT id, state, err, at FROM receipts WHERE route = ?1 "                \
                        "AND operator_id = ?2 AND message_id IS NULL ORDER BY id")                 \
    XX(RECEIPT_MATCH, "UPDATE receipts SET message_id = ?2 WHERE id = ?1")                         \
    XX(REFUND, "UPDATE accounts SET balance = balance + ?2 "                                       \
               "WHERE id = (SELECT account_id FROM messages WHERE id = ?1)")                       \
    XX(JOURNAL_APPLIED, "SELECT applied FROM journal_state WHERE id = 1")                          \
    XX(JOURNAL_MARK, "UPDATE journal_state SET applied = ?1 WHERE id = 1 AND applied < ?1")        \
    XX(INBOUND_INSERT, "INSERT INTO inbound (route, from_addr, to_addr, text, parts, at) "         \
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")

/* The columns store_row_message reads, in its order. */
#define STORE_MSG_COLS                                                                             \
    "id, account_id, to_e164, from_addr, text, encoding, segments, category, state, route, "       \
    "cost, scheduled_for, validity_until, attempts, metadata, idempotency_key, created_at, "       \
    "updated_at, validity_default"

/* Each area's statements come from its own header, so that one list does not
 * grow into every change. */
#include "store/store_sql_contacts.h"
#include "store/store_sql_consent.h"
#include "store/store_sql_campaigns.h"
#include "store/store_sql_routes.h"

#define STORE_STMT_ALL(XX)                                                                         \
    STORE_STMT_MAP(XX)                                                                             \
    STORE_STMT_CONTACTS(XX)                                                                        \
    STORE_STMT_CONSENT(XX)                                                                         \
    STORE_STMT_CAMPAIGNS(XX)                                                                       \
    STORE_STMT_ROUTES(XX)

enum store_stmt_id {
#define XX(id, sql) STORE_ST_##id,
    STORE_STMT_ALL(XX)
#undef XX
        STORE_ST_COUNT
};

/* One SQLite connection and its prepared statements; used by one thread at a time. */
struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *st[STORE_ST_COUNT];
    struct store_conn *next; /* in the idle readers' list */
    int64_t low_balance;     /* the writer's: store_opts.low_balance */
};

struct store_writer;
struct store_ckpt;
struct store_journal;

struct store {
    char *path;
    unsigned version;
    bool sync_full;
    unsigned batch_ops;              /* cap on operations per commit; under the writer's lock */
    struct store_conn *wconn;        /* the writer's; owned by its thread once started */
    pthread_mutex_t rmu;             /* guards readers */
    struct store_conn *readers;      /* idle reader connections */
    int64_t counts[MSG_STATE_COUNT]; /* store_message_counts' last count, under rmu */
    int64_t counts_at;               /* when; 0: never */
    unsigned nreaders;               /* idle count, capped */
    struct store_writer *w;
    struct store_ckpt *ckpt;       /* WAL checkpoints off the writer's thread */
    struct store_journal *journal; /* the receive journal, once started */
    int64_t idem_ttl_ms;           /* store_set_idempotency_ttl; 0: keys kept for good */
    int64_t idem_purge_at;         /* when a purge is next due (__atomic); 0: at the next insert */
};

/* One write operation. run executes on the writer thread inside the batch's
 * transaction and its own savepoint; it returns 0, or a negative code after
 * filling err (its changes are then rolled back alone). */
struct store_op;
typedef int (*store_op_fn)(struct store_conn *c, struct store_op *op);

struct store_op {
    store_op_fn run;
    void *arg;                   /* borrowed from a synchronous caller; owned by an async op */
    size_t bytes;                /* payload estimate, for the queue and batch byte caps */
    void (*free_arg)(void *arg); /* async: frees arg after done */
    store_done_fn done;          /* async: called after commit */
    void *ctx;
    struct store_result res;
    int item_rc; /* the first failure of an item that failed alone (see run_outcomes) */
    struct rl_err err;
    uint64_t jseq; /* the journal record it applies, 0 none (journal_state) */
    bool sync;
    bool completed; /* set under the writer's lock when res is final */
    struct store_op *next;
};

/* How old store_message_counts' answer may be. */
#define STORE_COUNTS_MAX_AGE_MS 1000

/* The default cap on operations per commit (store_set_batch_ops). */
#define STORE_BATCH_MAX_OPS 1000

/* Starts the writer thread on s->wconn; returns 0 or RL_EIO. */
int store_writer_start(struct store *s, struct rl_err *err);
/* Drains the queue, commits it, and joins the thread. */
void store_writer_stop(struct store *s);
/* Starts the checkpoint thread and hooks it to the writer's connection
 * (before the writer starts); returns 0 or RL_EIO. */
int store_ckpt_start(struct store *s, struct rl_err *err);
/* Unhooks and joins it; after store_writer_stop. */
void store_ckpt_stop(struct store *s);
/* Enqueues op (borrowed) and waits for the commit that holds it; returns
 * op->res.rc with *err filled from op->err. */
int store_writer_run(struct store *s, struct store_op *op, struct rl_err *err);
/* Enqueues op (taken: heap, freed after done) and returns; -EBUSY when try_only
 * and the queue is full (op is then freed, done not called). */
int store_writer_submit(struct store *s, struct store_op *op, bool try_only);
/* Whether the journal runs (started, not stopped): records are worth
 * encoding. */
bool store_journal_active(struct store *s);
/* store_writer_submit through the journal when it runs: the record (kind,
 * body[0..len), borrowed) gets the next number, op->jseq, and is appended
 * once op is queued; ticket goes to durable_fn once it is written. */
int store_journal_submit(struct store *s, struct store_op *op, enum store_jrec_kind kind,
                         const void *body, size_t len, uint64_t ticket, bool try_only);
/* Submits op, the write of inbound message in: journaled first when
 * in->journal, marked as the replay of in->jseq when that is set. */
int store_inbound_op_submit(struct store *s, struct store_op *op, const struct store_inbound *in,
                            bool try_only);
/* The writer committed every journal record up to seq. */
void store_journal_applied(struct store *s, uint64_t seq);
/* Stops the journal if it runs and frees it; after store_writer_stop. */
void store_journal_free(struct store *s);
/* The encodings of a record's body (store_journal.c); *len gets its size;
 * returns a new buffer (free). */
uint8_t *store_jrec_outcomes(const struct store_outcome *o, size_t n, int64_t now, size_t *len);
uint8_t *store_jrec_inbound(const struct store_inbound *in, int64_t now, size_t *len);
void store_writer_stats(struct store *s, struct store_stats *out);

/* Returns the statement id of c, reset and with bindings cleared, preparing it
 * on first use; NULL on a prepare failure (a bug: the SQL is ours). */
sqlite3_stmt *store_stmt(struct store_conn *c, enum store_stmt_id id);
/* Runs a statement that returns no rows (or ignores them); returns SQLite's rc. */
int store_exec(struct store_conn *c, enum store_stmt_id id);
/* Fills err from c's last SQLite error: -EEXIST for a UNIQUE violation,
 * RL_EINVAL for another constraint, RL_EIO otherwise. Returns the code. */
int store_db_err(struct store_conn *c, struct rl_err *err, const char *field, const char *what);
/* A reader connection for this thread's use (return with store_reader_put). */
struct store_conn *store_reader_get(struct store *s, struct rl_err *err);
void store_reader_put(struct store *s, struct store_conn *c);
void store_conn_free(struct store_conn *c);

int64_t store_now_ms(void);
/* Binds text (NULL binds NULL). */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Returns a new copy of column i, or NULL for NULL. */
char *store_col_dup(sqlite3_stmt *st, int i);
/* Reads a row of STORE_MSG_COLS into m (zeroed first). */
void store_row_message(sqlite3_stmt *st, struct store_message *m);
/* Adds amount to account id's balance (see store_account_credit); *balance
 * (may be NULL) gets the new balance. */
int store_account_add(struct store_conn *c, int64_t id, int64_t amount, bool allow_negative,
                      int64_t *balance, struct rl_err *err);
/* Binds account_id to st's ?1 and steps it: 0 on a row (read it, then reset
 * st), RL_ENOTFOUND "no account N", or the store's error, err filled. */
int store_account_row(struct store_conn *c, sqlite3_stmt *st, int64_t account_id,
                      struct rl_err *err);
/* A message's history lives in its row (migration 0010): one line per change,
 * "<at>\t<state>\t<reason>\t<detail>\n", with backslash, tab and newline in
 * reason and detail escaped as \\ \t \n. */
#define STORE_HISTORY_LINE_MAX 768
/* Writes the line for one change into out (cap bytes, NUL-terminated);
 * reason and detail (may be NULL) are cut so that the line fits. Returns
 * out. */
const char *store_history_line(char *out, size_t cap, int64_t at, enum msg_state st,
                               const char *reason, const char *detail);
/* Reads history (borrowed) into *events (new array, free each reason and
 * detail and the array) and *n, oldest first; a malformed line is skipped. */
void store_history_parse(const char *history, struct store_event **events, size_t *n);
/* Moves message id to state with its history line and reason, in one
 * UPDATE. */
int store_state_set(struct store_conn *c, int64_t id, enum msg_state state, int64_t at,
                    const char *reason, const char *detail, struct rl_err *err);
/* Queues a purge of idempotency keys older than the TTL when one is due
 * (store_set_idempotency_ttl); never waits. Called by inserts with a key,
 * before their own op, so the purge commits with or before them. */
void store_idempotency_autopurge(struct store *s, int64_t now);
/* Applies one consent change inside the caller's transaction (checked by the
 * caller): the state, and an event when it changed (*changed says). */
int store_consent_apply(struct store_conn *c, const struct store_consent_change *ch, int64_t now,
                        bool *changed, struct rl_err *err);

#endif
