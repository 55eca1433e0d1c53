/* Accounts, API keys and idempotency keys.
 *
 * An API key is 32 bytes from libsodium's CSPRNG, shown once as "rl_" +
 * base64url. Only its BLAKE2b-256 hash (crypto_generichash) is stored. A fast
 * hash is the right tool here, and a password hash (argon2, bcrypt) the wrong
 * one: password hashes are slow on purpose because passwords are guessable,
 * so each guess must cost. A 256-bit random key is not guessable — 2^256
 * candidates cannot be enumerated at any cost per guess — so slowness would
 * buy nothing, while it would cost ~50 ms of CPU on every API request and
 * forbid the lookup by index (a salted slow hash cannot be looked up; it must
 * be recomputed against each candidate row). A stolen database gives hashes
 * from which no key can be recovered. The lookup is by the hash, so the
 * comparison never runs byte by byte over the secret: timing can reveal, at
 * most, facts about a hash of a key the attacker already holds. */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

#define KEY_RANDOM_BYTES 32
#define KEY_HASH_BYTES   32
#define KEY_TAG          "rl_"

/* --- accounts ------------------------------------------------------------------ */

struct account_new {
    const char *name;
    int64_t balance;
};

static int run_account_create(struct store_conn *c, struct store_op *op)
{
    const struct account_new *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_INSERT);
    sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->balance);
    sqlite3_bind_int64(st, 3, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        int rc = store_db_err(c, &op->err, "account", "cannot create account");
        if (rc == -EEXIST)
            rl_err_set(&op->err, rc, "account", "account '%s' already exists", a->name);
        return rc;
    }
    op->res.id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_account_create(struct store *s, const char *name, int64_t balance, int64_t *id,
                         struct rl_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > STORE_ACCOUNT_NAME_MAX)
        return rl_err_set(err, RL_EINVAL, "account", "an account name has 1 to %d bytes (got %zu)",
                          STORE_ACCOUNT_NAME_MAX, len);
    struct account_new a = {name, balance};
    struct store_op op = {.run = run_account_create, .arg = &a, .bytes = len + 64};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && id)
        *id = op.res.id;
    return rc;
}

static int account_read(struct store *s, enum store_stmt_id which, const char *name, int64_t id,
                        struct store_account *out, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, which);
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        snprintf(out->name, sizeof(out->name), "%s", (const char *)sqlite3_column_text(st, 1));
        out->balance = sqlite3_column_int64(st, 2);
        out->low_balance_threshold = sqlite3_column_int64(st, 3);
        out->created_at = sqlite3_column_int64(st, 4);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = name ? rl_err_set(err, RL_ENOTFOUND, "account", "no account named '%s'", name)
                  : rl_err_set(err, RL_ENOTFOUND, "account", "no account %lld", (long long)id);
    } else {
        rc = store_db_err(c, err, "account", "cannot read account");
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

int store_account_find(struct store *s, const char *name, struct store_account *out,
                       struct rl_err *err)
{
    return account_read(s, STORE_ST_ACCOUNT_BY_NAME, name ? name : "", 0, out, err);
}

int store_account_get(struct store *s, int64_t id, struct store_account *out, struct rl_err *err)
{
    return account_read(s, STORE_ST_ACCOUNT_BY_ID, NULL, id, out, err);
}

static bool account_exists(struct store_conn *c, int64_t id)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_EXISTS);
    sqlite3_bind_int64(st, 1, id);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

struct account_credit {
    int64_t id, amount;
    bool allow_negative;
};

/* The low-balance event, in the debit's own transaction: rolled back with it,
 * so a crossing is recorded exactly once per committed crossing. */
static int low_balance_check(struct store_conn *c, int64_t id, int64_t before, int64_t after,
                             int64_t threshold, struct rl_err *err)
{
    if (threshold <= 0)
        threshold = c->low_balance;
    if (!(threshold > 0 && before >= threshold && after < threshold))
        return 0;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_EVENT_INSERT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, store_now_ms());
    sqlite3_bind_text(st, 3, "low_balance", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, after);
    sqlite3_bind_int64(st, 5, threshold);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, err, "balance", "cannot record the low-balance event");
    log_warn("billing", "low_balance", "account_id=%lld balance_micro=%lld threshold_micro=%lld",
             (long long)id, (long long)after, (long long)threshold);
    return 0;
}

int store_account_events(struct store *s, int64_t account_id, struct store_account_event *out,
                         size_t max, size_t *n, struct rl_err *err)
{
    *n = 0;
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_EVENTS);
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    int rc;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_account_event *e = &out[(*n)++];
        e->id = sqlite3_column_int64(st, 0);
        e->at = sqlite3_column_int64(st, 1);
        snprintf(e->kind, sizeof(e->kind), "%s", (const char *)sqlite3_column_text(st, 2));
        e->balance = sqlite3_column_int64(st, 3);
        e->threshold = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return 0;
}

