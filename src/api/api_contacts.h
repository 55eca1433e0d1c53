#ifndef RL_API_CONTACTS_H
#define RL_API_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/api_json.h"
#include "api/router.h"
#include "store/store.h"

/* /v1/contacts: create, list (by list, by number, a page at a time), read
 * with its lists, change as a JSON merge patch (RFC 7396), delete, and import
 * a CSV file into a list. Every handler needs rq->account_id (an
 * authenticated route), rq->store and rq->cfg.
 *
 * Numbers are read like POST /v1/messages reads "to" (phone_parse_typed):
 * international, or national for phone.default_region (with FR, the overseas
 * mobiles 0690, 0692... too); they are stored and answered in E.164.
 *
 * One contact (create, read, change) comes with its lists and its consent:
 * {opted_out, scopes, history, optout_path}, its number's, as GET
 * /v1/optouts/{number} gives it. A page of contacts carries neither. */

/* POST /v1/contacts → 201 the contact (Location), 409 contact_exists. */
void api_contacts_create(const struct api_request *rq, struct api_response *rs);
/* GET /v1/contacts?list=&phone=&cursor=&limit= → 200 {contacts, next_cursor}. */
void api_contacts_list(const struct api_request *rq, struct api_response *rs);
/* GET /v1/contacts/{id} → 200 the contact with its lists and consent, or 404. */
void api_contacts_get(const struct api_request *rq, struct api_response *rs);
/* PATCH /v1/contacts/{id} → 200 the contact as changed. */
void api_contacts_update(const struct api_request *rq, struct api_response *rs);
/* DELETE /v1/contacts/{id} → 200 {id, deleted: true}. */
void api_contacts_delete(const struct api_request *rq, struct api_response *rs);
/* POST /v1/contacts/import?list=&region= with the CSV file as the whole body
 * (rq->body): the same as the streaming path below, in one call. */
void api_contacts_import(const struct api_request *rq, struct api_response *rs);

/* --- the import's streaming path --------------------------------------------------
 * A CSV file may be far larger than http.max_body; the HTTP layer hands its
 * body over chunk by chunk as it arrives instead of gathering it, so memory
 * stays flat whatever the file's size. */

struct api_import;

/* True for the request that streams (POST /v1/contacts/import); borrows both. */
bool api_import_streams(const char *method, const char *path);
/* Authenticates rq and reads its query (list, region), the Content-Type (a
 * multipart form is 415) and the Content-Length (-1: unknown; over the 1 GiB
 * cap is 413). Returns a new import (end with api_import_finish or
 * api_import_abort), or NULL with rs filled (401, 400, 413, 415, 422: nothing
 * is stored). Borrows its arguments for the call only. */
struct api_import *api_import_begin(struct api_request *rq, const char *content_type,
                                    int64_t content_length, struct api_response *rs);
/* Feeds data[0..len) (borrowed) of the body. Returns 0, or -1 once the import
 * has failed (the header row refused, the store failing, the size cap): the
 * rest of the body may then be dropped; api_import_finish answers why. */
int api_import_feed(struct api_import *im, const char *data, size_t len);
/* Ends the body, waits for the last rows to commit, fills rs with the report
 * (200) or the error, and frees im. */
void api_import_finish(struct api_import *im, struct api_response *rs);
/* Frees im after a broken connection; rows already committed stay (an import
 * run again gives the same contacts: it merges). NULL is a no-op. */
void api_import_abort(struct api_import *im);

/* --- shared with api_lists.c --------------------------------------------------- */

#define API_PAGE_DEFAULT 50

/* The contact as the API shows it (a new object); with lists (borrowed; may
 * be NULL) a "lists" member [{id, name}]. */
json_t *api_contact_json(const struct store_contact *c, const struct store_list_page *lists);
/* A page of contacts: {contacts:[…], next_cursor}. Takes nothing. */
json_t *api_contact_page_json(const struct store_contact_page *p);
/* Reads the query parameters of rq: each of names[0..n) into vals[i] (NULL if
 * absent); an unknown one (listing the known), a repeated one or too many
 * are a 400 in p. */
int api_query_read(const struct api_request *rq, const char *const *names, const char **vals,
                   size_t n, struct api_problem *p);
/* limit (may be NULL: API_PAGE_DEFAULT) as 1..STORE_LIST_MAX, else 422 in p. */
int api_limit_read(const char *v, size_t *limit, struct api_problem *p);
/* The {id} path parameter as a positive id; else false with rs filled (404
 * naming what: "contact", "list"). */
bool api_path_id(const struct api_request *rq, const char *what, int64_t *id,
                 struct api_response *rs);
/* Reads a number the way the API does (default region from the
 * configuration); 422 invalid_phone naming field in p. Fills e164 and type
 * (phone_type_name). */
int api_phone_read(const struct api_request *rq, const char *s, size_t len, const char *field,
                   char e164[STORE_PHONE_SIZE], const char **type, struct api_problem *p);
/* Answers a store failure: 404 for RL_ENOTFOUND, 409 code_exists for -EEXIST,
 * 422 for RL_EINVAL/RL_ETOOLONG/RL_ERANGE, 400 invalid_cursor, else 500 —
 * each naming err's field. what says what failed, for the log. */
void api_store_failed(struct api_response *rs, int rc, const struct rl_err *err,
                      const char *code_exists, const char *what);

#endif
