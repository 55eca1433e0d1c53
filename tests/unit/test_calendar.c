/* Dates, Easter and public holidays. Easter is checked against a table made
 * by another implementation (ncal, see tests/unit/data/easter_1900_2100.txt);
 * day numbers and weekdays against libc's timegm() and dates known by heart
 * (1970-01-01 a Thursday, 2000-01-01 a Saturday); holiday dates are worked out
 * by hand in the comments. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/err.h"
#include "domain/calendar.h"

/* Relative to the repository root, where make and tools/testrun run the tests. */
#define EASTER_TABLE "tests/unit/data/easter_1900_2100.txt"

static void easter_against_ncal(void **state)
{
    (void)state;
    FILE *f = fopen(EASTER_TABLE, "r");
    if (!f)
        fail_msg("cannot open %s: run the tests from the repository root", EASTER_TABLE);
    char line[128];
    int years = 0, want_year = 1900;
    while (fgets(line, sizeof(line), f)) {
        int y, m, d;
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%d-%d-%d", &y, &m, &d), 3);
        assert_int_equal(y, want_year++);
        struct cal_date e;
        assert_int_equal(cal_easter(y, &e), 0);
        if (e.year != y || e.month != m || e.day != d)
            fail_msg("Easter %d: got %d-%02d-%02d, ncal says %d-%02d-%02d", y, e.year, e.month,
                     e.day, y, m, d);
        assert_int_equal(cal_weekday(y, m, d), CAL_SUN);
        years++;
    }
    fclose(f);
    assert_int_equal(years, 201); /* 1900..2100 inclusive */
}

static void easter_bounds(void **state)
{
    (void)state;
    struct cal_date e = {0, 0, 0};
    assert_int_equal(cal_easter(1582, &e), RL_ERANGE);
    assert_int_equal(e.year, 0);
    assert_int_equal(cal_easter(10000, &e), RL_ERANGE);
    /* 1583, the first Gregorian Easter: 10 April (the published Gregorian tables). */
    assert_int_equal(cal_easter(1583, &e), 0);
    assert_int_equal(e.month, 4);
    assert_int_equal(e.day, 10);
    /* The extremes of the rule: 22 March (1818, 2285) and 25 April (1943, 2038). */
    cal_easter(1818, &e);
    assert_true(e.month == 3 && e.day == 22);
    cal_easter(2285, &e);
    assert_true(e.month == 3 && e.day == 22);
    cal_easter(1943, &e);
    assert_true(e.month == 4 && e.day == 25);
}

static int64_t libc_days(int y, int m, int d)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (int64_t)timegm(&tm) / 86400;
}

static void day_numbers(void **state)
{
    (void)state;
    assert_int_equal(cal_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cal_days_from_civil(1969, 12, 31), -1);
    /* 30 years of 365 days plus the 7 leap days 1972..1996, then 31 + 29 days. */
    assert_int_equal(cal_days_from_civil(2000, 3, 1), 30 * 365 + 7 + 31 + 29);
    /* Every day from 1900 to 2100, both ways, against libc. */
    struct cal_date d;
    for (int64_t n = libc_days(1900, 1, 1); n <= libc_days(2100, 12, 31); n++) {
        cal_civil_from_days(n, &d);
        assert_true(cal_date_valid(d.year, d.month, d.day));
        if (libc_days(d.year, d.month, d.day) != n ||
            cal_days_from_civil(d.year, d.month, d.day) != n)
            fail_msg("day %lld gives %d-%02d-%02d", (long long)n, d.year, d.month, d.day);
    }
    cal_civil_from_days(cal_days_from_civil(9999, 12, 31), &d);
    assert_true(d.year == 9999 && d.month == 12 && d.day == 31);
}

static void validity_and_weekdays(void **state)
{
    (void)state;
    assert_true(cal_date_valid(2024, 2, 29));  /* divisible by 4 */
    assert_false(cal_date_valid(2100, 2, 29)); /* by 100, not by 400 */
    assert_true(cal_date_valid(2000, 2, 29));  /* by 400 */
    assert_false(cal_date_valid(2026, 4, 31));
    assert_false(cal_date_valid(2026, 13, 1));
    assert_false(cal_date_valid(2026, 0, 1));
    assert_false(cal_date_valid(1582, 12, 31));
    assert_int_equal(cal_weekday(1970, 1, 1), CAL_THU);
    assert_int_equal(cal_weekday(2000, 1, 1), CAL_SAT);
    assert_int_equal(cal_weekday(1900, 1, 1), CAL_MON);
    assert_int_equal(cal_weekday(2026, 11, 21), CAL_SAT);
    assert_int_equal(cal_weekday(1969, 12, 28), CAL_SUN); /* before the epoch */
    assert_string_equal(cal_weekday_name(CAL_SUN), "sunday");
    assert_string_equal(cal_weekday_name(CAL_MON), "monday");
    assert_string_equal(cal_weekday_name((enum cal_weekday)7), "?");
}

