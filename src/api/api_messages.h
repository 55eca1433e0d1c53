#ifndef RL_API_MESSAGES_H
#define RL_API_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api_idem.h"
#include "api/router.h"

/* /v1/messages: send one (with an optional Idempotency-Key), send a batch,
 * read one with its parts and events, list an account's, cancel one. Every
 * handler needs rq->account_id (an authenticated route), rq->store and
 * rq->cfg; none touches HTTP beyond struct api_request/api_response.
 *
 * Money goes out as a decimal string in the currency's unit ("0.045"), from
 * integer micro-units: never a JSON number, which a client would read as a
 * binary float. Times are RFC 3339 UTC strings with milliseconds. */

/* POST /v1/messages → 202 {id, status, to, encoding, segments, cost, scheduled_for}. */
void api_messages_create(const struct api_request *rq, struct api_response *rs);
/* POST /v1/messages/batch {messages:[…]} → 200 {accepted, rejected, results:[…]}. */
void api_messages_batch(const struct api_request *rq, struct api_response *rs);
/* True for the batch's route (its body has its own limit, api.max_batch_body). */
bool api_messages_batch_route(const char *method, const char *path);

/* --- Idempotency-Key in flight ----------------------------------------------------
 * A request with an Idempotency-Key is in flight from its headers to its
 * answer: the HTTP layer holds the key when the headers arrive, before the
 * body is read, and releases it once the answer is ready (the message, if
 * any, committed). A second request with the key meanwhile gets 409
 * idempotency_in_flight at once; one after gets the first answer (202, the
 * same message) or 422 idempotency_key_reused for another body. */

struct api_msg_hold {
    int64_t account_id;
    char key[API_IDEM_KEY_MAX + 1];
    bool held;
};

/* On the headers of rq (method, path, authorization, idempotency_key, store
 * and cfg filled; h zeroed by the caller): for POST /v1/messages with a
 * well-formed Idempotency-Key and a known API key, holds the key for its
 * account. Returns true (h->held says whether it held one: end it with
 * api_messages_unhold), or false with rs filled, 409 idempotency_in_flight,
 * when another request holds the key. Anything else wrong with the request is
 * left for its handler to answer. */
bool api_messages_hold(const struct api_request *rq, struct api_msg_hold *h,
                       struct api_response *rs);
/* Releases what h holds, if anything (idempotent). */
void api_messages_unhold(const struct api_config *cfg, struct api_msg_hold *h);
/* GET /v1/messages/{id} → 200 the message with parts and events, or 404. */
void api_messages_get(const struct api_request *rq, struct api_response *rs);
/* GET /v1/messages?status=&since=&cursor=&limit= → 200 {messages, next_cursor}. */
void api_messages_list(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/messages/{id} → 200 the cancelled message, 404, or 409 naming its state. */
void api_messages_cancel(const struct api_request *rq, struct api_response *rs);

#endif
