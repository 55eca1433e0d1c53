/* The receive journal (store_journal.c) on real files: records reported
 * durable in ticket order, files gone once applied, and a replay after a
 * crash that applies exactly the records beyond journal_state — none twice,
 * none lost, a torn last record ignored. The crash is built by hand: a
 * segment written in the documented format (u32 length, u32 crc32, payload)
 * with records the database already applied, one it did not, and a torn one.
 * SQL appears only to look at the file from outside the store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "test_sql.h"

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h" /* the record encodings, to build a crash by hand */

static char dir[64], path[128], jdir[160];
static int nth;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/j%d.db", dir, ++nth);
    snprintf(jdir, sizeof(jdir), "%s.journal", path);
    return 0;
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct store_opts o = {path, true};
    struct rl_err err = {0};
    if (store_open(&o, &s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static long long count(const char *sql)
{
    return test_sql_value(path, sql);
}

static size_t segments(void)
{
    DIR *d = opendir(jdir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".rxj") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* Two queued messages, claimed: ready for ACCEPTED outcomes. */
static void two_claimed(struct store *s, int64_t ids[2])
{
    int64_t acc = 0;
    struct rl_err err = {0};
    assert_int_equal(store_account_create(s, "acme", 1000000, &acc, &err), 0);
    struct store_msg_new m[2];
    for (int i = 0; i < 2; i++)
        m[i] = (struct store_msg_new){.account_id = acc,
                                      .to = i ? "+33610203041" : "+33610203040",
                                      .from = "RELAIS",
                                      .text = "x",
                                      .encoding = MSG_ENCODING_GSM7,
                                      .segments = 1,
                                      .category = MSG_CATEGORY_TRANSACTIONAL,
                                      .state = MSG_STATE_QUEUED,
                                      .cost = 1};
    assert_int_equal(store_message_insert_batch(s, m, 2, false, ids, &err), 0);
    struct store_message out[2];
    size_t n = 0;
    assert_int_equal(store_claim_due(s, INT64_MAX / 2, 2, out, &n, &err), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        store_message_release(&out[i]);
}

static enum msg_state state_of(struct store *s, int64_t id)
{
    struct store_message m;
    assert_int_equal(store_message_get(s, 0, id, &m, NULL), 0);
    enum msg_state st = m.state;
    store_message_release(&m);
    return st;
}

/* --- live: durable in order, applied, files dropped ------------------------------ */

struct seen {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t last;
    bool out_of_order;
    int done;
};

static void on_durable(void *ud, uint64_t ticket)
{
    struct seen *v = ud;
    pthread_mutex_lock(&v->mu);
    v->out_of_order |= ticket < v->last;
    v->last = ticket;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->mu);
}

static void on_done(void *ctx, const struct store_result *r)
{
    struct seen *v = ctx;
    assert_int_equal(r->rc, 0);
    pthread_mutex_lock(&v->mu);
    v->done++;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->mu);
}

static int no_replay(void *ud, const struct store_jrec *r)
{
    (void)ud;
    (void)r;
    fail_msg("%s", "nothing should be replayed in a fresh journal");
    return -1;
}

static void durable_then_applied(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t id[2];
    two_claimed(s, id);
    struct seen v = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, 0};
    struct rl_err err = {0};
    size_t replayed = 9;
    assert_int_equal(store_journal_start(s, no_replay, NULL, on_durable, &v, &replayed, &err), 0);
    assert_int_equal(replayed, 0);
    assert_int_equal(segments(), 1);
    const char *a[] = {"A1"}, *b[] = {"B1"};
    struct store_outcome acc[2] = {{.kind = STORE_OUTCOME_ACCEPTED,
                                    .message_id = id[0],
                                    .route = "r",
                                    .operator_ids = a,
                                    .nparts = 1},
                                   {.kind = STORE_OUTCOME_ACCEPTED,
                                    .message_id = id[1],
                                    .route = "r",
                                    .operator_ids = b,
                                    .nparts = 1}};
    struct store_outcome rc = {.kind = STORE_OUTCOME_RECEIPT,
                               .route = "r",
                               .operator_id = "A1",
                               .state = MSG_STATE_DELIVERED};
    assert_int_equal(store_outcomes_submit_journaled(s, &acc[0], 1, 5, false, on_done, &v), 0);
    assert_int_equal(store_outcomes_submit_journaled(s, &acc[1], 1, 6, false, on_done, &v), 0);
    assert_int_equal(store_outcomes_submit_journaled(s, &rc, 1, 7, false, on_done, &v), 0);
    pthread_mutex_lock(&v.mu);
    while (v.last < 7 || v.done < 3)
        pthread_cond_wait(&v.cond, &v.mu);
    pthread_mutex_unlock(&v.mu);
    assert_false(v.out_of_order);
    assert_int_equal(state_of(s, id[0]), MSG_STATE_DELIVERED);
    assert_int_equal(state_of(s, id[1]), MSG_STATE_SUBMITTED);
    store_close(s);
    /* Three records, applied in their commits: the mark says 3, no file left. */
    assert_int_equal(count("SELECT applied FROM journal_state"), 3);
    assert_int_equal(segments(), 0);
}

/* --- replay after a crash ----------------------------------------------------------- */

/* Appends one record (header, seq, kind, body) to f; torn: only part of it. */
static void put_record(FILE *f, uint64_t seq, enum store_jrec_kind kind, const uint8_t *body,
                       size_t len, bool torn)
{
    size_t n = 9 + len;
    uint8_t *p = malloc(n);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(seq >> (8 * i));
    p[8] = (uint8_t)kind;
    memcpy(p + 9, body, len);
    uint32_t crc = (uint32_t)crc32(0L, p, (uInt)n);
    uint8_t h[8];
    for (int i = 0; i < 4; i++) {
        h[i] = (uint8_t)((uint32_t)n >> (8 * i));
        h[4 + i] = (uint8_t)(crc >> (8 * i));
    }
    fwrite(h, 1, 8, f);
    fwrite(p, 1, torn ? n / 2 : n, f);
    free(p);
}

struct replayer {
    struct store *s;
    int outcomes, inbound;
    uint64_t seqs[8];
    size_t n;
};

static int replay(void *ud, const struct store_jrec *r)
{
    struct replayer *rp = ud;
    rp->seqs[rp->n++] = r->seq;
    if (r->kind == STORE_JREC_INBOUND) {
        rp->inbound++;
        assert_int_equal(r->in->jseq, r->seq);
        return store_inbound_insert(rp->s, r->in, NULL, NULL);
    }
    rp->outcomes++;
    return store_outcomes_record_seq(rp->s, r->o, r->n, r->seq, NULL, NULL);
}

static void replay_exactly_what_was_not_applied(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t id[2];
    two_claimed(s, id);
    store_close(s);
    /* The database applied up to record 10 before the crash. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE journal_state SET applied = 10", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    mkdir(jdir, 0700);
    char seg[256];
    snprintf(seg, sizeof(seg), "%s/%016llx.rxj", jdir, 9ull);
    FILE *f = fopen(seg, "wb");
    assert_non_null(f);
    const char *ids0[] = {"A1"}, *ids1[] = {"B1"};
    struct store_outcome done_before = {.kind = STORE_OUTCOME_ACCEPTED,
                                        .message_id = id[0],
                                        .route = "r",
                                        .operator_ids = ids0,
                                        .nparts = 1};
    struct store_outcome lost = {.kind = STORE_OUTCOME_ACCEPTED,
                                 .message_id = id[1],
                                 .route = "r",
                                 .operator_ids = ids1,
                                 .nparts = 1,
                                 .at = 1234};
    struct store_outcome torn = {.kind = STORE_OUTCOME_RECEIPT,
                                 .route = "r",
                                 .operator_id = "B1",
                                 .state = MSG_STATE_DELIVERED};
    struct store_inbound in = {.route = "r",
                               .from = "+33610203041",
                               .to = "36180",
                               .text = "Merci\tbeaucoup",
                               .parts = 1,
                               .at = 777};
    size_t len;
    uint8_t *b = store_jrec_outcomes(&done_before, 1, 1, &len);
    put_record(f, 9, STORE_JREC_OUTCOMES, b, len, false); /* applied: skipped */
    free(b);
    b = store_jrec_outcomes(&done_before, 1, 1, &len);
    put_record(f, 10, STORE_JREC_OUTCOMES, b, len, false); /* applied: skipped */
    free(b);
    b = store_jrec_outcomes(&lost, 1, 1, &len);
    put_record(f, 11, STORE_JREC_OUTCOMES, b, len, false);
    free(b);
    b = store_jrec_inbound(&in, 1, &len);
    put_record(f, 12, STORE_JREC_INBOUND, b, len, false);
    free(b);
    b = store_jrec_outcomes(&torn, 1, 1, &len);
    put_record(f, 13, STORE_JREC_OUTCOMES, b, len, true); /* cut by the crash */
    free(b);
    fclose(f);

    s = open_store();
    struct replayer rp = {.s = s};
    struct rl_err err = {0};
    size_t replayed = 0;
    assert_int_equal(store_journal_start(s, replay, &rp, NULL, NULL, &replayed, &err), 0);
    assert_int_equal(replayed, 2);
    assert_int_equal(rp.n, 2);
    assert_int_equal(rp.seqs[0], 11);
    assert_int_equal(rp.seqs[1], 12);
    assert_int_equal(state_of(s, id[0]), MSG_STATE_SUBMITTING); /* record 9/10: not again */
    assert_int_equal(state_of(s, id[1]), MSG_STATE_SUBMITTED);
    /* The next record takes the number after the last one seen. */
    struct store_outcome rc = {.kind = STORE_OUTCOME_RECEIPT,
                               .route = "r",
                               .operator_id = "B1",
                               .state = MSG_STATE_DELIVERED};
    assert_int_equal(store_outcomes_submit_journaled(s, &rc, 1, 1, false, NULL, NULL), 0);
    store_close(s);
    assert_int_equal(count("SELECT applied FROM journal_state"), 13);
    assert_int_equal(count("SELECT count(*) FROM inbound WHERE text = 'Merci' || char(9) || "
                           "'beaucoup' AND at = 777 AND from_addr = '+33610203041'"),
                     1);
    char q[160];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM messages WHERE id = %lld AND state = 'delivered' "
             "AND history LIKE '%%1234\tsubmitted\taccepted%%'",
             (long long)id[1]);
    assert_int_equal(count(q), 1);
    assert_int_equal(segments(), 0);
}

/* A segment full of garbage: nothing replayed from it, the start goes on. */
static void garbage_is_not_replayed(void **state)
{
    (void)state;
    store_close(open_store());
    mkdir(jdir, 0700);
    char seg[256];
    snprintf(seg, sizeof(seg), "%s/%016llx.rxj", jdir, 1ull);
    FILE *f = fopen(seg, "wb");
    fputs("this is not a journal record, not even close", f);
    fclose(f);
    struct store *s = open_store();
    struct replayer rp = {.s = s};
    size_t replayed = 7;
    struct rl_err err = {0};
    assert_int_equal(store_journal_start(s, replay, &rp, NULL, NULL, &replayed, &err), 0);
    assert_int_equal(replayed, 0);
    store_close(s);
    assert_int_equal(segments(), 0);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_journal_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(durable_then_applied, setup),
        cmocka_unit_test_setup(replay_exactly_what_was_not_applied, setup),
        cmocka_unit_test_setup(garbage_is_not_replayed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
