#ifndef RL_CALENDAR_H
#define RL_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pure date arithmetic in the proleptic Gregorian calendar: day numbers,
 * weekdays, Easter and public holidays per country. No time zones and no
 * clock: the caller says which local date it means (rules.c gets it from ICU).
 * Everything here is reentrant and allocation-free. */

/* Easter by the Gregorian rule is defined from the reform on; the upper bound
 * keeps every year four digits. */
#define CAL_YEAR_MIN 1583
#define CAL_YEAR_MAX 9999

/* Weekdays from Monday, as ISO 8601 and the French week count them. */
enum cal_weekday { CAL_MON, CAL_TUE, CAL_WED, CAL_THU, CAL_FRI, CAL_SAT, CAL_SUN };

/* Holiday options (bits of opts below). */
#define CAL_ALSACE_MOSELLE (1u << 0) /* FR: add Good Friday and 26 December */

struct cal_date {
    int year, month, day; /* month 1-12, day 1-31 */
};

/* A public holiday as the rules report it. Both strings are static. */
struct cal_holiday {
    const char *name;   /* "Easter Monday" */
    const char *reason; /* "public_holiday:Easter Monday" */
};

/* True when y-m-d exists (29 February only in leap years), y within
 * CAL_YEAR_MIN..CAL_YEAR_MAX. */
bool cal_date_valid(int y, int m, int d);

/* Days from 1970-01-01 to y-m-d (negative before); any y-m-d that
 * cal_date_valid accepts. */
int64_t cal_days_from_civil(int y, int m, int d);
/* The date days after 1970-01-01, into *out (caller-owned). */
void cal_civil_from_days(int64_t days, struct cal_date *out);

/* The weekday of y-m-d (a valid date). */
enum cal_weekday cal_weekday(int y, int m, int d);
/* "monday" ... "sunday" (static); "?" outside the enum. */
const char *cal_weekday_name(enum cal_weekday wd);

/* Easter Sunday of year (anonymous Gregorian algorithm) into *out
 * (caller-owned). Returns 0, or RL_ERANGE outside CAL_YEAR_MIN..CAL_YEAR_MAX
 * (out untouched). */
int cal_easter(int year, struct cal_date *out);

/* True when relais has a holiday table for country (ISO 3166 alpha-2,
 * upper case, borrowed): FR and BE. */
bool cal_country_known(const char *country);

/* The public holiday of country (borrowed; NULL or unknown: none) falling on
 * y-m-d (a valid date) under opts, or NULL. Returned pointer is static. */
const struct cal_holiday *cal_holiday_on(const char *country, int y, int m, int d, unsigned opts);

/* The public holidays of country in year under opts, in date order (two on one
 * day, as Ascension on 1 May 2008, are both listed): writes up
 * to max of them to dates[] and holidays[] (caller-owned; either may be NULL
 * when max is 0) and returns how many there are (may exceed max). 0 for an
 * unknown country or a year out of range. */
size_t cal_holidays(const char *country, int year, unsigned opts, struct cal_date *dates,
                    const struct cal_holiday **holidays, size_t max);

#endif
