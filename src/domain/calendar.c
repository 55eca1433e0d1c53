/* Dates, Easter and public holidays. Holidays are a small table per country:
 * a fixed day of the year, or an offset from Easter Sunday, each optionally
 * tied to an option bit (Alsace-Moselle's extra days), so that a country is
 * added by writing its rows, not code. */
#include "domain/calendar.h"

#include <string.h>

#include "core/err.h"
#include "core/banned.h"

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

bool cal_date_valid(int y, int m, int d)
{
    return y >= CAL_YEAR_MIN && y <= CAL_YEAR_MAX && m >= 1 && m <= 12 && d >= 1 &&
           d <= month_days(y, m);
}

/* Counts in 400-year eras starting 1 March, so that the leap day is the last
 * day of its "year" and every month before it has a fixed offset. */
int64_t cal_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                                  /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365, from 1 March */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

void cal_civil_from_days(int64_t days, struct cal_date *out)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)(yoe + era * 400 + (out->month <= 2));
}

enum cal_weekday cal_weekday(int y, int m, int d)
{
    /* 1970-01-01 was a Thursday (CAL_THU = 3). */
    int64_t r = (cal_days_from_civil(y, m, d) + 3) % 7;
    return (enum cal_weekday)(r < 0 ? r + 7 : r);
}

const char *cal_weekday_name(enum cal_weekday wd)
{
    static const char *const names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};
    return (unsigned)wd < 7 ? names[wd] : "?";
}

int cal_easter(int year, struct cal_date *out)
{
    if (year < CAL_YEAR_MIN || year > CAL_YEAR_MAX)
        return RL_ERANGE;
    int a = year % 19; /* place in the 19-year Metonic cycle */
    int b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4;
    int f = (b + 8) / 25; /* the lunar correction */
    int g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30; /* days from 21 March to the full moon, roughly */
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7; /* days from the full moon to Sunday */
    int m = (a + 11 * h + 22 * l) / 451;
    int x = h + l - 7 * m + 114;
    out->year = year;
    out->month = x / 31;
    out->day = x % 31 + 1;
    return 0;
}

/* --- holiday tables ------------------------------------------------------ */

enum { FIXED, EASTER };

struct row {
    unsigned char kind;
    signed char month; /* FIXED */
    short day;         /* FIXED: day of month; EASTER: days after Easter Sunday */
    unsigned needs;    /* option bit the row needs, 0: always */
    struct cal_holiday h;
};

#define ROW(kind, month, day, needs, name)                                                         \
    {                                                                                              \
        kind, month, day, needs,                                                                   \
        {                                                                                          \
            name, "public_holiday:" name                                                           \
        }                                                                                          \
    }

/* Today's law, applied to every year: France's Code du travail L3133-1 (and
 * the local law of Bas-Rhin, Haut-Rhin and Moselle for the two extras). */
static const struct row fr[] = {
    ROW(FIXED, 1, 1, 0, "New Year's Day"),
    ROW(EASTER, 0, -2, CAL_ALSACE_MOSELLE, "Good Friday"),
    ROW(EASTER, 0, 1, 0, "Easter Monday"),
    ROW(FIXED, 5, 1, 0, "Labour Day"),
    ROW(FIXED, 5, 8, 0, "Victory in Europe Day"),
    ROW(EASTER, 0, 39, 0, "Ascension Day"),
    ROW(EASTER, 0, 50, 0, "Whit Monday"),
    ROW(FIXED, 7, 14, 0, "Bastille Day"),
    ROW(FIXED, 8, 15, 0, "Assumption Day"),
    ROW(FIXED, 11, 1, 0, "All Saints' Day"),
    ROW(FIXED, 11, 11, 0, "Armistice Day"),
    ROW(FIXED, 12, 25, 0, "Christmas Day"),
    ROW(FIXED, 12, 26, CAL_ALSACE_MOSELLE, "St Stephen's Day"),
};

/* Belgium's ten legal holidays (loi du 4 janvier 1974). */
static const struct row be[] = {
    ROW(FIXED, 1, 1, 0, "New Year's Day"),  ROW(EASTER, 0, 1, 0, "Easter Monday"),
    ROW(FIXED, 5, 1, 0, "Labour Day"),      ROW(EASTER, 0, 39, 0, "Ascension Day"),
    ROW(EASTER, 0, 50, 0, "Whit Monday"),   ROW(FIXED, 7, 21, 0, "Belgian National Day"),
    ROW(FIXED, 8, 15, 0, "Assumption Day"), ROW(FIXED, 11, 1, 0, "All Saints' Day"),
    ROW(FIXED, 11, 11, 0, "Armistice Day"), ROW(FIXED, 12, 25, 0, "Christmas Day"),
};

struct country {
    char cc[3];
    const struct row *rows;
    size_t n;
};

static const struct country countries[] = {
    {"FR", fr, sizeof(fr) / sizeof(fr[0])},
    {"BE", be, sizeof(be) / sizeof(be[0])},
};

static const struct country *find_country(const char *cc)
{
    for (size_t i = 0; cc && i < sizeof(countries) / sizeof(countries[0]); i++) {
        if (strcmp(countries[i].cc, cc) == 0)
            return &countries[i];
    }
    return NULL;
}

bool cal_country_known(const char *country)
{
    return find_country(country) != NULL;
}

/* The day number of row r in year (whose Easter Sunday is day easter). */
static int64_t row_day(const struct row *r, int year, int64_t easter)
{
    return r->kind == EASTER ? easter + r->day : cal_days_from_civil(year, r->month, r->day);
}

const struct cal_holiday *cal_holiday_on(const char *country, int y, int m, int d, unsigned opts)
{
    const struct country *c = find_country(country);
    struct cal_date e;
    if (!c || cal_easter(y, &e) != 0)
        return NULL;
    int64_t day = cal_days_from_civil(y, m, d);
    int64_t easter = cal_days_from_civil(e.year, e.month, e.day);
    for (size_t i = 0; i < c->n; i++) {
        const struct row *r = &c->rows[i];
        if ((r->needs & opts) == r->needs && row_day(r, y, easter) == day)
            return &r->h;
    }
    return NULL;
}

size_t cal_holidays(const char *country, int year, unsigned opts, struct cal_date *dates,
                    const struct cal_holiday **holidays, size_t max)
{
    const struct country *c = find_country(country);
    struct cal_date e;
    if (!c || cal_easter(year, &e) != 0)
        return 0;
    int64_t easter = cal_days_from_civil(e.year, e.month, e.day);
    int64_t day[32];
    const struct cal_holiday *h[32];
    size_t n = 0;
    for (size_t i = 0; i < c->n && n < 32; i++) {
        const struct row *r = &c->rows[i];
        if ((r->needs & opts) != r->needs)
            continue;
        /* Insertion by date: movable feasts fall between fixed ones. */
        size_t j = n++;
        for (; j > 0 && day[j - 1] > row_day(r, year, easter); j--) {
            day[j] = day[j - 1];
            h[j] = h[j - 1];
        }
        day[j] = row_day(r, year, easter);
        h[j] = &r->h;
    }
    for (size_t i = 0; i < n && i < max; i++) {
        if (dates)
            cal_civil_from_days(day[i], &dates[i]);
        if (holidays)
            holidays[i] = h[i];
    }
    return n;
}
