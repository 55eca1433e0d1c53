#ifndef RL_API_UNSUB_H
#define RL_API_UNSUB_H

#include <stddef.h>

#include "api/router.h"

/* The opt-out page, /u/<token>: public (the signed token is the only
 * credential, domain/consent.h), a small HTML page with inline CSS and no
 * script, in French or English after Accept-Language (French when neither is
 * asked for).
 *
 * GET only shows a button; POST (the button) opts out. A GET that changed
 * anything would be triggered by whatever opens a link without a person:
 * messaging apps' link previews, mail and SMS security scanners, browsers'
 * prefetch. A person taps the button; those do not. Both answers say plainly
 * what happened, never cache (Cache-Control: no-store) and mask the number
 * but for its country code and last two digits, in case the link was
 * forwarded. An unknown or altered token gets a 404 page saying so. */

/* GET /u/{token} → 200 text/html: the confirmation form, or "already done". */
void api_unsub_get(const struct api_request *rq, struct api_response *rs);
/* POST /u/{token} → 200 text/html: opted out of marketing (source link). */
void api_unsub_post(const struct api_request *rq, struct api_response *rs);

/* "en" or "fr" for an Accept-Language value (borrowed; NULL: "fr"): the one of
 * the two with the highest q, the first listed on a tie; "fr" when neither is. */
const char *api_unsub_language(const char *accept_language);

/* Writes e164 (borrowed) with every digit but the first two and the last two
 * replaced by "•" into out (cap bytes): "+33612345678" → "+33•••••••78". */
void api_unsub_mask(const char *e164, char *out, size_t cap);

#endif
