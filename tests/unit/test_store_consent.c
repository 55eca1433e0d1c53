/* Consent in the SQLite store, on real files in a temporary directory: the
 * state and its history, the send-time check, batches, lists with cursors,
 * the append-only history, inbound keywords applied in the inbound message's
 * transaction (which account, the confirmation, the account's switch, too
 * little credit), a consent failure that keeps the inbound message, the
 * settings and the link key. SQL appears only to look at the file from
 * outside the store; every expected value is worked out by hand from the
 * rules in src/domain/consent.h and src/store/store_consent.c's header. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_sql.h"

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"

static char dir[64];
static char path[128];
static int seq;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "%s/c%d.db", dir, ++seq);
    return 0;
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct store_opts o = {path, false};
    struct rl_err err = {0};
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

/* Runs sql from outside the store; returns the first column of its first row. */
static long long sql_int(const char *sql)
{
    return test_sql_value(path, sql);
}

static int sql_exec(const char *sql)
{
    return test_sql_exec(path, sql);
}

static bool record(struct store *s, int64_t acc, const char *phone, const char *scope,
                   enum store_consent_status st, enum store_consent_source src, const char *detail)
{
    struct store_consent_change c = {acc, phone, scope, st, src, detail, 0};
    struct rl_err err = {0};
    bool changed = false;
    if (store_consent_record(s, &c, &changed, &err) != 0)
        fail_msg("record: %s: %s", err.field, err.msg);
    return changed;
}

static enum store_consent_status status(struct store *s, int64_t acc, const char *phone,
                                        const char *scope)
{
    enum store_consent_status st = (enum store_consent_status) - 1;
    assert_int_equal(store_consent_status_get(s, acc, phone, scope, &st, NULL), 0);
    return st;
}

static void test_schema(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t acc = account(s, "acme", 0);
    struct store_consent_settings st = {false};
    assert_int_equal(store_consent_settings_get(s, acc, &st, NULL), 0);
    assert_true(st.stop_reply); /* the column's default */
    store_close(s);
    assert_int_equal(sql_int("PRAGMA user_version"), (long long)store_schema_latest());
    assert_int_equal(sql_int("SELECT count(*) FROM sqlite_schema WHERE name IN ('consent_state', "
                             "'consent_events', 'messages_to', 'consent_state_optouts')"),
                     4);
}

static void test_record_and_check(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0), b = account(s, "beta", 0);
    const char *n1 = "+33611111111", *n2 = "+33622222222";

    assert_int_equal(status(s, a, n1, NULL), STORE_CONSENT_NONE);
    assert_int_equal(store_consent_opted_out(s, a, n1), 0);
    /* An opt-out, then the same again: one change, one event. */
    assert_true(record(s, a, n1, NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, "key=1"));
    assert_false(record(s, a, n1, "marketing", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_LINK, NULL));
    assert_int_equal(status(s, a, n1, "marketing"), STORE_CONSENT_OPTED_OUT);
    assert_int_equal(store_consent_opted_out(s, a, n1), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events"), 1);
    /* The unchanged repeat kept the first source. */
    assert_int_equal(sql_int("SELECT count(*) FROM consent_state WHERE source = 'api'"), 1);
    /* Per account and per number. */
    assert_int_equal(store_consent_opted_out(s, b, n1), 0);
    assert_int_equal(store_consent_opted_out(s, a, n2), 0);
    /* A category opt-out is not a marketing opt-out. */
    assert_true(record(s, a, n2, "offers", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL));
    assert_int_equal(store_consent_opted_out(s, a, n2), 0);
    assert_int_equal(status(s, a, n2, "offers"), STORE_CONSENT_OPTED_OUT);
    /* Back in: the check clears, the history grows. */
    assert_true(record(s, a, n1, NULL, STORE_CONSENT_OPTED_IN, STORE_CONSENT_KEYWORD, "x"));
    assert_int_equal(store_consent_opted_out(s, a, n1), 0);
    assert_int_equal(status(s, a, n1, NULL), STORE_CONSENT_OPTED_IN);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events"), 3);
    store_close(s);
}

