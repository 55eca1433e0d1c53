/* The consent domain: signed opt-out tokens and links, SMSC addresses as
 * E.164, what an inbound keyword changes and replies, the configuration's
 * checks, the dispatcher's two hooks over a real store, and the opt-out
 * page's language choice and number mask. Expected values are derived by
 * hand (the token's bytes from its documented layout, computed in the
 * comments; languages from RFC 9110's q rules), never from the code's output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "api/api_unsub.h"
#include "core/cfg.h"
#include "core/log.h"
#include "domain/consent.h"

static char dir[64];

static const unsigned char key1[STORE_CONSENT_SECRET_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const unsigned char key2[STORE_CONSENT_SECRET_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8, 10};

static void tokens(void **state)
{
    (void)state;
    char t[CONSENT_TOKEN_MAX], t2[CONSENT_TOKEN_MAX], e164[STORE_CONSENT_PHONE_SIZE];
    int64_t acc = 0;
    /* The layout, built here by hand: version 01, varint(42) = 2A, and
     * varint(33612345678): 33612345678 = 0x7D373B14E, whose 7-bit groups from
     * the lowest are 4E 62 4E 1B 7D, so CE E2 CE 9B 7D; then the first 12
     * bytes of HMAC-SHA-512-256 over those 7 bytes. 19 bytes: 26 base64url
     * characters without padding. */
    unsigned char bin[19], full[crypto_auth_BYTES];
    const unsigned char payload[7] = {0x01, 0x2a, 0xce, 0xe2, 0xce, 0x9b, 0x7d};
    memcpy(bin, payload, 7);
    crypto_auth(full, payload, 7, key1);
    memcpy(bin + 7, full, 12);
    char want[CONSENT_TOKEN_MAX];
    sodium_bin2base64(want, sizeof(want), bin, sizeof(bin),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(consent_token_make(key1, 42, "+33612345678", t), 26);
    assert_string_equal(t, want);
    /* Back again. */
    assert_int_equal(consent_token_check(key1, t, &acc, e164), 0);
    assert_int_equal(acc, 42);
    assert_string_equal(e164, "+33612345678");
    /* The same inputs give the same link; another account or number another. */
    assert_int_equal(consent_token_make(key1, 42, "+33612345678", t2), 26);
    assert_string_equal(t, t2);
    consent_token_make(key1, 43, "+33612345678", t2);
    assert_string_not_equal(t, t2);
    /* Another key refuses it. */
    assert_int_equal(consent_token_check(key2, t, &acc, e164), RL_EINVAL);
    /* Any one character changed is refused. */
    for (size_t i = 0; t[i]; i++) {
        memcpy(t2, t, sizeof(t2));
        t2[i] = t2[i] == 'A' ? 'B' : 'A';
        assert_int_equal(consent_token_check(key1, t2, &acc, e164), RL_EINVAL);
    }
    /* Cut, extended, empty, not base64url, too long. */
    snprintf(t2, sizeof(t2), "%.25s", t);
    assert_int_equal(consent_token_check(key1, t2, &acc, e164), RL_EINVAL);
    char ext[CONSENT_TOKEN_MAX + 2];
    snprintf(ext, sizeof(ext), "%sAA", t);
    assert_int_equal(consent_token_check(key1, ext, &acc, e164), RL_EINVAL);
    assert_int_equal(consent_token_check(key1, "", &acc, e164), RL_EINVAL);
    assert_int_equal(consent_token_check(key1, "ab+/cd==", &acc, e164), RL_EINVAL);
    assert_int_equal(consent_token_check(key1, NULL, &acc, e164), RL_EINVAL);
    char longer[80];
    memset(longer, 'A', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(consent_token_check(key1, longer, &acc, e164), RL_EINVAL);
    /* Only E.164 numbers and real accounts get a token. */
    assert_int_equal(consent_token_make(key1, 42, "0612345678", t2), RL_EINVAL);
    assert_int_equal(consent_token_make(key1, 42, "+0612345678", t2), RL_EINVAL);
    assert_int_equal(consent_token_make(key1, 0, "+33612345678", t2), RL_EINVAL);
    /* The largest: a 15-digit number and a big account id still fit. */
    assert_true(consent_token_make(key1, INT64_MAX, "+999999999999999", t2) > 0);
    assert_int_equal(consent_token_check(key1, t2, &acc, e164), 0);
    assert_int_equal(acc, INT64_MAX);
    assert_string_equal(e164, "+999999999999999");
}

static void numbers(void **state)
{
    (void)state;
    char out[STORE_CONSENT_PHONE_SIZE];
    assert_int_equal(consent_phone_normalize("33612345678", "FR", out), 0); /* SMPP, TON 1 */
    assert_string_equal(out, "+33612345678");
    assert_int_equal(consent_phone_normalize("+33612345678", "FR", out), 0);
    assert_string_equal(out, "+33612345678");
    assert_int_equal(consent_phone_normalize("0612345678", "FR", out), 0); /* national */
    assert_string_equal(out, "+33612345678");
    assert_int_equal(consent_phone_normalize("32470123456", "FR", out), 0); /* Belgian mobile */
    assert_string_equal(out, "+32470123456");
    assert_int_equal(consent_phone_normalize("0612345678", NULL, out), RL_EPHONE);
    assert_int_equal(consent_phone_normalize("36180", "FR", out), RL_EPHONE); /* a short code */
    assert_int_equal(consent_phone_normalize("MaBoutique", "FR", out), RL_EPHONE);
    assert_int_equal(consent_phone_normalize("", "FR", out), RL_EPHONE);
    assert_string_equal(out, "");
}

static struct cfg conf(const char *text)
{
    struct cfg c;
    struct rl_err err = {0};
    cfg_init(&c);
    if (cfg_load_string(&c, text, strlen(text), "test", &err) != 0)
        fail_msg("cfg: %s", err.msg);
    return c;
}

static struct store *open_store(int n)
{
    char path[128];
    struct store *s = NULL;
    snprintf(path, sizeof(path), "%s/d%d.db", dir, n);
    struct store_opts o = {path, false};
    struct rl_err err = {0};
    if (store_open(&o, &s, &err) != 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static const char conf_text[] = "[http]\npublic_url = https://sms.example.com/\n"
                                "[consent]\nstop_reply = Vous ne recevrez plus de SMS.\n"
                                "[billing]\ndefault_price = 0.05\nprices = +33:0.045\n"
                                "[route sim]\ndefault_sender = SHOP\n"
                                "[route other]\nport = 2776\n";

static void inbound_build(void **state)
{
    (void)state;
    struct cfg c = conf(conf_text);
    struct store *s = open_store(1);
    struct consent cs;
    struct rl_err err = {0};
    assert_int_equal(consent_init(&cs, s, &c, &err), 0);
    char phone[STORE_CONSENT_PHONE_SIZE];
    struct store_inbound_consent k;
    struct store_inbound in = {
        .route = "sim", .from = "33612345678", .to = "36180", .text = "STOP"};
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_STOP, phone, &k), 0);
    assert_string_equal(k.phone, "+33612345678");
    assert_int_equal(k.status, STORE_CONSENT_OPTED_OUT);
    assert_string_equal(k.keyword, "stop");
    assert_string_equal(k.reply_text, "Vous ne recevrez plus de SMS.");
    assert_string_equal(k.reply_from, ""); /* sim has a default sender */
    assert_int_equal(k.reply_encoding, MSG_ENCODING_GSM7);
    assert_int_equal(k.reply_segments, 1); /* 29 GSM characters */
    assert_int_equal(k.reply_cost, 45000); /* +33: 0.045 a segment */
    /* Route other has none: the reply comes from the short code written to. */
    in.route = "other";
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_STOP, phone, &k), 0);
    assert_string_equal(k.reply_from, "36180");
    /* Nor can it come from an address that is not a sender ID. */
    in.to = "not a valid sender";
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_STOP, phone, &k), 0);
    assert_string_equal(k.reply_from, "");
    /* START: no start_reply configured, so no reply. A Belgian number: 0.05. */
    in.from = "32470123456";
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_START, phone, &k), 0);
    assert_int_equal(k.status, STORE_CONSENT_OPTED_IN);
    assert_null(k.reply_text);
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_STOP, phone, &k), 0);
    assert_int_equal(k.reply_cost, 50000);
    in.from = "hello";
    assert_int_equal(consent_inbound_build(&cs, &in, KEYWORD_STOP, phone, &k), RL_EPHONE);
    /* The link: public_url without its trailing '/', then /u/ and the token. */
    char link[128], token[CONSENT_TOKEN_MAX], want[128];
    consent_token_make(cs.key, 7, "+33612345678", token);
    snprintf(want, sizeof(want), "https://sms.example.com/u/%s", token);
    assert_int_equal(consent_optout_link(&cs, 7, "+33612345678", link, sizeof(link)),
                     (int)strlen(want));
    assert_string_equal(link, want);
    assert_int_equal(consent_optout_link(&cs, 7, "+33612345678", link, 20), RL_ETOOLONG);
    assert_int_equal(consent_optout_link(&cs, 7, "33612345678", link, sizeof(link)), RL_EINVAL);
    consent_release(&cs);
    /* The same database signs alike after a restart. */
    assert_int_equal(consent_init(&cs, s, &c, &err), 0);
    assert_int_equal(consent_optout_link(&cs, 7, "+33612345678", link, sizeof(link)),
                     (int)strlen(want));
    assert_string_equal(link, want);
    consent_release(&cs);
    store_close(s);
    cfg_release(&c);
}

