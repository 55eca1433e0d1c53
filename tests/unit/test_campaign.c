/* Campaigns: the schedule walk (a rate across quiet hours, a Saturday 19:59
 * launch going on Monday 08:00 at its pace, windows, every message a jump
 * moved saying why), the opt-out mentions (the configuration's and the
 * account's own), windows that never meet the marketing hours, the summary's
 * counts on a fixture with every exclusion reason, the per-recipient opt-out
 * link, and the launch, the dispatcher's gate (validity, category consent),
 * pause, resume and cancel on a real store.
 *
 * Expected instants are French civil times turned into epoch milliseconds by
 * GNU date, not by relais: TZ=Europe/Paris date -d '2026-11-21 19:59:00' +%s
 * gives 1795287540 (Paris is UTC+1 in November, UTC+2 in April). 2026-11-20
 * is a Friday, 2026-11-21 a Saturday, 2026-11-23 a Monday; none is a French
 * holiday. Easter 2026 is Sunday 5 April (the published tables), so Monday 6
 * April is Easter Monday. Segment counts and costs are worked out by hand in
 * each test's comment. */
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
#include "domain/campaign.h"
#include "domain/consent.h"
#include "store/store.h"
#include "core/banned.h"

#define S                 1000LL
#define FRI_1958          1795201080000LL /* Friday 2026-11-20 19:58:00 Paris */
#define SAT_0800          1795244400000LL /* Saturday 2026-11-21 08:00:00 */
#define SAT_1959          1795287540000LL /* Saturday 2026-11-21 19:59:00 */
#define SAT_2030          1795289400000LL /* Saturday 2026-11-21 20:30:00 */
#define MON_0800          1795417200000LL /* Monday 2026-11-23 08:00:00 */
#define MON_0900          1795420800000LL /* Monday 2026-11-23 09:00:00 */
#define FRI_185959        1795197599000LL /* Friday 2026-11-20 18:59:59 */
#define EASTER_SAT_195955 1775325595000LL /* Saturday 2026-04-04 19:59:55 Paris (UTC+2) */
#define EASTER_SAT_200030 1775325630000LL /* Saturday 2026-04-04 20:00:30 */
#define EASTER_TUE_0800   1775541600000LL /* Tuesday 2026-04-07 08:00:00 */
#define H48               (48 * 3600 * S) /* dispatch.validity's default */

static char dir[64];
static char path[128];
static int seq;

/* --- the walk ------------------------------------------------------------------- */

struct walk {
    struct cfg cfg;
    struct rules_config rules;
    struct campaign_clock *clock;
};

static void walk_init(struct walk *w)
{
    struct rl_err err = {0};
    cfg_init(&w->cfg);
    if (rules_config_init(&w->rules, &w->cfg, &err) != 0)
        fail_msg("rules: %s", err.msg);
    w->clock = campaign_clock_new(&w->rules);
}

static void walk_release(struct walk *w)
{
    campaign_clock_free(w->clock);
    rules_config_release(&w->rules);
    cfg_release(&w->cfg);
}

/* Walks n slots for one French mobile and checks them against want[]. */
static void walk_expect(struct walk *w, const struct campaign_timing *t, int64_t start, double rate,
                        const int64_t *want, const char *const *rules, size_t n)
{
    struct campaign_pacer p;
    struct rl_err err = {0};
    campaign_pacer_init(&p, start, rate);
    for (size_t i = 0; i < n; i++) {
        int64_t slot = 0;
        const char *why = NULL;
        assert_int_equal(campaign_pacer_next(&p, w->clock, t, "+33612345678", &slot, &why, &err),
                         0);
        if (slot != want[i])
            fail_msg("slot %zu: got %lld, want %lld", i, (long long)slot, (long long)want[i]);
        if (rules[i])
            assert_non_null(why), assert_string_equal(why, rules[i]);
        else
            assert_null(why);
    }
}

/* Marketing at one every 30 s from Friday 19:58: four slots before 20:00,
 * then quiet hours until Saturday 08:00, where the pace goes on. */
static void test_rate_across_quiet_hours(void **state)
{
    (void)state;
    struct walk w;
    walk_init(&w);
    struct campaign_timing t = {.marketing = true};
    const int64_t want[] = {FRI_1958,          FRI_1958 + 30 * S, FRI_1958 + 60 * S,
                            FRI_1958 + 90 * S, SAT_0800,          SAT_0800 + 30 * S};
    /* The sixth is where it is because the fifth was moved: it says so too. */
    const char *const rules[] = {NULL, NULL, NULL, NULL, "quiet_hours", "quiet_hours"};
    walk_expect(&w, &t, FRI_1958, 1.0 / 30, want, rules, 6);
    walk_release(&w);
}

/* The issue's case: launched Saturday 19:59 at one every 20 s, three go
 * before 20:00 and the rest on Monday 08:00 (Sunday is closed), 20 s apart:
 * a backlog at the campaign's pace, not a burst at 08:00. */
static void test_saturday_1959_to_monday_0800(void **state)
{
    (void)state;
    struct walk w;
    walk_init(&w);
    struct campaign_timing t = {.marketing = true};
    const int64_t want[] = {SAT_1959, SAT_1959 + 20 * S, SAT_1959 + 40 * S,
                            MON_0800, MON_0800 + 20 * S, MON_0800 + 40 * S};
    const char *const rules[] = {NULL, NULL, NULL, "quiet_hours", "quiet_hours", "quiet_hours"};
    walk_expect(&w, &t, SAT_1959, 0.05, want, rules, 6);
    walk_release(&w);
}

/* Transactional without a window: never moved. At 3 a second the slots are
 * k/3 s after the start, rounded up to the millisecond: 0, 334, 667, 1000.
 * Without a rate every slot is the start. */
static void test_no_rules_and_fractional_rate(void **state)
{
    (void)state;
    struct walk w;
    walk_init(&w);
    struct campaign_timing t = {.marketing = false};
    const int64_t want[] = {SAT_2030, SAT_2030 + 334, SAT_2030 + 667, SAT_2030 + 1000};
    const char *const rules[] = {NULL, NULL, NULL, NULL};
    walk_expect(&w, &t, SAT_2030, 3, want, rules, 4);
    const int64_t same[] = {SAT_2030, SAT_2030, SAT_2030};
    walk_expect(&w, &t, SAT_2030, 0, same, rules, 3);
    walk_release(&w);
}

