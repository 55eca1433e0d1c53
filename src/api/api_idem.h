#ifndef RL_API_IDEM_H
#define RL_API_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Idempotency-Keys in flight: the (account, key) pairs of POST /v1/messages
 * requests that have begun and not finished. The store answers for keys
 * whose request committed (a replay gets the first answer); this answers for
 * the time before, when the store knows nothing yet: a second request with
 * the key gets 409 idempotency_in_flight instead of waiting behind the first
 * in the store's writer and learning the outcome only then.
 *
 * One process's memory, under one mutex: several relais nodes on one
 * database still meet at the store's primary key (account, key), where the
 * second insert fails and is answered as a replay or a 409. Entries live as
 * long as their request: at most one per connection. Thread-safe. */

#define API_IDEM_KEY_MAX 255 /* bytes of an Idempotency-Key */

struct api_idem;

/* Returns a new, empty registry (free with api_idem_free). */
struct api_idem *api_idem_new(void);
/* Frees r; NULL is a no-op. No request may hold a key then. */
void api_idem_free(struct api_idem *r);

/* Marks key (borrowed, 1..API_IDEM_KEY_MAX bytes, copied) of account_id in
 * flight. Returns true when it was not, false when another request holds it
 * (the caller answers 409 and must not call api_idem_end). */
bool api_idem_begin(struct api_idem *r, int64_t account_id, const char *key);
/* Ends what a successful api_idem_begin began (a key not held is ignored). */
void api_idem_end(struct api_idem *r, int64_t account_id, const char *key);
/* How many keys are in flight now (for tests and metrics). */
size_t api_idem_count(struct api_idem *r);

#endif
