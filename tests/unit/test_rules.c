/* Lawful timing: window specs, profiles, and the next allowed minute in
 * Europe/Paris across weekends, holidays and both daylight-saving changes.
 * Every expected instant is written by hand as local time with its offset
 * (CET +01:00, CEST +02:00; in 2026 summer time runs from Sunday 29 March to
 * Sunday 25 October, the last Sundays of those months) and converted with
 * libc's timegm(), not with the code under test. Weekdays of 2026 dates are
 * counted from 1 January 2026, a Thursday; Easter 2026 is 5 April (ncal). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/cfg.h"
#include "domain/calendar.h"
#include "domain/rules.h"

/* "2026-11-21T20:00+01:00" (seconds optional) as ms since the epoch. */
static int64_t ts(const char *s)
{
    int y, mo, d, h, mi, sec = 0, oh, om, n = 0;
    char sign;
    struct tm tm = {0};
    if (sscanf(s, "%d-%d-%dT%d:%d%n", &y, &mo, &d, &h, &mi, &n) != 5)
        fail_msg("bad time %s", s);
    if (s[n] == ':') {
        int k = 0;
        sscanf(s + n, ":%d%n", &sec, &k);
        n += k;
    }
    if (sscanf(s + n, "%c%d:%d", &sign, &oh, &om) != 3)
        fail_msg("bad offset in %s", s);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    int64_t off = (oh * 60 + om) * 60 * (sign == '-' ? -1 : 1);
    return ((int64_t)timegm(&tm) - off) * 1000;
}

static struct rules_window win(const char *spec)
{
    struct rules_window w;
    struct rl_err err = {0};
    if (rules_window_parse(&w, spec, strlen(spec), "t", &err) != 0)
        fail_msg("spec '%s': %s", spec, err.msg);
    return w;
}

/* The French default: mon-sat 08:00-20:00, closed on public holidays. */
static struct rules_window fr_profile(void)
{
    return win("mon-sat 08:00-20:00; closed on holidays");
}

static struct rules_zone *paris(void)
{
    struct rules_zone *z = NULL;
    assert_int_equal(rules_zone_new("Europe/Paris", &z, NULL), 0);
    return z;
}

/* Asserts q moves at to want (NULL: not moved) because of reason. */
static void expect_in(const struct rules_query *q, struct rules_zone *z, const char *at,
                      const char *want, const char *reason)
{
    int64_t next = -1;
    const char *why = "unset";
    struct rl_err err = {0};
    int rc = rules_next_allowed(q, z, ts(at), &next, &why, &err);
    if (rc != 0)
        fail_msg("%s: rc=%d %s", at, rc, err.msg);
    int64_t w = want ? ts(want) : ts(at);
    if (next != w)
        fail_msg("%s: next %lld, want %s (%lld): off by %lld min", at, (long long)next,
                 want ? want : at, (long long)w, (long long)(next - w) / 60000);
    if (!reason && why)
        fail_msg("%s: not moved, yet reason '%s'", at, why);
    if (reason && (!why || strcmp(why, reason) != 0))
        fail_msg("%s: reason '%s', want '%s'", at, why ? why : "(null)", reason);
}

static void expect(const struct rules_query *q, const char *at, const char *want,
                   const char *reason)
{
    struct rules_zone *z = paris();
    expect_in(q, z, at, want, reason);
    rules_zone_free(z);
}

static struct rules_query fr_marketing(const struct rules_window *profile, unsigned opts)
{
    struct rules_query q = {profile, NULL, "FR", opts};
    return q;
}

/* --- specs --------------------------------------------------------------- */