static void test_refusals(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0);
    struct rl_err err = {0};
    struct store_consent_change c = {
        a, "+33611111111", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL, 0};
    struct {
        const char *phone, *scope, *field;
        enum store_consent_status st;
    } bad[] = {
        {"33611111111", NULL, "phone", STORE_CONSENT_OPTED_OUT},  /* no '+' */
        {"+0611111111", NULL, "phone", STORE_CONSENT_OPTED_OUT},  /* no country code */
        {"+3361111111x", NULL, "phone", STORE_CONSENT_OPTED_OUT}, /* a letter */
        {"+33611111111", "Offers", "scope", STORE_CONSENT_OPTED_OUT},
        {"+33611111111", "transactional", "scope", STORE_CONSENT_OPTED_OUT},
        {"+33611111111", "", "scope", STORE_CONSENT_OPTED_OUT},
        {"+33611111111", "abcdefghijklmnopqrstuvwxyz0123456", "scope", STORE_CONSENT_OPTED_OUT},
        {"+33611111111", NULL, "status", STORE_CONSENT_NONE},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct store_consent_change x = c;
        x.phone = bad[i].phone;
        x.scope = bad[i].scope;
        x.status = bad[i].st;
        assert_int_equal(store_consent_record(s, &x, NULL, &err), RL_EINVAL);
        assert_string_equal(err.field, bad[i].field);
    }
    /* 32 bytes is the longest scope; digits, '_' and '-' are allowed. */
    c.scope = "abcdefghijklmnopqrstuvwxyz_-0123";
    assert_int_equal(store_consent_record(s, &c, NULL, &err), 0);
    /* An account that does not exist: the foreign key. */
    c.account_id = a + 100;
    assert_int_equal(store_consent_record(s, &c, NULL, &err), RL_EINVAL);
    /* A batch is all or nothing: the second item's bad scope keeps the first out. */
    struct store_consent_change two[2] = {
        {a, "+33633333333", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_IMPORT, NULL, 0},
        {a, "+33644444444", "NO", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_IMPORT, NULL, 0}};
    assert_int_equal(store_consent_record_batch(s, two, 2, NULL, &err), RL_EINVAL);
    assert_non_null(strstr(err.msg, "change 1"));
    assert_int_equal(status(s, a, "+33633333333", NULL), STORE_CONSENT_NONE);
    assert_int_equal(store_consent_record_batch(s, two, 0, NULL, &err), RL_ETOOLONG);
    store_close(s);
}

static void test_batch_and_view(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0);
    struct store_consent_change in[3] = {
        {a, "+33611111111", "offers", STORE_CONSENT_OPTED_IN, STORE_CONSENT_IMPORT, NULL, 1000},
        {a, "+33622222222", "offers", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_IMPORT, NULL, 2000},
        {a, "+33611111111", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_KEYWORD, "inbound=7",
         3000}};
    size_t changed = 0;
    struct rl_err err = {0};
    assert_int_equal(store_consent_record_batch(s, in, 3, &changed, &err), 0);
    assert_int_equal(changed, 3);
    /* "Has N opted in to offers", for three numbers at once. */
    const char *phones[] = {"+33611111111", "+33622222222", "+33633333333"};
    enum store_consent_status out[3];
    assert_int_equal(store_consent_status_batch(s, a, "offers", phones, 3, out, &err), 0);
    assert_int_equal(out[0], STORE_CONSENT_OPTED_IN);
    assert_int_equal(out[1], STORE_CONSENT_OPTED_OUT);
    assert_int_equal(out[2], STORE_CONSENT_NONE);

    /* The first number: two scopes by name (marketing < offers), two events
     * oldest first, with their times, sources and details. */
    struct store_consent_view v;
    assert_int_equal(store_consent_get(s, a, "+33611111111", &v, &err), 0);
    assert_int_equal(v.nscopes, 2);
    assert_string_equal(v.scopes[0].scope, "marketing");
    assert_int_equal(v.scopes[0].status, STORE_CONSENT_OPTED_OUT);
    assert_int_equal(v.scopes[0].source, STORE_CONSENT_KEYWORD);
    assert_int_equal(v.scopes[0].updated_at, 3000);
    assert_string_equal(v.scopes[1].scope, "offers");
    assert_int_equal(v.scopes[1].status, STORE_CONSENT_OPTED_IN);
    assert_int_equal(v.nevents, 2);
    assert_int_equal(v.events[0].at, 1000);
    assert_string_equal(v.events[0].scope, "offers");
    assert_int_equal(v.events[0].action, STORE_CONSENT_OPTED_IN);
    assert_int_equal(v.events[0].source, STORE_CONSENT_IMPORT);
    assert_null(v.events[0].detail);
    assert_int_equal(v.events[1].at, 3000);
    assert_int_equal(v.events[1].action, STORE_CONSENT_OPTED_OUT);
    assert_string_equal(v.events[1].detail, "inbound=7");
    store_consent_view_release(&v);
    /* A number never seen: nothing, not an error. */
    assert_int_equal(store_consent_get(s, a, "+33699999999", &v, &err), 0);
    assert_int_equal(v.nscopes + v.nevents, 0);
    store_consent_view_release(&v);
    store_close(s);
    /* The history cannot be rewritten, even from outside the store. */
    assert_int_not_equal(sql_exec("UPDATE consent_events SET action = 'opt_in'"), SQLITE_OK);
    assert_int_not_equal(sql_exec("DELETE FROM consent_events"), SQLITE_OK);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events"), 3);
}

