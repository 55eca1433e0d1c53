/* WAL checkpoints on a thread of their own.
 *
 * SQLite's default runs a checkpoint inside the COMMIT that takes the WAL past
 * 1,000 pages, on the committing thread: here the one writer, which then
 * copies pages into the database file and syncs it while every API request
 * and receipt waits for its next commit (about 4 % of the writer's time on
 * bench/pipeline, in bursts of several milliseconds). So the writer's
 * connection has automatic checkpoints off, its WAL hook wakes this thread
 * past CKPT_PAGES, and a PASSIVE checkpoint on this thread's own connection
 * copies what no reader still needs, beside the writer and without blocking
 * it (docs: wal.html, "Checkpointing"; c3ref/wal_checkpoint_v2.html).
 *
 * A passive checkpoint cannot finish while a reader holds an old snapshot,
 * and the WAL only restarts from its beginning after one did; if the WAL
 * still grows past CKPT_FORCE_PAGES, the writer checkpoints itself, as
 * SQLite would have, so that the file stays bounded whatever the readers do. */
#include "store/store_int.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

#define CKPT_PAGES       1000 /* SQLite's own default threshold */
#define CKPT_FORCE_PAGES 20000

struct store_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool wanted, closing;
    sqlite3 *db;
    uint64_t runs;
};

static void *ckpt_main(void *arg)
{
    struct store_ckpt *k = arg;
    pthread_setname_np(pthread_self(), "rl-store-ckpt");
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->wanted && !k->closing)
            pthread_cond_wait(&k->cond, &k->mu);
        if (k->closing)
            break;
        k->wanted = false;
        pthread_mutex_unlock(&k->mu);
        int log_pages = 0, done = 0;
        int rc =
            sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warn("store", "checkpoint_failed", "error=\"%s\"", sqlite3_errmsg(k->db));
        pthread_mutex_lock(&k->mu);
        k->runs++;
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* The writer's WAL hook: after each commit, with the WAL's size in pages. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store_ckpt *k = arg;
    if (pages >= CKPT_FORCE_PAGES) {
        /* The thread could not keep up (a long reader): do it here. */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&k->mu);
        if (!k->wanted) {
            k->wanted = true;
            pthread_cond_signal(&k->cond);
        }
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

int store_ckpt_start(struct store *s, struct rl_err *err)
{
    struct store_ckpt *k = xcalloc(1, sizeof(*k));
    if (sqlite3_open_v2(s->path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = rl_err_set(err, RL_EIO, "store.path", "%s: cannot open for checkpoints: %s",
                            s->path, k->db ? sqlite3_errmsg(k->db) : "cannot allocate");
        sqlite3_close(k->db);
        free(k);
        return rc;
    }
    /* The checkpoint syncs the database file as the writer's setting says. */
    sqlite3_exec(k->db, s->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                 NULL, NULL, NULL);
    sqlite3_busy_timeout(k->db, 1000);
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cond, NULL);
    int rc = pthread_create(&k->thread, NULL, ckpt_main, k);
    if (rc != 0) {
        pthread_cond_destroy(&k->cond);
        pthread_mutex_destroy(&k->mu);
        sqlite3_close(k->db);
        free(k);
        return rl_err_set(err, RL_EIO, "store", "cannot start the checkpoint thread: %s",
                          rl_strerror(-rc));
    }
    s->ckpt = k;
    /* Installed last: from here on the writer's commits wake the thread. */
    sqlite3_wal_hook(s->wconn->db, on_wal, k);
    return 0;
}

void store_ckpt_stop(struct store *s)
{
    struct store_ckpt *k = s->ckpt;
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    k->closing = true;
    pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    log_debug("store", "checkpointer_stopped", "runs=%llu", (unsigned long long)k->runs);
    sqlite3_close(k->db);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->mu);
    free(k);
    s->ckpt = NULL;
}
