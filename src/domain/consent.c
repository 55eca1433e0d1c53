#include "domain/consent.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "phone/phone.h"
#include "text/segment.h"
#include "text/sender.h"
#include "core/banned.h"

#define TOKEN_VERSION 1
#define TOKEN_MAC     12 /* bytes of HMAC kept: 96 bits */
#define TOKEN_BIN_MAX 32 /* version, two varints (10 bytes each at most), MAC */

static int check_reply(const struct cfg *cfg, const char *key, const char *text, unsigned ref_bits,
                       struct rl_err *err)
{
    struct seg_opts so = {.ref_bits = ref_bits};
    struct seg_info si;
    struct rl_err e = {0};
    if (!text || !*text)
        return 0;
    if (seg_analyze(text, strlen(text), &so, &si, &e) != 0)
        return rl_err_set(err, RL_ECONFIG, key, "%s: %s", key, e.msg);
    if (si.segments > (size_t)cfg->text_max_parts)
        return rl_err_set(err, RL_ECONFIG, key, "%s needs %zu parts; text.max_parts is %lld", key,
                          si.segments, cfg->text_max_parts);
    return 0;
}

static int read_url(struct consent *c, const char *url, struct rl_err *err)
{
    size_t n = url ? strlen(url) : 0;
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return rl_err_set(err, RL_ECONFIG, "http.public_url",
                          "http.public_url '%s' does not start with http:// or https://",
                          url ? url : "");
    while (n > 0 && url[n - 1] == '/')
        n--;
    c->public_url = xstrndup(url, n);
    return 0;
}

int consent_init(struct consent *c, struct store *s, const struct cfg *cfg, struct rl_err *err)
{
    memset(c, 0, sizeof(*c));
    c->store = s;
    c->ref_bits = cfg->text_concat_ref == CFG_TEXT_CONCAT_REF_16 ? 16 : 8;
    snprintf(c->region, sizeof(c->region), "%s",
             cfg->phone_default_region ? cfg->phone_default_region : "");
    int rc = read_url(c, cfg->http_public_url, err);
    if (rc == 0)
        rc = check_reply(cfg, "consent.stop_reply", cfg->consent_stop_reply, c->ref_bits, err);
    if (rc == 0)
        rc = check_reply(cfg, "consent.start_reply", cfg->consent_start_reply, c->ref_bits, err);
    if (rc == 0)
        rc = billing_table_init_cfg(&c->billing, cfg, err);
    if (rc != 0) {
        free(c->public_url);
        memset(c, 0, sizeof(*c));
        return rc;
    }
    c->stop_reply = xstrdup(cfg->consent_stop_reply ? cfg->consent_stop_reply : "");
    c->start_reply = xstrdup(cfg->consent_start_reply ? cfg->consent_start_reply : "");
    c->sender_routes = xcalloc(cfg->nroutes + 1, sizeof(*c->sender_routes));
    for (size_t i = 0; i < cfg->nroutes; i++)
        if (cfg->routes[i].default_sender && *cfg->routes[i].default_sender)
            snprintf(c->sender_routes[c->nsender_routes++], sizeof(*c->sender_routes), "%s",
                     cfg->routes[i].name);
    rc = store_consent_secret(s, c->key, err);
    if (rc != 0)
        consent_release(c);
    return rc;
}

void consent_release(struct consent *c)
{
    if (!c)
        return;
    free(c->public_url);
    free(c->stop_reply);
    free(c->start_reply);
    free(c->sender_routes);
    billing_table_release(&c->billing);
    sodium_memzero(c, sizeof(*c));
}

/* --- the dispatcher's hooks ------------------------------------------------------ */

bool consent_dispatch_opted_out(void *ud, int64_t account_id, const char *to)
{
    const struct consent *c = ud;
    int rc = store_consent_opted_out(c->store, account_id, to);
    if (rc < 0)
        log_error("consent", "check_failed", "account=%" PRId64 " err=%s action=refused",
                  account_id, rl_errname(rc));
    return rc != 0;
}