/* 2026: Easter Sunday 5 April (ncal), so Good Friday 3 April, Easter Monday
 * 6 April, Ascension (+39) 14 May, Whit Monday (+50) 25 May. */
static void france_2026(void **state)
{
    (void)state;
    static const struct {
        int m, d;
        const char *name;
    } want[] = {
        {1, 1, "New Year's Day"},        {4, 6, "Easter Monday"},   {5, 1, "Labour Day"},
        {5, 8, "Victory in Europe Day"}, {5, 14, "Ascension Day"},  {5, 25, "Whit Monday"},
        {7, 14, "Bastille Day"},         {8, 15, "Assumption Day"}, {11, 1, "All Saints' Day"},
        {11, 11, "Armistice Day"},       {12, 25, "Christmas Day"},
    };
    struct cal_date d[32];
    const struct cal_holiday *h[32];
    size_t n = cal_holidays("FR", 2026, 0, d, h, 32);
    assert_int_equal(n, 11);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].year, 2026);
        assert_int_equal(d[i].month, want[i].m);
        assert_int_equal(d[i].day, want[i].d);
        assert_string_equal(h[i]->name, want[i].name);
        const struct cal_holiday *on = cal_holiday_on("FR", 2026, want[i].m, want[i].d, 0);
        assert_ptr_equal(on, h[i]);
    }
    assert_string_equal(cal_holiday_on("FR", 2026, 5, 25, 0)->reason, "public_holiday:Whit Monday");
    assert_int_equal(cal_weekday(2026, 5, 14), CAL_THU);
    /* Not holidays: Good Friday and 26 December outside Alsace-Moselle, Easter
     * Sunday itself (a Sunday anyway), an ordinary day. */
    assert_null(cal_holiday_on("FR", 2026, 4, 3, 0));
    assert_null(cal_holiday_on("FR", 2026, 12, 26, 0));
    assert_null(cal_holiday_on("FR", 2026, 4, 5, 0));
    assert_null(cal_holiday_on("FR", 2026, 6, 2, 0));
    /* Only as many as asked for are written; the count is all of them. */
    assert_int_equal(cal_holidays("FR", 2026, 0, d, h, 2), 11);
    assert_int_equal(cal_holidays("FR", 2026, 0, NULL, NULL, 0), 11);
}

static void alsace_moselle(void **state)
{
    (void)state;
    struct cal_date d[32];
    const struct cal_holiday *h[32];
    assert_int_equal(cal_holidays("FR", 2026, CAL_ALSACE_MOSELLE, d, h, 32), 13);
    /* Good Friday 3 April comes second, between New Year and Easter Monday. */
    assert_true(d[1].month == 4 && d[1].day == 3);
    assert_string_equal(h[1]->name, "Good Friday");
    assert_true(d[12].month == 12 && d[12].day == 26);
    assert_string_equal(cal_holiday_on("FR", 2026, 12, 26, CAL_ALSACE_MOSELLE)->reason,
                        "public_holiday:St Stephen's Day");
    /* 2024: Easter 31 March, so Good Friday 29 March; Ascension 9 May; Whit Monday 20 May. */
    assert_string_equal(cal_holiday_on("FR", 2024, 3, 29, CAL_ALSACE_MOSELLE)->name, "Good Friday");
    assert_string_equal(cal_holiday_on("FR", 2024, 5, 9, 0)->name, "Ascension Day");
    assert_string_equal(cal_holiday_on("FR", 2024, 5, 20, 0)->name, "Whit Monday");
    /* Easter Monday can fall in March: 2016 (Easter 27 March) gives 28 March. */
    assert_string_equal(cal_holiday_on("FR", 2016, 3, 28, 0)->name, "Easter Monday");
}

