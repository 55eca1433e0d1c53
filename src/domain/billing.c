/* Prices per destination prefix and credit checks, in integer micro-units
 * (billing.h says why never floating point). */
#include "domain/billing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int billing_amount_parse(const char *s, size_t len, int64_t max, int64_t *out)
{
    int64_t units = 0, frac = 0;
    size_t i = 0, nfrac = 0;
    for (; i < len && is_digit(s[i]); i++) {
        /* Stop before units * BILLING_MICRO could overflow; the bound is
         * checked exactly at the end. */
        if (units > INT64_MAX / BILLING_MICRO / 10)
            return RL_ERANGE;
        units = units * 10 + (s[i] - '0');
    }
    if (i == 0)
        return RL_EPARSE;
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++, nfrac++) {
            if (nfrac == 6)
                return RL_EPARSE;
            frac = frac * 10 + (s[i] - '0');
        }
        if (nfrac == 0)
            return RL_EPARSE;
    }
    if (i != len)
        return RL_EPARSE;
    for (; nfrac < 6; nfrac++)
        frac *= 10;
    if (units > INT64_MAX / BILLING_MICRO || units * BILLING_MICRO + frac > max)
        return RL_ERANGE;
    *out = units * BILLING_MICRO + frac;
    return 0;
}

int billing_amount_format(int64_t micro, char *out, size_t n)
{
    /* The magnitude as unsigned, so that INT64_MIN has one too. */
    uint64_t m = micro < 0 ? 0 - (uint64_t)micro : (uint64_t)micro;
    char frac[8];
    int k = snprintf(frac, sizeof(frac), ".%06u", (unsigned)(m % BILLING_MICRO));
    while (k > 0 && (frac[k - 1] == '0' || frac[k - 1] == '.'))
        frac[--k] = '\0';
    int rc = snprintf(out, n, "%s%llu%s", micro < 0 ? "-" : "",
                      (unsigned long long)(m / BILLING_MICRO), frac);
    return rc >= 0 && (size_t)rc < n ? rc : RL_ETOOLONG;
}

/* s[0..*len) without the spaces and tabs at either end. */
static const char *trim(const char *s, size_t *len)
{
    while (*len && (s[0] == ' ' || s[0] == '\t'))
        s++, (*len)--;
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return s;
}

/* Checks one entry "+33:0.045" (trimmed, len bytes) into *p. Returns 0, or
 * RL_ECONFIG with why saying what is wrong. */
static int parse_entry(const char *s, size_t len, struct billing_price *p, char *why, size_t n)
{
    const char *colon = memchr(s, ':', len);
    size_t plen = colon ? (size_t)(colon - s) : len, vlen = colon ? len - plen - 1 : 0;
    const char *pre = trim(s, &plen), *val = colon ? trim(colon + 1, &vlen) : "";
    size_t nd = plen > 1 && pre[0] == '+' ? strspn(pre + 1, "0123456789") : 0;
    int rc;
    if (!colon)
        snprintf(why, n, "expected +PREFIX:PRICE such as +33:0.045");
    else if (nd < 1 || nd > BILLING_PREFIX_MAX || nd != plen - 1)
        snprintf(why, n, "prefix '%.*s': expected + then 1 to %d digits",
                 (int)(plen < 20 ? plen : 20), pre, BILLING_PREFIX_MAX);
    else if ((rc = billing_amount_parse(val, vlen, BILLING_PRICE_MAX, &p->micro)) != 0)
        snprintf(why, n, "price '%.*s': %s", (int)(vlen < 20 ? vlen : 20), val,
                 rc == RL_ERANGE ? "more than 1000 a segment"
                                 : "expected a decimal such as 0.045, at most 6 decimals");
    else {
        memcpy(p->prefix, pre + 1, nd);
        p->prefix[nd] = '\0';
        return 0;
    }
    return RL_ECONFIG;
}

/* The number of an earlier entry of v[0..n) with prefix, or 0. */
static size_t seen(const struct billing_price *v, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].prefix, prefix) == 0)
            return i + 1;
    }
    return 0;
}

