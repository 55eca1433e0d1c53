/* Campaigns in the SQLite store, on real files in a temporary directory: the
 * schema's checks, create/get/list per account, the launch's lease (a live
 * launch is not taken over, a silent one is; a write under a lost lease is
 * refused and undone), a batch the balance cannot pay writes nothing, the
 * sweeps with their refunds, reschedules, the dispatcher's holds paced at the
 * campaign's rate with the attempt given back, the messages' validity written
 * at launch and moved by a deferral or a reschedule, what the gate reads of a
 * campaign, the account's own opt-out mentions, the report and settling.
 * Expected values are worked out by hand from the rows each test writes; SQL
 * appears only to look at the file from outside the store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_sql.h"

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "core/banned.h"

static char dir[64];
static char path[128];
static int seq;

static const char aud[] = "{\"lists\":[],\"numbers\":[\"+33612345601\"],\"exclude_lists\":[]}";

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct store_opts o = {path, false};
    struct rl_err err = {0};
    snprintf(path, sizeof(path), "%s/c%d.db", dir, ++seq);
    if (store_open(&o, &s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static int64_t account(struct store *s, const char *name, int64_t balance)
{
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_account_create(s, name, balance, &id, &err) != 0)
        fail_msg("account: %s", err.msg);
    return id;
}

static long long sql_int(const char *sql)
{
    return test_sql_value(path, sql);
}

/* Runs sql outside the store; returns SQLite's result code. */
static int sql_exec(const char *sql)
{
    return test_sql_exec(path, sql);
}

static int64_t create(struct store *s, int64_t acc, const char *name, double rate)
{
    struct store_campaign_new n = {.account_id = acc,
                                   .name = name,
                                   .category = "marketing",
                                   .text = "Soldes!",
                                   .audience = aud,
                                   .rate = rate};
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_campaign_create(s, &n, &id, &err) != 0)
        fail_msg("create: %s", err.msg);
    return id;
}

static struct store_msg_new msg(int64_t acc, const char *to, int64_t at, int64_t cost)
{
    return (struct store_msg_new){.account_id = acc,
                                  .to = to,
                                  .from = "",
                                  .text = "Soldes!",
                                  .segments = 1,
                                  .category = MSG_CATEGORY_MARKETING,
                                  .state = MSG_STATE_SCHEDULED,
                                  .cost = cost,
                                  .scheduled_for = at};
}

/* The schema refuses what no code path may write. */
static void test_schema(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 0);
    create(s, acc, "ok", 0);
    static const char *const bad[] = {
        "UPDATE campaigns SET state = 'running'",
        "UPDATE campaigns SET kind = 'survey'",
        "UPDATE campaigns SET category = 'Offers!'",
        "UPDATE campaigns SET template = 'x'", /* text and template both */
        "UPDATE campaigns SET text = NULL",    /* neither */
        "UPDATE campaigns SET rate = 0",
        "UPDATE campaigns SET audience = '{'",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sql_exec(bad[i]) != SQLITE_CONSTRAINT)
            fail_msg("accepted: %s", bad[i]);
    /* No IN list of more than two values in a CHECK: 0005_hot_path.sql. */
    assert_int_equal(sql_int("SELECT count(*) FROM sqlite_schema WHERE name = 'campaigns' "
                             "AND sql LIKE '% IN (%'"),
                     0);
    /* The report's index is partial: a message outside campaigns never enters it. */
    assert_int_equal(sql_int("SELECT count(*) FROM sqlite_schema WHERE name = "
                             "'messages_campaign' AND sql LIKE '%WHERE campaign_id IS NOT NULL%'"),
                     1);
    store_close(s);
}

static void test_create_get_list(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "a", 0), b = account(s, "b", 0);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = create(s, a, i == 1 ? "deux" : "autre", i == 2 ? 2.5 : 0);
    create(s, b, "other account", 0);
    struct store_campaign c;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_get(s, a, ids[1], &c, &err), 0);
    assert_string_equal(c.name, "deux");
    assert_string_equal(c.kind, "broadcast");
    assert_string_equal(c.category, "marketing");
    assert_int_equal(c.state, STORE_CAMPAIGN_DRAFT);
    assert_null(c.template_text);
    assert_null(c.figures);
    store_campaign_release(&c);
    assert_int_equal(store_campaign_get(s, a, ids[2], &c, &err), 0);
    assert_true(c.rate == 2.5);
    store_campaign_release(&c);
    assert_int_equal(store_campaign_get(s, b, ids[1], &c, &err), RL_ENOTFOUND);
    /* Pages of two: ids 1, 2 then 3; account b's is not listed. */
    struct store_campaign_page p;
    assert_int_equal(store_campaign_list(s, a, NULL, 2, &p, &err), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.items[1].id, ids[1]);
    char cur[STORE_CURSOR_SIZE];
    snprintf(cur, sizeof(cur), "%s", p.next_cursor);
    store_campaign_page_release(&p);
    assert_int_equal(store_campaign_list(s, a, cur, 2, &p, &err), 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.items[0].id, ids[2]);
    assert_string_equal(p.next_cursor, "");
    store_campaign_page_release(&p);
    assert_int_equal(store_campaign_list(s, a, "nonsense", 2, &p, &err), RL_EINVAL);
    assert_string_equal(err.field, "cursor");
    store_close(s);
}

