#ifndef RL_RULES_H
#define RL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"

/* Lawful timing: when a message may be sent, in the recipient's local time.
 *
 * A window says when sending is allowed: ranges of local wall-clock minutes on
 * chosen weekdays, and optionally "closed on holidays" (the public holidays of
 * the recipient's country, from calendar.h). A marketing message must fall in
 * its country's profile (a window from [rules]) and, when the campaign has
 * one, in the campaign's window; a transactional message only in the
 * campaign's window, if any. rules_next_allowed() is the one function the
 * dispatcher and `relais when` call: it returns the next allowed instant and
 * the rule that moved the message there. docs/timing.md tells the whole story.
 *
 * Local time comes from ICU (a UCalendar per zone, never setenv("TZ")), so
 * daylight-saving days are handled by the zone database: a range starting in
 * the skipped spring hour opens at the first wall-clock minute that exists,
 * and the repeated autumn hour is allowed (or not) twice. */

#define RULES_RANGES_MAX   16  /* time ranges in one window */
#define RULES_SPEC_MAX     512 /* bytes of one window spec */
#define RULES_PROFILES     64  /* country entries in rules.profiles */
#define RULES_ZONES_MAX    64  /* zones of one country (the US has 29 in ICU 72) */
#define RULES_ZONE_NAME    64  /* bytes of an IANA zone name, NUL included */
#define RULES_HORIZON_DAYS 366 /* past this, a window "never" allows anything */
#define RULES_DAY_MIN      1440

/* One time range: on each weekday in days (bit 0 Monday ... bit 6 Sunday) from
 * start to end, in minutes after local midnight. end <= start means the range
 * runs past midnight into the next day, which belongs to the range even if
 * that day is not in days ("fri 22:00-02:00" allows Saturday 01:00). */
struct rules_range {
    uint8_t days;
    uint16_t start; /* 0..1439 */
    uint16_t end;   /* 1..1440 (1440 is "24:00") */
};

/* A parsed window spec. Plain data, caller-owned: no release needed. */
struct rules_window {
    struct rules_range r[RULES_RANGES_MAX];
    size_t n;                /* >= 1 after a successful parse */
    bool closed_on_holidays; /* nothing is allowed on a public holiday */
};

/* Parses spec[0..len) (borrowed), items separated by ';':
 *   [DAYS] HH:MM-HH:MM    DAYS is a comma list of days or day ranges
 *                         (mon,wed,sat  mon-fri  fri-mon), every day when
 *                         absent; 24:00 may end a range
 *   closed on holidays
 * e.g. "mon-sat 08:00-20:00; closed on holidays", "22:00-02:00". Case and
 * spaces around tokens do not matter. Returns 0 with *w filled, or RL_EPARSE
 * with err on field (borrowed, e.g. "rules.marketing_window" or "--window")
 * quoting the spec and naming the offending token; *w is unspecified then. */
int rules_window_parse(struct rules_window *w, const char *spec, size_t len, const char *field,
                       struct rl_err *err);

/* Writes w in canonical form ("mon-sat 08:00-20:00; closed on holidays"), which
 * rules_window_parse reads back to the same window. Returns the length, or
 * RL_ETOOLONG when n bytes are not enough (RULES_SPEC_MAX always is). */
int rules_window_format(const struct rules_window *w, char *out, size_t n);

/* One rules.profiles entry: the marketing window of one country. */
struct rules_profile {
    char country[3];
    struct rules_window w;
};

/* The [rules] section, checked. Caller-owned; rules_config_init fills it,
 * rules_config_release frees it. */
struct rules_config {
    struct rules_window marketing;  /* countries without their own profile */
    struct rules_profile *profiles; /* owned; n entries, in the order written */
    size_t n;
    unsigned holiday_opts; /* CAL_* options: CAL_ALSACE_MOSELLE */
};

/* Parses a profile list "BE=mon-sat 08:00-20:00; closed on holidays | GB=..."
 * (borrowed; "" is an empty list): entries separated by '|', each a country
 * (ISO 3166 alpha-2, upper case) then '=' then a window spec. A country listed
 * twice is refused. Returns 0 with rc->profiles replaced, or RL_ECONFIG with
 * err on field "rules.profiles" naming the entry and what is wrong; rc is
 * unchanged on failure. */