/* A transactional campaign's window: mon-fri 09:00-19:00 from Friday
 * 18:59:59 at one a second: that second goes, 19:00:00 waits for Monday. */
static void test_window(void **state)
{
    (void)state;
    struct walk w;
    struct rules_window win;
    struct rl_err err = {0};
    walk_init(&w);
    assert_int_equal(rules_window_parse(&win, "mon-fri 09:00-19:00", 19, "window", &err), 0);
    struct campaign_timing t = {.marketing = false, .window = &win};
    const int64_t want[] = {FRI_185959, MON_0900, MON_0900 + S};
    const char *const rules[] = {NULL, "window", "window"};
    walk_expect(&w, &t, FRI_185959, 1, want, rules, 3);
    walk_release(&w);
}

/* --- opt-out mentions ------------------------------------------------------------ */

static void test_mentions(void **state)
{
    (void)state;
    struct campaign_config cc = {0};
    struct rl_err err = {0};
    assert_int_equal(
        campaign_mentions_parse(&cc, "FR=STOP au 36180 | BE = STOP 3011|*=Reply STOP", &err), 0);
    assert_int_equal(cc.nmentions, 3);
    assert_string_equal(campaign_mention_for(&cc, "FR"), "STOP au 36180");
    assert_string_equal(campaign_mention_for(&cc, "BE"), "STOP 3011");
    assert_string_equal(campaign_mention_for(&cc, "DE"), "Reply STOP");
    assert_string_equal(campaign_mention_for(&cc, ""), "Reply STOP");
    static const char *const bad[] = {"fr=STOP", "FR=", "FR=a|FR=b", "FRA=x", "FR STOP"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(campaign_mentions_parse(&cc, bad[i], &err), RL_ECONFIG);
        assert_string_equal(err.field, "campaigns.optout_mention");
    }
    assert_int_equal(cc.nmentions, 3); /* unchanged by a refusal */
    assert_int_equal(campaign_mentions_parse(&cc, "", &err), 0);
    assert_null(campaign_mention_for(&cc, "FR"));
    campaign_config_release(&cc);
}

/* --- on a store --------------------------------------------------------------------- */

struct fix {
    struct store *s;
    struct cfg cfg;
    struct campaign_config cc;
    struct billing_table bt;
    struct campaign_env env;
    int64_t acc;
};

static void fix_open(struct fix *f, const char *mention)
{
    struct rl_err err = {0};
    memset(f, 0, sizeof(*f));
    snprintf(path, sizeof(path), "%s/c%d.db", dir, ++seq);
    struct store_opts o = {path, false};
    if (store_open(&o, &f->s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    cfg_init(&f->cfg);
    assert_int_equal(cfg_set(&f->cfg, "campaigns.optout_mention", mention, &err), 0);
    assert_int_equal(cfg_set(&f->cfg, "billing.prices", "+33:0.045", &err), 0);
    if (campaign_config_init(&f->cc, &f->cfg, &err) != 0 ||
        billing_table_init_cfg(&f->bt, &f->cfg, &err) != 0)
        fail_msg("config: %s", err.msg);
    f->env = (struct campaign_env){.store = f->s,
                                   .cfg = &f->cc,
                                   .billing = &f->bt,
                                   .region = "FR",
                                   .max_parts = 10,
                                   .ref_bits = 8,
                                   .validity_ms = H48};
    assert_int_equal(store_account_create(f->s, "acme", 100 * BILLING_MICRO, &f->acc, &err), 0);
}

static void fix_close(struct fix *f)
{
    store_close(f->s);
    campaign_config_release(&f->cc);
    billing_table_release(&f->bt);
    cfg_release(&f->cfg);
}

static int64_t contact(struct fix *f, const char *phone, const char *type, const char *first,
                       const char *fields)
{
    struct store_contact_new c = {
        .phone = phone, .phone_type = type, .first_name = first, .fields = fields};
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_contact_create(f->s, f->acc, &c, &id, &err) != 0)
        fail_msg("contact %s: %s", phone, err.msg);
    return id;
}

static int64_t list_of(struct fix *f, const char *name, const int64_t *ids, size_t n)
{
    int64_t id = 0;
    struct rl_err err = {0};
    assert_int_equal(store_list_create(f->s, f->acc, name, &id, &err), 0);
    assert_int_equal(store_list_members_add(f->s, f->acc, id, ids, n, NULL, NULL, &err), 0);
    return id;
}

static void consent(struct fix *f, const char *phone, const char *scope,
                    enum store_consent_status st)
{
    struct store_consent_change c = {.account_id = f->acc,
                                     .phone = phone,
                                     .scope = scope,
                                     .status = st,
                                     .source = STORE_CONSENT_API};
    struct rl_err err = {0};
    assert_int_equal(store_consent_record(f->s, &c, NULL, &err), 0);
}

static int64_t campaign(struct fix *f, const char *category, bool optin, const char *text,
                        const char *tpl, const char *audience, double rate)
{
    struct store_campaign_new n = {.account_id = f->acc,
                                   .name = "test",
                                   .category = category,
                                   .require_optin = optin,
                                   .sender = "SHOP",
                                   .text = text,
                                   .template_text = tpl,
                                   .audience = audience,
                                   .rate = rate};
    int64_t id = 0;
    struct rl_err err = {0};
    if (store_campaign_create(f->s, &n, &id, &err) != 0)
        fail_msg("campaign: %s", err.msg);
    return id;
}

static void summarize(struct fix *f, int64_t id, int64_t now, struct campaign_figures *out)
{
    struct store_campaign row;
    struct campaign_spec sp;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_get(f->s, f->acc, id, &row, &err), 0);
    assert_int_equal(campaign_spec_init(&sp, &row, &err), 0);
    if (campaign_summarize(&f->env, &sp, now, out, &err) != 0)
        fail_msg("summarize: %s", err.msg);
    campaign_spec_release(&sp);
    store_campaign_release(&row);
}

static long long sql_count(const char *sql)
{
    return test_sql_value(path, sql);
}

