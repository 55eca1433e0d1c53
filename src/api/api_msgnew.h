#ifndef RL_API_MSGNEW_H
#define RL_API_MSGNEW_H

#include <stdint.h>

#include <jansson.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "phone/phone.h"
#include "store/store.h"

/* One message request, {to, text | template + data, from?, category?,
 * send_at?, smart_encoding?, validity?, metadata?}, checked and turned into
 * what the store inserts: the number in E.164, the text rendered and
 * (optionally) smart-encoded, its encoding and segments, its cost, when it is
 * due and until when it is valid. POST /v1/messages and each item of a batch
 * go through here, so both refuse the same things the same way. */

#define API_METADATA_MAX     4096 /* bytes of metadata, as compact JSON */
#define API_SEND_AT_MAX_DAYS 366  /* how far ahead a message may be scheduled */

struct api_msgnew {
    struct store_msg_new m; /* ready to insert; points into this struct and the request object */
    char to[sizeof(((struct phone_info *)0)->e164)];
    char *text;     /* owned: the text as it will be sent */
    char *metadata; /* owned; NULL when none */
};

/* Checks obj (borrowed: m.from points into it, so it must outlive out) for
 * account_id at now (ms). Returns 0 with out filled (release it with
 * api_msgnew_release), or -1 with p set (400 for the shape, 422 for a value;
 * the field named) and out released. The idempotency key and request hash
 * are left NULL for the caller. */
int api_msgnew_build(const struct api_config *cfg, int64_t account_id, const json_t *obj,
                     int64_t now, struct api_msgnew *out, struct api_problem *p);
/* Frees what m owns; m may be zeroed or released already. */
void api_msgnew_release(struct api_msgnew *m);

#endif