static void parse_specs(void **state)
{
    (void)state;
    struct rules_window w = win("mon-fri 09:00-19:00");
    assert_int_equal(w.n, 1);
    assert_int_equal(w.r[0].days, 0x1f); /* Monday..Friday: bits 0-4 */
    assert_int_equal(w.r[0].start, 9 * 60);
    assert_int_equal(w.r[0].end, 19 * 60);
    assert_false(w.closed_on_holidays);
    w = win("mon,wed,sat 08:00-20:00");
    assert_int_equal(w.r[0].days, 0x01 | 0x04 | 0x20);
    w = win("09:00-19:00");
    assert_int_equal(w.r[0].days, 0x7f);
    w = win("fri-mon 10:00-11:00"); /* wraps: fri, sat, sun, mon */
    assert_int_equal(w.r[0].days, 0x10 | 0x20 | 0x40 | 0x01);
    w = win("22:00-02:00");
    assert_int_equal(w.r[0].start, 22 * 60);
    assert_int_equal(w.r[0].end, 2 * 60);
    w = win("20:00-00:00"); /* ends at midnight: the same day */
    assert_int_equal(w.r[0].end, 1440);
    w = win("00:00-24:00");
    assert_int_equal(w.r[0].end, 1440);
    w = win("  Mon - Fri 9:00 - 12:30 ;SATURDAY 10:00-12:00;  Closed  On Holidays ");
    assert_int_equal(w.n, 2);
    assert_int_equal(w.r[0].start, 9 * 60);
    assert_int_equal(w.r[0].end, 12 * 60 + 30);
    assert_int_equal(w.r[1].days, 0x20);
    assert_true(w.closed_on_holidays);
}

static void format_specs(void **state)
{
    (void)state;
    static const char *const same[] = {
        "mon-fri 09:00-19:00",
        "mon-sat 08:00-20:00; closed on holidays",
        "22:00-02:00",
        "mon,wed,sat 08:00-20:00; sun 10:00-24:00",
    };
    char out[RULES_SPEC_MAX];
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        struct rules_window w = win(same[i]);
        assert_int_equal(rules_window_format(&w, out, sizeof(out)), (int)strlen(same[i]));
        assert_string_equal(out, same[i]);
    }
    struct rules_window w = win("fri-mon 10:00-11:00");
    rules_window_format(&w, out, sizeof(out));
    assert_string_equal(out, "mon,fri-sun 10:00-11:00");
    w = win("Tuesday 8:05-20:00");
    rules_window_format(&w, out, sizeof(out));
    assert_string_equal(out, "tue 08:05-20:00");
    assert_int_equal(rules_window_format(&w, out, 10), RL_ETOOLONG);
}

/* Asserts spec is refused with a message on field "--window" holding the
 * spec and frag. */
static void refused(const char *spec, const char *frag)
{
    struct rules_window w;
    struct rl_err err = {0};
    int rc = rules_window_parse(&w, spec, strlen(spec), "--window", &err);
    if (rc != RL_EPARSE || !strstr(err.msg, frag))
        fail_msg("'%s': rc=%d msg='%s', want '%s'", spec, rc, err.msg, frag);
    assert_string_equal(err.field, "--window");
    assert_int_equal(err.code, RL_EPARSE);
    assert_non_null(strstr(err.msg, "--window '"));
}

static void spec_errors_name_the_token(void **state)
{
    (void)state;
    refused("mon-fry 09:00-19:00", "expected a day after 'mon-', got 'fry'");
    refused("lun 09:00-19:00", "unknown day 'lun'");
    refused("25:00-26:00", "time '25:00'");
    refused("09:00-24:01", "time '24:01'");
    refused("24:00-02:00", "time '24:00'"); /* 24:00 only ends a range */
    refused("9h00-19h00", "time '9': expected HH:MM");
    refused("09:60-10:00", "time '09:60'");
    refused("09:00 19:00", "got '19:00'");
    refused("09:00-", "expected an end time after '-', got the end of the item");
    refused("mon-fri", "expected a time range such as 09:00-19:00, got the end of the item");
    refused("09:00-09:00", "range 09:00-09:00 is empty");
    refused("", "empty");
    refused("   ", "empty");
    refused("09:00-10:00;", "empty item");
    refused("09:00-10:00;;11:00-12:00", "empty item");
    refused("closed on holidays", "no time range");
    refused("closed on sundays; 09:00-10:00", "expected 'closed on holidays', got 'sundays'");
    refused("09:00-19:00 except sundays", "unexpected 'except' after the time range");
    refused("mon-fri 09:00-19:00 @", "unexpected '@'");
    refused("\x01 09:00", "got '?'"); /* control bytes are not echoed */
    char many[RULES_SPEC_MAX] = "";
    for (int i = 0; i < RULES_RANGES_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%02d:00-%02d:30",
                 i ? ";" : "", i, i);
    refused(many, "more than 16 time ranges");
    char big[RULES_SPEC_MAX + 2];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    refused(big, "longer than 512 bytes");
}