static void config_checks(void **state)
{
    (void)state;
    struct store *s = open_store(2);
    struct consent cs;
    struct rl_err err = {0};
    struct cfg c = conf("[http]\npublic_url = ftp://example.com\n");
    assert_int_equal(consent_init(&cs, s, &c, &err), RL_ECONFIG);
    assert_string_equal(err.field, "http.public_url");
    cfg_release(&c);
    /* 161 GSM characters need two parts; max_parts 1 refuses it. */
    char text[300];
    memset(text, 'a', 161);
    text[161] = '\0';
    char conf_buf[400];
    snprintf(conf_buf, sizeof(conf_buf), "[text]\nmax_parts = 1\n[consent]\nstop_reply = %s\n",
             text);
    c = conf(conf_buf);
    assert_int_equal(consent_init(&cs, s, &c, &err), RL_ECONFIG);
    assert_string_equal(err.field, "consent.stop_reply");
    assert_non_null(strstr(err.msg, "2 parts"));
    cfg_release(&c);
    /* 160 fit in one. */
    text[160] = '\0';
    snprintf(conf_buf, sizeof(conf_buf), "[text]\nmax_parts = 1\n[consent]\nstart_reply = %s\n",
             text);
    c = conf(conf_buf);
    assert_int_equal(consent_init(&cs, s, &c, &err), 0);
    consent_release(&cs);
    consent_release(NULL);
    cfg_release(&c);
    store_close(s);
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done, failed;
};

