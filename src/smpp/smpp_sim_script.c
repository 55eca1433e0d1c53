/* The simulator's reply script: what the destination "phones" answer. Parsed
 * once at start into rules of alternatives; a reply is then drawn as three
 * small integers (struct sim_reply), turned back into text when it is sent. */
#include "smpp/smpp_sim_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "smpp/smpp_sim.h"
#include "text/segment.h"
#include "core/banned.h"

#define RULE_MAX_LEN 640

static const char builtin_script[] = "# the built-in reply script\n"
                                     "OUI\n"
                                     "NON\n"
                                     "STOP\n"
                                     "1..5\n"
                                     "Merci, c'est noté !\n"
                                     "Parfait, merci \xF0\x9F\x91\x8D\n";

void sim_script_release(struct sim_script *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->rules[i].keyword);
        for (size_t k = 0; k < sc->rules[i].nalts; k++)
            free(sc->rules[i].alts[k].text);
    }
    free(sc->rules);
    memset(sc, 0, sizeof(*sc));
}

static void trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* "A..B" with optional minus signs: fills lo and hi. */
static bool parse_range(const char *b, const char *e, int32_t *lo, int32_t *hi)
{
    char tmp[32], *end = NULL;
    if (e - b >= (long)sizeof(tmp))
        return false;
    memcpy(tmp, b, (size_t)(e - b));
    tmp[e - b] = '\0';
    char *dots = strstr(tmp, "..");
    if (!dots || dots == tmp || dots[2] == '\0')
        return false;
    *dots = '\0';
    long a = strtol(tmp, &end, 10);
    if (*end || a < -1000000000L || a > 1000000000L)
        return false;
    long z = strtol(dots + 2, &end, 10);
    if (*end || z < -1000000000L || z > 1000000000L || z < a)
        return false;
    *lo = (int32_t)a;
    *hi = (int32_t)z;
    return true;
}

static int parse_alt(struct sim_script_alt *a, const char *b, const char *e, size_t line,
                     struct rl_err *err)
{
    trim(&b, &e);
    if (b == e)
        return rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: empty alternative", line);
    if (parse_range(b, e, &a->lo, &a->hi))
        return 0;
    struct seg_info info;
    struct rl_err e2 = {0};
    if (seg_analyze(b, (size_t)(e - b), NULL, &info, &e2) != 0)
        return rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: %s", line, e2.msg);
    a->text = xstrndup(b, (size_t)(e - b));
    return 0;
}

static int parse_rule(struct sim_script *sc, const char *b, const char *e, size_t line,
                      struct rl_err *err)
{
    struct sim_script_rule *r = &sc->rules[sc->n];
    memset(r, 0, sizeof(*r));
    if (*b == '[') {
        const char *close = memchr(b, ']', (size_t)(e - b));
        if (!close || close == b + 1)
            return rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: '[' without a keyword",
                              line);
        r->keyword = xstrndup(b + 1, (size_t)(close - b - 1));
        sc->has_keywords = true;
        b = close + 1;
    }
    sc->n++; /* counted now so that sim_script_release frees what follows */
    for (const char *p = b;; p++) {
        if (p < e && *p != '|')
            continue;
        if (r->nalts == SIM_ALTS_MAX)
            return rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: over %d alternatives",
                              line, SIM_ALTS_MAX);
        int rc = parse_alt(&r->alts[r->nalts], b, p, line, err);
        if (rc)
            return rc;
        r->nalts++;
        if (p == e)
            return 0;
        b = p + 1;
    }
}

