#ifndef RL_API_CAMPAIGNS_H
#define RL_API_CAMPAIGNS_H

#include "api/router.h"

/* /v1/campaigns: create a broadcast campaign, read and list them, its summary
 * before launch, a test send, launch, pause, resume, cancel, and its report.
 * Every handler needs rq->account_id (an authenticated route), rq->store and
 * rq->cfg (its campaigns member: [campaigns] and [rules]). What each command
 * does is domain/campaign.h's; here the requests are read strictly (an
 * unknown member, a wrong type: 400; a value refused: 422, the field named)
 * and nothing is stored when a request is refused. */

/* POST /v1/campaigns → 201 the campaign (a draft), Location. */
void api_campaigns_create(const struct api_request *rq, struct api_response *rs);
/* GET /v1/campaigns?cursor=&limit= → 200 {campaigns, next_cursor}. */
void api_campaigns_list(const struct api_request *rq, struct api_response *rs);
/* GET /v1/campaigns/{id} → 200 the campaign, with what its launch found. */
void api_campaigns_get(const struct api_request *rq, struct api_response *rs);
/* GET /v1/campaigns/{id}/summary → 200 recipients, exclusions, segments, cost,
 * balance before and after, first and last send times (a draft's only). */
void api_campaigns_summary(const struct api_request *rq, struct api_response *rs);
/* POST /v1/campaigns/{id}/test {numbers} → 202 {messages: [{id, to}]}. */
void api_campaigns_test(const struct api_request *rq, struct api_response *rs);
/* POST /v1/campaigns/{id}/launch → 200 the campaign, scheduled or sending. */
void api_campaigns_launch(const struct api_request *rq, struct api_response *rs);
/* POST /v1/campaigns/{id}/cancel → 200 the campaign and what was refunded. */
void api_campaigns_cancel(const struct api_request *rq, struct api_response *rs);
/* POST /v1/campaigns/{id}/pause → 200 the campaign, paused. */
void api_campaigns_pause(const struct api_request *rq, struct api_response *rs);
/* POST /v1/campaigns/{id}/resume → 200 the campaign, sending. */
void api_campaigns_resume(const struct api_request *rq, struct api_response *rs);
/* GET /v1/campaigns/{id}/report → 200 sent, delivered, failed by error,
 * pending, delivery rate, opt-outs, cost. */
void api_campaigns_report(const struct api_request *rq, struct api_response *rs);

#endif