/* On the store's writer thread: counts, for the test's thread to assert. */
static void on_done(void *ctx, const struct store_result *r)
{
    struct waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->done++;
    w->failed += r->rc != 0;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void wait_for(struct waiter *w, int n)
{
    pthread_mutex_lock(&w->mu);
    while (w->done < n)
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
    assert_int_equal(w->failed, 0);
}

static void dispatch_hooks(void **state)
{
    (void)state;
    struct cfg c = conf(conf_text);
    struct store *s = open_store(3);
    struct consent cs;
    struct rl_err err = {0};
    int64_t acc = 0, id = 0;
    assert_int_equal(consent_init(&cs, s, &c, &err), 0);
    assert_int_equal(store_account_create(s, "acme", 1000000, &acc, &err), 0);
    struct store_msg_new m = {.account_id = acc,
                              .to = "+33612345678",
                              .from = "SHOP",
                              .text = "Promo",
                              .segments = 1,
                              .category = MSG_CATEGORY_MARKETING,
                              .state = MSG_STATE_QUEUED,
                              .route = "sim"};
    assert_int_equal(store_message_insert(s, &m, false, &id, &err), 0);
    assert_false(consent_dispatch_opted_out(&cs, acc, "+33612345678"));

    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    /* Not a keyword: stored, nothing else. */
    struct store_inbound in = {
        .route = "sim", .from = "33612345678", .to = "36180", .text = "Merci"};
    assert_int_equal(consent_dispatch_inbound(&cs, &in, on_done, &w), 0);
    wait_for(&w, 1);
    assert_false(consent_dispatch_opted_out(&cs, acc, "+33612345678"));
    /* "Stop." opts out and queues the confirmation. */
    in.text = "Stop.";
    assert_int_equal(consent_dispatch_inbound(&cs, &in, on_done, &w), 0);
    wait_for(&w, 2);
    assert_true(consent_dispatch_opted_out(&cs, acc, "+33612345678"));
    assert_false(consent_dispatch_opted_out(&cs, acc + 1, "+33612345678"));
    struct store_message r;
    assert_int_equal(store_message_get(s, acc, id + 1, &r, &err), 0);
    assert_string_equal(r.text, "Vous ne recevrez plus de SMS.");
    assert_int_equal(r.category, MSG_CATEGORY_TRANSACTIONAL);
    store_message_release(&r);
    /* A keyword from an address that is no number: stored, nothing changes. */
    in.from = "SHOP";
    in.text = "START";
    assert_int_equal(consent_dispatch_inbound(&cs, &in, on_done, &w), 0);
    wait_for(&w, 3);
    assert_true(consent_dispatch_opted_out(&cs, acc, "+33612345678"));
    /* START from the number: back in. */
    in.from = "33612345678";
    assert_int_equal(consent_dispatch_inbound(&cs, &in, on_done, &w), 0);
    wait_for(&w, 4);
    assert_false(consent_dispatch_opted_out(&cs, acc, "+33612345678"));
    consent_release(&cs);
    store_close(s);
    cfg_release(&c);
}

static void page_language(void **state)
{
    (void)state;
    assert_string_equal(api_unsub_language(NULL), "fr");
    assert_string_equal(api_unsub_language(""), "fr");
    assert_string_equal(api_unsub_language("en"), "en");
    assert_string_equal(api_unsub_language("EN-gb"), "en");
    assert_string_equal(api_unsub_language("en-US,en;q=0.9,fr;q=0.8"), "en");
    assert_string_equal(api_unsub_language("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"), "fr");
    assert_string_equal(api_unsub_language("de-DE,de;q=0.9"), "fr"); /* neither: French */
    assert_string_equal(api_unsub_language("de, en;q=0.5"), "en");
    assert_string_equal(api_unsub_language("en;q=0, de"), "fr");         /* q=0: not English */
    assert_string_equal(api_unsub_language("fr;q=0.5, en;q=0.5"), "fr"); /* a tie: first listed */
    assert_string_equal(api_unsub_language("en;q=0.5, fr;q=0.5"), "en");
    assert_string_equal(api_unsub_language("fr;q=0.3, en;q=0.31"), "en"); /* 300 < 310 */
    assert_string_equal(api_unsub_language("fr ; q=0.9 , en ; q=1"), "en");
    assert_string_equal(api_unsub_language("english, french"), "fr"); /* not language tags */
    assert_string_equal(api_unsub_language("*"), "fr");
}

static void page_mask(void **state)
{
    (void)state;
    char out[64];
    /* 12 characters: "+33" kept, 7 digits masked, "78" kept. */
    api_unsub_mask("+33612345678", out, sizeof(out));
    assert_string_equal(out, "+33\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
                             "\xe2\x80\xa2\xe2\x80\xa2"
                             "78");
    api_unsub_mask("+4412", out, sizeof(out)); /* nothing between the two ends */
    assert_string_equal(out, "+4412");
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_consentd_XXXXXX");
    if (!mkdtemp(dir) || sodium_init() < 0)
        return 1;
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens),         cmocka_unit_test(numbers),
        cmocka_unit_test(inbound_build),  cmocka_unit_test(config_checks),
        cmocka_unit_test(dispatch_hooks), cmocka_unit_test(page_language),
        cmocka_unit_test(page_mask),
    };
    int rc = cmocka_run_group_tests_name("consent", tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