/* A launch holds a lease: a second begin is refused while it is fresh; once
 * stale it is taken over, and the first launch's writes are refused (its
 * batch undone whole). */
static void test_launch_lease(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 1000000);
    int64_t id = create(s, acc, "x", 0);
    bool resumed = true;
    int64_t lease1 = 0, lease2 = 0;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_launch_begin(s, acc, id, 60000, &resumed, &lease1, &err), 0);
    assert_false(resumed);
    assert_int_equal(store_campaign_launch_begin(s, acc, id, 60000, &resumed, &lease2, &err),
                     -EBUSY);
    struct store_msg_new m[2] = {msg(acc, "+33612345601", 2000, 45000),
                                 msg(acc, "+33612345602", 1000, 45000)};
    m[0].validity_until = 2000 + 172800000; /* 48 h from its slot */
    assert_int_equal(store_campaign_launch_batch(s, id, m, 2, 5000000, &lease1, &err), 0);
    /* The validity as given; none (0) is stored as none. */
    assert_int_equal(sql_int("SELECT validity_until FROM messages WHERE to_e164 = '+33612345601'"),
                     172802000);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE to_e164 = '+33612345602' "
                             "AND validity_until IS NULL"),
                     1);
    assert_int_equal(sql_int("SELECT messages FROM campaigns"), 2);
    assert_int_equal(sql_int("SELECT first_send_at FROM campaigns"), 1000);
    assert_int_equal(sql_int("SELECT last_send_at FROM campaigns"), 2000);
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 1000000 - 90000);
    /* With a negative staleness every heartbeat is old: taken over, a resume,
     * under a lease of its own. */
    assert_int_equal(store_campaign_launch_begin(s, acc, id, -60000, &resumed, &lease2, &err), 0);
    assert_true(resumed);
    assert_true(lease2 > lease1);
    struct store_msg_new m3 = msg(acc, "+33612345603", 3000, 45000);
    assert_int_equal(store_campaign_launch_batch(s, id, &m3, 1, 0, &lease1, &err), -EBUSY);
    assert_int_equal(sql_int("SELECT count(*) FROM messages"), 2); /* undone */
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 1000000 - 90000);
    assert_int_equal(
        store_campaign_launch_end(s, id, STORE_CAMPAIGN_SENDING, "{}", 7, lease2, &err), 0);
    assert_int_equal(sql_int("SELECT pace_us FROM campaigns"), 7);
    assert_int_equal(sql_int("SELECT count(*) FROM campaigns WHERE state = 'sending' AND "
                             "heartbeat_at IS NULL"),
                     1);
    /* The numbers written, for a resumed launch: in id order. */
    int64_t ids[4];
    char phones[4][STORE_PHONE_SIZE];
    size_t n = 0;
    assert_int_equal(store_campaign_numbers(s, id, 0, 4, ids, phones, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(phones[0], "+33612345601");
    assert_string_equal(phones[1], "+33612345602");
    store_close(s);
}

/* 3 x 0.045 with 0.10 on the account: refused, nothing written. */
static void test_launch_batch_balance(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 100000);
    int64_t id = create(s, acc, "x", 0);
    bool resumed;
    int64_t lease;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_launch_begin(s, acc, id, 60000, &resumed, &lease, &err), 0);
    struct store_msg_new m[3] = {msg(acc, "+33612345601", 1, 45000),
                                 msg(acc, "+33612345602", 1, 45000),
                                 msg(acc, "+33612345603", 1, 45000)};
    assert_int_equal(store_campaign_launch_batch(s, id, m, 3, 0, &lease, &err), RL_ERANGE);
    assert_string_equal(err.field, "balance");
    assert_int_equal(sql_int("SELECT count(*) FROM messages"), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM message_events"), 0);
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 100000);
    assert_int_equal(store_campaign_launch_error(s, id, "balance", "{}", &err), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM campaigns WHERE launch_error = 'balance'"), 1);
    /* An error recorded: a new begin resumes at once. */
    assert_int_equal(store_campaign_launch_begin(s, acc, id, 60000, &resumed, &lease, &err), 0);
    assert_true(resumed);
    store_close(s);
}