static void test_list_pages(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0), b = account(s, "beta", 0);
    struct rl_err err = {0};
    /* Five opt-outs of acme (three marketing, two offers), one opt-in, and
     * one of beta. By (number, scope): +3361 marketing, +3361 offers, +3362
     * marketing, +3363 marketing, +3364 offers. */
    record(s, a, "+33620000000", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL);
    record(s, a, "+33610000000", "offers", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL);
    record(s, a, "+33610000000", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_LINK, NULL);
    record(s, a, "+33640000000", "offers", STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL);
    record(s, a, "+33630000000", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_KEYWORD, NULL);
    record(s, a, "+33650000000", NULL, STORE_CONSENT_OPTED_IN, STORE_CONSENT_API, NULL);
    record(s, b, "+33610000000", NULL, STORE_CONSENT_OPTED_OUT, STORE_CONSENT_API, NULL);
    const char *want[][2] = {{"+33610000000", "marketing"},
                             {"+33610000000", "offers"},
                             {"+33620000000", "marketing"},
                             {"+33630000000", "marketing"},
                             {"+33640000000", "offers"}};
    char cur[STORE_CONSENT_CURSOR_SIZE] = "";
    size_t k = 0, pages = 0;
    do {
        struct store_optout_page p;
        assert_int_equal(store_optout_list(s, a, NULL, cur, 2, &p, &err), 0);
        for (size_t i = 0; i < p.n; i++, k++) {
            assert_true(k < 5);
            assert_string_equal(p.items[i].phone, want[k][0]);
            assert_string_equal(p.items[i].scope, want[k][1]);
        }
        snprintf(cur, sizeof(cur), "%s", p.next_cursor);
        store_optout_page_release(&p);
        pages++;
    } while (cur[0]);
    assert_int_equal(k, 5);
    assert_int_equal(pages, 3); /* 2 + 2 + 1 */
    /* One scope: the two offers opt-outs, in one page of 10. */
    struct store_optout_page p;
    assert_int_equal(store_optout_list(s, a, "offers", NULL, 10, &p, &err), 0);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.items[0].phone, "+33610000000");
    assert_string_equal(p.items[1].phone, "+33640000000");
    assert_int_equal(p.items[1].source, STORE_CONSENT_API);
    assert_string_equal(p.next_cursor, "");
    store_optout_page_release(&p);
    /* One scope, paged by one: the cursor carries on within the scope. */
    assert_int_equal(store_optout_list(s, a, "offers", NULL, 1, &p, &err), 0);
    assert_int_equal(p.n, 1);
    snprintf(cur, sizeof(cur), "%s", p.next_cursor);
    store_optout_page_release(&p);
    assert_string_equal(cur, "33610000000.offers");
    assert_int_equal(store_optout_list(s, a, "offers", cur, 1, &p, &err), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.items[0].phone, "+33640000000");
    store_optout_page_release(&p);
    /* Bad cursors and limits. */
    const char *bad[] = {"x", "33610000000", ".marketing", "3361.Marketing", "0336.offers"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(store_optout_list(s, a, NULL, bad[i], 10, &p, &err), RL_EINVAL);
        assert_string_equal(err.field, "cursor");
    }
    assert_int_equal(store_optout_list(s, a, NULL, NULL, 0, &p, &err), RL_ERANGE);
    assert_int_equal(store_optout_list(s, a, "BAD", NULL, 10, &p, &err), RL_EINVAL);
    store_close(s);
}