/* --- profiles and [rules] -------------------------------------------------- */

static void profiles(void **state)
{
    (void)state;
    struct rules_config rc;
    struct rl_err err = {0};
    memset(&rc, 0, sizeof(rc));
    rc.marketing = win("mon-sat 08:00-20:00");
    assert_int_equal(
        rules_profiles_parse(
            &rc, " BE=mon-sat 08:00-20:00; closed on holidays | DE=mon-fri 09:00-20:00 ", &err),
        0);
    assert_int_equal(rc.n, 2);
    assert_string_equal(rc.profiles[0].country, "BE");
    assert_true(rc.profiles[0].w.closed_on_holidays);
    assert_ptr_equal(rules_config_profile(&rc, "DE"), &rc.profiles[1].w);
    assert_ptr_equal(rules_config_profile(&rc, "FR"), &rc.marketing);
    assert_ptr_equal(rules_config_profile(&rc, NULL), &rc.marketing);

    static const struct {
        const char *text, *frag;
    } bad[] = {
        {"BE=mon-sat 08:00-20:00 | be=09:00-10:00", "entry 2 'be=09:00-10:00': expected CC=WINDOW"},
        {"BE mon-sat 08:00-20:00", "entry 1 'BE mon-sat 08:00-20:00': expected CC=WINDOW"},
        {"BE=09:00-10:00 | BE=10:00-11:00", "entry 2: BE has a profile already (entry 1)"},
        {"BE=09:00-10:00 || DE=09:00-10:00", "entry 2 is empty"},
        {"BE=09:00-10:00 | DE=mon-fry 09:00-10:00",
         "rules.profiles: entry 2 (DE) 'mon-fry 09:00-10:00': expected a day after 'mon-', got "
         "'fry'"},
        {"BE=", "entry 1 (BE) '': empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        int r = rules_profiles_parse(&rc, bad[i].text, &err);
        if (r != RL_ECONFIG || !strstr(err.msg, bad[i].frag))
            fail_msg("'%s': rc=%d msg='%s', want '%s'", bad[i].text, r, err.msg, bad[i].frag);
        assert_string_equal(err.field, "rules.profiles");
        assert_int_equal(err.code, RL_ECONFIG);
    }
    assert_int_equal(rc.n, 2); /* unchanged by the failures */
    assert_int_equal(rules_profiles_parse(&rc, "", &err), 0);
    assert_int_equal(rc.n, 0);
    rules_config_release(&rc);
}

static void from_config(void **state)
{
    (void)state;
    struct cfg c;
    struct rules_config rc;
    struct rl_err err = {0};
    char out[RULES_SPEC_MAX];
    cfg_init(&c);
    assert_int_equal(rules_config_init(&rc, &c, &err), 0);
    rules_window_format(&rc.marketing, out, sizeof(out));
    assert_string_equal(out, "mon-sat 08:00-20:00; closed on holidays");
    assert_int_equal(rc.holiday_opts, 0);
    assert_int_equal(rc.n, 0);
    rules_config_release(&rc);

    assert_int_equal(cfg_set(&c, "rules.marketing_holidays", "false", &err), 0);
    assert_int_equal(cfg_set(&c, "rules.alsace_moselle", "true", &err), 0);
    assert_int_equal(cfg_set(&c, "rules.profiles", "BE=mon-fri 08:00-20:00", &err), 0);
    assert_int_equal(rules_config_init(&rc, &c, &err), 0);
    assert_false(rc.marketing.closed_on_holidays);
    assert_int_equal(rc.holiday_opts, CAL_ALSACE_MOSELLE);
    struct rules_query q;
    rules_query_init(&q, &rc, RULES_MARKETING, "BE", NULL);
    assert_ptr_equal(q.profile, &rc.profiles[0].w);
    assert_int_equal(q.holiday_opts, CAL_ALSACE_MOSELLE);
    rules_query_init(&q, &rc, RULES_TRANSACTIONAL, "BE", NULL);
    assert_null(q.profile);
    assert_null(q.window);
    rules_config_release(&rc);

    assert_int_equal(cfg_set(&c, "rules.marketing_window", "mon-sat 8h-20h", &err), 0);
    assert_int_equal(rules_config_init(&rc, &c, &err), RL_ECONFIG);
    assert_int_equal(err.code, RL_ECONFIG);
    assert_string_equal(err.field, "rules.marketing_window");
    assert_non_null(strstr(err.msg, "rules.marketing_window 'mon-sat 8h-20h': "));
    cfg_release(&c);

    enum rules_category cat;
    assert_int_equal(rules_category_parse("Marketing", &cat), 0);
    assert_int_equal(cat, RULES_MARKETING);
    assert_int_equal(rules_category_parse("transactional", &cat), 0);
    assert_int_equal(cat, RULES_TRANSACTIONAL);
    assert_int_equal(rules_category_parse("promo", &cat), RL_EPARSE);
    assert_string_equal(rules_category_name(RULES_MARKETING), "marketing");
}

/* --- the French marketing profile ------------------------------------------ */

static void weekdays_and_quiet_hours(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, 0);
    expect(&q, "2026-11-24T10:00+01:00", NULL, NULL); /* Tuesday */
    expect(&q, "2026-11-21T08:00+01:00", NULL, NULL); /* Saturday, opening minute */
    /* 19:59 is the last allowed minute: the window is 08:00 up to 20:00. */
    expect(&q, "2026-11-21T19:59+01:00", NULL, NULL);
    expect(&q, "2026-11-21T19:59:59+01:00", NULL, NULL);
    /* Saturday 20:00: quiet hours, then Sunday: Monday 08:00. */
    expect(&q, "2026-11-21T20:00+01:00", "2026-11-23T08:00+01:00", "quiet_hours");
    expect(&q, "2026-11-22T12:00+01:00", "2026-11-23T08:00+01:00", "sunday");
    expect(&q, "2026-11-23T07:59+01:00", "2026-11-23T08:00+01:00", "quiet_hours");
    expect(&q, "2026-11-23T07:59:30+01:00", "2026-11-23T08:00+01:00", "quiet_hours");
    expect(&q, "2026-11-23T00:00+01:00", "2026-11-23T08:00+01:00", "quiet_hours");
    expect(&q, "2026-11-24T23:30+01:00", "2026-11-25T08:00+01:00", "quiet_hours");
}

