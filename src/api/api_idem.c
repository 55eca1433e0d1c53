/* Idempotency-Keys in flight: a fixed array of buckets, each a short list.
 * Entries are at most one per connection being served, so a chain holds a
 * handful at worst and a lookup costs a hash and a few compares. */
#include "api/api_idem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/banned.h"

#define BUCKETS 256

struct entry {
    int64_t account_id;
    uint64_t hash;
    struct entry *next;
    char key[]; /* NUL-terminated */
};

struct api_idem {
    pthread_mutex_t mu;
    struct entry *b[BUCKETS];
    size_t n;
};

/* FNV-1a over the account's bytes then the key's. */
static uint64_t hash_of(int64_t account_id, const char *key)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    uint64_t a = (uint64_t)account_id;
    for (int i = 0; i < 8; i++, a >>= 8)
        h = (h ^ (a & 0xff)) * 0x100000001b3ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

/* The link that points at (account_id, key), or at the chain's NULL end. */
static struct entry **find(struct api_idem *r, int64_t account_id, const char *key, uint64_t h)
{
    struct entry **e = &r->b[h % BUCKETS];
    while (*e &&
           !((*e)->hash == h && (*e)->account_id == account_id && strcmp((*e)->key, key) == 0))
        e = &(*e)->next;
    return e;
}

struct api_idem *api_idem_new(void)
{
    struct api_idem *r = xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void api_idem_free(struct api_idem *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < BUCKETS; i++) {
        for (struct entry *e = r->b[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

bool api_idem_begin(struct api_idem *r, int64_t account_id, const char *key)
{
    uint64_t h = hash_of(account_id, key);
    size_t len = strlen(key);
    /* Allocated before the lock: the critical section is a lookup and a link. */
    struct entry *add = xmalloc(sizeof(*add) + len + 1);
    add->account_id = account_id;
    add->hash = h;
    memcpy(add->key, key, len + 1);
    pthread_mutex_lock(&r->mu);
    struct entry **e = find(r, account_id, key, h);
    bool taken = *e != NULL;
    if (!taken) {
        add->next = NULL;
        *e = add;
        r->n++;
    }
    pthread_mutex_unlock(&r->mu);
    if (taken)
        free(add);
    return !taken;
}

void api_idem_end(struct api_idem *r, int64_t account_id, const char *key)
{
    uint64_t h = hash_of(account_id, key);
    struct entry *gone = NULL;
    pthread_mutex_lock(&r->mu);
    struct entry **e = find(r, account_id, key, h);
    if (*e) {
        gone = *e;
        *e = gone->next;
        r->n--;
    }
    pthread_mutex_unlock(&r->mu);
    free(gone);
}

size_t api_idem_count(struct api_idem *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}
