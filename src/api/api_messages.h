#ifndef RL_API_MESSAGES_H
#define RL_API_MESSAGES_H

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
/* GET /v1/messages/{id} → 200 the message with parts and events, or 404. */
void api_messages_get(const struct api_request *rq, struct api_response *rs);
/* GET /v1/messages?status=&since=&cursor=&limit= → 200 {messages, next_cursor}. */
void api_messages_list(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/messages/{id} → 200 the cancelled message, 404, or 409 naming its state. */
void api_messages_cancel(const struct api_request *rq, struct api_response *rs);

#endif
