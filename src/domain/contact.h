#ifndef RL_CONTACT_H
#define RL_CONTACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

/* What a contact may hold, checked the same way whether it comes from the API
 * or from an import: pure functions, no I/O. Every refusal names the field and
 * quotes the value (cut to 40 bytes). */

#define CONTACT_FIELD_KEY_MAX 64 /* bytes of a custom field's name */
#define CONTACT_FIELDS_MAX    64 /* custom fields per contact */

/* An e-mail address as people type them: 3..254 bytes, one '@' with 1..64
 * bytes before it, a domain of dot-separated labels (at least two, none empty,
 * none starting or ending with '-'), no space, control character, quote or
 * bracket. Not RFC 5322's full grammar (quoted local parts, IP literals): an
 * address that needs it is not one a campaign tool should send to. Borrows s.
 * Returns 0 or RL_EINVAL on field "email". */
int contact_email_check(const char *s, size_t len, struct rl_err *err);

/* A language tag in the shape of BCP 47 (RFC 5646): 2 or 3 letters, then
 * subtags of 1..8 letters or digits after '-' or '_', at most
 * STORE_CONTACT_LANG_MAX bytes in all. Writes it to out in the registry's case
 * (language lower, 4-letter script Title, 2-letter region upper, other
 * subtags lower) with '-': "FR_fr" → "fr-FR". Returns 0 or RL_EINVAL on field
 * "language". */
int contact_language_norm(const char *s, size_t len, char out[STORE_CONTACT_LANG_MAX + 1],
                          struct rl_err *err);

/* A first or last name: 1..STORE_CONTACT_NAME_MAX bytes of UTF-8 without
 * control characters. field names it in the error (RL_EINVAL or RL_ETOOLONG). */
int contact_name_check(const char *s, size_t len, const char *field, struct rl_err *err);

/* Custom fields as a JSON object (borrowed): at most CONTACT_FIELDS_MAX
 * members, names of 1..CONTACT_FIELD_KEY_MAX bytes, values strings, numbers or
 * booleans (templates print them), or null when allow_null (a merge patch
 * deleting the member). Returns a new compact JSON text (free()), or NULL with
 * err on field "fields" (RL_EINVAL, or RL_ETOOLONG over
 * STORE_CONTACT_FIELDS_MAX bytes). */
char *contact_fields_json(const json_t *obj, bool allow_null, struct rl_err *err);

#endif