/* A message of acc to `to` through route (NULL: none yet), as sent. */
static int64_t sent(struct store *s, int64_t acc, const char *to, const char *route)
{
    struct store_msg_new m = {.account_id = acc,
                              .to = to,
                              .from = "SHOP",
                              .text = "Promo -20% ce week-end",
                              .segments = 1,
                              .category = MSG_CATEGORY_MARKETING,
                              .state = MSG_STATE_QUEUED,
                              .route = route};
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_message_insert(s, &m, false, &id, &err) != 0)
        fail_msg("insert: %s", err.msg);
    return id;
}

static struct store_inbound mo(const char *route, const char *from, const char *text)
{
    struct store_inbound in = {.route = route, .from = from, .to = "36180", .text = text};
    return in;
}

static struct store_inbound_consent kw(const char *phone, enum store_consent_status st,
                                       const char *reply)
{
    struct store_inbound_consent k = {.phone = phone,
                                      .status = st,
                                      .keyword = st == STORE_CONSENT_OPTED_OUT ? "stop" : "start",
                                      .reply_text = reply,
                                      .reply_from = "",
                                      .reply_encoding = MSG_ENCODING_GSM7,
                                      .reply_segments = 1,
                                      .reply_cost = 45000};
    return k;
}

static void test_inbound_attribution(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0), b = account(s, "beta", 0);
    const char *n = "+33611111111";
    /* acme wrote through sim, then beta (later) through other. */
    sent(s, a, n, "sim");
    sent(s, b, n, "other");
    struct store_inbound_consent_result r;
    struct rl_err err = {0};
    /* A STOP on sim: acme's, although beta's message is later. */
    struct store_inbound in = mo("sim", "33611111111", "Stop.");
    struct store_inbound_consent k = kw(n, STORE_CONSENT_OPTED_OUT, NULL);
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.inbound_id > 0);
    assert_int_equal(r.account_id, a);
    assert_true(r.changed);
    assert_int_equal(r.reply_id, 0); /* no reply text */
    assert_int_equal(store_consent_opted_out(s, a, n), 1);
    assert_int_equal(store_consent_opted_out(s, b, n), 0);
    /* On a route nobody wrote through: the latest message's account, beta. */
    in = mo("third", "33611111111", "STOP");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_int_equal(r.account_id, b);
    assert_int_equal(store_consent_opted_out(s, b, n), 1);
    /* A number no account wrote to: stored, nothing else. */
    in = mo("sim", "33699999999", "STOP");
    k = kw("+33699999999", STORE_CONSENT_OPTED_OUT, "Bye");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_int_equal(r.account_id, 0);
    assert_int_equal(r.reply_id, 0);
    store_close(s);
    /* Three inbound rows as they came; two events naming their inbound. */
    assert_int_equal(sql_int("SELECT count(*) FROM inbound"), 3);
    assert_int_equal(sql_int("SELECT count(*) FROM inbound WHERE from_addr = '33611111111' "
                             "AND text = 'Stop.' AND route = 'sim'"),
                     1);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events WHERE source = 'keyword' AND "
                             "detail = 'inbound=1 keyword=stop' AND action = 'opt_out'"),
                     1);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events"), 2);
}