/* Every exclusion reason once, three recipients kept. Category offers with
 * opt-in required; template "Bonjour #firstname|client#, code #code#".
 *   list A: Alice 01 (kept), Bob 02 (kept), Fixe (fixed line: non_mobile),
 *           Opted 03 (STOP: opted_out), Cat 04 (opted out of offers:
 *           opted_out), NoCode 05 (no code: missing_field), Excl 06 (in the
 *           exclude list), Dan 08 (not opted in: no_consent), Long 09 (code
 *           of 1600 x: 11 parts > 10: too_long)
 *   numbers: 0612345602 (Bob again: duplicate), "123" (invalid),
 *            0612345607 (a contact in no list, with a code: kept)
 * Texts: "Bonjour Alice, code A1 STOP au 36180" is 36 GSM characters: one
 * segment each, 3 in all, 3 x 0.045 = 0.135. */
static void test_summary_every_reason(void **state)
{
    (void)state;
    struct fix f;
    fix_open(&f, "FR=STOP au 36180");
    char longcode[1700];
    memset(longcode, 'x', 1600);
    longcode[1600] = '\0';
    char longfields[1720];
    snprintf(longfields, sizeof(longfields), "{\"code\":\"%s\"}", longcode);
    int64_t a[9];
    a[0] = contact(&f, "+33612345601", "mobile", "Alice", "{\"code\":\"A1\"}");
    a[1] = contact(&f, "+33612345602", "mobile", "Bob", "{\"code\":\"B2\"}");
    a[2] = contact(&f, "+33145454545", "fixed_line", "Fixe", "{\"code\":\"F\"}");
    a[3] = contact(&f, "+33612345603", "mobile", "Opted", "{\"code\":\"O\"}");
    a[4] = contact(&f, "+33612345604", "mobile", "Cat", "{\"code\":\"C\"}");
    a[5] = contact(&f, "+33612345605", "mobile", "NoCode", NULL);
    a[6] = contact(&f, "+33612345606", "mobile", "Excl", "{\"code\":\"E\"}");
    a[7] = contact(&f, "+33612345608", "mobile", "Dan", "{\"code\":\"D\"}");
    a[8] = contact(&f, "+33612345609", "mobile", "Long", longfields);
    contact(&f, "+33612345607", "mobile", "Zoe", "{\"code\":\"Z7\"}");
    int64_t la = list_of(&f, "A", a, 9), lb = list_of(&f, "B", &a[6], 1);
    static const char *const optin[] = {"+33612345601", "+33612345602", "+33612345605",
                                        "+33612345606", "+33612345607", "+33612345609",
                                        "+33612345603"};
    for (size_t i = 0; i < 7; i++)
        consent(&f, optin[i], "offers", STORE_CONSENT_OPTED_IN);
    consent(&f, "+33612345603", NULL, STORE_CONSENT_OPTED_OUT);
    consent(&f, "+33612345604", "offers", STORE_CONSENT_OPTED_OUT);
    char aud[160];
    snprintf(aud, sizeof(aud),
             "{\"lists\":[%lld],\"numbers\":[\"0612345602\",\"123\",\"0612345607\"],"
             "\"exclude_lists\":[%lld]}",
             (long long)la, (long long)lb);
    int64_t id =
        campaign(&f, "offers", true, NULL, "Bonjour #firstname|client#, code #code#", aud, 0);
    struct campaign_figures fig;
    summarize(&f, id, SAT_0800 + 3600 * S, &fig);
    assert_int_equal(fig.recipients, 3);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_OPTED_OUT], 2);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_INVALID], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_NON_MOBILE], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_DUPLICATE], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_NO_CONSENT], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_EXCLUDE_LIST], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_MISSING_FIELD], 1);
    assert_int_equal(fig.excluded[CAMPAIGN_EX_TOO_LONG], 1);
    assert_int_equal(fig.by_encoding[MSG_ENCODING_GSM7], 3);
    assert_int_equal(fig.segments, 3);
    assert_int_equal(fig.cost, 135000);
    assert_int_equal(fig.no_mention, 0);
    /* Saturday 09:00 is allowed, and without a rate every slot is then. */
    assert_int_equal(fig.first_at, SAT_0800 + 3600 * S);
    assert_int_equal(fig.last_at, SAT_0800 + 3600 * S);
    assert_int_equal(sql_count("SELECT count(*) FROM messages"), 0); /* a summary writes nothing */
    fix_close(&f);
}

/* The mention is part of the text that is counted: 150 GSM characters are
 * one segment; with " STOP au 36180" (14 more) they are 164, two segments
 * (153 + 11). A text already ending with the mention does not get it twice.
 * Without a mention for FR the launch is refused, naming the key and FR. */
static void test_mention_appended_and_counted(void **state)
{
    (void)state;
    struct fix f;
    fix_open(&f, "FR=STOP au 36180");
    char text[151];
    memset(text, 'a', 150);
    text[150] = '\0';
    int64_t id = campaign(&f, "marketing", false, text, NULL,
                          "{\"lists\":[],\"numbers\":[\"0612345601\",\"0612345602\"],"
                          "\"exclude_lists\":[]}",
                          0);
    struct campaign_figures fig;
    summarize(&f, id, SAT_0800, &fig);
    assert_int_equal(fig.recipients, 2);
    assert_int_equal(fig.segments, 4);
    assert_int_equal(fig.cost, 4 * 45000);
    int64_t id2 = campaign(&f, "marketing", false, "Soldes! STOP au 36180", NULL,
                           "{\"lists\":[],\"numbers\":[\"0612345601\"],\"exclude_lists\":[]}", 0);
    summarize(&f, id2, SAT_0800, &fig);
    assert_int_equal(fig.segments, 1);
    fix_close(&f);

    fix_open(&f, "BE=STOP 3011");
    id = campaign(&f, "marketing", false, "Soldes!", NULL,
                  "{\"lists\":[],\"numbers\":[\"0612345601\"],\"exclude_lists\":[]}", 0);
    summarize(&f, id, SAT_0800, &fig);
    assert_int_equal(fig.no_mention, 1);
    assert_string_equal(fig.no_mention_country, "FR");
    struct rl_err err = {0};
    struct campaign_figures out;
    assert_int_equal(campaign_launch(&f.env, f.acc, id, SAT_0800, &out, &err), RL_EINVAL);
    assert_string_equal(err.field, "campaigns.optout_mention");
    assert_non_null(strstr(err.msg, "FR"));
    struct store_campaign row;
    assert_int_equal(store_campaign_get(f.s, f.acc, id, &row, &err), 0);
    assert_int_equal(row.state, STORE_CAMPAIGN_DRAFT); /* refused: nothing changed */
    store_campaign_release(&row);
    assert_int_equal(sql_count("SELECT count(*) FROM messages"), 0);
    fix_close(&f);
}

