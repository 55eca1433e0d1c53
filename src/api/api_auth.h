#ifndef RL_API_AUTH_H
#define RL_API_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "api/router.h"

/* API keys on the wire: "Authorization: Bearer rl_…" (RFC 6750). The key is
 * looked up by its hash (store_key_lookup) and never logged. */

/* Longest Authorization value read; a key is STORE_KEY_SIZE - 1 bytes. */
#define API_AUTH_MAX 256

/* Authenticates rq: returns true with rq->account_id set, or false with rs
 * filled: 401 "unauthorized" with WWW-Authenticate: Bearer (missing header,
 * another scheme, an unknown, malformed or revoked key), or 500 when the store
 * cannot answer. Borrows rq's header. */
bool api_auth(struct api_request *rq, struct api_response *rs);
/* The account rq's key belongs to, answering nothing and counting nothing
 * against the rate limit: for work done on the headers, before api_auth
 * answers the request itself. False for a missing, malformed or unknown key. */
bool api_auth_peek(const struct api_request *rq, int64_t *account_id);

#endif
