/* Route selection by destination prefix. A table of at most CFG_ROUTES_MAX
 * routes with a handful of prefixes each is scanned per message: a trie would
 * save nothing measurable at that size and cost a second structure to test. */
#include "dispatch/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/banned.h"

/* Splits "+33,+32" into digit strings. Returns 0 or RL_ECONFIG naming the token. */
static int parse_prefixes(struct route_entry *e, const char *s, struct rl_err *err)
{
    size_t cap = 0;
    while (s && *s) {
        size_t plus = *s == '+', nd = strspn(s + plus, "0123456789");
        const char *end = s + plus + nd;
        if (nd < 1 || nd > ROUTE_PREFIX_MAX || (*end && *end != ',') || (*end == ',' && !end[1])) {
            size_t tok = strcspn(s, ",");
            return rl_err_set(err, RL_ECONFIG, "prefixes",
                              "[route %s] prefixes: '%.*s': expected an optional + then 1 to %d "
                              "digits",
                              e->name, (int)(tok < 32 ? tok : 32), s, ROUTE_PREFIX_MAX);
        }
        if (e->nprefixes == cap) {
            cap = cap ? cap * 2 : 4;
            e->prefixes = xrealloc(e->prefixes, cap * sizeof(*e->prefixes));
        }
        memcpy(e->prefixes[e->nprefixes], s + plus, nd);
        e->prefixes[e->nprefixes++][nd] = '\0';
        s = *end ? end + 1 : end;
    }
    return 0;
}

int route_table_init(struct route_table *t, const struct cfg_route *routes, size_t n,
                     struct rl_err *err)
{
    int rc = 0;
    memset(t, 0, sizeof(*t));
    if (n > CFG_ROUTES_MAX)
        return rl_err_set(err, RL_ECONFIG, "route", "%zu routes: at most %d", n, CFG_ROUTES_MAX);
    t->routes = xcalloc(n ? n : 1, sizeof(*t->routes));
    t->n = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        snprintf(t->routes[i].name, sizeof(t->routes[i].name), "%s", routes[i].name);
        rc = parse_prefixes(&t->routes[i], routes[i].prefixes, err);
    }
    if (rc != 0)
        route_table_release(t);
    return rc;
}

int route_table_init_cfg(struct route_table *t, const struct cfg *c, struct rl_err *err)
{
    return route_table_init(t, c->routes, c->nroutes, err);
}

void route_table_release(struct route_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->routes[i].prefixes);
    free(t->routes);
    memset(t, 0, sizeof(*t));
}

/* The length of e's longest prefix that digits starts with; 0 for none. */
static size_t match_len(const struct route_entry *e, const char *digits)
{
    size_t best = 0;
    for (size_t i = 0; i < e->nprefixes; i++) {
        size_t k = strlen(e->prefixes[i]);
        if (k > best && strncmp(digits, e->prefixes[i], k) == 0)
            best = k;
    }
    return best;
}

struct cand {
    size_t idx;
    size_t len; /* of the matching prefix; 0 for a catch-all */
};

/* The routes serving digits, best first. Returns how many (at most t->n). */
static size_t serving(const struct route_table *t, const char *digits, struct cand *c)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t len = match_len(&t->routes[i], digits);
        if (len == 0 && t->routes[i].nprefixes > 0)
            continue;
        /* Insertion keeps file order among equal lengths: it only moves
         * past strictly shorter matches. */
        size_t j = n++;
        while (j > 0 && c[j - 1].len < len) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = (struct cand){i, len};
    }
    return n;
}

static int all_down(const struct route_table *t, const char *e164, const struct cand *c, size_t n,
                    struct rl_err *err)
{
    struct buf b;
    buf_init(&b, 160);
    for (size_t i = 0; i < n; i++)
        buf_addf(&b, "%s%s", i ? ", " : "", t->routes[c[i].idx].name);
    int rc = rl_err_set(err, -EAGAIN, "route", "no route up for %s: tried %s (all down)", e164,
                        b.data ? b.data : "");
    buf_release(&b);
    return rc;
}

int route_table_pick(const struct route_table *t, const char *e164, const bool *up, size_t *out,
                     size_t cap, struct rl_err *err)
{
    struct cand c[CFG_ROUTES_MAX];
    size_t nd = e164 && e164[0] == '+' ? strspn(e164 + 1, "0123456789") : 0;
    if (nd < 1 || nd > ROUTE_PREFIX_MAX || e164[1 + nd] || cap == 0)
        return rl_err_set(err, RL_EINVAL, "to", "'%.20s': expected + and 1 to %d digits",
                          e164 ? e164 : "(null)", ROUTE_PREFIX_MAX);
    size_t n = serving(t, e164 + 1, c), k = 0;
    if (n == 0)
        return rl_err_set(err, RL_ENOTFOUND, "route", "no route serves %s", e164);
    for (size_t i = 0; i < n && k < cap; i++) {
        if (!up || up[c[i].idx])
            out[k++] = c[i].idx;
    }
    return k ? (int)k : all_down(t, e164, c, n, err);
}