/* Six recipients launched Saturday 19:59:00 at one every 20 s: the messages
 * carry the walk's slots (three Saturday, three Monday from 08:00 with the
 * rule in their history), the cost is debited once, the campaign is
 * sending. */
static void launch_six(struct fix *f, int64_t *id)
{
    static const char aud[] = "{\"lists\":[],\"numbers\":[\"0612345601\",\"0612345602\","
                              "\"0612345603\",\"0612345604\",\"0612345605\",\"0612345606\"],"
                              "\"exclude_lists\":[]}";
    struct campaign_figures fig;
    struct rl_err err = {0};
    *id = campaign(f, "marketing", false, "Soldes!", NULL, aud, 0.05);
    if (campaign_launch(&f->env, f->acc, *id, SAT_1959, &fig, &err) != 0)
        fail_msg("launch: %s", err.msg);
    assert_int_equal(fig.recipients, 6);
    assert_int_equal(fig.first_at, SAT_1959);
    assert_int_equal(fig.last_at, MON_0800 + 40 * S);
}

static void test_launch_writes_the_schedule(void **state)
{
    (void)state;
    struct fix f;
    int64_t id;
    fix_open(&f, "FR=STOP au 36180");
    launch_six(&f, &id);
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT sum(scheduled_for) FROM messages WHERE campaign_id = %lld",
             (long long)id);
    /* 3 x Saturday 19:59:00 + 0 + 20 + 40 s, 3 x Monday 08:00:00 + 0 + 20 + 40 s */
    assert_int_equal(sql_count(sql), 3 * SAT_1959 + 60 * S + 3 * MON_0800 + 60 * S);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE text = 'Soldes! STOP au 36180' "
                               "AND category = 'marketing' AND from_addr = 'SHOP'"),
                     6);
    /* All three Monday ones say why they wait, not only the first; the
     * Saturday ones only the campaign. */
    assert_int_equal(sql_count("SELECT count(*) FROM message_events e JOIN messages m ON "
                               "m.id = e.message_id WHERE e.reason = 'deferred:quiet_hours' AND "
                               "m.scheduled_for >= 1795417200000"),
                     3);
    assert_int_equal(sql_count("SELECT count(*) FROM message_events e JOIN messages m ON "
                               "m.id = e.message_id WHERE e.reason = 'campaign' AND "
                               "m.scheduled_for < 1795417200000"),
                     3);
    /* Each valid 48 h from its own slot, not from the launch. */
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE validity_until = "
                               "scheduled_for + 172800000"),
                     6);
    /* 6 x 0.045 debited from 100 */
    assert_int_equal(sql_count("SELECT balance FROM accounts"), 100 * BILLING_MICRO - 270000);
    struct store_campaign row;
    struct rl_err err = {0};
    assert_int_equal(store_campaign_get(f.s, f.acc, id, &row, &err), 0);
    assert_int_equal(row.state, STORE_CAMPAIGN_SENDING);
    assert_int_equal(row.messages, 6);
    /* the next free slot: Monday 08:00:40 + 20 s */
    assert_int_equal(row.pace_us, (MON_0800 + 60 * S) * 1000);
    store_campaign_release(&row);
    /* A second launch is refused: it is not a draft any more. */
    struct campaign_figures fig;
    assert_int_equal(campaign_launch(&f.env, f.acc, id, SAT_1959, &fig, &err), RL_EINVAL);
    assert_string_equal(err.field, "state");
    fix_close(&f);
}

/* The dispatcher claims the three Saturday messages late, at 20:30: the gate
 * defers them to Monday at the campaign's pace, after the launch's own
 * Monday slots (08:01:00, 08:01:20, 08:01:40), gives the claim's attempt
 * back and records why. */
static void test_gate_defers_a_backlog_at_the_pace(void **state)
{
    (void)state;
    struct fix f;
    int64_t id;
    fix_open(&f, "FR=STOP au 36180");
    launch_six(&f, &id);
    struct store_message msgs[10];
    size_t n = 0;
    struct rl_err err = {0};
    assert_int_equal(store_claim_due(f.s, SAT_2030, 10, msgs, &n, &err), 0);
    assert_int_equal(n, 3);
    struct campaign_gate *g;
    assert_int_equal(campaign_gate_new(&f.cfg, 10, &g, &err), 0);
    campaign_gate_begin(g, f.s, msgs, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(campaign_gate_check(g, i, SAT_2030, MON_0800 + 86400 * S),
                         CAMPAIGN_GATE_HELD);
    assert_int_equal(campaign_gate_commit(g, &err), 0);
    int64_t at;
    const char *why;
    assert_false(campaign_gate_fallback(g, 0, &at, &why));
    campaign_gate_free(g);
    for (size_t i = 0; i < n; i++)
        store_message_release(&msgs[i]);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE state = 'scheduled' "
                               "AND attempts = 0"),
                     6);
    assert_int_equal(sql_count("SELECT sum(scheduled_for) FROM messages WHERE id <= 3"),
                     3 * MON_0800 + (60 + 80 + 100) * S);
    /* 3 from the launch, 3 from the gate */
    assert_int_equal(sql_count("SELECT count(*) FROM message_events "
                               "WHERE reason = 'deferred:quiet_hours' AND state = 'scheduled'"),
                     6);
    /* The deferred ones are valid 48 h from their new slot. */
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE id <= 3 AND validity_until = "
                               "scheduled_for + 172800000"),
                     3);
    fix_close(&f);
}

