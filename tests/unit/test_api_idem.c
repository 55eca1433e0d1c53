/* The registry of Idempotency-Keys in flight: one holder per (account, key),
 * released keys free again, and under 8 threads racing for the same few keys
 * never two holders at once (each holder checks a per-key counter it alone
 * may raise). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/api_idem.h"

static void begin_end(void **state)
{
    (void)state;
    struct api_idem *r = api_idem_new();
    assert_true(api_idem_begin(r, 1, "order-1"));
    assert_false(api_idem_begin(r, 1, "order-1"));
    assert_true(api_idem_begin(r, 2, "order-1"));  /* another account */
    assert_true(api_idem_begin(r, 1, "order-10")); /* another key, same prefix */
    assert_int_equal(api_idem_count(r), 3);
    api_idem_end(r, 1, "order-1");
    api_idem_end(r, 1, "order-1"); /* not held any more: ignored */
    api_idem_end(r, 3, "never");
    assert_int_equal(api_idem_count(r), 2);
    assert_true(api_idem_begin(r, 1, "order-1"));
    /* Freed with keys still held (a server stopping): no leak under ASan. */
    api_idem_free(r);
    api_idem_free(NULL);
}

/* Many keys land in the same buckets: each still has its own holder. */
static void many_keys(void **state)
{
    (void)state;
    struct api_idem *r = api_idem_new();
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        assert_true(api_idem_begin(r, i % 7, k));
    }
    assert_int_equal(api_idem_count(r), 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(k, sizeof(k), "k%d", i);
        assert_false(api_idem_begin(r, i % 7, k));
        api_idem_end(r, i % 7, k);
    }
    assert_int_equal(api_idem_count(r), 2500);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(api_idem_begin(r, i % 7, k), i % 2 == 0);
    }
    api_idem_free(r);
}

#define THREADS 8
#define ROUNDS  20000
#define KEYS    3

struct race {
    struct api_idem *r;
    int holders[KEYS]; /* __atomic */
    int overlaps;      /* __atomic: two holders seen at once */
    int wins[THREADS];
};

struct worker {
    struct race *race;
    int id;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    struct race *rc = w->race;
    char key[8];
    for (int i = 0; i < ROUNDS; i++) {
        int k = (i + w->id) % KEYS;
        snprintf(key, sizeof(key), "key%d", k);
        if (!api_idem_begin(rc->r, 42, key))
            continue;
        if (__atomic_add_fetch(&rc->holders[k], 1, __ATOMIC_SEQ_CST) != 1)
            __atomic_add_fetch(&rc->overlaps, 1, __ATOMIC_SEQ_CST);
        rc->wins[w->id]++;
        __atomic_sub_fetch(&rc->holders[k], 1, __ATOMIC_SEQ_CST);
        api_idem_end(rc->r, 42, key);
    }
    return NULL;
}

static void one_holder_under_threads(void **state)
{
    (void)state;
    struct race rc;
    memset(&rc, 0, sizeof(rc));
    rc.r = api_idem_new();
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&rc, i};
        assert_int_equal(pthread_create(&t[i], NULL, run, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += rc.wins[i];
    }
    assert_int_equal(rc.overlaps, 0);
    assert_true(total > 0);
    assert_int_equal(api_idem_count(rc.r), 0);
    api_idem_free(rc.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(begin_end),
        cmocka_unit_test(many_keys),
        cmocka_unit_test(one_holder_under_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