static void test_inbound_replies(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 100000); /* 0.10: two replies at 0.045 */
    const char *n = "+33611111111";
    sent(s, a, n, "sim");
    struct store_inbound_consent_result r;
    struct rl_err err = {0};
    struct store_inbound in = mo("sim", "33611111111", "STOP");
    struct store_inbound_consent k =
        kw(n, STORE_CONSENT_OPTED_OUT, "Vous ne recevrez plus de SMS.");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.reply_id > 0);
    struct store_message m;
    assert_int_equal(store_message_get(s, a, r.reply_id, &m, &err), 0);
    assert_string_equal(m.to, n);
    assert_string_equal(m.text, "Vous ne recevrez plus de SMS.");
    assert_string_equal(m.route, "sim");
    assert_int_equal(m.category, MSG_CATEGORY_TRANSACTIONAL);
    assert_int_equal(m.state, MSG_STATE_QUEUED);
    assert_int_equal(m.cost, 45000);
    assert_string_equal(m.events[0].reason, "consent_reply");
    store_message_release(&m);
    struct store_account acc;
    assert_int_equal(store_account_get(s, a, &acc, NULL), 0);
    assert_int_equal(acc.balance, 100000 - 45000); /* 55000 */

    /* The account turns the STOP reply off: a STOP gets none, a START still does. */
    struct store_consent_settings off = {false};
    assert_int_equal(store_consent_settings_set(s, a, &off, &err), 0);
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_int_equal(r.account_id, a);
    assert_false(r.changed); /* already opted out */
    assert_int_equal(r.reply_id, 0);
    in = mo("sim", "33611111111", "START");
    k = kw(n, STORE_CONSENT_OPTED_IN, "Re-bonjour !");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.changed);
    assert_true(r.reply_id > 0);
    assert_int_equal(store_consent_opted_out(s, a, n), 0);
    /* 55000 - 45000 = 10000 left: the next reply cannot be paid, the opt-out still counts. */
    assert_int_equal(store_consent_settings_set(s, a, &(struct store_consent_settings){true}, &err),
                     0);
    in = mo("sim", "33611111111", "arret");
    k = kw(n, STORE_CONSENT_OPTED_OUT, "Au revoir");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.changed);
    assert_int_equal(r.reply_id, 0);
    assert_int_equal(store_consent_opted_out(s, a, n), 1);
    assert_int_equal(store_account_get(s, a, &acc, NULL), 0);
    assert_int_equal(acc.balance, 10000);
    assert_int_equal(store_consent_settings_set(s, a + 9, &off, &err), RL_ENOTFOUND);
    store_close(s);
}

/* A confirmation answers a change only: a second STOP from a number already
 * opted out gets no second reply (nor a second debit), and the same for a
 * second START. */
static void test_inbound_repeat_no_second_reply(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 1000000); /* 1.00: room for every reply there could be */
    const char *n = "+33611111111";
    sent(s, a, n, "sim");
    struct store_inbound_consent_result r;
    struct rl_err err = {0};
    struct store_inbound in = mo("sim", "33611111111", "STOP");
    struct store_inbound_consent k = kw(n, STORE_CONSENT_OPTED_OUT, "Bye");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.changed);
    int64_t first = r.reply_id;
    assert_true(first > 0);
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_int_equal(r.account_id, a);
    assert_false(r.changed);
    assert_int_equal(r.reply_id, 0);
    in = mo("sim", "33611111111", "START");
    k = kw(n, STORE_CONSENT_OPTED_IN, "Re-bonjour");
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.changed);
    assert_true(r.reply_id > first);
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_false(r.changed);
    assert_int_equal(r.reply_id, 0);
    struct store_account acc;
    assert_int_equal(store_account_get(s, a, &acc, NULL), 0);
    /* Two replies at 0.045 each: 1000000 - 2 * 45000. */
    assert_int_equal(acc.balance, 910000);
    store_close(s);
    /* The message sent first, and one reply to each change: three. */
    assert_int_equal(sql_int("SELECT count(*) FROM messages"), 3);
    assert_int_equal(sql_int("SELECT count(*) FROM inbound"), 4);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_events"), 2);
}

/* A consent change that fails is rolled back alone: the inbound message the
 * SMSC will be told we have stays. */