/* Outside campaigns: a transactional message is never held; a marketing one
 * due Saturday 20:30 goes to Monday 08:00, no pace (no campaign rate), when
 * its validity_until from the API (48 h: Monday 20:30) covers it; one the API
 * gave an hour expires, saying why; one without a validity_until is held. */
static void test_gate_outside_campaigns(void **state)
{
    (void)state;
    struct fix f;
    struct rl_err err = {0};
    fix_open(&f, "FR=STOP au 36180");
    struct store_msg_new m[4] = {
        {.account_id = f.acc,
         .to = "+33612345601",
         .from = "",
         .text = "code 1234",
         .category = MSG_CATEGORY_TRANSACTIONAL,
         .state = MSG_STATE_QUEUED,
         .scheduled_for = SAT_2030},
        {.account_id = f.acc,
         .to = "+33612345602",
         .from = "",
         .text = "Soldes!",
         .category = MSG_CATEGORY_MARKETING,
         .state = MSG_STATE_QUEUED,
         .scheduled_for = SAT_2030,
         .validity_until = SAT_2030 + H48},
        {.account_id = f.acc,
         .to = "+33612345603",
         .from = "",
         .text = "Soldes!",
         .category = MSG_CATEGORY_MARKETING,
         .state = MSG_STATE_QUEUED,
         .scheduled_for = SAT_2030,
         .validity_until = SAT_2030 + 3600 * S},
        {.account_id = f.acc,
         .to = "+33612345604",
         .from = "",
         .text = "Soldes!",
         .category = MSG_CATEGORY_MARKETING,
         .state = MSG_STATE_QUEUED,
         .scheduled_for = SAT_2030},
    };
    assert_int_equal(store_message_insert_batch(f.s, m, 4, false, NULL, &err), 0);
    struct store_message msgs[4];
    size_t n = 0;
    assert_int_equal(store_claim_due(f.s, SAT_2030, 4, msgs, &n, &err), 0);
    assert_int_equal(n, 4);
    struct campaign_gate *g;
    assert_int_equal(campaign_gate_new(&f.cfg, 4, &g, &err), 0);
    campaign_gate_begin(g, f.s, msgs, n);
    const char *why = NULL, *detail = NULL;
    for (size_t i = 0; i < n; i++) {
        /* as the dispatcher passes it: the message's own, else 48 h from due */
        int64_t until = msgs[i].validity_until ? msgs[i].validity_until : SAT_2030 + H48;
        enum campaign_gate_verdict v = campaign_gate_check(g, i, SAT_2030, until);
        if (strcmp(msgs[i].to, "+33612345601") == 0) {
            assert_int_equal(v, CAMPAIGN_GATE_SEND);
        } else if (strcmp(msgs[i].to, "+33612345603") == 0) {
            assert_int_equal(v, CAMPAIGN_GATE_EXPIRE);
            assert_true(campaign_gate_expiry(g, i, &why, &detail));
            assert_string_equal(why, CAMPAIGN_REASON_PAST_VALIDITY);
            assert_non_null(strstr(detail, "deferred:quiet_hours"));
            assert_non_null(strstr(detail, "validity_until=1795293000000"));
        } else {
            assert_int_equal(v, CAMPAIGN_GATE_HELD);
            assert_false(campaign_gate_expiry(g, i, &why, &detail));
        }
    }
    assert_int_equal(campaign_gate_commit(g, &err), 0);
    campaign_gate_free(g);
    for (size_t i = 0; i < n; i++)
        store_message_release(&msgs[i]);
    /* Held to Monday 08:00: the API's validity_until left as it was; the one
     * without any gets dispatch.validity from its new time, written down (a
     * retry would otherwise count it from the message's creation). */
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM messages WHERE (to_e164 = '+33612345602' AND validity_until = "
             "%lld OR to_e164 = '+33612345604' AND validity_until = %lld) AND state = "
             "'scheduled' AND scheduled_for = %lld AND attempts = 0",
             (long long)(SAT_2030 + H48), (long long)(MON_0800 + H48), (long long)MON_0800);
    assert_int_equal(sql_count(sql), 2);
    fix_close(&f);
}

/* The auditor's case: a campaign message due Saturday 4 April 2026 at
 * 19:59:55, claimed at 20:00:30 (relais was down in between). Sunday, then
 * Easter Monday, are closed: the next allowed time is Tuesday 08:00, 60 h on,
 * past the 48 h its validity had from its slot. A lawful deferral does not
 * eat the validity: it is held, not expired, valid 48 h from Tuesday 08:00. */
static void test_gate_defers_past_the_validity(void **state)
{
    (void)state;
    struct fix f;
    int64_t id;
    struct campaign_figures fig;
    struct rl_err err = {0};
    fix_open(&f, "FR=STOP au 36180");
    id = campaign(&f, "marketing", false, "Soldes!", NULL,
                  "{\"lists\":[],\"numbers\":[\"0612345601\"],\"exclude_lists\":[]}", 0);
    assert_int_equal(campaign_launch(&f.env, f.acc, id, EASTER_SAT_195955, &fig, &err), 0);
    assert_int_equal(fig.first_at, EASTER_SAT_195955);
    assert_int_equal(sql_count("SELECT validity_until FROM messages"), EASTER_SAT_195955 + H48);
    struct store_message msgs[2];
    size_t n = 0;
    assert_int_equal(store_claim_due(f.s, EASTER_SAT_200030, 2, msgs, &n, &err), 0);
    assert_int_equal(n, 1);
    struct campaign_gate *g;
    assert_int_equal(campaign_gate_new(&f.cfg, 2, &g, &err), 0);
    campaign_gate_begin(g, f.s, msgs, n);
    assert_int_equal(campaign_gate_check(g, 0, EASTER_SAT_200030, msgs[0].validity_until),
                     CAMPAIGN_GATE_HELD);
    assert_int_equal(campaign_gate_commit(g, &err), 0);
    campaign_gate_free(g);
    store_message_release(&msgs[0]);
    assert_int_equal(sql_count("SELECT scheduled_for FROM messages WHERE state = 'scheduled'"),
                     EASTER_TUE_0800);
    assert_int_equal(sql_count("SELECT validity_until FROM messages"), EASTER_TUE_0800 + H48);
    assert_int_equal(sql_count("SELECT count(*) FROM message_events WHERE state = 'scheduled' "
                               "AND reason = 'deferred:quiet_hours' AND detail = "
                               "'until=1775541600000'"),
                     1);
    fix_close(&f);
}