/* Saturday evening before Easter Monday and Whit Monday: Tuesday 08:00. */
static void long_weekends(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, 0);
    expect(&q, "2026-04-04T20:00+02:00", "2026-04-07T08:00+02:00", "quiet_hours");
    expect(&q, "2026-04-05T10:00+02:00", "2026-04-07T08:00+02:00", "sunday"); /* Easter Sunday */
    expect(&q, "2026-04-06T10:00+02:00", "2026-04-07T08:00+02:00", "public_holiday:Easter Monday");
    /* Whit Monday 25 May 2026 (Easter + 50). */
    expect(&q, "2026-05-23T20:00+02:00", "2026-05-26T08:00+02:00", "quiet_hours");
    expect(&q, "2026-05-25T09:00+02:00", "2026-05-26T08:00+02:00", "public_holiday:Whit Monday");
    /* Ascension Thursday 14 May 2026 (Easter + 39). */
    expect(&q, "2026-05-14T10:00+02:00", "2026-05-15T08:00+02:00", "public_holiday:Ascension Day");
    /* Without holidays in the profile, Easter Monday is a Monday like another. */
    struct rules_window plain = win("mon-sat 08:00-20:00");
    struct rules_query q2 = fr_marketing(&plain, 0);
    expect(&q2, "2026-04-04T20:00+02:00", "2026-04-06T08:00+02:00", "quiet_hours");
}

