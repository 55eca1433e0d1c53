#ifndef RL_API_LISTS_H
#define RL_API_LISTS_H

#include "api/router.h"

/* /v1/lists: named lists of an account's contacts (many to many), and their
 * members. Every handler needs rq->account_id (an authenticated route),
 * rq->store and rq->cfg. A list's JSON is {id, name, contacts (members),
 * created_at, updated_at}. */

/* POST /v1/lists {name} → 201 the list (Location), 409 list_exists. */
void api_lists_create(const struct api_request *rq, struct api_response *rs);
/* GET /v1/lists?cursor=&limit= → 200 {lists, next_cursor}, in id order. */
void api_lists_list(const struct api_request *rq, struct api_response *rs);
/* GET /v1/lists/{id} → 200 the list, or 404. */
void api_lists_get(const struct api_request *rq, struct api_response *rs);
/* PATCH /v1/lists/{id} {name} → 200 the list renamed, 409 list_exists. */
void api_lists_update(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/lists/{id} → 200 {id, deleted: true}; its contacts stay. */
void api_lists_delete(const struct api_request *rq, struct api_response *rs);
/* GET /v1/lists/{id}/contacts?cursor=&limit= → 200 {contacts, next_cursor}, in id order. */
void api_lists_members(const struct api_request *rq, struct api_response *rs);
/* POST /v1/lists/{id}/contacts {contact_ids | phones} → 200 {added,
 * already_members, created}: existing contacts by id, or numbers (a contact
 * created for a new one). All or nothing. */
void api_lists_members_add(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/lists/{id}/contacts {contact_ids | phones} → 200 {removed,
 * not_members}; the contacts themselves stay. */
void api_lists_members_remove(const struct api_request *rq, struct api_response *rs);

#endif