/* Two marketing messages of the messages API, due Saturday 19:59:55 before
 * Easter, claimed at 20:00:30: one with the default validity (48 h, the API
 * set no "validity"), one whose sender asked for the same 48 h. The next
 * allowed minute, Tuesday 08:00, is 60 h away: the default one is deferred
 * and its validity starts again there; the sender's limit is kept, so the
 * other expires. */
static void test_gate_api_default_validity_restarts(void **state)
{
    (void)state;
    struct fix f;
    struct rl_err err = {0};
    fix_open(&f, "FR=STOP au 36180");
    struct store_msg_new m[2];
    for (int i = 0; i < 2; i++)
        m[i] = (struct store_msg_new){.account_id = f.acc,
                                      .to = i ? "+33612345602" : "+33612345601",
                                      .from = "SHOP",
                                      .text = "Soldes! STOP au 36180",
                                      .encoding = MSG_ENCODING_GSM7,
                                      .segments = 1,
                                      .category = MSG_CATEGORY_MARKETING,
                                      .state = MSG_STATE_SCHEDULED,
                                      .cost = 1,
                                      .scheduled_for = EASTER_SAT_195955,
                                      .validity_until = EASTER_SAT_195955 + H48,
                                      .validity_default = i == 0,
                                      .reason = "api"};
    int64_t ids[2];
    assert_int_equal(store_message_insert_batch(f.s, m, 2, false, ids, &err), 0);
    struct store_message msgs[2];
    size_t n = 0;
    assert_int_equal(store_claim_due(f.s, EASTER_SAT_200030, 2, msgs, &n, &err), 0);
    assert_int_equal(n, 2);
    struct campaign_gate *g;
    assert_int_equal(campaign_gate_new(&f.cfg, 2, &g, &err), 0);
    campaign_gate_begin(g, f.s, msgs, n);
    for (size_t i = 0; i < n; i++) {
        enum campaign_gate_verdict v =
            campaign_gate_check(g, i, EASTER_SAT_200030, msgs[i].validity_until);
        assert_int_equal(v, msgs[i].id == ids[0] ? CAMPAIGN_GATE_HELD : CAMPAIGN_GATE_EXPIRE);
    }
    assert_int_equal(campaign_gate_commit(g, &err), 0);
    campaign_gate_free(g);
    for (size_t i = 0; i < n; i++)
        store_message_release(&msgs[i]);
    char q[200];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM messages WHERE id = %lld AND state = 'scheduled' "
             "AND scheduled_for = %lld AND validity_until = %lld",
             (long long)ids[0], (long long)EASTER_TUE_0800, (long long)(EASTER_TUE_0800 + H48));
    assert_int_equal(sql_count(q), 1);
    snprintf(q, sizeof(q), "SELECT validity_until FROM messages WHERE id = %lld",
             (long long)ids[1]);
    assert_int_equal(sql_count(q), EASTER_SAT_195955 + H48); /* unchanged: its own limit */
    fix_close(&f);
}

/* A campaign of category offers requiring opt-in, launched to three numbers
 * opted in; before they are sent one opts out of offers and another's
 * opt-in is withdrawn (its state removed, as never set): at send time the
 * first is refused opted_out, the second no_consent, the third goes. One
 * consent read serves the batch. */
static void test_gate_checks_the_category_at_send_time(void **state)
{
    (void)state;
    struct fix f;
    struct rl_err err = {0};
    struct campaign_figures fig;
    fix_open(&f, "FR=STOP au 36180");
    static const char *const nums[] = {"+33612345601", "+33612345602", "+33612345603"};
    for (size_t i = 0; i < 3; i++)
        consent(&f, nums[i], "offers", STORE_CONSENT_OPTED_IN);
    int64_t id = campaign(&f, "offers", true, "Soldes!", NULL,
                          "{\"lists\":[],\"numbers\":[\"0612345601\",\"0612345602\","
                          "\"0612345603\"],\"exclude_lists\":[]}",
                          0);
    assert_int_equal(campaign_launch(&f.env, f.acc, id, MON_0900, &fig, &err), 0);
    assert_int_equal(fig.recipients, 3);
    consent(&f, nums[0], "offers", STORE_CONSENT_OPTED_OUT);
    char sql[200];
    snprintf(sql, sizeof(sql), "DELETE FROM consent_state WHERE phone = '%s'", nums[1]);
    assert_int_equal(sql_count(sql), -1); /* a statement without rows */
    struct store_message msgs[4];
    size_t n = 0;
    assert_int_equal(store_claim_due(f.s, MON_0900 + S, 4, msgs, &n, &err), 0);
    assert_int_equal(n, 3);
    struct campaign_gate *g;
    assert_int_equal(campaign_gate_new(&f.cfg, 4, &g, &err), 0);
    campaign_gate_begin(g, f.s, msgs, n);
    for (size_t i = 0; i < n; i++) {
        enum campaign_gate_verdict v =
            campaign_gate_check(g, i, MON_0900 + S, msgs[i].validity_until);
        if (strcmp(msgs[i].to, nums[0]) == 0) {
            assert_int_equal(v, CAMPAIGN_GATE_REFUSE);
            assert_string_equal(campaign_gate_refusal(g, i), "opted_out");
        } else if (strcmp(msgs[i].to, nums[1]) == 0) {
            assert_int_equal(v, CAMPAIGN_GATE_REFUSE);
            assert_string_equal(campaign_gate_refusal(g, i), "no_consent");
        } else {
            assert_int_equal(v, CAMPAIGN_GATE_SEND);
        }
    }
    campaign_gate_free(g);
    for (size_t i = 0; i < n; i++)
        store_message_release(&msgs[i]);
    fix_close(&f);
}

/* A window that never meets the marketing hours (mon-sat 08:00-20:00 by
 * default): refused by the check the API makes at creation, and by the
 * summary (naming the window and the country) for a campaign stored before
 * the hours changed. Sunday is fine for transactional, or where a country's
 * profile opens on Sundays. */