static int64_t launched(struct store *s, int64_t acc, int64_t id, size_t n, int64_t at)
{
    static const char *const to[] = {"+33612345601", "+33612345602", "+33612345603", "+33612345604",
                                     "+33612345605"};
    bool resumed;
    int64_t lease;
    struct rl_err err = {0};
    struct store_msg_new m[5];
    for (size_t i = 0; i < n; i++)
        m[i] = msg(acc, to[i], at, 45000);
    assert_int_equal(store_campaign_launch_begin(s, acc, id, 60000, &resumed, &lease, &err), 0);
    assert_int_equal(store_campaign_launch_batch(s, id, m, n, 0, &lease, &err), 0);
    assert_int_equal(store_campaign_launch_end(s, id, STORE_CAMPAIGN_SENDING, "{}", 0, lease, &err),
                     0);
    return lease;
}

/* Park 5 in chunks of 2 (2, 2, 1, 0), reschedule them, cancel them all with
 * one refund per chunk: the balance is whole again. */
static void test_sweeps(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 1000000);
    int64_t id = create(s, acc, "x", 0);
    launched(s, acc, id, 5, 1000);
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 1000000 - 5 * 45000);
    size_t done, total = 0;
    struct rl_err err = {0};
    const size_t want[] = {2, 2, 1, 0};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(store_campaign_sweep(s, id, STORE_CAMPAIGN_SWEEP_PARK, "campaign_paused",
                                              2, &done, NULL, &err),
                         0);
        assert_int_equal(done, want[i]);
        total += done;
    }
    assert_int_equal(total, 5);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'draft'"), 5);
    assert_int_equal(sql_int("SELECT count(*) FROM message_events WHERE reason = "
                             "'campaign_paused' AND state = 'draft'"),
                     5);
    int64_t ids[8];
    char phones[8][STORE_PHONE_SIZE];
    size_t n;
    assert_int_equal(store_campaign_drafts(s, id, 0, 8, ids, phones, &n, &err), 0);
    assert_int_equal(n, 5);
    /* Two back at 5000 (future: scheduled) and 1 (past: queued); the second
     * valid until 777 from now on, the first keeping its own (none). */
    struct store_campaign_slot sl[2] = {{ids[0], INT64_MAX / 2, NULL, 0}, {ids[1], 1, "x", 777}};
    assert_int_equal(store_campaign_reschedule(s, id, sl, 2, 42, &err), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'scheduled'"), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'queued'"), 1);
    char q[128];
    snprintf(q, sizeof(q), "SELECT coalesce(validity_until, -1) FROM messages WHERE id = %lld",
             (long long)ids[1]);
    assert_int_equal(sql_int(q), 777);
    snprintf(q, sizeof(q), "SELECT coalesce(validity_until, -1) FROM messages WHERE id = %lld",
             (long long)ids[0]);
    assert_int_equal(sql_int(q), -1);
    assert_int_equal(sql_int("SELECT pace_us FROM campaigns"), 42);
    int64_t refunded = 0, r;
    do {
        assert_int_equal(store_campaign_sweep(s, id, STORE_CAMPAIGN_SWEEP_CANCEL,
                                              "campaign_cancelled", 3, &done, &r, &err),
                         0);
        refunded += r;
    } while (done);
    assert_int_equal(refunded, 5 * 45000);
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 1000000);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'cancelled'"), 5);
    store_close(s);
}

/* Holds on claimed messages: three deferred at 1000 s with a rate of 2 a
 * second get 1000 s, +500 ms, +1000 ms, the first with its validity started
 * again there (1000.5 s + 60 s for the second: it asked for 60 s), the third
 * keeping its own; a park and a cancel (refunded); a message not submitting
 * any more is left alone. */
