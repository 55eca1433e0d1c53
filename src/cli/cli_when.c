/* relais when: the next time a message may be sent to a number, and the rule
 * that moved it there, through rules_next_allowed(): the function the
 * dispatcher calls, so that an operator can ask before a campaign what the
 * dispatcher will do. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/api_json.h"
#include "cli/cli.h"
#include "domain/rules.h"
#include "phone/phone.h"
#include "core/banned.h"

#define CMD "when"

static void usage(void)
{
    printf("usage: relais when --to NUMBER --category marketing|transactional [--window SPEC]\n"
           "                   [--at TIME] [--timezone ZONE] [--config FILE]\n\n"
           "Prints, as one JSON object, when a message to NUMBER may be sent at the\n"
           "earliest, in the recipient's local time (docs/timing.md):\n"
           "  to         NUMBER in E.164 form\n"
           "  country    the number's country, whose public holidays count\n"
           "  category   marketing or transactional\n"
           "  timezone   the zone times are shown in: --timezone, else the country's\n"
           "  timezones  only when the country has several zones: all of them (a time\n"
           "             must be allowed in each; give --timezone to choose one)\n"
           "  profile    the country's marketing window from [rules], null when\n"
           "             transactional\n"
           "  window     the campaign's window (--window) in canonical form, or null\n"
           "  at         TIME, in local time (RFC 3339 with the local offset)\n"
           "  next       the first allowed time at or after TIME, likewise\n"
           "  moved      true when next is later than at\n"
           "  rule       the rule that moved it: public_holiday:<name>, a day the\n"
           "             profile never allows (sunday), quiet_hours (the profile's\n"
           "             hours) or window (the campaign's); null when not moved\n\n"
           "  --to NUMBER      the recipient; national numbers are read in\n"
           "                   phone.default_region\n"
           "  --category C     marketing: held to the country's profile ([rules]);\n"
           "                   transactional: only to --window, if given\n"
           "  --window SPEC    the campaign's window, e.g. 'mon-fri 09:00-19:00',\n"
           "                   '22:00-02:00' or 'mon-sat 09:00-18:00; closed on holidays'\n"
           "  --at TIME        RFC 3339, e.g. 2026-11-21T20:00:00+01:00 (default: now)\n"
           "  --timezone ZONE  the campaign's zone (IANA name such as Europe/Paris)\n"
           "                   instead of the number's\n"
           "  -c, --config FILE  read [rules] and [phone] from FILE (default: relais.conf\n"
           "                   in the current directory if there is one)\n\n"
           "Exit status: 0 printed; 1 the configuration is invalid or the window never\n"
           "allows anything within %d days; 2 bad arguments.\n",
           RULES_HORIZON_DAYS);
}

struct when_args {
    const char *to, *category, *window, *at, *timezone, *config;
};

static int parse_args(int argc, char **argv, struct when_args *a)
{
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'},       {"category", required_argument, NULL, 'k'},
        {"window", required_argument, NULL, 'w'},   {"at", required_argument, NULL, 'a'},
        {"timezone", required_argument, NULL, 'z'}, {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 0; /* GNU getopt re-initialises fully only from 0 */
    while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
        const char **slot = c == 't'   ? &a->to
                            : c == 'k' ? &a->category
                            : c == 'w' ? &a->window
                            : c == 'a' ? &a->at
                            : c == 'z' ? &a->timezone
                            : c == 'c' ? &a->config
                                       : NULL;
        if (c == 'h')
            return usage(), -1;
        if (slot)
            *slot = optarg;
        else if (c == ':')
            return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->to)
        return cli_usage(CMD, "--to NUMBER is required");
    if (!a->category)
        return cli_usage(CMD, "--category marketing|transactional is required");
    return CLI_OK;
}

/* "2026-11-23T08:00:00+01:00": RFC 3339 in the zone's local time. */
static json_t *local_json(struct rules_zone *z, int64_t ms)
{
    struct rules_local l;
    char s[64], frac[8] = "";
    if (rules_zone_local(z, 0, ms, &l) != 0)
        return json_null();
    int off = l.offset_s < 0 ? -l.offset_s : l.offset_s;
    if (l.millisecond)
        snprintf(frac, sizeof(frac), ".%03d", l.millisecond);
    snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d", l.year, l.month, l.day,
             l.hour, l.minute, l.second, frac, l.offset_s < 0 ? '-' : '+', off / 3600,
             off / 60 % 60);
    return json_string(s);
}