int consent_phone_normalize(const char *addr, const char *region,
                            char out[STORE_CONSENT_PHONE_SIZE])
{
    struct phone_info pi;
    size_t n = addr ? strlen(addr) : 0;
    out[0] = '\0';
    if (n == 0 || n > PHONE_INPUT_MAX)
        return RL_EPHONE;
    bool ok = false;
    /* SMPP writes international numbers without their '+' (TON 1): try that
     * reading first, unless the number starts with a national 0. */
    if (addr[0] != '+' && addr[0] != '0' && strspn(addr, "0123456789") == n) {
        char plus[PHONE_INPUT_MAX + 2];
        snprintf(plus, sizeof(plus), "+%s", addr);
        ok = phone_parse(plus, n + 1, NULL, &pi, NULL) == 0;
    }
    if (!ok && phone_parse(addr, n, region && *region ? region : NULL, &pi, NULL) != 0)
        return RL_EPHONE;
    snprintf(out, STORE_CONSENT_PHONE_SIZE, "%s", pi.e164);
    return 0;
}

/* The reply comes from the route's default sender when it has one, else from
 * the address the keyword was sent to (the short code the person wrote to). */
static const char *reply_from(const struct consent *c, const struct store_inbound *in)
{
    struct sender_info si;
    for (size_t i = 0; i < c->nsender_routes; i++)
        if (in->route && strcmp(c->sender_routes[i], in->route) == 0)
            return "";
    if (in->to && sender_check(in->to, strlen(in->to), &si, NULL) == 0)
        return in->to;
    return "";
}

int consent_inbound_build(const struct consent *c, const struct store_inbound *in, enum keyword kw,
                          char phone[STORE_CONSENT_PHONE_SIZE], struct store_inbound_consent *out)
{
    memset(out, 0, sizeof(*out));
    if (consent_phone_normalize(in->from, c->region, phone) != 0)
        return RL_EPHONE;
    out->phone = phone;
    out->keyword = keyword_name(kw);
    out->status = kw == KEYWORD_STOP ? STORE_CONSENT_OPTED_OUT : STORE_CONSENT_OPTED_IN;
    const char *text = kw == KEYWORD_STOP ? c->stop_reply : c->start_reply;
    struct seg_opts so = {.ref_bits = c->ref_bits};
    struct seg_info si;
    /* Checked by consent_init: it cannot fail here. */
    if (!text || !*text || seg_analyze(text, strlen(text), &so, &si, NULL) != 0)
        return 0;
    out->reply_text = text;
    out->reply_from = reply_from(c, in);
    out->reply_encoding = si.encoding == SEG_UCS2 ? MSG_ENCODING_UCS2 : MSG_ENCODING_GSM7;
    out->reply_segments = (int)si.segments;
    out->reply_cost = billing_cost(&c->billing, phone, si.segments);
    return 0;
}

int consent_dispatch_inbound(void *ud, const struct store_inbound *in, store_done_fn done,
                             void *ctx)
{
    const struct consent *c = ud;
    enum keyword kw = in->text ? keyword_match(in->text, strlen(in->text)) : KEYWORD_NONE;
    char phone[STORE_CONSENT_PHONE_SIZE];
    struct store_inbound_consent k;
    if (kw == KEYWORD_NONE)
        return store_inbound_submit(c->store, in, false, done, ctx);
    if (consent_inbound_build(c, in, kw, phone, &k) != 0) {
        log_warn("consent", "keyword_ignored", "route=%s keyword=%s reason=invalid_number",
                 in->route ? in->route : "", keyword_name(kw));
        return store_inbound_submit(c->store, in, false, done, ctx);
    }
    return store_inbound_consent_submit(c->store, in, &k, done, ctx);
}

/* --- tokens ------------------------------------------------------------------------ */

static size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint of at most 10 bytes from p[0..len); returns its length, 0 if
 * malformed. */
