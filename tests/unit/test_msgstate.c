/* The message state machine: the store's state names, the table of allowed
 * moves checked pair by pair against a list written out here independently
 * of msgstate.c, and the connector's outcomes as states and reason tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "domain/msgstate.h"

#define S(x) MSG_STATE_##x

static void names_are_the_schema_values(void **state)
{
    (void)state;
    /* The TEXT values of messages.state, in the schema's order. */
    static const char *const want[] = {
        "draft",
        "scheduled",
        "queued",
        "submitting",
        "submitted",
        "delivered",
        "partially_delivered",
        "failed",
        "expired",
        "rejected",
        "cancelled",
        "retrying",
        "unknown",
    };
    static const char *const got[] = {
#define XX(c, name) name,
        MSG_STATE_MAP(XX)
#undef XX
    };
    assert_int_equal(MSG_STATE_COUNT, 13);
    assert_int_equal(sizeof(got) / sizeof(got[0]), 13);
    for (size_t i = 0; i < 13; i++)
        assert_string_equal(got[i], want[i]);
}

/* The moves DESIGN §3 allows, as decided in msgstate.c. */
static const struct {
    enum msg_state from, to;
} edges[] = {
    {S(DRAFT), S(SCHEDULED)},
    {S(DRAFT), S(QUEUED)},
    {S(DRAFT), S(CANCELLED)},
    {S(SCHEDULED), S(QUEUED)},
    {S(SCHEDULED), S(CANCELLED)},
    {S(SCHEDULED), S(SUBMITTING)},
    {S(SCHEDULED), S(EXPIRED)},
    {S(SUBMITTING), S(REJECTED)},
    {S(QUEUED), S(SUBMITTING)},
    {S(QUEUED), S(REJECTED)},
    {S(QUEUED), S(CANCELLED)},
    {S(QUEUED), S(EXPIRED)},
    {S(SUBMITTING), S(SUBMITTED)},
    {S(SUBMITTING), S(RETRYING)},
    {S(SUBMITTING), S(EXPIRED)},
    {S(SUBMITTING), S(FAILED)},
    {S(SUBMITTING), S(UNKNOWN)},
    {S(SUBMITTING), S(QUEUED)},
    {S(RETRYING), S(SUBMITTING)},
    {S(RETRYING), S(REJECTED)},
    {S(RETRYING), S(CANCELLED)},
    {S(RETRYING), S(EXPIRED)},
    {S(SUBMITTED), S(DELIVERED)},
    {S(SUBMITTED), S(PARTIALLY_DELIVERED)},
    {S(SUBMITTED), S(FAILED)},
    {S(SUBMITTED), S(EXPIRED)},
    {S(SUBMITTED), S(UNKNOWN)},
    {S(UNKNOWN), S(DELIVERED)},
    {S(UNKNOWN), S(PARTIALLY_DELIVERED)},
    {S(UNKNOWN), S(FAILED)},
    {S(UNKNOWN), S(EXPIRED)},
};

/* The name from the header's map, without linking the store. */
static const char *name_of(int s)
{
    static const char *const names[] = {
#define XX(c, name) name,
        MSG_STATE_MAP(XX)
#undef XX
    };
    return s >= 0 && s < MSG_STATE_COUNT ? names[s] : "?";
}

static bool listed(enum msg_state from, enum msg_state to)
{
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        if (edges[i].from == from && edges[i].to == to)
            return true;
    }
    return false;
}

static void every_pair_matches_the_list(void **state)
{
    (void)state;
    size_t allowed = 0;
    for (int f = 0; f < MSG_STATE_COUNT; f++) {
        for (int t = 0; t < MSG_STATE_COUNT; t++) {
            bool want = listed((enum msg_state)f, (enum msg_state)t);
            if (msgstate_can_move((enum msg_state)f, (enum msg_state)t) != want)
                fail_msg("%s -> %s: expected %s", name_of(f), name_of(t),
                         want ? "allowed" : "refused");
            allowed += want;
        }
    }
    assert_int_equal(allowed, 31); /* 13 x 13 = 169 pairs, 31 of them moves */
}

static void paths(void **state)
{
    (void)state;
    /* The happy path, and the restart path for a stale submitting. */
    assert_true(msgstate_can_move(S(DRAFT), S(SCHEDULED)));
    assert_true(msgstate_can_move(S(SCHEDULED), S(QUEUED)));
    assert_true(msgstate_can_move(S(QUEUED), S(SUBMITTING)));
    assert_true(msgstate_can_move(S(SUBMITTING), S(SUBMITTED)));
    assert_true(msgstate_can_move(S(SUBMITTED), S(DELIVERED)));
    assert_true(msgstate_can_move(S(SUBMITTING), S(QUEUED)));
    /* Once at the SMSC, the SMSC retries, not us. */
    assert_false(msgstate_can_move(S(SUBMITTED), S(RETRYING)));
    /* No skipping the written-before-sent step, no cancel in flight. */
    assert_false(msgstate_can_move(S(QUEUED), S(SUBMITTED)));
    assert_false(msgstate_can_move(S(SUBMITTING), S(CANCELLED)));
    assert_false(msgstate_can_move(S(SCHEDULED), S(SUBMITTED)));
    assert_false(msgstate_can_move(S(DRAFT), S(SUBMITTING)));
    /* No self moves (a duplicate receipt is not a transition), nothing out of range. */
    assert_false(msgstate_can_move(S(DELIVERED), S(DELIVERED)));
    assert_false(msgstate_can_move(S(QUEUED), MSG_STATE_COUNT));
    assert_false(msgstate_can_move((enum msg_state) - 1, S(QUEUED)));
    assert_false(msgstate_can_move(MSG_STATE_COUNT, S(QUEUED)));
}

