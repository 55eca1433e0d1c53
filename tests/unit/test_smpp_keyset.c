/* smpp_keyset: the session's bounded FIFO sets of message-id keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smpp/smpp_keyset.h"

static void key(char *out, size_t n, unsigned i)
{
    snprintf(out, n, "id%u", i);
}

static void add_find_remove(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 4);
    assert_null(smpp_keyset_find(&ks, "a"));
    assert_false(smpp_keyset_add(&ks, "a", 2, 10));
    assert_false(smpp_keyset_add(&ks, "b", 3, 11));
    const struct smpp_keyset_entry *e = smpp_keyset_find(&ks, "a");
    assert_non_null(e);
    assert_int_equal(e->value, 2);
    assert_int_equal(e->at_ms, 10);
    assert_int_equal(smpp_keyset_count(&ks), 2);
    assert_true(smpp_keyset_remove(&ks, "a"));
    assert_false(smpp_keyset_remove(&ks, "a"));
    assert_null(smpp_keyset_find(&ks, "a"));
    assert_non_null(smpp_keyset_find(&ks, "b"));
    assert_int_equal(smpp_keyset_count(&ks), 1);
    smpp_keyset_release(&ks);
}

/* Full at 3: the fourth key pushes out the first, then the second. */
static void oldest_goes_first(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 3);
    assert_false(smpp_keyset_add(&ks, "k1", 0, 1));
    assert_false(smpp_keyset_add(&ks, "k2", 0, 2));
    assert_false(smpp_keyset_add(&ks, "k3", 0, 3));
    assert_true(smpp_keyset_add(&ks, "k4", 0, 4));
    assert_null(smpp_keyset_find(&ks, "k1"));
    assert_true(smpp_keyset_add(&ks, "k5", 0, 5));
    assert_null(smpp_keyset_find(&ks, "k2"));
    assert_non_null(smpp_keyset_find(&ks, "k3"));
    assert_non_null(smpp_keyset_find(&ks, "k4"));
    assert_non_null(smpp_keyset_find(&ks, "k5"));
    assert_int_equal(smpp_keyset_count(&ks), 3);
    smpp_keyset_release(&ks);
}

/* A key added again keeps one entry, with the new value. */
static void add_again_updates(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 2);
    smpp_keyset_add(&ks, "x", 1, 1);
    assert_false(smpp_keyset_add(&ks, "x", 7, 9));
    assert_int_equal(smpp_keyset_count(&ks), 1);
    assert_int_equal(smpp_keyset_find(&ks, "x")->value, 7);
    assert_int_equal(smpp_keyset_find(&ks, "x")->at_ms, 9);
    assert_true(smpp_keyset_remove(&ks, "x"));
    assert_null(smpp_keyset_find(&ks, "x"));
    smpp_keyset_release(&ks);
}

/* A removed key leaves a hole that the ring reclaims when it comes round:
 * evicting a hole forgets nothing live. */
static void holes_are_reclaimed(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 2);
    smpp_keyset_add(&ks, "a", 0, 1);
    smpp_keyset_add(&ks, "b", 0, 2);
    smpp_keyset_remove(&ks, "a");
    assert_false(smpp_keyset_add(&ks, "c", 0, 3)); /* took a's slot */
    assert_non_null(smpp_keyset_find(&ks, "b"));
    assert_non_null(smpp_keyset_find(&ks, "c"));
    assert_true(smpp_keyset_add(&ks, "d", 0, 4)); /* now b goes */
    assert_null(smpp_keyset_find(&ks, "b"));
    smpp_keyset_release(&ks);
}

static void expire_by_time(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 8);
    for (unsigned i = 0; i < 5; i++) {
        char k[16];
        key(k, sizeof(k), i);
        smpp_keyset_add(&ks, k, 0, 100 + i * 10); /* 100, 110 … 140 */
    }
    smpp_keyset_remove(&ks, "id1");
    assert_int_equal(smpp_keyset_expire(&ks, 120), 2); /* id0, id2; id1 was a hole */
    assert_null(smpp_keyset_find(&ks, "id0"));
    assert_null(smpp_keyset_find(&ks, "id2"));
    assert_non_null(smpp_keyset_find(&ks, "id3"));
    assert_int_equal(smpp_keyset_count(&ks), 2);
    assert_int_equal(smpp_keyset_expire(&ks, 99), 0);
    assert_int_equal(smpp_keyset_expire(&ks, 1000), 2);
    assert_int_equal(smpp_keyset_count(&ks), 0);
    smpp_keyset_release(&ks);
}

/* Many keys through a small set: every key still held is found, every one
 * pushed out is not, whatever the hash chains look like. */
static void many_keys_round_the_ring(void **state)
{
    (void)state;
    enum { CAP = 100, N = 10000 };
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, CAP);
    for (unsigned i = 0; i < N; i++) {
        char k[16];
        key(k, sizeof(k), i);
        smpp_keyset_add(&ks, k, (uint8_t)i, i);
        if (i % 7 == 3)
            assert_true(smpp_keyset_remove(&ks, k));
    }
    for (unsigned i = 0; i < N; i++) {
        char k[16];
        key(k, sizeof(k), i);
        const struct smpp_keyset_entry *e = smpp_keyset_find(&ks, k);
        bool held = i >= N - CAP && i % 7 != 3;
        if (held) {
            assert_non_null(e);
            assert_int_equal(e->value, (uint8_t)i);
        } else {
            assert_null(e);
        }
    }
    smpp_keyset_release(&ks);
}

/* Keys longer than a message id are cut, not overrun. */
static void long_key_is_cut(void **state)
{
    (void)state;
    struct smpp_keyset ks;
    smpp_keyset_init(&ks, 2);
    char k[200];
    memset(k, 'z', sizeof(k) - 1);
    k[sizeof(k) - 1] = '\0';
    smpp_keyset_add(&ks, k, 1, 1);
    k[SMPP_MESSAGE_ID_SIZE - 1] = '\0';
    assert_non_null(smpp_keyset_find(&ks, k));
    smpp_keyset_release(&ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_find_remove),   cmocka_unit_test(oldest_goes_first),
        cmocka_unit_test(add_again_updates), cmocka_unit_test(holes_are_reclaimed),
        cmocka_unit_test(expire_by_time),    cmocka_unit_test(many_keys_round_the_ring),
        cmocka_unit_test(long_key_is_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
