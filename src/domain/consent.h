#ifndef RL_CONSENT_H
#define RL_CONSENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"
#include "domain/billing.h"
#include "domain/keywords.h"
#include "store/store.h"

/* Consent: who may receive marketing, decided once for everything that sends.
 *
 * Scopes. 'marketing' covers every marketing message of an account; a
 * category ('offers', 'orders': [a-z0-9_-], up to 32 bytes) covers the
 * marketing of that category. Each (account, number, scope) is opted_in,
 * opted_out, or never set. Transactional messages are never blocked by
 * consent: a delivery notice or a one-time code still goes to a number that
 * sent STOP.
 *
 * What may be sent. A marketing message is refused (opted_out) when the
 * number opted out of 'marketing'; a campaign of category C also leaves out
 * numbers opted out of C, and when it requires opt-in, numbers not opted in
 * to C (no_consent) — store_consent_status_batch answers both in one pass.
 * An opt-out of 'marketing' wins over any category opt-in.
 *
 * What changes it. STOP (and its variants, keywords.h) opts out of
 * 'marketing'; START and UNSTOP opt back in to 'marketing' only. START does
 * not lift category opt-outs nor grant category opt-ins: it undoes STOP, the
 * one thing a keyword can say, while a category choice was made explicitly
 * (by API, import or page) and is undone the same way. The /u/<token> page
 * opts out of 'marketing'. The API sets any scope either way. A change that
 * changes nothing (STOP twice) is not a new event; the inbound message that
 * said it is still stored.
 *
 * Opt-out links are signed, not stored: /u/<token> where the token carries
 * the account and the number and an HMAC (crypto_auth, HMAC-SHA-512-256 cut
 * to 96 bits) under a key kept in the database's meta table
 * (store_consent_secret). A campaign can build a link per recipient at
 * fan-out speed without a write, the same number always gets the same link,
 * and a token cannot be guessed or altered to reach another number (2^-96
 * per try, online only). What a table would add — revoking one link — has no
 * use here: an opt-out link must keep working. */

/* What consent needs at run time; caller-owned (consent_init/consent_release).
 * Every function taking a const struct consent may run on any thread. */
struct consent {
    struct store *store; /* borrowed; must outlive the struct */
    char *public_url;    /* owned: http.public_url without a trailing '/' */
    char *stop_reply;    /* owned: [consent] stop_reply, "" for none */
    char *start_reply;   /* owned: [consent] start_reply, "" for none */
    struct billing_table billing;
    unsigned ref_bits; /* text.concat_ref, for the replies' segments */
    char region[3];    /* phone.default_region, for national inbound numbers */
    /* [route NAME] sections with a default_sender (a reply from "" gets it). */
    char (*sender_routes)[CFG_ROUTE_NAME_MAX + 1];
    size_t nsender_routes;
    unsigned char key[STORE_CONSENT_SECRET_SIZE]; /* the link key */
};

/* Fills c from cfg (borrowed for the call) and the store s (borrowed, kept):
 * loads (or makes) the link key, checks the replies fit text.max_parts.
 * Returns 0, RL_ECONFIG naming the key (a reply too long or not UTF-8, a
 * public_url that is not http(s)://), or the store's error. */
int consent_init(struct consent *c, struct store *s, const struct cfg *cfg, struct rl_err *err);
/* Frees what c owns (and wipes the key); NULL is a no-op. */
void consent_release(struct consent *c);

/* The dispatcher's consent hook (dispatch_opted_out_fn; ud: a struct
 * consent): true when account_id's `to` is opted out of marketing. When the
 * store cannot tell, true, logged: a marketing message is never sent on a
 * guess. */
bool consent_dispatch_opted_out(void *ud, int64_t account_id, const char *to);

/* The dispatcher's inbound hook (dispatch_inbound_fn; ud: a struct consent):
 * a message that is a keyword is stored with its consent change and
 * confirmation in one commit (store_inbound_consent_submit); any other as
 * store_inbound_submit does. Borrows in. */
int consent_dispatch_inbound(void *ud, const struct store_inbound *in, store_done_fn done,
                             void *ctx);

/* Fills *out (pointing into c, in and phone, which must outlive its use) with
 * what keyword kw (STOP or START) from in changes: in->from in E.164
 * (written to phone), the status, and the confirmation with its encoding,
 * segments and cost. Returns 0, or RL_EPHONE when in->from is not a number
 * (then nothing can be changed). */
int consent_inbound_build(const struct consent *c, const struct store_inbound *in, enum keyword kw,
                          char phone[STORE_CONSENT_PHONE_SIZE], struct store_inbound_consent *out);

/* An SMSC's address as E.164: "33612345678" (international without '+', as
 * SMPP sends it), "+33612345678", or a national "0612345678" in region
 * (borrowed; NULL: international forms only). Returns 0 or RL_EPHONE. */
int consent_phone_normalize(const char *addr, const char *region,
                            char out[STORE_CONSENT_PHONE_SIZE]);

/* --- opt-out links ------------------------------------------------------------- */

#define CONSENT_TOKEN_MAX 48 /* base64url characters and NUL; tokens are ~30 */

/* Writes the token for (account_id > 0, e164 "+33612345678") signed with key
 * into out. Returns its length, or RL_EINVAL for a number not in E.164. */
int consent_token_make(const unsigned char key[STORE_CONSENT_SECRET_SIZE], int64_t account_id,
                       const char *e164, char out[CONSENT_TOKEN_MAX]);
/* Checks token (borrowed) against key: 0 with *account_id and e164 filled,
 * or RL_EINVAL for anything not made by consent_token_make with this key. */
int consent_token_check(const unsigned char key[STORE_CONSENT_SECRET_SIZE], const char *token,
                        int64_t *account_id, char e164[STORE_CONSENT_PHONE_SIZE]);
/* Writes "<public_url>/u/<token>" for (account_id, e164) into out (cap
 * bytes), public_url (borrowed) without its trailing '/': what a campaign's
 * #optout_link# renders. Returns its length, RL_EINVAL (not E.164) or
 * RL_ETOOLONG (cap). */
int consent_link_make(const char *public_url, const unsigned char key[STORE_CONSENT_SECRET_SIZE],
                      int64_t account_id, const char *e164, char *out, size_t cap);
/* The same with c's http.public_url and key. */
int consent_optout_link(const struct consent *c, int64_t account_id, const char *e164, char *out,
                        size_t cap);

#endif
