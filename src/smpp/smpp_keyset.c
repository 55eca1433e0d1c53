/* A FIFO of keys with a chained hash index over it: O(1) add, find and
 * remove, memory fixed at init. Written here rather than taken from a
 * library: the entries live in one ring allocated once (no allocation per
 * receipt) and the eviction order is the ring's, which a general hash table
 * (glib's, say) would need a second structure for. */
#include "smpp/smpp_keyset.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

static uint32_t hash(const char *k)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (uint8_t)*k) * 16777619u;
    return h;
}

void smpp_keyset_init(struct smpp_keyset *ks, size_t cap)
{
    memset(ks, 0, sizeof(*ks));
    ks->cap = cap ? cap : 1;
    size_t nb = 16;
    while (nb < 2 * ks->cap)
        nb *= 2;
    ks->mask = nb - 1;
    ks->e = xcalloc(ks->cap, sizeof(*ks->e));
    ks->bucket = xmalloc(nb * sizeof(*ks->bucket));
    for (size_t i = 0; i < nb; i++)
        ks->bucket[i] = -1;
}

void smpp_keyset_release(struct smpp_keyset *ks)
{
    free(ks->e);
    free(ks->bucket);
    memset(ks, 0, sizeof(*ks));
}

/* The link that points at the entry for key (the bucket or a next field). */
static int32_t *link_of(const struct smpp_keyset *ks, const char *key)
{
    int32_t *l = &ks->bucket[hash(key) & ks->mask];
    while (*l >= 0 && strcmp(ks->e[*l].key, key) != 0)
        l = &ks->e[*l].next;
    return l;
}

static void unchain(struct smpp_keyset *ks, size_t i)
{
    int32_t *l = link_of(ks, ks->e[i].key);
    *l = ks->e[i].next;
    ks->e[i].key[0] = '\0';
    ks->live--;
}

/* Drops the oldest slot of the ring, unchaining its key if it still has one. */
static void pop_oldest(struct smpp_keyset *ks)
{
    if (ks->e[ks->head].key[0])
        unchain(ks, ks->head);
    ks->head = (ks->head + 1) % ks->cap;
    ks->span--;
}

bool smpp_keyset_add(struct smpp_keyset *ks, const char *key, uint8_t value, uint64_t at_ms)
{
    char k[SMPP_MESSAGE_ID_SIZE];
    size_t len = strnlen(key, sizeof(k) - 1);
    memcpy(k, key, len);
    k[len] = '\0';
    int32_t *l = link_of(ks, k);
    if (*l >= 0) {
        ks->e[*l].value = value;
        ks->e[*l].at_ms = at_ms;
        return false;
    }
    bool evicted = false;
    if (ks->span == ks->cap) {
        evicted = ks->e[ks->head].key[0] != '\0';
        pop_oldest(ks);
        l = link_of(ks, k); /* the chain may have changed */
    }
    size_t i = (ks->head + ks->span) % ks->cap;
    struct smpp_keyset_entry *e = &ks->e[i];
    memcpy(e->key, k, len + 1);
    e->value = value;
    e->at_ms = at_ms;
    e->next = -1;
    *l = (int32_t)i;
    ks->span++;
    ks->live++;
    return evicted;
}

const struct smpp_keyset_entry *smpp_keyset_find(const struct smpp_keyset *ks, const char *key)
{
    int32_t i = *link_of(ks, key);
    return i >= 0 ? &ks->e[i] : NULL;
}

bool smpp_keyset_remove(struct smpp_keyset *ks, const char *key)
{
    int32_t *l = link_of(ks, key);
    if (*l < 0)
        return false;
    unchain(ks, (size_t)*l);
    return true;
}

size_t smpp_keyset_expire(struct smpp_keyset *ks, uint64_t cutoff_ms)
{
    size_t n = 0;
    while (ks->span) {
        const struct smpp_keyset_entry *e = &ks->e[ks->head];
        if (e->key[0] && e->at_ms > cutoff_ms)
            break;
        n += e->key[0] != '\0';
        pop_oldest(ks);
    }
    return n;
}

size_t smpp_keyset_count(const struct smpp_keyset *ks)
{
    return ks->live;
}