static void movable_feasts_keep_their_weekday(void **state)
{
    (void)state;
    for (int y = 1900; y <= 2100; y++) {
        struct cal_date d[32];
        const struct cal_holiday *h[32];
        size_t n = cal_holidays("FR", y, CAL_ALSACE_MOSELLE, d, h, 32);
        assert_int_equal(n, 13);
        for (size_t i = 0; i < n; i++) {
            enum cal_weekday wd = cal_weekday(d[i].year, d[i].month, d[i].day);
            if (strcmp(h[i]->name, "Easter Monday") == 0 || strcmp(h[i]->name, "Whit Monday") == 0)
                assert_int_equal(wd, CAL_MON);
            else if (strcmp(h[i]->name, "Ascension Day") == 0)
                assert_int_equal(wd, CAL_THU);
            else if (strcmp(h[i]->name, "Good Friday") == 0)
                assert_int_equal(wd, CAL_FRI);
            /* In date order; two may share a day (Ascension fell on 1 May in 2008). */
            if (i > 0)
                assert_true(cal_days_from_civil(d[i - 1].year, d[i - 1].month, d[i - 1].day) <=
                            cal_days_from_civil(d[i].year, d[i].month, d[i].day));
        }
    }
}

static void belgium_and_unknown(void **state)
{
    (void)state;
    assert_true(cal_country_known("FR"));
    assert_true(cal_country_known("BE"));
    assert_false(cal_country_known("US"));
    assert_false(cal_country_known(NULL));
    assert_int_equal(cal_holidays("BE", 2026, 0, NULL, NULL, 0), 10);
    assert_string_equal(cal_holiday_on("BE", 2026, 7, 21, 0)->name, "Belgian National Day");
    assert_null(cal_holiday_on("FR", 2026, 7, 21, 0));
    assert_null(cal_holiday_on("BE", 2026, 5, 8, 0));  /* French only */
    assert_null(cal_holiday_on("BE", 2026, 7, 14, 0)); /* French only */
    assert_string_equal(cal_holiday_on("BE", 2026, 4, 6, 0)->name, "Easter Monday");
    assert_null(cal_holiday_on("US", 2026, 1, 1, 0));
    assert_null(cal_holiday_on(NULL, 2026, 1, 1, 0));
    assert_int_equal(cal_holidays("US", 2026, 0, NULL, NULL, 0), 0);
    assert_int_equal(cal_holidays("FR", 1500, 0, NULL, NULL, 0), 0);
}

/* 1 May 2022 and 1 November 2026 are Sundays: still holidays, and no other
 * day replaces them in France. */
static void holiday_on_a_sunday(void **state)
{
    (void)state;
    assert_int_equal(cal_weekday(2022, 5, 1), CAL_SUN);
    assert_string_equal(cal_holiday_on("FR", 2022, 5, 1, 0)->name, "Labour Day");
    assert_null(cal_holiday_on("FR", 2022, 5, 2, 0));
    assert_int_equal(cal_weekday(2026, 11, 1), CAL_SUN);
    assert_string_equal(cal_holiday_on("FR", 2026, 11, 1, 0)->name, "All Saints' Day");
    assert_null(cal_holiday_on("FR", 2026, 11, 2, 0));
}

/* 2008: Easter 23 March, so Ascension (+39) on 1 May, Labour Day: one day,
 * two holidays, both listed; the day reports the first in the table. */
static void two_holidays_one_day(void **state)
{
    (void)state;
    struct cal_date d[32];
    const struct cal_holiday *h[32];
    assert_int_equal(cal_holidays("FR", 2008, 0, d, h, 32), 11);
    assert_true(d[2].month == 5 && d[2].day == 1 && d[3].month == 5 && d[3].day == 1);
    assert_string_equal(cal_holiday_on("FR", 2008, 5, 1, 0)->name, "Labour Day");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(easter_against_ncal),
        cmocka_unit_test(easter_bounds),
        cmocka_unit_test(day_numbers),
        cmocka_unit_test(validity_and_weekdays),
        cmocka_unit_test(france_2026),
        cmocka_unit_test(alsace_moselle),
        cmocka_unit_test(movable_feasts_keep_their_weekday),
        cmocka_unit_test(belgium_and_unknown),
        cmocka_unit_test(holiday_on_a_sunday),
        cmocka_unit_test(two_holidays_one_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
