/* The one writer: a thread that owns the write connection and commits in
 * batches (group commit).
 *
 * Callers enqueue operations into a bounded queue. The thread takes
 * everything queued — up to 1,000 operations (store_set_batch_ops) or BATCH_MAX_BYTES of
 * payload, and always at least one — and runs it in ONE transaction (BEGIN
 * IMMEDIATE … COMMIT), so one fsync covers the whole batch: throughput is
 * bound by commits per second times batch size, not by one fsync per message.
 * There is no timer and no waiting for a batch to fill: while one commit is
 * syncing, the next batch accumulates by itself, so an idle store answers at
 * the latency of one commit and a busy one batches more.
 *
 * Each operation runs inside its own SAVEPOINT: one that fails (a constraint,
 * an unknown message) is rolled back alone and the rest of the batch commits.
 * If the COMMIT itself fails, every operation of the batch fails (RL_EIO).
 *
 * Backpressure: the queue holds at most QUEUE_MAX_OPS operations and
 * QUEUE_MAX_BYTES of payload (one larger operation is admitted into an empty
 * queue, or it could never enter). When it is full, synchronous writes and
 * store_*_submit block until the writer makes room — a producer faster than
 * the disk slows down instead of growing memory — while the try variants
 * return -EBUSY so that an event loop can shed or retry rather than block.
 *
 * Wake-up: producers signal `work`; the writer broadcasts `space` when it
 * takes a batch and `done` when a batch is committed. Synchronous callers wait
 * on `done` for their op's completed flag (they all belong to the batch just
 * committed, so the broadcast wakes no one in vain for long); asynchronous ops
 * get their callback on the writer thread after the commit. */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/banned.h"

#define QUEUE_MAX_OPS   4096
#define QUEUE_MAX_BYTES ((size_t)32 << 20)
#define BATCH_MAX_BYTES ((size_t)8 << 20)

struct store_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* the writer waits: something queued, or closing */
    pthread_cond_t space; /* producers wait: room in the queue */
    pthread_cond_t done;  /* synchronous callers wait: their op completed */
    struct store_op *head, *tail;
    size_t nops, bytes;
    bool closing;
    struct store_stats stats;
};

static bool has_room(const struct store_writer *w, const struct store_op *op)
{
    return w->nops == 0 || (w->nops < QUEUE_MAX_OPS && w->bytes + op->bytes <= QUEUE_MAX_BYTES);
}

/* Takes the queue's head batch; called with the lock held. */
static struct store_op *take_batch(struct store_writer *w, size_t max_ops, size_t *count)
{
    struct store_op *first = w->head, *last = first;
    size_t n = 1, bytes = first->bytes;
    while (last->next && n < max_ops && bytes + last->next->bytes <= BATCH_MAX_BYTES) {
        last = last->next;
        bytes += last->bytes;
        n++;
    }
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    w->nops -= n;
    w->bytes -= bytes;
    *count = n;
    return first;
}

static void run_one(struct store_conn *c, struct store_op *op)
{
    if (store_exec(c, STORE_ST_SP_OP) != SQLITE_DONE) {
        op->res.rc = store_db_err(c, &op->err, "store", "cannot open savepoint");
        return;
    }
    int rc = op->run(c, op);
    if (rc != 0)
        store_exec(c, STORE_ST_UNDO_OP);
    op->res.rc = rc ? rc : op->item_rc;
    store_exec(c, STORE_ST_RELEASE_OP);
}

