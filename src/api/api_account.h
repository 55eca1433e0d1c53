#ifndef RL_API_ACCOUNT_H
#define RL_API_ACCOUNT_H

#include "api/router.h"

/* GET /v1/account: the calling key's account — its balance, the low-balance
 * threshold in force and its latest account events. */
void api_account_get(const struct api_request *rq, struct api_response *rs);

#endif
