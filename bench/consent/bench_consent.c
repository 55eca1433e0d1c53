/* Consent at send time: the dispatcher asks, for every marketing message,
 * whether its number is opted out (consent_dispatch_opted_out: one
 * primary-key lookup on a reader connection). Figures for that check with
 * 100,000 opt-outs among 1,000,000 numbers, from one thread (as the
 * dispatcher calls it) and from four; and the cost of the messages_to index
 * (0004_consent: which account an inbound STOP is for) on message inserts
 * with distinct numbers, with and without it. Real files under the directory
 * given; figures only, never a pass/fail. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "domain/consent.h"
#include "store/store.h"

#define NUMBERS  1000000L
#define OPTOUTS  100000L
#define LOOKUPS  1000000L
#define INSERTS  200000L
#define PER_CALL 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The i-th number of the run: +336 and 8 digits, spread by a multiplier. */
static void number(long i, char out[STORE_CONSENT_PHONE_SIZE])
{
    snprintf(out, STORE_CONSENT_PHONE_SIZE, "+336%08ld", (i * 7919L) % 100000000L);
}

static struct store *open_at(const char *dir, const char *name)
{
    char path[512];
    struct store *s = NULL;
    struct rl_err err = {0};
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    remove(path);
    struct store_opts o = {path, false};
    if (store_open(&o, &s, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        exit(1);
    }
    return s;
}

struct worker {
    struct consent *c;
    int64_t acc;
    long n, seed, hits;
};

static void *lookups(void *arg)
{
    struct worker *w = arg;
    char n[STORE_CONSENT_PHONE_SIZE];
    unsigned x = (unsigned)w->seed;
    for (long i = 0; i < w->n; i++) {
        x = x * 1103515245u + 12345u;
        number((long)(x % NUMBERS), n);
        w->hits += consent_dispatch_opted_out(w->c, w->acc, n);
    }
    return NULL;
}

static void bench_lookups(const char *dir)
{
    struct store *s = open_at(dir, "lookups.db");
    struct rl_err err = {0};
    int64_t acc = 0;
    store_account_create(s, "acme", 0, &acc, &err);
    /* Every tenth number opted out, written in batches as an import would. */
    struct store_consent_change *c = calloc(10000, sizeof(*c));
    char(*phones)[STORE_CONSENT_PHONE_SIZE] = calloc(10000, sizeof(*phones));
    double t0 = now();
    for (long done = 0; done < OPTOUTS;) {
        size_t k = 0;
        for (; k < 10000 && done < OPTOUTS; k++, done++) {
            number(done * 10, phones[k]);
            c[k] = (struct store_consent_change){
                acc, phones[k], NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_IMPORT, NULL, 0};
        }
        if (store_consent_record_batch(s, c, k, NULL, &err) != 0) {
            fprintf(stderr, "record: %s\n", err.msg);
            exit(1);
        }
    }
    printf("opt-outs recorded: %ld in %.2f s (batches of 10,000)\n", OPTOUTS, now() - t0);
    struct cfg cf;
    struct consent cs;
    cfg_init(&cf);
    if (consent_init(&cs, s, &cf, &err) != 0) {
        fprintf(stderr, "consent_init: %s\n", err.msg);
        exit(1);
    }
    for (int threads = 1; threads <= 4; threads *= 4) {
        struct worker w[4];
        pthread_t th[4];
        t0 = now();
        for (int i = 0; i < threads; i++) {
            w[i] = (struct worker){&cs, acc, LOOKUPS / threads, 17 + i, 0};
            pthread_create(&th[i], NULL, lookups, &w[i]);
        }
        long hits = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            hits += w[i].hits;
        }
        double dt = now() - t0;
        printf("opted-out checks, %d thread%s: %ld in %.2f s = %.0f checks/s, %.2f us each "
               "(%ld opted out, ~10%% expected)\n",
               threads, threads > 1 ? "s" : "", LOOKUPS, dt, LOOKUPS / dt,
               dt * 1e6 / LOOKUPS * threads, hits);
    }
    /* The batch form a campaign's audience uses: 500 numbers per call. */
    const char *batch[500];
    enum store_consent_status st[500];
    long outs = 0;
    t0 = now();
    for (long done = 0; done < LOOKUPS; done += 500) {
        for (int k = 0; k < 500; k++) {
            number(((done + k) * 7) % NUMBERS, phones[k]);
            batch[k] = phones[k];
        }
        store_consent_status_batch(s, acc, NULL, batch, 500, st, &err);
        for (int k = 0; k < 500; k++)
            outs += st[k] == STORE_CONSENT_OPTED_OUT;
    }
    double dt = now() - t0;
    printf("status_batch, 500 numbers a call, 1 thread: %ld in %.2f s = %.0f numbers/s, "
           "%.2f us each (%ld opted out)\n",
           LOOKUPS, dt, LOOKUPS / dt, dt * 1e6 / LOOKUPS, outs);
    consent_release(&cs);
    cfg_release(&cf);
    free(c);
    free(phones);
    store_close(s);
}

static double bench_inserts(const char *dir, bool with_index)
{
    struct store *s = open_at(dir, with_index ? "with_index.db" : "without_index.db");
    struct rl_err err = {0};
    int64_t acc = 0;
    store_account_create(s, "acme", 0, &acc, &err);
    if (!with_index) {
        sqlite3 *db;
        char path[512];
        snprintf(path, sizeof(path), "%s/without_index.db", dir);
        sqlite3_open(path, &db);
        sqlite3_exec(db, "DROP INDEX messages_to", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    struct store_msg_new m[PER_CALL];
    char to[PER_CALL][STORE_CONSENT_PHONE_SIZE];
    double t0 = now();
    for (long i = 0; i < INSERTS; i += PER_CALL) {
        for (int k = 0; k < PER_CALL; k++) {
            number(i + k, to[k]);
            m[k] = (struct store_msg_new){.account_id = acc,
                                          .to = to[k],
                                          .from = "SHOP",
                                          .text = "Promo -20% ce week-end. STOP au 36180",
                                          .segments = 1,
                                          .category = MSG_CATEGORY_MARKETING,
                                          .state = MSG_STATE_QUEUED,
                                          .reason = "api"};
        }
        if (store_message_insert_batch(s, m, PER_CALL, false, NULL, &err) != 0) {
            fprintf(stderr, "insert: %s\n", err.msg);
            exit(1);
        }
    }
    double dt = now() - t0;
    store_close(s);
    return INSERTS / dt;
}

static double median3(const double v[3])
{
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    log_set_level(LOG_WARN);
    bench_lookups(dir);
    /* Alternated, three rounds, medians: the machine is shared, so compare
     * within a run. */
    double with[3], without[3];
    for (int i = 0; i < 3; i++) {
        without[i] = bench_inserts(dir, false);
        with[i] = bench_inserts(dir, true);
    }
    double w = median3(with), wo = median3(without);
    printf("message inserts, %ld distinct numbers in calls of %d, synchronous=NORMAL, median of "
           "3: %.0f/s without messages_to, %.0f/s with it (%+.1f%%)\n",
           INSERTS, PER_CALL, wo, w, (w - wo) * 100 / wo);
    return 0;
}
