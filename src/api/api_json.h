#ifndef RL_API_JSON_H
#define RL_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/router.h"
#include "core/clock.h"

/* Strict request reading for the API's handlers: one JSON object per body,
 * duplicate keys refused, every member known and of its declared type, and
 * errors that name the field, what was expected and what came. Also RFC 3339
 * times, the API's only time format on the wire. */

/* An error about to become a response (or, in a batch, one item's result). */
struct api_problem {
    unsigned status;
    char code[40];
    char field[64];
    char msg[400];
};

/* Fills p and returns -1, so that `return api_problem_set(...)` reads well.
 * field may be NULL. */
int api_problem_set(struct api_problem *p, unsigned status, const char *code, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Returns new {"code","message","field"?} (the inside of the error shape). */
json_t *api_problem_json(const struct api_problem *p);
/* Fills rs with the error shape for p. */
void api_problem_respond(struct api_response *rs, const struct api_problem *p);

/* Parses rq's body as one JSON object: duplicate keys and anything after the
 * value are refused. Returns a new reference, or NULL with p set: 400
 * invalid_json (naming line and column) or invalid_type (not an object). */
json_t *api_json_body(const struct api_request *rq, struct api_problem *p);

enum api_jtype { API_JSTRING, API_JINTEGER, API_JBOOLEAN, API_JOBJECT, API_JARRAY };

/* One member a request object may hold. */
struct api_jfield {
    const char *name;
    enum api_jtype type;
    bool required;
};

/* Checks obj (borrowed) against f[0..n): returns 0, or -1 with p set to 400
 * unknown_field (naming it and the known ones), invalid_type (naming the
 * expected and the given type) or missing_field. JSON null counts as absent
 * for optional members. */
int api_json_check(const json_t *obj, const struct api_jfield *f, size_t n, struct api_problem *p);
/* "string", "integer", "number", "boolean", "object", "array", "null". */
const char *api_json_type_name(const json_t *v);
/* obj's member name if present and not null, else NULL (borrowed). */
json_t *api_json_get(const json_t *obj, const char *name);

#define API_TIME_SIZE CLOCK_UTC_SIZE /* "2026-11-21T23:40:00.123Z" and its NUL, with room */

/* Parses an RFC 3339 date-time (borrowed): "2026-11-21T23:40:00Z",
 * "2026-11-21T23:40:00.5+01:00"; fractions beyond the millisecond are cut.
 * Returns 0 with *ms since the epoch, or RL_EPARSE. */
int api_time_parse(const char *s, int64_t *ms);
/* Writes ms as "2026-11-21T23:40:00.123Z" (UTC, milliseconds). */
void api_time_format(int64_t ms, char out[API_TIME_SIZE]);
/* The wall clock in milliseconds since the epoch. */
int64_t api_now_ms(void);

#endif