static void test_holds(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 1000000);
    int64_t id = create(s, acc, "x", 2);
    launched(s, acc, id, 5, 1);
    struct store_message m[5];
    size_t n = 0;
    struct rl_err err = {0};
    assert_int_equal(store_claim_due(s, 10, 5, m, &n, &err), 0);
    assert_int_equal(n, 5);
    int64_t ids[5], cids[5];
    for (size_t i = 0; i < n; i++)
        ids[i] = m[i].id;
    assert_int_equal(store_campaign_of_messages(s, ids, n, cids, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cids[i], id);
    assert_int_equal(sql_int("SELECT sum(attempts) FROM messages"), 5);
    struct store_hold h[5];
    for (size_t i = 0; i < 3; i++)
        h[i] = (struct store_hold){ids[i], id, STORE_HOLD_DEFER, 1000000, "deferred:quiet_hours",
                                   NULL,   0};
    h[1].validity_ms = 60000;
    h[3] = (struct store_hold){ids[3], id, STORE_HOLD_PARK, 0, "campaign_paused", NULL, 0};
    h[4] = (struct store_hold){ids[4], id, STORE_HOLD_CANCEL, 0, "campaign_cancelled", NULL, 0};
    assert_int_equal(store_campaign_hold(s, h, 5, &err), 0);
    assert_int_equal(h[0].at, 1000000);
    assert_int_equal(h[1].at, 1000500);
    assert_int_equal(h[2].at, 1001000);
    char q[128];
    snprintf(q, sizeof(q), "SELECT coalesce(validity_until, -1) FROM messages WHERE id = %lld",
             (long long)ids[1]);
    assert_int_equal(sql_int(q), 1060500);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE validity_until IS NULL"), 4);
    assert_int_equal(sql_int("SELECT pace_us FROM campaigns"), 1001500000LL);
    assert_int_equal(sql_int("SELECT sum(attempts) FROM messages"), 0); /* given back */
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'scheduled'"), 3);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'draft'"), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM messages WHERE state = 'cancelled'"), 1);
    assert_int_equal(sql_int("SELECT balance FROM accounts"), 1000000 - 4 * 45000);
    /* Applied again: nothing is submitting, nothing changes. */
    assert_int_equal(store_campaign_hold(s, h, 5, &err), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM message_events WHERE reason LIKE "
                             "'deferred:%' OR reason LIKE 'campaign_%'"),
                     5);
    for (size_t i = 0; i < n; i++)
        store_message_release(&m[i]);
    store_close(s);
}

/* Five messages in known states, parts and receipts written from outside:
 * delivered 1, submitted 1, failed after the SMSC took it 1 (billed, error
 * '005'), rejected opted_out 1 (refunded), queued 1 (pending, debited). */
static void test_report_and_settle(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 1000000);
    int64_t id = create(s, acc, "x", 0);
    launched(s, acc, id, 5, 1);
    assert_int_equal(
        sql_exec("UPDATE messages SET state = 'delivered' WHERE id = 1;"
                 "UPDATE messages SET state = 'submitted' WHERE id = 2;"
                 "UPDATE messages SET state = 'failed' WHERE id = 3;"
                 "INSERT INTO message_parts VALUES (3, 1, 'OP3', 'r', 'failed', "
                 "'005', 0);"
                 "UPDATE messages SET state = 'rejected', reason = 'opted_out', history = "
                 "history || '5' || char(9) || 'rejected' || char(9) || 'opted_out' || "
                 "char(9) || char(10) WHERE id = 4;"
                 "UPDATE messages SET state = 'queued' WHERE id = 5;"
                 "INSERT INTO consent_events (account_id, phone, scope, action, "
                 "source, at) VALUES (1, '+33612345602', 'marketing', 'opt_out', "
                 "'keyword', 9000000000000000), (1, '+33699999999', 'marketing', 'opt_out', "
                 "'keyword', 9000000000000000)"),
        SQLITE_OK);
    struct store_campaign_report r;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_report(s, acc, id, 0, &r, &err), 0);
    assert_int_equal(r.by_state[MSG_STATE_DELIVERED], 1);
    assert_int_equal(r.by_state[MSG_STATE_SUBMITTED], 1);
    assert_int_equal(r.by_state[MSG_STATE_FAILED], 1);
    assert_int_equal(r.by_state[MSG_STATE_REJECTED], 1);
    assert_int_equal(r.by_state[MSG_STATE_QUEUED], 1);
    assert_int_equal(r.undelivered, 1);
    /* delivered, submitted, queued, and the failure the SMSC took: 4 x 0.045 */
    assert_int_equal(r.billed, 4 * 45000);
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.errors[0].key, "005");
    assert_string_equal(r.errors[1].key, "opted_out");
    assert_int_equal(r.optouts, 1); /* +33699999999 got nothing from it */
    enum store_campaign_state st;
    assert_int_equal(store_campaign_settle(s, id, &st, &err), 0);
    assert_int_equal(st, STORE_CAMPAIGN_SENDING); /* one still queued */
    assert_int_equal(sql_exec("UPDATE messages SET state = 'delivered' WHERE id = 5"), SQLITE_OK);
    assert_int_equal(store_campaign_settle(s, id, &st, &err), 0);
    assert_int_equal(st, STORE_CAMPAIGN_DONE);
    assert_int_equal(sql_int("SELECT count(*) FROM campaigns WHERE finished_at > 0"), 1);
    assert_int_equal(store_campaign_report(s, account(s, "other", 0), id, 0, &r, &err),
                     RL_ENOTFOUND);
    store_close(s);
}

