/* Arbitrary window specs and rules.profiles lists. Byte 0 picks what is
 * exercised: bit 0 a profile list instead of a window; bit 1 the French
 * marketing profile on top of the window; bit 2 the October daylight-saving
 * week instead of March's; bits 3-7 how many 5-hour steps into that week the
 * query starts. The rest is the text.
 * Invariants: a parsed window is well formed and its canonical form parses
 * back to the same window; a refusal names the field in printable ASCII; the
 * next allowed time is at or after the query, within the horizon, allowed
 * itself, and the first: the millisecond before it is not. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"
#include "core/banned.h"

#define MAX_TEXT 4096

static void check_message(const struct rl_err *err, int code, const char *field)
{
    if (err->code != code || strcmp(err->field, field) != 0 || err->msg[0] == '\0')
        abort();
    for (const char *p = err->msg; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            abort();
    }
}

static void check_window(const struct rules_window *w)
{
    char out[RULES_SPEC_MAX];
    struct rules_window again;
    if (w->n == 0 || w->n > RULES_RANGES_MAX)
        abort();
    for (size_t i = 0; i < w->n; i++) {
        const struct rules_range *r = &w->r[i];
        if (r->days == 0 || r->days > 0x7f || r->start >= RULES_DAY_MIN || r->end == 0 ||
            r->end > RULES_DAY_MIN || r->start == r->end)
            abort();
    }
    int len = rules_window_format(w, out, sizeof(out));
    if (len < 0 || rules_window_parse(&again, out, (size_t)len, "again", NULL) != 0)
        abort();
    if (again.n != w->n || again.closed_on_holidays != w->closed_on_holidays)
        abort();
    for (size_t i = 0; i < w->n; i++) {
        if (again.r[i].days != w->r[i].days || again.r[i].start != w->r[i].start ||
            again.r[i].end != w->r[i].end)
            abort();
    }
}

static struct rules_zone *paris(void)
{
    static struct rules_zone *z;
    if (!z && rules_zone_new("Europe/Paris", &z, NULL) != 0)
        abort();
    return z;
}

static bool allowed_at(const struct rules_query *q, int64_t t)
{
    int64_t n;
    const char *why;
    return rules_next_allowed(q, paris(), t, &n, &why, NULL) == 0 && n == t;
}

static void check_search(const struct rules_window *w, uint8_t sel)
{
    static struct rules_window fr;
    static bool fr_ready;
    if (!fr_ready) {
        const char *spec = "mon-sat 08:00-20:00; closed on holidays";
        if (rules_window_parse(&fr, spec, strlen(spec), "fr", NULL) != 0)
            abort();
        fr_ready = true;
    }
    /* 2026-03-28T00:00Z and 2026-10-24T00:00Z: Saturdays before the changes. */
    int64_t base = sel & 4 ? 1792800000000LL : 1774656000000LL;
    int64_t at = base + (int64_t)(sel >> 3) * 5 * 3600000;
    struct rules_query q = {sel & 2 ? &fr : NULL, w, "FR", 0};
    int64_t next = 0;
    const char *why = NULL;
    struct rl_err err = {0};
    int rc = rules_next_allowed(&q, paris(), at, &next, &why, &err);
    if (rc == RL_ENOTFOUND && q.profile) /* a window that never meets the profile */
        return;
    if (rc != 0 || next < at || next - at > (int64_t)(RULES_HORIZON_DAYS + 1) * 86400000)
        abort();
    if ((next == at) != (why == NULL))
        abort();
    if (!allowed_at(&q, next) || (next > at && allowed_at(&q, next - 1)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    if (size < 1 || size > MAX_TEXT)
        return 0;
    uint8_t sel = in[0];
    const char *text = (const char *)in + 1;
    size_t len = size - 1;
    struct rl_err err = {0};
    if (sel & 1) {
        /* rules_profiles_parse reads a C string: the text up to a NUL. */
        char buf[MAX_TEXT];
        memcpy(buf, text, len);
        buf[len] = '\0';
        struct rules_config rc;
        memset(&rc, 0, sizeof(rc));
        if (rules_profiles_parse(&rc, buf, &err) == 0) {
            for (size_t i = 0; i < rc.n; i++) {
                for (size_t j = 0; j < i; j++) {
                    if (strcmp(rc.profiles[i].country, rc.profiles[j].country) == 0)
                        abort();
                }
                check_window(&rc.profiles[i].w);
            }
        } else {
            check_message(&err, RL_ECONFIG, "rules.profiles");
        }
        rules_config_release(&rc);
        return 0;
    }
    struct rules_window w;
    if (rules_window_parse(&w, text, len, "--window", &err) != 0) {
        check_message(&err, RL_EPARSE, "--window");
        return 0;
    }
    check_window(&w);
    check_search(&w, sel);
    return 0;
}