static void final_and_initial(void **state)
{
    (void)state;
    /* Final: 7 states; every final state but unknown has no move out. */
    int nfinal = 0;
    for (int s = 0; s < MSG_STATE_COUNT; s++) {
        if (!msgstate_is_final((enum msg_state)s))
            continue;
        nfinal++;
        for (int t = 0; t < MSG_STATE_COUNT && s != S(UNKNOWN); t++)
            assert_false(msgstate_can_move((enum msg_state)s, (enum msg_state)t));
    }
    assert_int_equal(nfinal, 7);
    assert_true(msgstate_is_final(S(DELIVERED)));
    assert_true(msgstate_is_final(S(PARTIALLY_DELIVERED)));
    assert_true(msgstate_is_final(S(REJECTED)));
    assert_true(msgstate_is_final(S(UNKNOWN)));
    assert_false(msgstate_is_final(S(SUBMITTED)));
    assert_false(msgstate_is_final(S(RETRYING)));
    assert_false(msgstate_is_final(S(QUEUED)));
    assert_true(msgstate_is_initial(S(DRAFT)));
    assert_true(msgstate_is_initial(S(SCHEDULED)));
    assert_true(msgstate_is_initial(S(QUEUED)));
    assert_true(msgstate_is_initial(S(REJECTED)));
    assert_false(msgstate_is_initial(S(SUBMITTING)));
    assert_false(msgstate_is_initial(S(DELIVERED)));
}

static void smpp_results(void **state)
{
    (void)state;
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_SUBMITTED), S(SUBMITTED));
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_DELIVERED), S(DELIVERED));
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_PARTIALLY_DELIVERED),
                     S(PARTIALLY_DELIVERED));
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_FAILED), S(FAILED));
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_EXPIRED), S(EXPIRED));
    assert_int_equal(msgstate_from_smpp_result(SMPP_MSG_UNKNOWN), S(UNKNOWN));
    /* Every result lands on a state reachable from submitted. */
    for (int r = SMPP_MSG_DELIVERED; r <= SMPP_MSG_UNKNOWN; r++)
        assert_true(msgstate_can_move(S(SUBMITTED), msgstate_from_smpp_result(r)));
}

static void fail_reasons(void **state)
{
    (void)state;
    char out[64];
    /* "smsc_refused:ESME_RINVDSTADR" is 12 + 1 + 15 = 28 characters. */
    assert_int_equal(msgstate_reason_smpp_fail(0x0B, SMPP_FAIL_PERMANENT, out, sizeof(out)), 28);
    assert_string_equal(out, "smsc_refused:ESME_RINVDSTADR");
    assert_int_equal(msgstate_reason_smpp_fail(0x45, SMPP_FAIL_PERMANENT, out, sizeof(out)), 29);
    assert_string_equal(out, "smsc_refused:ESME_RSUBMITFAIL");
    /* A vendor code has no name: its number, 8 hex digits. */
    assert_true(msgstate_reason_smpp_fail(0x400, SMPP_FAIL_PERMANENT, out, sizeof(out)) > 0);
    assert_string_equal(out, "smsc_refused:0x00000400");
    assert_int_equal(msgstate_reason_smpp_fail(0, SMPP_FAIL_UNKNOWN, out, sizeof(out)), 14);
    assert_string_equal(out, "submit_timeout");
    assert_int_equal(msgstate_reason_smpp_fail(0, SMPP_FAIL_STOPPED, out, sizeof(out)), 15);
    assert_string_equal(out, "session_stopped");
    /* 15 characters and a NUL need 16 bytes. */
    assert_int_equal(msgstate_reason_smpp_fail(0, SMPP_FAIL_STOPPED, out, 15), RL_ETOOLONG);
    assert_int_equal(msgstate_reason_smpp_fail(0, SMPP_FAIL_STOPPED, out, 16), 15);
}

static void receipt_reasons(void **state)
{
    (void)state;
    char out[64];
    struct smpp_receipt r;
    memset(&r, 0, sizeof(r));
    r.state = SMPP_DLR_UNDELIVERABLE;
    r.err = 1;
    assert_int_equal(msgstate_reason_receipt(&r, out, sizeof(out)), 21);
    assert_string_equal(out, "undeliverable:err=001");
    r.state = SMPP_DLR_REJECTED;
    r.err = 12;
    r.has_network_error = true;
    r.network_error_type = 3; /* GSM */
    r.network_error = 34;
    assert_true(msgstate_reason_receipt(&r, out, sizeof(out)) > 0);
    assert_string_equal(out, "rejected:err=012:net=3.34");
    r.state = SMPP_DLR_DELIVERED;
    r.err = -1;
    r.has_network_error = false;
    assert_int_equal(msgstate_reason_receipt(&r, out, sizeof(out)), 9);
    assert_string_equal(out, "delivered");
    r.state = SMPP_DLR_EXPIRED;
    r.err = 0;
    assert_true(msgstate_reason_receipt(&r, out, sizeof(out)) > 0);
    assert_string_equal(out, "expired:err=000");
    assert_int_equal(msgstate_reason_receipt(&r, out, 8), RL_ETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_the_schema_values),
        cmocka_unit_test(every_pair_matches_the_list),
        cmocka_unit_test(paths),
        cmocka_unit_test(final_and_initial),
        cmocka_unit_test(smpp_results),
        cmocka_unit_test(fail_reasons),
        cmocka_unit_test(receipt_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