static void fixed_holidays(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, 0);
    /* Each at noon, to the next working day's 08:00 (weekdays from 1 Jan, a Thursday). */
    expect(&q, "2026-01-01T12:00+01:00", "2026-01-02T08:00+01:00", "public_holiday:New Year's Day");
    expect(&q, "2026-05-01T12:00+02:00", "2026-05-02T08:00+02:00", "public_holiday:Labour Day");
    expect(&q, "2026-05-08T12:00+02:00", "2026-05-09T08:00+02:00",
           "public_holiday:Victory in Europe Day");
    expect(&q, "2026-07-14T12:00+02:00", "2026-07-15T08:00+02:00", "public_holiday:Bastille Day");
    /* 15 August 2026 is a Saturday: the next day is a Sunday. */
    expect(&q, "2026-08-15T12:00+02:00", "2026-08-17T08:00+02:00", "public_holiday:Assumption Day");
    expect(&q, "2026-11-11T12:00+01:00", "2026-11-12T08:00+01:00", "public_holiday:Armistice Day");
    expect(&q, "2026-12-25T12:00+01:00", "2026-12-26T08:00+01:00", "public_holiday:Christmas Day");
    /* A holiday's ban covers the whole day, before 08:00 too. */
    expect(&q, "2026-12-25T06:00+01:00", "2026-12-26T08:00+01:00", "public_holiday:Christmas Day");
}

/* 1 November 2026 is a Sunday: the holiday is the reason, and Monday 2 is an
 * ordinary working day (France moves no holiday). */
static void holiday_on_a_sunday(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, 0);
    expect(&q, "2026-11-01T12:00+01:00", "2026-11-02T08:00+01:00",
           "public_holiday:All Saints' Day");
    expect(&q, "2026-10-31T20:00+01:00", "2026-11-02T08:00+01:00", "quiet_hours");
}

static void alsace_moselle(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, CAL_ALSACE_MOSELLE);
    /* 26 December 2026 is a Saturday, then Sunday: Monday 28. */
    expect(&q, "2026-12-25T12:00+01:00", "2026-12-28T08:00+01:00", "public_holiday:Christmas Day");
    /* Good Friday 3 April 2026: Thursday evening goes to Saturday. */
    expect(&q, "2026-04-02T20:00+02:00", "2026-04-04T08:00+02:00", "quiet_hours");
    expect(&q, "2026-04-03T09:00+02:00", "2026-04-04T08:00+02:00", "public_holiday:Good Friday");
}

/* --- daylight saving -------------------------------------------------------- */

static void dst_weekends(void **state)
{
    (void)state;
    struct rules_window p = fr_profile();
    struct rules_query q = fr_marketing(&p, 0);
    /* Spring: Saturday 20:00 CET to Monday 08:00 CEST, 06:00 UTC, not 07:00. */
    expect(&q, "2026-03-28T20:00+01:00", "2026-03-30T08:00+02:00", "quiet_hours");
    expect(&q, "2026-03-28T20:00+01:00", "2026-03-30T06:00+00:00", "quiet_hours");
    expect(&q, "2026-03-30T07:59+02:00", "2026-03-30T08:00+02:00", "quiet_hours");
    /* Autumn: Saturday 20:00 CEST to Monday 08:00 CET, 07:00 UTC. */
    expect(&q, "2026-10-24T20:00+02:00", "2026-10-26T08:00+01:00", "quiet_hours");
    expect(&q, "2026-10-26T07:59+01:00", "2026-10-26T08:00+01:00", "quiet_hours");
    expect(&q, "2026-10-26T08:00+01:00", NULL, NULL);
}

/* On 29 March 2026, 02:00-03:00 does not exist in Paris: 01:59 CET is
 * followed by 03:00 CEST (01:00 UTC). */
static void skipped_hour(void **state)
{
    (void)state;
    struct rules_window w = win("02:30-05:00");
    struct rules_query q = {NULL, &w, "FR", 0};
    expect(&q, "2026-03-29T01:59+01:00", "2026-03-29T03:00+02:00", "window");
    /* 02:30+01:00 is a real instant, 03:30 CEST: inside the window. */
    expect(&q, "2026-03-29T02:30+01:00", NULL, NULL);
    expect(&q, "2026-03-29T03:00+02:00", NULL, NULL);
    /* A window wholly inside the skipped hour opens nothing that day. */
    struct rules_window gap = win("02:00-03:00");
    struct rules_query q2 = {NULL, &gap, "FR", 0};
    expect(&q2, "2026-03-29T01:00+01:00", "2026-03-30T02:00+02:00", "window");
    expect(&q2, "2026-03-28T02:10+01:00", NULL, NULL); /* the day before: it exists */
}