static void test_window_that_never_meets(void **state)
{
    (void)state;
    struct rules_config rc;
    struct rules_window sun, sat;
    struct cfg c;
    struct rl_err err = {0};
    cfg_init(&c);
    assert_int_equal(rules_config_init(&rc, &c, &err), 0);
    assert_int_equal(rules_window_parse(&sun, "sun 10:00-12:00", 15, "window", &err), 0);
    assert_int_equal(rules_window_parse(&sat, "sat 19:30-23:00", 15, "window", &err), 0);
    assert_int_equal(campaign_window_check(&rc, true, &sun, &err), RL_EINVAL);
    assert_string_equal(err.field, "window");
    assert_non_null(strstr(err.msg, "sun 10:00-12:00"));
    assert_non_null(strstr(err.msg, "mon-sat 08:00-20:00"));
    assert_int_equal(campaign_window_check(&rc, true, &sat, &err), 0); /* 19:30-20:00 */
    assert_int_equal(campaign_window_check(&rc, false, &sun, &err), 0);
    assert_int_equal(rules_profiles_parse(&rc, "GB=mon-sun 08:00-20:00", &err), 0);
    assert_int_equal(campaign_window_check(&rc, true, &sun, &err), 0);
    rules_config_release(&rc);
    cfg_release(&c);

    struct fix f;
    fix_open(&f, "FR=STOP au 36180");
    struct store_campaign_new n = {.account_id = f.acc,
                                   .name = "dimanche",
                                   .category = "marketing",
                                   .text = "Soldes!",
                                   .window = "sun 10:00-12:00",
                                   .audience = "{\"lists\":[],\"numbers\":[\"0612345601\"],"
                                               "\"exclude_lists\":[]}"};
    int64_t id = 0;
    assert_int_equal(store_campaign_create(f.s, &n, &id, &err), 0);
    struct store_campaign row;
    struct campaign_spec sp;
    struct campaign_figures fig;
    assert_int_equal(store_campaign_get(f.s, f.acc, id, &row, &err), 0);
    assert_int_equal(campaign_spec_init(&sp, &row, &err), 0);
    assert_int_equal(campaign_summarize(&f.env, &sp, MON_0900, &fig, &err), RL_EINVAL);
    assert_string_equal(err.field, "window");
    assert_non_null(strstr(err.msg, "sun 10:00-12:00"));
    assert_non_null(strstr(err.msg, "FR"));
    campaign_spec_release(&sp);
    store_campaign_release(&row);
    assert_int_equal(campaign_launch(&f.env, f.acc, id, MON_0900, &fig, &err), RL_EINVAL);
    assert_string_equal(err.field, "window");
    fix_close(&f);
}

/* The account's own mentions: read from JSON (bad countries and texts named),
 * and picked before the configuration's: its FR replaces the server's FR, its
 * BE gives Belgium one the configuration lacks; without them the
 * configuration's apply again. "Soldes! STOP au 36999" is 21 GSM characters,
 * one segment. */
static void test_account_mentions(void **state)
{
    (void)state;
    struct campaign_account_mentions am;
    struct rl_err err = {0};
    assert_int_equal(campaign_account_mentions_parse(&am, NULL, &err), 0);
    assert_int_equal(am.n, 0);
    static const char *const bad[][2] = {
        {"[1]", "optout_mention"},
        {"{\"fr\":\"STOP\"}", "optout_mention.fr"},
        {"{\"FR\":\"\"}", "optout_mention.FR"},
        {"{\"FR\":3}", "optout_mention.FR"},
        {"{\"FR\":\"STOP\\n36180\"}", "optout_mention.FR"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(campaign_account_mentions_parse(&am, bad[i][0], &err), RL_EINVAL);
        assert_string_equal(err.field, bad[i][1]);
        assert_int_equal(am.n, 0);
    }

    struct fix f;
    fix_open(&f, "FR=STOP au 36180 | DE=STOPP 1234");
    assert_int_equal(campaign_account_mentions_parse(
                         &am, "{\"FR\":\"STOP au 36999\",\"BE\":\"STOP 3099\"}", &err),
                     0);
    assert_string_equal(campaign_mention_pick(&f.cc, &am, "FR"), "STOP au 36999");
    assert_string_equal(campaign_mention_pick(&f.cc, &am, "BE"), "STOP 3099");
    assert_string_equal(campaign_mention_pick(&f.cc, &am, "DE"), "STOPP 1234");
    assert_null(campaign_mention_pick(&f.cc, &am, "IT"));
    assert_string_equal(campaign_mention_pick(&f.cc, NULL, "FR"), "STOP au 36180");
    campaign_account_mentions_release(&am);

    assert_int_equal(store_account_mentions_set(
                         f.s, f.acc, "{\"FR\":\"STOP au 36999\",\"BE\":\"STOP 3099\"}", &err),
                     0);
    int64_t id = campaign(&f, "marketing", false, "Soldes!", NULL,
                          "{\"lists\":[],\"numbers\":[\"0612345601\",\"+32470123456\"],"
                          "\"exclude_lists\":[]}",
                          0);
    struct campaign_figures fig;
    summarize(&f, id, MON_0900, &fig);
    assert_int_equal(fig.recipients, 2);
    assert_int_equal(fig.no_mention, 0); /* Belgium has the account's */
    assert_int_equal(campaign_launch(&f.env, f.acc, id, MON_0900, &fig, &err), 0);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE to_e164 = '+33612345601' "
                               "AND text = 'Soldes! STOP au 36999' AND segments = 1"),
                     1);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE to_e164 = '+32470123456' "
                               "AND text = 'Soldes! STOP 3099'"),
                     1);
    /* Removed: Belgium has none again, and the summary says so. */
    assert_int_equal(store_account_mentions_set(f.s, f.acc, NULL, &err), 0);
    id = campaign(&f, "marketing", false, "Soldes!", NULL,
                  "{\"lists\":[],\"numbers\":[\"+32470123456\"],\"exclude_lists\":[]}", 0);
    summarize(&f, id, MON_0900, &fig);
    assert_int_equal(fig.no_mention, 1);
    assert_string_equal(fig.no_mention_country, "BE");
    fix_close(&f);
}

