#ifndef RL_API_ACCOUNT_H
#define RL_API_ACCOUNT_H

#include "api/router.h"

/* GET /v1/account: the calling key's account — its balance, the low-balance
 * threshold in force, its own opt-out mentions and its latest account events. */
void api_account_get(const struct api_request *rq, struct api_response *rs);
/* PATCH /v1/account {"optout_mention": {"FR": "STOP au 36xxx", ...} | null}:
 * replaces the account's own opt-out mentions (null or {} removes them: the
 * configuration's [campaigns] optout_mention apply again); answers as GET. */
void api_account_patch(const struct api_request *rq, struct api_response *rs);

#endif