int rules_profiles_parse(struct rules_config *rc, const char *text, struct rl_err *err);

/* Fills rc from c's [rules] keys (borrowed). Returns 0, or RL_ECONFIG naming
 * the key and its value; rc needs no release on failure. */
int rules_config_init(struct rules_config *rc, const struct cfg *c, struct rl_err *err);
/* Frees what rc owns; rc may be initialised again. */
void rules_config_release(struct rules_config *rc);

/* The marketing window for country (borrowed; NULL or unlisted: the default).
 * Returned pointer is borrowed from rc. */
const struct rules_window *rules_config_profile(const struct rules_config *rc, const char *country);

enum rules_category { RULES_TRANSACTIONAL, RULES_MARKETING };

/* Reads "marketing" or "transactional" (case-insensitive). Returns 0 or RL_EPARSE. */
int rules_category_parse(const char *s, enum rules_category *out);
/* "marketing" or "transactional" (static). */
const char *rules_category_name(enum rules_category c);

/* What one message is held to. Every pointer borrowed. */
struct rules_query {
    const struct rules_window *profile; /* the country's marketing profile; NULL: none */
    const struct rules_window *window;  /* the campaign's window; NULL: none */
    const char *country;                /* recipient's ISO 3166 region, for holidays; may be NULL */
    unsigned holiday_opts;              /* CAL_* options */
};

/* Fills q for a message of category to country (borrowed) with the campaign's
 * window (borrowed, NULL: none), from rc (borrowed, must outlive q). */
void rules_query_init(struct rules_query *q, const struct rules_config *rc,
                      enum rules_category category, const char *country,
                      const struct rules_window *window);

/* The local time of the recipient: one IANA zone, or every zone of a country
 * when it has several (then a time must be allowed in each of them, the
 * lawful reading when the number does not tell which one applies). Holds one
 * ICU UCalendar per zone: use from one thread at a time (give each thread its
 * own). Heap object: rules_zone_free releases it. */
struct rules_zone;

/* Opens the zone named tz (borrowed, e.g. "Europe/Paris"). Returns 0 with *out
 * (free with rules_zone_free), or RL_EINVAL with err on field "timezone" when
 * ICU does not know that zone. */
int rules_zone_new(const char *tz, struct rules_zone **out, struct rl_err *err);
/* Opens every canonical location zone ICU lists for country (borrowed, ISO
 * 3166 alpha-2), in ICU's order: Europe/Paris for FR. Returns 0 with *out, or
 * RL_EINVAL with err on field "country" when ICU lists none. */
int rules_zone_new_country(const char *country, struct rules_zone **out, struct rl_err *err);
/* Frees z; NULL is a no-op. */
void rules_zone_free(struct rules_zone *z);
/* Number of zones in z (>= 1) and the name of the i-th (borrowed from z). */
size_t rules_zone_count(const struct rules_zone *z);
const char *rules_zone_name(const struct rules_zone *z, size_t i);

/* A wall-clock reading in one zone. */
struct rules_local {
    int year, month, day, hour, minute, second, millisecond;
    int offset_s; /* local minus UTC, DST included: 3600 for Paris in winter */
};

/* The wall clock of z's i-th zone at ms since the epoch, into *out
 * (caller-owned). Returns 0, or RL_ERANGE when ICU cannot say. */
int rules_zone_local(struct rules_zone *z, size_t i, int64_t ms, struct rules_local *out);

/* The first instant at or after at_ms (ms since the epoch, UTC) at which q
 * allows sending in every zone of z: *next_ms = at_ms and *reason = NULL when
 * at_ms is allowed; otherwise the first allowed minute, and *reason the rule
 * in force at at_ms that moved it (static): "public_holiday:<name>", a day
 * the profile never allows ("sunday"), "quiet_hours" (the profile's hours),
 * or "window" (the campaign's window). Returns 0; RL_ENOTFOUND when nothing
 * is allowed within RULES_HORIZON_DAYS (e.g. a campaign window that never
 * meets the profile); RL_ERANGE when at_ms is outside the years 1900-9000.
 * err names the rule set on failure. z is used, not kept. */
int rules_next_allowed(const struct rules_query *q, struct rules_zone *z, int64_t at_ms,
                       int64_t *next_ms, const char **reason, struct rl_err *err);

#endif