/* #optout_link# renders each recipient's own page, http.public_url (its
 * trailing '/' dropped) + /u/ + a token that reads back as that account and
 * number. The token is 19 bytes (version, account 1 in one varint byte, the
 * number 33612345601 < 2^35 in five, a 12-byte MAC): 26 base64url
 * characters, so the link is 29 + 26 = 55 characters. With 100 'a', a space
 * before it and " STOP au 36180" the text is 100 + 1 + 55 + 14 = 170 GSM
 * characters: two segments (153 + 17), counted by the summary and written so
 * by the launch. */
static void test_optout_link(void **state)
{
    (void)state;
    struct fix f;
    struct rl_err err = {0};
    memset(&f, 0, sizeof(f));
    fix_open(&f, "FR=STOP au 36180");
    /* The link base is read at config time: set it and read the config again. */
    campaign_config_release(&f.cc);
    assert_int_equal(cfg_set(&f.cfg, "http.public_url", "https://sms.example.test/r/", &err), 0);
    assert_int_equal(campaign_config_init(&f.cc, &f.cfg, &err), 0);
    char tpl[160];
    memset(tpl, 'a', 100);
    snprintf(tpl + 100, sizeof(tpl) - 100, " #optout_link#");
    int64_t id = campaign(&f, "marketing", false, NULL, tpl,
                          "{\"lists\":[],\"numbers\":[\"0612345601\",\"0612345602\"],"
                          "\"exclude_lists\":[]}",
                          0);
    struct campaign_figures fig;
    summarize(&f, id, MON_0900, &fig);
    assert_int_equal(fig.recipients, 2);
    assert_int_equal(fig.segments, 4);
    assert_int_equal(campaign_launch(&f.env, f.acc, id, MON_0900, &fig, &err), 0);
    unsigned char key[STORE_CONSENT_SECRET_SIZE];
    assert_int_equal(store_consent_secret(f.s, key, &err), 0);
    struct store_message msgs[2];
    size_t n = 0;
    assert_int_equal(store_claim_due(f.s, MON_0900 + S, 2, msgs, &n, &err), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        const char *t = msgs[i].text;
        static const char base[] = "https://sms.example.test/r/u/";
        const char *link = strstr(t, base);
        assert_non_null(link);
        assert_int_equal(strlen(t), 170);
        assert_int_equal(msgs[i].segments, 2);
        assert_int_equal(link - t, 101);
        char token[CONSENT_TOKEN_MAX];
        snprintf(token, sizeof(token), "%.26s", link + strlen(base));
        assert_string_equal(link + strlen(base) + 26, " STOP au 36180");
        int64_t acc = 0;
        char e164[STORE_CONSENT_PHONE_SIZE];
        assert_int_equal(consent_token_check(key, token, &acc, e164), 0);
        assert_int_equal(acc, f.acc);
        assert_string_equal(e164, msgs[i].to);
        store_message_release(&msgs[i]);
    }
    fix_close(&f);
}

/* Pause parks the waiting messages (draft, never claimed), and the gate
 * parks one claimed meanwhile; resume gives them new slots from now at the
 * pace; cancel refunds what was not sent: the balance is whole again. */
static void test_pause_resume_cancel(void **state)
{
    (void)state;
    struct fix f;
    int64_t id, n = 0, refunded = 0;
    struct rl_err err = {0};
    fix_open(&f, "FR=STOP au 36180");
    launch_six(&f, &id);
    assert_int_equal(campaign_pause(&f.env, f.acc, id, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE state = 'draft'"), 6);
    struct store_message msgs[10];
    size_t got = 9;
    assert_int_equal(store_claim_due(f.s, MON_0900, 10, msgs, &got, &err), 0);
    assert_int_equal(got, 0);
    /* Resumed Monday 09:00: slots 09:00:00, 09:00:20 ... 09:01:40. */
    assert_int_equal(campaign_resume(&f.env, f.acc, id, MON_0900, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_int_equal(sql_count("SELECT sum(scheduled_for) FROM messages"),
                     6 * MON_0900 + (0 + 20 + 40 + 60 + 80 + 100) * S);
    assert_int_equal(sql_count("SELECT count(*) FROM message_events "
                               "WHERE reason = 'campaign_resumed'"),
                     6);
    /* The pause did not use their validity up: 48 h from the new slots. */
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE validity_until = "
                               "scheduled_for + 172800000"),
                     6);
    /* Resuming a campaign that is sending is a no-op; pausing twice too. */
    assert_int_equal(campaign_resume(&f.env, f.acc, id, MON_0900, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(campaign_cancel(&f.env, f.acc, id, MON_0900, &n, &refunded, &err), 0);
    assert_int_equal(n, 6);
    assert_int_equal(refunded, 270000);
    assert_int_equal(sql_count("SELECT balance FROM accounts"), 100 * BILLING_MICRO);
    assert_int_equal(sql_count("SELECT count(*) FROM messages WHERE state = 'cancelled'"), 6);
    assert_int_equal(campaign_pause(&f.env, f.acc, id, &n, &err), RL_EINVAL);
    assert_string_equal(err.field, "state");
    fix_close(&f);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_campaign_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_across_quiet_hours),
        cmocka_unit_test(test_saturday_1959_to_monday_0800),
        cmocka_unit_test(test_no_rules_and_fractional_rate),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_mentions),
        cmocka_unit_test(test_summary_every_reason),
        cmocka_unit_test(test_mention_appended_and_counted),
        cmocka_unit_test(test_launch_writes_the_schedule),
        cmocka_unit_test(test_gate_defers_a_backlog_at_the_pace),
        cmocka_unit_test(test_gate_outside_campaigns),
        cmocka_unit_test(test_gate_defers_past_the_validity),
        cmocka_unit_test(test_gate_api_default_validity_restarts),
        cmocka_unit_test(test_gate_checks_the_category_at_send_time),
        cmocka_unit_test(test_window_that_never_meets),
        cmocka_unit_test(test_account_mentions),
        cmocka_unit_test(test_optout_link),
        cmocka_unit_test(test_pause_resume_cancel),
    };
    int rc = cmocka_run_group_tests_name("campaign", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
