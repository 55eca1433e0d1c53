#include "api/api_unsub.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "domain/consent.h"
#include "store/store.h"
#include "core/banned.h"

/* One language's wording. A sentence naming the sender and the number is
 * three pieces around them: no format string comes from a table. */
struct words {
    const char *lang, *title, *button, *note, *again, *invalid_title, *invalid, *busy_title, *busy;
    const char *ask[3], *done[3], *already[3];
};

static const struct words fr = {
    .lang = "fr",
    .title = "Désinscription SMS",
    .button = "Me désinscrire",
    .note = "Les messages liés à vos commandes ou à vos rendez-vous continueront de vous parvenir.",
    .again = "Pour les recevoir de nouveau, répondez START à l'un de ses SMS.",
    .invalid_title = "Lien non valide",
    .invalid = "Ce lien de désinscription n'est pas valide. Vérifiez qu'il a été copié en entier, "
               "ou répondez STOP au SMS reçu.",
    .busy_title = "Service indisponible",
    .busy = "Votre demande n'a pas pu être enregistrée. Réessayez dans un instant, ou répondez "
            "STOP au SMS reçu.",
    .ask = {"Ne plus recevoir les SMS promotionnels de ", " au ", "&#160;?"},
    .done = {"C'est fait : ", " ne vous enverra plus de SMS promotionnels au ", "."},
    .already = {"Vous êtes déjà désinscrit : ", " ne vous envoie plus de SMS promotionnels au ",
                "."},
};

static const struct words en = {
    .lang = "en",
    .title = "Unsubscribe from SMS",
    .button = "Unsubscribe",
    .note = "Messages about your orders or appointments will still reach you.",
    .again = "To receive them again, reply START to one of its messages.",
    .invalid_title = "Invalid link",
    .invalid = "This unsubscribe link is not valid. Check that it was copied in full, or reply "
               "STOP to the SMS you received.",
    .busy_title = "Service unavailable",
    .busy = "Your request could not be saved. Try again in a moment, or reply STOP to the SMS "
            "you received.",
    .ask = {"Stop receiving promotional SMS from ", " at ", "?"},
    .done = {"Done: ", " will no longer send promotional SMS to ", "."},
    .already = {"You are already unsubscribed: ", " no longer sends promotional SMS to ", "."},
};

static const char style[] =
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f4f5;color:#18181b}"
    "main{max-width:28rem;margin:3rem auto;padding:1.5rem;background:#fff;border-radius:.75rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.25rem;margin:0 0 1rem}"
    "button{font:inherit;width:100%;padding:.75rem;border:0;border-radius:.5rem;"
    "background:#b91c1c;color:#fff;cursor:pointer}.note{color:#52525b;font-size:.875rem}";

/* --- Accept-Language ---------------------------------------------------------------- */

/* The q of one entry's parameters ("; q=0.8"), in thousandths; 1000 without
 * q. RFC 9110: q is 0 to 1 with at most three decimals; 0 means "not this". */
static int q_value(const char *p, const char *end)
{
    while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
        return 1000;
    p += 2;
    if (*p == '1')
        return 1000;
    if (*p != '0')
        return 0;
    int q = 0, scale = 1000;
    if (++p < end && *p == '.')
        p++;
    for (; p < end && isdigit((unsigned char)*p) && scale > 1; p++) {
        scale /= 10;
        q += (*p - '0') * scale;
    }
    return q;
}

const char *api_unsub_language(const char *h)
{
    int best_fr = -1, best_en = -1, first = 0; /* first: 1 fr, 2 en listed first */
    for (const char *p = h; p && *p;) {
        const char *end = p + strcspn(p, ",");
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        size_t tag = strcspn(p, ";, \t");
        bool is_fr = tag >= 2 && strncasecmp(p, "fr", 2) == 0 && (tag == 2 || p[2] == '-');
        bool is_en = tag >= 2 && strncasecmp(p, "en", 2) == 0 && (tag == 2 || p[2] == '-');
        int q = q_value(p + tag, end);
        if (is_fr && q > 0 && q > best_fr)
            best_fr = q, first = first ? first : 1;
        if (is_en && q > 0 && q > best_en)
            best_en = q, first = first ? first : 2;
        p = *end ? end + 1 : end;
    }
    if (best_en > best_fr || (best_en == best_fr && best_en > 0 && first == 2))
        return "en";
    return "fr";
}

/* --- the page -------------------------------------------------------------------------- */

void api_unsub_mask(const char *e164, char *out, size_t cap)
{
    struct buf b;
    size_t n = strlen(e164);
    buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (i < 3 || i + 2 >= n)
            buf_addch(&b, e164[i]);
        else
            buf_adds(&b, "\xe2\x80\xa2"); /* • */
    }
    snprintf(out, cap, "%s", b.data ? b.data : "");
    buf_release(&b);
}

static void add_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\'':
            buf_adds(b, "&#39;");
            break;
        default:
            buf_addch(b, *s);
        }
    }
}