static size_t varint_get(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* "+33612345678" → 33612345678; false unless '+' and 2 to 15 digits, no leading 0. */
static bool e164_number(const char *e164, uint64_t *out)
{
    size_t n = e164 ? strlen(e164) : 0;
    if (n < 3 || n > 16 || e164[0] != '+' || e164[1] == '0' ||
        strspn(e164 + 1, "0123456789") != n - 1)
        return false;
    *out = strtoull(e164 + 1, NULL, 10);
    return true;
}

static void mac(const unsigned char key[STORE_CONSENT_SECRET_SIZE], const uint8_t *p, size_t n,
                uint8_t out[TOKEN_MAC])
{
    unsigned char full[crypto_auth_BYTES];
    crypto_auth(full, p, n, key);
    memcpy(out, full, TOKEN_MAC);
}

int consent_token_make(const unsigned char key[STORE_CONSENT_SECRET_SIZE], int64_t account_id,
                       const char *e164, char out[CONSENT_TOKEN_MAX])
{
    uint8_t bin[TOKEN_BIN_MAX];
    uint64_t number;
    out[0] = '\0';
    if (account_id <= 0 || !e164_number(e164, &number))
        return RL_EINVAL;
    size_t n = 0;
    bin[n++] = TOKEN_VERSION;
    n += varint_put(bin + n, (uint64_t)account_id);
    n += varint_put(bin + n, number);
    mac(key, bin, n, bin + n);
    n += TOKEN_MAC;
    sodium_bin2base64(out, CONSENT_TOKEN_MAX, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return (int)strlen(out);
}

int consent_token_check(const unsigned char key[STORE_CONSENT_SECRET_SIZE], const char *token,
                        int64_t *account_id, char e164[STORE_CONSENT_PHONE_SIZE])
{
    uint8_t bin[TOKEN_BIN_MAX + 4], want[TOKEN_MAC];
    size_t len = token ? strlen(token) : 0, blen = 0, n = 1, k;
    const char *end = NULL;
    uint64_t acc = 0, number = 0;
    if (len == 0 || len >= CONSENT_TOKEN_MAX ||
        sodium_base642bin(bin, sizeof(bin), token, len, NULL, &blen, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != token + len || blen < 1 + 2 + TOKEN_MAC || bin[0] != TOKEN_VERSION)
        return RL_EINVAL;
    if ((k = varint_get(bin + n, blen - TOKEN_MAC - n, &acc)) == 0)
        return RL_EINVAL;
    n += k;
    if ((k = varint_get(bin + n, blen - TOKEN_MAC - n, &number)) == 0)
        return RL_EINVAL;
    n += k;
    if (n + TOKEN_MAC != blen)
        return RL_EINVAL;
    mac(key, bin, n, want);
    if (sodium_memcmp(want, bin + n, TOKEN_MAC) != 0)
        return RL_EINVAL;
    /* Signed by us, so well formed; checked anyway, as a second lock. */
    if (acc == 0 || acc > INT64_MAX || number < 10 || number > 999999999999999ULL)
        return RL_EINVAL;
    *account_id = (int64_t)acc;
    snprintf(e164, STORE_CONSENT_PHONE_SIZE, "+%" PRIu64, number);
    return 0;
}

int consent_link_make(const char *public_url, const unsigned char key[STORE_CONSENT_SECRET_SIZE],
                      int64_t account_id, const char *e164, char *out, size_t cap)
{
    char token[CONSENT_TOKEN_MAX];
    if (consent_token_make(key, account_id, e164, token) < 0)
        return RL_EINVAL;
    int n = snprintf(out, cap, "%s/u/%s", public_url, token);
    return n < 0 || (size_t)n >= cap ? RL_ETOOLONG : n;
}

int consent_optout_link(const struct consent *c, int64_t account_id, const char *e164, char *out,
                        size_t cap)
{
    return consent_link_make(c->public_url, c->key, account_id, e164, out, cap);
}