int sim_script_parse(const char *text, size_t len, struct sim_script *sc, struct rl_err *err)
{
    if (!text) {
        text = builtin_script;
        len = sizeof(builtin_script) - 1;
    }
    memset(sc, 0, sizeof(*sc));
    size_t line = 0, cap = 0;
    int rc = 0;
    for (const char *p = text, *end = text + len; p < end && rc == 0;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *b = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        line++;
        trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        if (e - b > RULE_MAX_LEN) {
            rc = rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: over %d octets", line,
                            RULE_MAX_LEN);
        } else if (e - b == 5 && memcmp(b, "order", 5) == 0) {
            sc->in_order = true;
        } else if (e - b == 6 && memcmp(b, "random", 6) == 0) {
            sc->in_order = false;
        } else if (sc->n == SMPP_SIM_SCRIPT_MAX) {
            rc = rl_err_set(err, RL_EPARSE, "reply_script", "line %zu: over %d rules", line,
                            SMPP_SIM_SCRIPT_MAX);
        } else {
            if (sc->n == cap) {
                cap = cap ? cap * 2 : 16;
                sc->rules = xrealloc(sc->rules, cap * sizeof(*sc->rules));
            }
            rc = parse_rule(sc, b, e, line, err);
        }
    }
    if (rc)
        sim_script_release(sc);
    return rc;
}

int smpp_sim_script_check(const char *text, size_t len, struct rl_err *err)
{
    struct sim_script sc;
    int rc = sim_script_parse(text, len, &sc, err);
    if (rc == 0)
        sim_script_release(&sc);
    return rc;
}

/* The text of this part as UTF-8 (new, free()), for keyword rules; NULL when
 * its coding is not one we read. A long message is matched on its first part. */
static char *message_text(const struct smpp_pdu *p)
{
    const uint8_t *ud;
    size_t len;
    enum seg_coding coding;
    sim_user_data(p, &ud, &len);
    if (p->data_coding == 0 || p->data_coding == 1)
        coding = SEG_CODING_GSM7;
    else if (p->data_coding == 3)
        coding = SEG_CODING_LATIN1;
    else if (p->data_coding == 8)
        coding = SEG_CODING_UCS2;
    else
        return NULL;
    struct buf b;
    buf_init(&b, 4096);
    if (seg_decode(coding, ud, len, 0, (p->esm_class & SIM_ESM_UDHI) != 0, &b, NULL) != 0) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static int64_t rng_between(uint64_t *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(sim_rng_next(rng) % (uint64_t)(hi - lo + 1));
}

/* Reservoir sampling over the rules that apply: one pass, uniform. */
static size_t pick_rule(struct sim_script *sc, uint64_t *rng, const char *text)
{
    size_t eligible = 0, pick = SIZE_MAX;
    for (size_t i = 0; i < sc->n; i++) {
        size_t idx = sc->in_order ? (sc->cursor + i) % sc->n : i;
        const char *kw = sc->rules[idx].keyword;
        if (kw && (!text || !strcasestr(text, kw)))
            continue;
        if (sc->in_order) {
            pick = idx;
            sc->cursor = idx + 1;
            break;
        }
        if (sim_rng_next(rng) % ++eligible == 0)
            pick = idx;
    }
    return pick;
}

bool sim_script_pick(struct sim_script *sc, uint64_t *rng, const struct smpp_pdu *p,
                     struct sim_reply *out)
{
    char *text = sc->has_keywords ? message_text(p) : NULL;
    size_t pick = pick_rule(sc, rng, text);
    free(text);
    if (pick == SIZE_MAX)
        return false;
    const struct sim_script_rule *r = &sc->rules[pick];
    out->rule = (uint16_t)pick;
    out->alt = (uint8_t)(sim_rng_next(rng) % r->nalts);
    const struct sim_script_alt *a = &r->alts[out->alt];
    if (!a->text)
        out->num = (int32_t)rng_between(rng, a->lo, a->hi);
    return true;
}

const char *sim_script_text(const struct sim_script *sc, const struct sim_reply *r, char buf[16])
{
    const struct sim_script_alt *a = &sc->rules[r->rule].alts[r->alt];
    if (a->text)
        return a->text;
    snprintf(buf, 16, "%" PRId32, r->num);
    return buf;
}
