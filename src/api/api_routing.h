#ifndef RL_API_ROUTING_H
#define RL_API_ROUTING_H

#include "api/router.h"

/* GET /v1/routes: the SMS routes (relais.conf's [route NAME] sections) as the
 * store keeps them, read-only: a route is configured in the file, and `relais
 * serve` writes what the file says when it starts (one taken out of the file
 * stays, inactive). Each with whether its SMPP session is bound now, from the
 * dispatcher: {routes:[{name, kind, host, port, system_id, prefixes,
 * default_sender, active, up, first_seen, updated_at}]}, by name. No password
 * is stored, so none is shown. */
void api_routes_list(const struct api_request *rq, struct api_response *rs);

#endif