static void test_inbound_kept_when_consent_fails(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0);
    sent(s, a, "+33611111111", "sim");
    assert_int_equal(sql_exec("CREATE TRIGGER boom BEFORE INSERT ON consent_state "
                              "BEGIN SELECT RAISE(ABORT, 'boom'); END"),
                     SQLITE_OK);
    struct store_inbound in = mo("sim", "33611111111", "STOP");
    struct store_inbound_consent k = kw("+33611111111", STORE_CONSENT_OPTED_OUT, "bye");
    struct store_inbound_consent_result r;
    struct rl_err err = {0};
    assert_int_equal(store_inbound_consent_insert(s, &in, &k, &r, &err), 0);
    assert_true(r.inbound_id > 0);
    assert_int_equal(r.account_id, 0);
    assert_int_equal(r.reply_id, 0);
    store_close(s);
    assert_int_equal(sql_int("SELECT count(*) FROM inbound"), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM consent_state"), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM messages"), 1); /* no reply either */
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
    struct store_result r;
};

static void on_done(void *ctx, const struct store_result *r)
{
    struct waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->r = *r;
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void test_inbound_async(void **state)
{
    (void)state;
    struct store *s = open_store();
    int64_t a = account(s, "acme", 0);
    sent(s, a, "+33611111111", "sim");
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, {0}};
    char text[] = "stop", phone[] = "+33611111111";
    struct store_inbound in = mo("sim", "33611111111", text);
    struct store_inbound_consent k = kw(phone, STORE_CONSENT_OPTED_OUT, NULL);
    assert_int_equal(store_inbound_consent_submit(s, &in, &k, on_done, &w), 0);
    /* Copied: the caller's buffers may change at once. */
    memset(text, 'x', 4);
    memset(phone + 1, '9', 5);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.r.rc, 0);
    assert_int_equal(w.r.id, 1); /* the inbound's id */
    assert_int_equal(store_consent_opted_out(s, a, "+33611111111"), 1);
    /* A keyword without a valid sender is refused before anything is queued. */
    k.phone = "33611111111";
    assert_int_equal(store_inbound_consent_submit(s, &in, &k, on_done, &w), RL_EINVAL);
    store_close(s);
    assert_int_equal(sql_int("SELECT count(*) FROM inbound WHERE text = 'stop'"), 1);
}

static void test_link_key(void **state)
{
    (void)state;
    unsigned char k1[STORE_CONSENT_SECRET_SIZE], k2[STORE_CONSENT_SECRET_SIZE],
        zero[STORE_CONSENT_SECRET_SIZE] = {0};
    struct rl_err err = {0};
    struct store *s = open_store();
    assert_int_equal(store_consent_secret(s, k1, &err), 0);
    assert_int_equal(store_consent_secret(s, k2, &err), 0);
    assert_memory_equal(k1, k2, sizeof(k1));
    assert_memory_not_equal(k1, zero, sizeof(k1));
    store_close(s);
    /* Kept in the database: the same after a restart. */
    s = open_store();
    assert_int_equal(store_consent_secret(s, k2, &err), 0);
    assert_memory_equal(k1, k2, sizeof(k1));
    store_close(s);
    assert_int_equal(sql_int("SELECT length(value) FROM meta WHERE key = 'consent_link_key'"), 64);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(store_consent_status_name(STORE_CONSENT_OPTED_OUT), "opted_out");
    assert_string_equal(store_consent_status_name(STORE_CONSENT_NONE), "none");
    assert_string_equal(store_consent_source_name(STORE_CONSENT_IMPORT), "import");
    assert_string_equal(store_consent_source_name((enum store_consent_source)9), "?");
    assert_true(store_consent_scope_valid("marketing"));
    assert_true(store_consent_scope_valid("order-updates_2"));
    assert_false(store_consent_scope_valid(NULL));
    assert_false(store_consent_scope_valid("with space"));
    assert_false(store_consent_scope_valid("é"));
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_consent_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_schema, setup),
        cmocka_unit_test_setup(test_record_and_check, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_batch_and_view, setup),
        cmocka_unit_test_setup(test_list_pages, setup),
        cmocka_unit_test_setup(test_inbound_attribution, setup),
        cmocka_unit_test_setup(test_inbound_replies, setup),
        cmocka_unit_test_setup(test_inbound_repeat_no_second_reply, setup),
        cmocka_unit_test_setup(test_inbound_kept_when_consent_fails, setup),
        cmocka_unit_test_setup(test_inbound_async, setup),
        cmocka_unit_test_setup(test_link_key, setup),
        cmocka_unit_test(test_names),
    };
    int rc = cmocka_run_group_tests_name("store_consent", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