/* On 25 October 2026, 02:00-03:00 happens twice: CEST (00:00-01:00 UTC) then
 * CET (01:00-02:00 UTC). */
static void repeated_hour(void **state)
{
    (void)state;
    struct rules_window w = win("02:00-03:00");
    struct rules_query q = {NULL, &w, "FR", 0};
    expect(&q, "2026-10-25T02:30+02:00", NULL, NULL); /* first pass */
    expect(&q, "2026-10-25T02:30+01:00", NULL, NULL); /* second pass */
    expect(&q, "2026-10-25T01:30+02:00", "2026-10-25T02:00+02:00", "window");
    expect(&q, "2026-10-25T03:00+01:00", "2026-10-26T02:00+01:00", "window");
    /* In the second pass, a start at 02:30 means the one still to come. */
    struct rules_window late = win("02:30-04:00");
    struct rules_query q2 = {NULL, &late, "FR", 0};
    expect(&q2, "2026-10-25T02:10+01:00", "2026-10-25T02:30+01:00", "window");
    expect(&q2, "2026-10-25T02:10+02:00", "2026-10-25T02:30+02:00", "window");
    /* A wall-clock ban on 02:xx lasts both passes. */
    struct rules_window around = win("00:00-02:00; 03:00-24:00");
    struct rules_query q3 = {NULL, &around, "FR", 0};
    expect(&q3, "2026-10-25T02:10+02:00", "2026-10-25T03:00+01:00", "window");
}

/* --- campaign windows -------------------------------------------------------- */

static void across_midnight(void **state)
{
    (void)state;
    struct rules_window w = win("22:00-02:00");
    struct rules_query q = {NULL, &w, "FR", 0};
    expect(&q, "2026-11-24T23:00+01:00", NULL, NULL);
    expect(&q, "2026-11-25T01:59+01:00", NULL, NULL);
    expect(&q, "2026-11-25T00:00+01:00", NULL, NULL);
    expect(&q, "2026-11-25T02:00+01:00", "2026-11-25T22:00+01:00", "window");
    expect(&q, "2026-11-25T21:59+01:00", "2026-11-25T22:00+01:00", "window");
    /* Friday nights only (20 November 2026 is a Friday): the tail belongs to
     * Saturday's small hours, not Sunday's. */
    struct rules_window fri = win("fri 22:00-02:00");
    struct rules_query q2 = {NULL, &fri, "FR", 0};
    expect(&q2, "2026-11-21T01:00+01:00", NULL, NULL);
    expect(&q2, "2026-11-21T03:00+01:00", "2026-11-27T22:00+01:00", "window");
    expect(&q2, "2026-11-22T01:00+01:00", "2026-11-27T22:00+01:00", "window");
    expect(&q2, "2026-11-20T21:00+01:00", "2026-11-20T22:00+01:00", "window");
}

static void campaign_window_and_profile(void **state)
{
    (void)state;
    struct rules_window p = fr_profile(), w = win("mon-fri 09:00-19:00");
    struct rules_query q = {&p, &w, "FR", 0};
    /* Saturday 10:00 suits the profile, not the campaign. */
    expect(&q, "2026-11-21T10:00+01:00", "2026-11-23T09:00+01:00", "window");
    expect(&q, "2026-11-23T08:30+01:00", "2026-11-23T09:00+01:00", "window");
    expect(&q, "2026-11-22T10:00+01:00", "2026-11-23T09:00+01:00", "sunday");
    expect(&q, "2026-11-23T07:00+01:00", "2026-11-23T09:00+01:00", "quiet_hours");
    expect(&q, "2026-11-23T18:59+01:00", NULL, NULL);
    /* Transactional without a window: never moved, even at 03:00 on a Sunday. */
    struct rules_query none = {NULL, NULL, "FR", 0};
    expect(&none, "2026-11-22T03:00+01:00", NULL, NULL);
    /* A transactional window closed on holidays: Christmas to the 26th 09:00. */
    struct rules_window wh = win("09:00-19:00; closed on holidays");
    struct rules_query th = {NULL, &wh, "FR", 0};
    expect(&th, "2026-12-25T10:00+01:00", "2026-12-26T09:00+01:00", "public_holiday:Christmas Day");
}