static void sentence(struct buf *b, const char *const parts[3], const char *name,
                     const char *number)
{
    buf_adds(b, "<p>");
    buf_adds(b, parts[0]);
    buf_adds(b, "<strong>");
    add_escaped(b, name);
    buf_adds(b, "</strong>");
    buf_adds(b, parts[1]);
    buf_adds(b, "<strong>");
    add_escaped(b, number);
    buf_adds(b, "</strong>");
    buf_adds(b, parts[2]);
    buf_adds(b, "</p>");
}

static void page_start(struct buf *b, const struct words *w, const char *title)
{
    buf_init(b, 0);
    buf_addf(b,
             "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<meta name=\"referrer\" content=\"no-referrer\">"
             "<meta name=\"robots\" content=\"noindex\"><title>%s</title><style>%s</style>"
             "</head><body><main><h1>%s</h1>",
             w->lang, title, style, title);
}

static void page_send(struct buf *b, const struct words *w, unsigned status,
                      struct api_response *rs)
{
    buf_adds(b, "</main></body></html>\n");
    rs->status = status;
    rs->type = "text/html; charset=utf-8";
    rs->raw_owned = buf_detach(b, &rs->raw_len);
    api_header_add(rs, "Content-Language", "%s", w->lang);
    api_header_add(rs, "Vary", "Accept-Language");
    api_header_add(rs, "Cache-Control", "no-store");
    api_header_add(rs, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
}

static void page_message(const struct words *w, unsigned status, const char *title,
                         const char *text, struct api_response *rs)
{
    struct buf b;
    page_start(&b, w, title);
    buf_addf(&b, "<p>%s</p>", text);
    page_send(&b, w, status, rs);
}

/* What the token names: the account's display name and the number. */
struct target {
    int64_t account_id;
    char number[STORE_CONSENT_PHONE_SIZE];
    char masked[64];
    struct store_account account;
};

/* Fills t from the path's token; false with rs filled (404, 500) otherwise. */
static bool read_target(const struct api_request *rq, const struct words *w, struct target *t,
                        struct api_response *rs)
{
    unsigned char key[STORE_CONSENT_SECRET_SIZE];
    struct rl_err err = {0};
    const char *token = rq->nparams ? rq->params[0] : "";
    int rc = store_consent_secret(rq->store, key, &err);
    if (rc == 0) {
        rc = consent_token_check(key, token, &t->account_id, t->number) == 0
                 ? store_account_get(rq->store, t->account_id, &t->account, &err)
                 : RL_ENOTFOUND;
    }
    sodium_memzero(key, sizeof(key));
    if (rc == RL_ENOTFOUND) {
        page_message(w, 404, w->invalid_title, w->invalid, rs);
        return false;
    }
    if (rc != 0) {
        log_error("api", "store_failed", "op=unsub rc=%s detail=\"%s\"", rl_errname(rc), err.msg);
        page_message(w, 503, w->busy_title, w->busy, rs);
        return false;
    }
    api_unsub_mask(t->number, t->masked, sizeof(t->masked));
    return true;
}

static const struct words *words_for(const struct api_request *rq)
{
    return strcmp(api_unsub_language(rq->accept_language), "en") == 0 ? &en : &fr;
}

void api_unsub_get(const struct api_request *rq, struct api_response *rs)
{
    const struct words *w = words_for(rq);
    struct target t;
    struct rl_err err = {0};
    enum store_consent_status st;
    if (!read_target(rq, w, &t, rs))
        return;
    if (store_consent_status_get(rq->store, t.account_id, t.number, NULL, &st, &err) != 0) {
        page_message(w, 503, w->busy_title, w->busy, rs);
        return;
    }
    struct buf b;
    page_start(&b, w, w->title);
    if (st == STORE_CONSENT_OPTED_OUT) {
        sentence(&b, w->already, t.account.name, t.masked);
        buf_addf(&b, "<p class=\"note\">%s</p>", w->again);
    } else {
        sentence(&b, w->ask, t.account.name, t.masked);
        buf_addf(&b, "<form method=\"post\"><button type=\"submit\">%s</button></form>", w->button);
        buf_addf(&b, "<p class=\"note\">%s</p>", w->note);
    }
    page_send(&b, w, 200, rs);
}

void api_unsub_post(const struct api_request *rq, struct api_response *rs)
{
    const struct words *w = words_for(rq);
    struct target t;
    struct rl_err err = {0};
    bool changed = false;
    if (!read_target(rq, w, &t, rs))
        return;
    struct store_consent_change c = {.account_id = t.account_id,
                                     .phone = t.number,
                                     .status = STORE_CONSENT_OPTED_OUT,
                                     .source = STORE_CONSENT_LINK};
    int rc = store_consent_record(rq->store, &c, &changed, &err);
    if (rc != 0) {
        log_error("api", "store_failed", "op=unsub rc=%s detail=\"%s\"", rl_errname(rc), err.msg);
        page_message(w, 503, w->busy_title, w->busy, rs);
        return;
    }
    if (changed)
        log_info("api", "unsubscribed", "account=%" PRId64 " source=link", t.account_id);
    struct buf b;
    page_start(&b, w, w->title);
    sentence(&b, w->done, t.account.name, t.masked);
    buf_addf(&b, "<p class=\"note\">%s</p>", w->again);
    page_send(&b, w, 200, rs);
}
