/* The store's writer: message inserts per second with one transaction per
 * message versus group commit, under synchronous=FULL and NORMAL, and the
 * pipeline's three writes per message (insert, accepted, receipt). Real
 * files in a temporary directory; figures only, never a pass/fail. Compare
 * rows as ratios within one run: the machine is shared. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
    const char *name;
    bool full;
    unsigned batch_ops; /* 1: one transaction per operation */
    int threads;
    int per_call; /* messages per insert call: 1 like an API request, 100 like a fan-out */
    int pipeline; /* 0: inserts only; then accepted + receipt (async), 1: one op each, 2: one op per
                     100 */
    long n;
};

struct worker {
    struct store *s;
    int64_t acc;
    const struct run *r;
    long n;
    int k;
};

static struct store_msg_new msg(int64_t acc)
{
    struct store_msg_new m = {.account_id = acc,
                              .to = "+33610203040",
                              .from = "RELAIS",
                              .text = "Bonjour Marie, votre colis arrive demain. STOP au 36180",
                              .encoding = MSG_ENCODING_GSM7,
                              .segments = 1,
                              .category = MSG_CATEGORY_TRANSACTIONAL,
                              .state = MSG_STATE_QUEUED,
                              .cost = 45000,
                              .reason = "api"};
    return m;
}

/* The dispatcher's side of the pipeline for ids[0..n): claimed, then the
 * SMSC accepts each message and its receipt comes back, both recorded with
 * the asynchronous outcome calls as a connector would. */
static void pipeline(struct worker *w, int n)
{
    struct store_message out[100];
    struct store_outcome acc[100], rc[100];
    char opid[100][32];
    const char *opids[100][1];
    size_t got = 0;
    store_claim_due(w->s, INT64_MAX / 2, (size_t)n, out, &got, NULL);
    for (size_t i = 0; i < got; i++) {
        snprintf(opid[i], sizeof(opid[i]), "%d-%lld", w->k, (long long)out[i].id);
        opids[i][0] = opid[i];
        acc[i] = (struct store_outcome){.kind = STORE_OUTCOME_ACCEPTED,
                                        .message_id = out[i].id,
                                        .route = "sim",
                                        .operator_ids = opids[i],
                                        .nparts = 1};
        rc[i] = (struct store_outcome){.kind = STORE_OUTCOME_RECEIPT,
                                       .route = "sim",
                                       .operator_id = opid[i],
                                       .state = MSG_STATE_DELIVERED,
                                       .error = "000"};
        store_message_release(&out[i]);
    }
    if (w->r->pipeline == 1) {
        for (size_t i = 0; i < got; i++) {
            store_outcomes_submit(w->s, &acc[i], 1, NULL, NULL);
            store_outcomes_submit(w->s, &rc[i], 1, NULL, NULL);
        }
    } else {
        store_outcomes_submit(w->s, acc, got, NULL, NULL);
        store_outcomes_submit(w->s, rc, got, NULL, NULL);
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct store_msg_new m[100];
    int64_t ids[100];
    int per = w->r->per_call;
    for (int i = 0; i < per; i++)
        m[i] = msg(w->acc);
    for (long done = 0; done < w->n; done += per) {
        if (store_message_insert_batch(w->s, m, (size_t)per, true, ids, NULL) != 0) {
            fprintf(stderr, "insert failed\n");
            break;
        }
        if (w->r->pipeline)
            pipeline(w, per);
    }
    return NULL;
}

static void run_one(const char *dir, const struct run *r, double *rate)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/bench-%d.db", dir, getpid());
    struct store *s;
    struct store_opts o = {path, r->full};
    struct rl_err err = {0};
    if (store_open(&o, &s, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    store_set_batch_ops(s, r->batch_ops);
    int64_t acc;
    store_account_create(s, "bench", 0, &acc, NULL);
    struct store_stats before, after;
    store_stats_get(s, &before);
    struct worker w[64];
    pthread_t t[64];
    double t0 = now();
    for (int i = 0; i < r->threads; i++) {
        w[i] = (struct worker){s, acc, r, r->n / r->threads, i};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < r->threads; i++)
        pthread_join(t[i], NULL);
    /* The queue is FIFO: a synchronous write returns after every async
     * outcome queued before it is committed, so they count in the time. */
    store_account_credit(s, acc, 0, true, NULL, NULL);
    double dt = now() - t0;
    store_stats_get(s, &after);
    store_close(s);
    double commits = (double)(after.commits - before.commits);
    *rate = (double)r->n / dt;
    printf("  %-42s %7ld %6.2f s %8.0f msgs/s %7.0f commits/s %7.1f ops/commit\n", r->name, r->n,
           dt, *rate, commits / dt, (double)(after.ops - before.ops) / commits);
    char p2[560];
    unlink(path);
    snprintf(p2, sizeof(p2), "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof(p2), "%s-shm", path);
    unlink(p2);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    long base = argc > 3 ? strtol(argv[3], NULL, 10) : 4000;
    log_set_level(LOG_WARN);
    struct run runs[] = {
        {"1 txn per message, FULL, 2 threads x 1", true, 1, 2, 1, 0, base},
        {"group commit, FULL, 2 threads x 1", true, 0, 2, 1, 0, base},
        {"group commit, FULL, 32 threads x 1", true, 0, 32, 1, 0, n / 4},
        {"group commit, FULL, 2 threads x 100", true, 0, 2, 100, 0, n},
        {"1 txn per message, NORMAL, 2 threads x 1", false, 1, 2, 1, 0, base * 4},
        {"group commit, NORMAL, 32 threads x 1", false, 0, 32, 1, 0, n / 4},
        {"group commit, NORMAL, 2 threads x 100", false, 0, 2, 100, 0, n},
        {"3 writes/msg FULL, outcomes 1 per op", true, 0, 2, 100, 1, n / 4},
        {"3 writes/msg FULL, outcomes 100 per op", true, 0, 2, 100, 2, n / 2},
    };
    double rate[sizeof(runs) / sizeof(runs[0])];
    printf("store writer, %s: messages inserted (each with its first event and debit)\n", dir);
    printf("  %-42s %7s %8s %15s %17s %18s\n", "run", "msgs", "time", "rate", "commits", "batch");
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
        run_one(dir, &runs[i], &rate[i]);
    printf("ratios: group FULL 2x1 / 1-txn FULL = %.1f; group FULL 32x1 / 1-txn FULL = %.1f; "
           "group FULL 2x100 / 1-txn FULL = %.0f; NORMAL/FULL (2x100) = %.2f\n",
           rate[1] / rate[0], rate[2] / rate[0], rate[3] / rate[0], rate[6] / rate[3]);
    return 0;
}