static void never_allowed(void **state)
{
    (void)state;
    struct rules_window p = fr_profile(), w = win("sun 10:00-12:00");
    struct rules_query q = {&p, &w, "FR", 0};
    struct rules_zone *z = paris();
    int64_t next = 0;
    const char *why = NULL;
    struct rl_err err = {0};
    assert_int_equal(rules_next_allowed(&q, z, ts("2026-11-21T10:00+01:00"), &next, &why, &err),
                     RL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nothing allowed within 366 days in Europe/Paris"));
    /* Out of the calendar's range. */
    assert_int_equal(rules_next_allowed(&q, z, ts("1850-01-01T00:00+00:00"), &next, &why, &err),
                     RL_ERANGE);
    assert_string_equal(err.field, "at");
    rules_zone_free(z);
}

/* --- zones --------------------------------------------------------------- */

static void zones(void **state)
{
    (void)state;
    struct rules_zone *z = NULL;
    struct rl_err err = {0};
    assert_int_equal(rules_zone_new("Mars/Olympus_Mons", &z, &err), RL_EINVAL);
    assert_null(z);
    assert_string_equal(err.field, "timezone");
    assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Olympus_Mons'"));
    assert_int_equal(rules_zone_new("", &z, &err), RL_EINVAL);
    assert_int_equal(rules_zone_new("Europe/Paris; rm", &z, &err), RL_EINVAL);
    /* FR: Europe/Paris alone, not ICU's legacy alias "ECT" listed before it. */
    assert_int_equal(rules_zone_new_country("FR", &z, &err), 0);
    assert_int_equal(rules_zone_count(z), 1);
    assert_string_equal(rules_zone_name(z, 0), "Europe/Paris");
    struct rules_local l;
    assert_int_equal(rules_zone_local(z, 0, ts("2026-07-14T12:34:56+02:00"), &l), 0);
    assert_true(l.year == 2026 && l.month == 7 && l.day == 14 && l.hour == 12 && l.minute == 34 &&
                l.second == 56);
    assert_int_equal(l.offset_s, 7200);
    assert_int_equal(rules_zone_local(z, 1, 0, &l), RL_EINVAL);
    rules_zone_free(z);
    assert_int_equal(rules_zone_new_country("XX", &z, &err), RL_EINVAL);
    assert_string_equal(err.field, "country");
    rules_zone_free(NULL);
}

/* Spain spans Europe/Madrid (+01:00 in winter) and Atlantic/Canary (+00:00):
 * with the French profile, a Monday opens at 08:00 in the Canaries, 09:00 in
 * Madrid, and closes at 20:00 in Madrid. */
static void several_zones(void **state)
{
    (void)state;
    struct rules_zone *z = NULL;
    assert_int_equal(rules_zone_new_country("ES", &z, NULL), 0);
    assert_true(rules_zone_count(z) >= 2);
    struct rules_window p = win("mon-sat 08:00-20:00");
    struct rules_query q = {&p, NULL, "ES", 0};
    expect_in(&q, z, "2026-11-23T08:30+01:00", "2026-11-23T09:00+01:00", "quiet_hours");
    expect_in(&q, z, "2026-11-23T09:00+01:00", NULL, NULL);
    expect_in(&q, z, "2026-11-23T19:59+01:00", NULL, NULL);
    expect_in(&q, z, "2026-11-23T20:00+01:00", "2026-11-24T09:00+01:00", "quiet_hours");
    rules_zone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_specs),
        cmocka_unit_test(format_specs),
        cmocka_unit_test(spec_errors_name_the_token),
        cmocka_unit_test(profiles),
        cmocka_unit_test(from_config),
        cmocka_unit_test(weekdays_and_quiet_hours),
        cmocka_unit_test(long_weekends),
        cmocka_unit_test(fixed_holidays),
        cmocka_unit_test(holiday_on_a_sunday),
        cmocka_unit_test(alsace_moselle),
        cmocka_unit_test(dst_weekends),
        cmocka_unit_test(skipped_hour),
        cmocka_unit_test(repeated_hour),
        cmocka_unit_test(across_midnight),
        cmocka_unit_test(campaign_window_and_profile),
        cmocka_unit_test(never_allowed),
        cmocka_unit_test(zones),
        cmocka_unit_test(several_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