/* What the dispatcher's gate reads of a campaign: state, window, zone, and
 * the category and opt-in its consent check needs. */
static void test_rules_of_a_campaign(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 0);
    struct store_campaign_new n = {.account_id = acc,
                                   .name = "offres",
                                   .category = "offers",
                                   .require_optin = true,
                                   .text = "Soldes!",
                                   .audience = aud,
                                   .window = "mon-fri 09:00-19:00",
                                   .timezone = "America/New_York"};
    int64_t id = 0;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_create(s, &n, &id, &err), 0);
    struct store_campaign_rules r;
    assert_int_equal(store_campaign_rules(s, id, &r, &err), 0);
    assert_int_equal(r.state, STORE_CAMPAIGN_DRAFT);
    assert_string_equal(r.window, "mon-fri 09:00-19:00");
    assert_string_equal(r.zone, "America/New_York");
    assert_string_equal(r.category, "offers");
    assert_true(r.require_optin);
    int64_t plain = create(s, acc, "x", 0);
    assert_int_equal(store_campaign_rules(s, plain, &r, &err), 0);
    assert_string_equal(r.window, "");
    assert_string_equal(r.zone, "");
    assert_string_equal(r.category, "marketing");
    assert_false(r.require_optin);
    assert_int_equal(store_campaign_rules(s, plain + 100, &r, &err), RL_ENOTFOUND);
    store_close(s);
}

/* The account's own mentions: none at first, then the object as written,
 * removed with NULL; an unknown account and a value that is not an object
 * are refused. */
static void test_account_mentions(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 0);
    char *json = (char *)"unset";
    struct rl_err err = {0};
    assert_int_equal(store_account_mentions_get(s, acc, &json, &err), 0);
    assert_null(json);
    assert_int_equal(store_account_mentions_set(s, acc, "{\"FR\":\"STOP au 36999\"}", &err), 0);
    assert_int_equal(store_account_mentions_get(s, acc, &json, &err), 0);
    assert_string_equal(json, "{\"FR\":\"STOP au 36999\"}");
    free(json);
    assert_int_not_equal(store_account_mentions_set(s, acc, "[\"FR\"]", &err), 0);
    assert_int_equal(store_account_mentions_set(s, acc, NULL, &err), 0);
    assert_int_equal(store_account_mentions_get(s, acc, &json, &err), 0);
    assert_null(json);
    assert_int_equal(store_account_mentions_set(s, acc + 1, "{}", &err), RL_ENOTFOUND);
    assert_int_equal(store_account_mentions_get(s, acc + 1, &json, &err), RL_ENOTFOUND);
    store_close(s);
}

static void test_transition(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 0);
    int64_t id = create(s, acc, "x", 0);
    enum store_campaign_state was;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_transition(s, acc, id, STORE_CAMPAIGN_BIT(SENDING),
                                               STORE_CAMPAIGN_PAUSED, &was, &err),
                     RL_EINVAL);
    assert_string_equal(err.field, "state");
    assert_non_null(strstr(err.msg, "draft"));
    assert_int_equal(store_campaign_transition(s, acc, id, STORE_CAMPAIGN_BIT(DRAFT),
                                               STORE_CAMPAIGN_CANCELLED, &was, &err),
                     0);
    assert_int_equal(was, STORE_CAMPAIGN_DRAFT);
    assert_int_equal(sql_int("SELECT count(*) FROM campaigns WHERE state = 'cancelled' AND "
                             "finished_at > 0"),
                     1);
    assert_int_equal(store_campaign_transition(s, acc + 1, id, STORE_CAMPAIGN_BIT(CANCELLED),
                                               STORE_CAMPAIGN_DONE, &was, &err),
                     RL_ENOTFOUND);
    store_close(s);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_store_campaigns_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_create_get_list),
        cmocka_unit_test(test_launch_lease),
        cmocka_unit_test(test_launch_batch_balance),
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_holds),
        cmocka_unit_test(test_report_and_settle),
        cmocka_unit_test(test_rules_of_a_campaign),
        cmocka_unit_test(test_account_mentions),
        cmocka_unit_test(test_transition),
    };
    int rc = cmocka_run_group_tests_name("store_campaigns", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