static json_t *window_json(const struct rules_window *w)
{
    char s[RULES_SPEC_MAX];
    return w && rules_window_format(w, s, sizeof(s)) >= 0 ? json_string(s) : json_null();
}

/* The request, checked: number, category, window, time and zone. */
struct when_req {
    struct phone_info ph;
    enum rules_category cat;
    struct rules_window w;
    bool has_window;
    int64_t at;
    struct rules_zone *zone;
};

static int check_request(const struct when_args *a, const struct cfg *c, struct when_req *r)
{
    struct rl_err err = {0};
    if (phone_parse_with_overseas(a->to, strlen(a->to), c->phone_default_region, &r->ph, &err) != 0)
        return cli_usage(CMD, "--to: %s", err.msg);
    if (rules_category_parse(a->category, &r->cat) != 0)
        return cli_usage(CMD, "--category '%s': expected marketing or transactional", a->category);
    r->has_window = a->window != NULL;
    if (a->window && rules_window_parse(&r->w, a->window, strlen(a->window), "--window", &err) != 0)
        return cli_usage(CMD, "%s", err.msg);
    r->at = api_now_ms();
    if (a->at && api_time_parse(a->at, &r->at) != 0)
        return cli_usage(
            CMD, "--at '%s': expected an RFC 3339 time such as 2026-11-21T20:00:00+01:00", a->at);
    int rc = a->timezone ? rules_zone_new(a->timezone, &r->zone, &err)
                         : rules_zone_new_country(r->ph.region, &r->zone, &err);
    if (rc != 0)
        return a->timezone ? cli_usage(CMD, "--timezone: %s", err.msg)
                           : cli_usage(CMD, "%s %s: %s; give --timezone", r->ph.e164, r->ph.region,
                                       err.msg);
    return CLI_OK;
}

static void print_result(const struct when_req *r, const struct rules_query *q, int64_t next,
                         const char *rule)
{
    json_t *o = json_object();
    size_t nz = rules_zone_count(r->zone);
    json_object_set_new(o, "to", json_string(r->ph.e164));
    json_object_set_new(o, "country", json_string(r->ph.region));
    json_object_set_new(o, "category", json_string(rules_category_name(r->cat)));
    json_object_set_new(o, "timezone", json_string(rules_zone_name(r->zone, 0)));
    if (nz > 1) {
        json_t *all = json_array();
        for (size_t i = 0; i < nz; i++)
            json_array_append_new(all, json_string(rules_zone_name(r->zone, i)));
        json_object_set_new(o, "timezones", all);
    }
    json_object_set_new(o, "profile", window_json(q->profile));
    json_object_set_new(o, "window", window_json(q->window));
    json_object_set_new(o, "at", local_json(r->zone, r->at));
    json_object_set_new(o, "next", local_json(r->zone, next));
    json_object_set_new(o, "moved", json_boolean(next != r->at));
    json_object_set_new(o, "rule", rule ? json_string(rule) : json_null());
    cli_print_json(o);
    json_decref(o);
}

int cli_when(int argc, char **argv)
{
    struct when_args a = {0};
    struct when_req r = {0};
    struct rules_config rc = {0};
    struct rules_query q;
    struct rl_err err = {0};
    struct cfg c;
    int64_t next = 0;
    const char *rule = NULL;
    int rv = parse_args(argc, argv, &a);
    if (rv < 0)
        return CLI_OK;
    if (rv != CLI_OK)
        return rv;
    cfg_init(&c);
    rv = cli_load_config(CMD, a.config, &c, NULL);
    if (rv == CLI_OK && rules_config_init(&rc, &c, &err) != 0)
        rv = cli_fail(CMD, "%s", err.msg);
    if (rv == CLI_OK)
        rv = check_request(&a, &c, &r);
    if (rv != CLI_OK)
        goto out;
    rules_query_init(&q, &rc, r.cat, r.ph.region, r.has_window ? &r.w : NULL);
    rv = rules_next_allowed(&q, r.zone, r.at, &next, &rule, &err);
    if (rv != 0) {
        rv = rv == RL_ERANGE ? cli_usage(CMD, "--at: %s", err.msg) : cli_fail(CMD, "%s", err.msg);
        goto out;
    }
    print_result(&r, &q, next, rule);
    /* A full disk or a closed pipe must not look like success to a script. */
    if (fflush(stdout) != 0 || ferror(stdout))
        rv = cli_fail(CMD, "cannot write standard output");
out:
    rules_zone_free(r.zone);
    rules_config_release(&rc);
    cfg_release(&c);
    return rv;
}