int billing_prices_parse(struct billing_table *t, const char *text, struct rl_err *err)
{
    size_t cap = 0, n = 0, no = 0, tlen = strlen(text);
    struct billing_price *v = NULL;
    char why[128];
    int rc = 0;
    trim(text, &tlen);
    for (const char *s = text; rc == 0 && tlen > 0 && s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s), raw = len;
        const char *e = trim(s, &len);
        no++;
        if (n == cap)
            v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
        if (len == 0)
            rc = rl_err_set(err, RL_ECONFIG, "billing.prices", "billing.prices: entry %zu is empty",
                            no);
        else if (parse_entry(e, len, &v[n], why, sizeof(why)) != 0)
            rc = rl_err_set(err, RL_ECONFIG, "billing.prices",
                            "billing.prices: entry %zu '%.*s': %s", no, (int)(len < 40 ? len : 40),
                            e, why);
        else if (seen(v, n, v[n].prefix))
            rc = rl_err_set(err, RL_ECONFIG, "billing.prices",
                            "billing.prices: entry %zu '%.*s': +%s is priced twice (entry %zu)", no,
                            (int)(len < 40 ? len : 40), e, v[n].prefix, seen(v, n, v[n].prefix));
        n++;
        s = comma ? s + raw + 1 : NULL;
    }
    if (rc != 0) {
        free(v);
        return rc;
    }
    free(t->prices);
    t->prices = v;
    t->n = n;
    return 0;
}

static int amount_key(const char *key, const char *value, int64_t max, int64_t *out,
                      struct rl_err *err)
{
    int rc = billing_amount_parse(value, strlen(value), max, out);
    if (rc == RL_ERANGE)
        return rl_err_set(err, RL_ECONFIG, key, "%s = %.32s: out of range (at most %lld)", key,
                          value, (long long)(max / BILLING_MICRO));
    if (rc != 0)
        return rl_err_set(err, RL_ECONFIG, key,
                          "%s = '%.32s': expected a decimal such as 0.045, at most 6 decimals", key,
                          value);
    return 0;
}

int billing_table_init_cfg(struct billing_table *t, const struct cfg *c, struct rl_err *err)
{
    const char *cur = c->billing_currency;
    int rc = 0;
    memset(t, 0, sizeof(*t));
    if (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        return rl_err_set(err, RL_ECONFIG, "billing.currency",
                          "billing.currency = '%.8s': expected an ISO 4217 code such as EUR", cur);
    memcpy(t->currency, cur, 4);
    rc = amount_key("billing.default_price", c->billing_default_price, BILLING_PRICE_MAX,
                    &t->default_micro, err);
    if (rc == 0)
        rc = amount_key("billing.low_balance", c->billing_low_balance, BILLING_AMOUNT_MAX,
                        &t->low_balance_micro, err);
    if (rc == 0)
        rc = billing_prices_parse(t, c->billing_prices, err);
    return rc;
}

void billing_table_release(struct billing_table *t)
{
    free(t->prices);
    memset(t, 0, sizeof(*t));
}

int64_t billing_price(const struct billing_table *t, const char *e164)
{
    const char *digits = e164[0] == '+' ? e164 + 1 : e164;
    size_t best = 0;
    int64_t price = t->default_micro;
    for (size_t i = 0; i < t->n; i++) {
        size_t k = strlen(t->prices[i].prefix);
        if (k > best && strncmp(digits, t->prices[i].prefix, k) == 0) {
            best = k;
            price = t->prices[i].micro;
        }
    }
    return price;
}

int64_t billing_cost(const struct billing_table *t, const char *e164, size_t segments)
{
    int64_t price = billing_price(t, e164);
    if (price <= 0 || segments == 0)
        return 0;
    if (segments > (uint64_t)(INT64_MAX / price))
        return INT64_MAX;
    return price * (int64_t)segments;
}

bool billing_can_afford(int64_t balance, int64_t cost)
{
    return cost <= 0 || cost <= balance;
}

bool billing_crossed_low(int64_t before, int64_t after, int64_t threshold)
{
    return threshold > 0 && before >= threshold && after < threshold;
}
