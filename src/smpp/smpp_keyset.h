#ifndef RL_SMPP_KEYSET_H
#define RL_SMPP_KEYSET_H

/* A bounded set of message-id keys, oldest first out, with a small value and
 * a time per key. The session keeps two: the keys of finished parts (so that
 * a repeated receipt is recognised) and the receipts that came before their
 * submit_sm_resp. Both are asked about at every receipt and every
 * acceptance, tens of thousands of times a second, so lookups are hashed:
 * the linear scans they replace cost more than the rest of the receipt path
 * (measured on bench/pipeline, see docs/benchmarks.md). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smpp/smpp_pdu.h"

struct smpp_keyset_entry {
    char key[SMPP_MESSAGE_ID_SIZE]; /* "" in a slot whose key was removed */
    uint64_t at_ms;
    uint8_t value;
    int32_t next; /* hash chain: index of the next entry, -1 at the end */
};

struct smpp_keyset {
    struct smpp_keyset_entry *e; /* cap slots, a ring from head, oldest first */
    int32_t *bucket;             /* a chain's first entry, -1 when empty */
    size_t cap, mask, head, span, live;
};

/* Holds up to cap keys (at least 1); past that, adding forgets the oldest. */
void smpp_keyset_init(struct smpp_keyset *ks, size_t cap);
void smpp_keyset_release(struct smpp_keyset *ks);
/* Adds key (copied; cut at SMPP_MESSAGE_ID_SIZE - 1) with value and time. A
 * key already there gets the new value and time and keeps its place in the
 * order. Returns true when the oldest key had to be forgotten for room. */
bool smpp_keyset_add(struct smpp_keyset *ks, const char *key, uint8_t value, uint64_t at_ms);
/* key's entry, or NULL; borrowed until the next change. */
const struct smpp_keyset_entry *smpp_keyset_find(const struct smpp_keyset *ks, const char *key);
/* Forgets key; returns whether it was there. */
bool smpp_keyset_remove(struct smpp_keyset *ks, const char *key);
/* Forgets the keys added at or before cutoff_ms, oldest first, up to the first
 * newer one; returns how many. */
size_t smpp_keyset_expire(struct smpp_keyset *ks, uint64_t cutoff_ms);
/* How many keys it holds. */
size_t smpp_keyset_count(const struct smpp_keyset *ks);

#endif