static void fail_all(struct store_op *batch, const struct rl_err *why)
{
    for (struct store_op *op = batch; op; op = op->next) {
        op->res.rc = why->code;
        op->res.id = 0;
        op->err = *why;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Marks the journal records the batch applies (the highest, jseq), in its
 * transaction; an op that failed alone counts as applied: replaying it would
 * fail again. Returns SQLITE_DONE or SQLite's error. */
static int mark_journal(struct store_conn *c, uint64_t jseq)
{
    if (!jseq)
        return SQLITE_DONE;
    sqlite3_stmt *st = store_stmt(c, STORE_ST_JOURNAL_MARK);
    sqlite3_bind_int64(st, 1, (int64_t)jseq);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

/* Runs the batch in one transaction; *ops_ns and *commit_ns get the time
 * spent in its operations and in the COMMIT. Returns whether it committed. */
static bool run_batch(struct store *s, struct store_op *batch, uint64_t jseq, uint64_t *ops_ns,
                      uint64_t *commit_ns)
{
    uint64_t t0 = now_ns();
    *ops_ns = *commit_ns = 0;
    struct store_conn *c = s->wconn;
    struct rl_err why = {0};
    if (store_exec(c, STORE_ST_BEGIN) != SQLITE_DONE) {
        store_db_err(c, &why, "store", "cannot begin");
        why.code = RL_EIO;
        fail_all(batch, &why);
        return false;
    }
    for (struct store_op *op = batch; op; op = op->next)
        run_one(c, op);
    uint64_t t1 = now_ns();
    *ops_ns = t1 - t0;
    int rc = mark_journal(c, jseq);
    if (rc == SQLITE_DONE)
        rc = store_exec(c, STORE_ST_COMMIT);
    *commit_ns = now_ns() - t1;
    if (rc != SQLITE_DONE) {
        store_db_err(c, &why, "store", "cannot commit");
        why.code = RL_EIO;
        log_error("store", "commit_failed", "path=%s error=\"%s\"", s->path, why.msg);
        store_exec(c, STORE_ST_ROLLBACK);
        fail_all(batch, &why);
        return false;
    }
    return true;
}

/* Publishes the results: synchronous callers are woken (their op lives on
 * their stack, so it is not touched once completed is set), then the
 * asynchronous ops' callbacks run here, outside the lock. */
static void complete(struct store_writer *w, struct store_op *batch, size_t n, uint64_t ops_ns,
                     uint64_t commit_ns)
{
    struct store_op *async = NULL, **tail = &async;
    pthread_mutex_lock(&w->mu);
    w->stats.ops_ns += ops_ns;
    w->stats.commit_ns += commit_ns;
    w->stats.commits++;
    w->stats.ops += n;
    if (n > w->stats.max_batch)
        w->stats.max_batch = n;
    for (struct store_op *op = batch, *next; op; op = next) {
        next = op->next;
        if (op->sync) {
            op->completed = true;
        } else {
            op->next = NULL;
            *tail = op;
            tail = &op->next;
        }
    }
    pthread_cond_broadcast(&w->done);
    pthread_mutex_unlock(&w->mu);
    for (struct store_op *op = async, *next; op; op = next) {
        next = op->next;
        if (op->res.rc != 0)
            log_warn("store", "write_failed", "field=%s error=\"%s\"", op->err.field, op->err.msg);
        if (op->done)
            op->done(op->ctx, &op->res);
        if (op->free_arg)
            op->free_arg(op->arg);
        free(op);
    }
}

static void *writer_main(void *arg)
{
    struct store *s = arg;
    struct store_writer *w = s->w;
    pthread_setname_np(pthread_self(), "rl-store-writer"); /* for top -H and perf */
    for (;;) {
        pthread_mutex_lock(&w->mu);
        if (!w->head && !w->closing) {
            uint64_t t = now_ns();
            while (!w->head && !w->closing)
                pthread_cond_wait(&w->work, &w->mu);
            w->stats.idle_ns += now_ns() - t;
        }
        if (!w->head) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        size_t n;
        struct store_op *batch = take_batch(w, s->batch_ops, &n);
        pthread_cond_broadcast(&w->space);
        pthread_mutex_unlock(&w->mu);
        uint64_t ops_ns, commit_ns;
        uint64_t jseq = 0;
        for (struct store_op *op = batch; op; op = op->next)
            jseq = op->jseq > jseq ? op->jseq : jseq;
        bool committed = run_batch(s, batch, jseq, &ops_ns, &commit_ns);
        complete(w, batch, n, ops_ns, commit_ns);
        if (jseq && committed)
            store_journal_applied(s, jseq);
    }
    return NULL;
}

int store_writer_start(struct store *s, struct rl_err *err)
{
    struct store_writer *w = xcalloc(1, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->space, NULL);
    pthread_cond_init(&w->done, NULL);
    s->w = w;
    int rc = pthread_create(&w->thread, NULL, writer_main, s);
    if (rc != 0) {
        s->w = NULL;
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->space);
        pthread_cond_destroy(&w->done);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return rl_err_set(err, RL_EIO, "store", "cannot start the writer thread: %s",
                          rl_strerror(-rc));
    }
    return 0;
}

void store_writer_stop(struct store *s)
{
    struct store_writer *w = s->w;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    log_debug("store", "writer_stopped", "commits=%llu ops=%llu max_batch=%llu",
              (unsigned long long)w->stats.commits, (unsigned long long)w->stats.ops,
              (unsigned long long)w->stats.max_batch);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->space);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w);
    s->w = NULL;
}

/* Appends op, waiting for room unless try_only; called with the lock held. */
static int enqueue(struct store_writer *w, struct store_op *op, bool try_only)
{
    while (!w->closing && !has_room(w, op)) {
        if (try_only)
            return -EBUSY;
        pthread_cond_wait(&w->space, &w->mu);
    }
    if (w->closing)
        return RL_EIO;
    op->next = NULL;
    if (w->tail)
        w->tail->next = op;
    else
        w->head = op;
    w->tail = op;
    w->nops++;
    w->bytes += op->bytes;
    pthread_cond_signal(&w->work);
    return 0;
}

int store_writer_run(struct store *s, struct store_op *op, struct rl_err *err)
{
    struct store_writer *w = s->w;
    op->sync = true;
    op->completed = false;
    pthread_mutex_lock(&w->mu);
    int rc = enqueue(w, op, false);
    while (rc == 0 && !op->completed)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (rc != 0)
        return rl_err_set(err, rc, "store", "the store is closing");
    if (op->res.rc != 0 && err)
        *err = op->err;
    return op->res.rc;
}

int store_writer_submit(struct store *s, struct store_op *op, bool try_only)
{
    struct store_writer *w = s->w;
    op->sync = false;
    pthread_mutex_lock(&w->mu);
    int rc = enqueue(w, op, try_only);
    pthread_mutex_unlock(&w->mu);
    if (rc != 0) {
        if (op->free_arg)
            op->free_arg(op->arg);
        free(op);
    }
    return rc;
}

void store_writer_stats(struct store *s, struct store_stats *out)
{
    struct store_writer *w = s->w;
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

void store_set_batch_ops(struct store *s, unsigned n)
{
    pthread_mutex_lock(&s->w->mu);
    s->batch_ops = n ? n : STORE_BATCH_MAX_OPS;
    pthread_mutex_unlock(&s->w->mu);
}

void store_set_low_balance(struct store *s, int64_t micro)
{
    /* The writer reads it on its thread, after taking an op under this lock. */
    pthread_mutex_lock(&s->w->mu);
    s->wconn->low_balance = micro > 0 ? micro : 0;
    pthread_mutex_unlock(&s->w->mu);
}
