#ifndef RL_API_OPTOUTS_H
#define RL_API_OPTOUTS_H

#include "api/router.h"
#include "core/err.h"

/* Consent over the API: the account's opt-outs (list, add, lift), explicit
 * opt-ins (a category a campaign may require), one number's state and full
 * history, and the account's consent settings. Every handler needs an
 * authenticated route (rq->account_id, rq->key_id), rq->store and rq->cfg
 * (phone.default_region reads national numbers). Changes are recorded with
 * source api and detail "key=ID", the API key that made them. A number is
 * accepted in any form the messages API takes and answered in E.164; a scope
 * is "marketing" (the default) or a category name: 1 to 32 of a-z 0-9 _ -. */

/* GET /v1/optouts?scope=&cursor=&limit= → 200 {optouts:[ConsentState], next_cursor}. */
void api_optouts_list(const struct api_request *rq, struct api_response *rs);
/* POST /v1/optouts {number, scope?} → 201 ConsentState (200 if it already was). */
void api_optouts_create(const struct api_request *rq, struct api_response *rs);
/* GET /v1/optouts/{number} → 200 {number, opted_out, scopes, history}. */
void api_optouts_get(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/optouts/{number}?scope= → 200 the number's consent after opting
 * it back in, or 404 when it is not opted out of that scope. */
void api_optouts_delete(const struct api_request *rq, struct api_response *rs);
/* POST /v1/optins {number, scope?} → 201 ConsentState (200 if it already was). */
void api_optins_create(const struct api_request *rq, struct api_response *rs);
/* The whole consent of account rq->account_id's number (E.164, borrowed), as
 * GET /v1/optouts/{number} answers it: {number, opted_out, scopes, history,
 * optout_path}. Returns 0 and *out (new; json_decref), or the store's failure
 * with err. The contacts API embeds it in a contact. */
int api_consent_json(const struct api_request *rq, const char *number, json_t **out,
                     struct rl_err *err);
/* GET /v1/consent/settings → 200 {stop_reply}. */
void api_consent_settings_get(const struct api_request *rq, struct api_response *rs);
/* PATCH /v1/consent/settings {stop_reply?} → 200 {stop_reply}. */
void api_consent_settings_patch(const struct api_request *rq, struct api_response *rs);

#endif