int store_account_add(struct store_conn *c, int64_t id, int64_t amount, bool allow_negative,
                      int64_t *balance, struct rl_err *err)
{
    sqlite3_stmt *st = store_stmt(c, STORE_ST_ACCOUNT_ADD);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, amount);
    sqlite3_bind_int(st, 3, allow_negative);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t after = sqlite3_column_int64(st, 0);
        int64_t threshold = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        if (balance)
            *balance = after;
        return low_balance_check(c, id, after - amount, after, threshold, err);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_db_err(c, err, "balance", "cannot update balance");
    if (!account_exists(c, id))
        return rl_err_set(err, RL_ENOTFOUND, "account", "no account %lld", (long long)id);
    return rl_err_set(err, RL_ERANGE, "balance",
                      "account %lld has not enough credit for %lld micro-euros", (long long)id,
                      (long long)-amount);
}

static int run_account_credit(struct store_conn *c, struct store_op *op)
{
    const struct account_credit *a = op->arg;
    return store_account_add(c, a->id, a->amount, a->allow_negative, &op->res.id, &op->err);
}

int store_account_credit(struct store *s, int64_t id, int64_t amount, bool allow_negative,
                         int64_t *balance, struct rl_err *err)
{
    struct account_credit a = {id, amount, allow_negative};
    struct store_op op = {.run = run_account_credit, .arg = &a, .bytes = sizeof(a)};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && balance)
        *balance = op.res.id;
    return rc;
}

/* --- API keys ------------------------------------------------------------------ */

struct key_new {
    int64_t account_id;
    char prefix[STORE_KEY_PREFIX_LEN + 1];
    unsigned char hash[KEY_HASH_BYTES];
};

static void key_hash(const char *key, unsigned char out[KEY_HASH_BYTES])
{
    crypto_generichash(out, KEY_HASH_BYTES, (const unsigned char *)key, strlen(key), NULL, 0);
}

static int run_key_create(struct store_conn *c, struct store_op *op)
{
    const struct key_new *k = op->arg;
    if (!account_exists(c, k->account_id))
        return rl_err_set(&op->err, RL_ENOTFOUND, "account", "no account %lld",
                          (long long)k->account_id);
    sqlite3_stmt *st = store_stmt(c, STORE_ST_KEY_INSERT);
    sqlite3_bind_int64(st, 1, k->account_id);
    sqlite3_bind_text(st, 2, k->prefix, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k->hash, KEY_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "key", "cannot store key");
    op->res.id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_key_create(struct store *s, int64_t account_id, char out_key[STORE_KEY_SIZE],
                     int64_t *key_id, char *prefix, struct rl_err *err)
{
    unsigned char raw[KEY_RANDOM_BYTES];
    struct key_new k = {.account_id = account_id};
    randombytes_buf(raw, sizeof(raw));
    memcpy(out_key, KEY_TAG, sizeof(KEY_TAG) - 1);
    sodium_bin2base64(out_key + sizeof(KEY_TAG) - 1, STORE_KEY_SIZE - (sizeof(KEY_TAG) - 1), raw,
                      sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    memcpy(k.prefix, out_key, STORE_KEY_PREFIX_LEN);
    key_hash(out_key, k.hash);
    struct store_op op = {.run = run_key_create, .arg = &k, .bytes = sizeof(k)};
    int rc = store_writer_run(s, &op, err);
    if (rc != 0) {
        sodium_memzero(out_key, STORE_KEY_SIZE);
        return rc;
    }
    if (key_id)
        *key_id = op.res.id;
    if (prefix)
        memcpy(prefix, k.prefix, sizeof(k.prefix));
    return 0;
}

int store_key_lookup(struct store *s, const char *key, int64_t *account_id, int64_t *key_id)
{
    if (!key || strlen(key) != STORE_KEY_SIZE - 1 || memcmp(key, KEY_TAG, sizeof(KEY_TAG) - 1) != 0)
        return RL_ENOTFOUND;
    unsigned char h[KEY_HASH_BYTES];
    key_hash(key, h);
    struct store_conn *c = store_reader_get(s, NULL);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_KEY_LOOKUP);
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 2) == KEY_HASH_BYTES &&
        sodium_memcmp(sqlite3_column_blob(st, 2), h, KEY_HASH_BYTES) == 0) {
        if (key_id)
            *key_id = sqlite3_column_int64(st, 0);
        if (account_id)
            *account_id = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? RL_ENOTFOUND : RL_EIO;
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

struct key_revoke {
    int64_t id;
};

static int run_key_revoke(struct store_conn *c, struct store_op *op)
{
    const struct key_revoke *k = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_KEY_REVOKE);
    sqlite3_bind_int64(st, 1, k->id);
    sqlite3_bind_int64(st, 2, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "key", "cannot revoke key");
    if (sqlite3_changes(c->db) == 0)
        return rl_err_set(&op->err, RL_ENOTFOUND, "key", "no live key %lld", (long long)k->id);
    return 0;
}

int store_key_revoke(struct store *s, int64_t key_id, struct rl_err *err)
{
    struct key_revoke k = {key_id};
    struct store_op op = {.run = run_key_revoke, .arg = &k, .bytes = sizeof(k)};
    return store_writer_run(s, &op, err);
}

/* --- idempotency ------------------------------------------------------------------ */

int store_idempotency_lookup(struct store *s, int64_t account_id, const char *key,
                             int64_t *message_id, char *request_hash, struct rl_err *err)
{
    struct store_conn *c = store_reader_get(s, err);
    if (!c)
        return RL_EIO;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_IDEM_LOOKUP);
    sqlite3_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, key ? key : "");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (message_id)
            *message_id = sqlite3_column_int64(st, 0);
        if (request_hash)
            snprintf(request_hash, STORE_REQUEST_HASH_MAX + 1, "%s",
                     (const char *)sqlite3_column_text(st, 1));
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = rl_err_set(err, RL_ENOTFOUND, "idempotency_key", "key not used yet");
    } else {
        rc = store_db_err(c, err, "idempotency_key", "cannot read idempotency key");
    }
    sqlite3_reset(st);
    store_reader_put(s, c);
    return rc;
}

/* --- idempotency: the purge -------------------------------------------------------- */

struct idem_purge {
    int64_t before;
    size_t max;
    size_t purged;
};

static int run_idem_purge(struct store_conn *c, struct store_op *op)
{
    struct idem_purge *a = op->arg;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_IDEM_PURGE);
    sqlite3_bind_int64(st, 1, a->before);
    sqlite3_bind_int64(st, 2, (int64_t)a->max);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_err(c, &op->err, "idempotency", "cannot purge idempotency keys");
    a->purged = (size_t)sqlite3_changes(c->db);
    return 0;
}

int store_idempotency_purge(struct store *s, int64_t before, size_t max, size_t *purged,
                            struct rl_err *err)
{
    if (max < 1 || max > (size_t)STORE_IDEM_PURGE_BATCH * 100)
        return rl_err_set(err, RL_ERANGE, "max", "a purge deletes 1 to %d keys (got %zu)",
                          STORE_IDEM_PURGE_BATCH * 100, max);
    struct idem_purge a = {before, max, 0};
    struct store_op op = {.run = run_idem_purge, .arg = &a, .bytes = 64};
    int rc = store_writer_run(s, &op, err);
    if (rc == 0 && purged)
        *purged = a.purged;
    return rc;
}

void store_set_idempotency_ttl(struct store *s, int64_t ttl_ms)
{
    __atomic_store_n(&s->idem_ttl_ms, ttl_ms > 0 ? ttl_ms : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->idem_purge_at, 0, __ATOMIC_RELAXED);
}

/* The purge an insert queues: on the writer's thread, in its own savepoint
 * like any operation (a failure is logged and rolls back the purge alone). */
struct idem_auto {
    struct store *s;
    struct idem_purge p;
};

static int run_idem_auto(struct store_conn *c, struct store_op *op)
{
    struct idem_auto *a = op->arg;
    struct store_op inner = {.arg = &a->p};
    int rc = run_idem_purge(c, &inner);
    if (rc != 0) {
        op->err = inner.err;
        return rc;
    }
    /* A full batch leaves more behind: the next insert purges again. */
    if (a->p.purged == a->p.max)
        __atomic_store_n(&a->s->idem_purge_at, 0, __ATOMIC_RELAXED);
    if (a->p.purged)
        log_debug("store", "idempotency_purged", "keys=%zu", a->p.purged);
    return 0;
}

void store_idempotency_autopurge(struct store *s, int64_t now)
{
    int64_t ttl = __atomic_load_n(&s->idem_ttl_ms, __ATOMIC_RELAXED);
    int64_t due = __atomic_load_n(&s->idem_purge_at, __ATOMIC_RELAXED);
    /* Of the inserts that find it due at once, the one that moves the date queues it. */
    if (ttl <= 0 || now < due ||
        !__atomic_compare_exchange_n(&s->idem_purge_at, &due, now + STORE_IDEM_PURGE_EVERY_MS,
                                     false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    struct idem_auto *a = xcalloc(1, sizeof(*a));
    a->s = s;
    a->p = (struct idem_purge){now - ttl, STORE_IDEM_PURGE_BATCH, 0};
    struct store_op *op = xcalloc(1, sizeof(*op));
    op->run = run_idem_auto;
    op->arg = a;
    op->bytes = 64;
    op->free_arg = free;
    /* Never waits: with the queue full, the next insert tries again. */
    if (store_writer_submit(s, op, true) != 0)
        __atomic_store_n(&s->idem_purge_at, 0, __ATOMIC_RELAXED);
}

int store_account_row(struct store_conn *c, sqlite3_stmt *st, int64_t account_id,
                      struct rl_err *err)
{
    sqlite3_bind_int64(st, 1, account_id);
    int step = sqlite3_step(st);
    return step == SQLITE_ROW ? 0
           : step == SQLITE_DONE
               ? rl_err_set(err, RL_ENOTFOUND, "account", "no account %" PRId64, account_id)
               : store_db_err(c, err, "account", "cannot read the account");
}
