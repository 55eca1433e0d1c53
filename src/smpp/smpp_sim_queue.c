/* The simulator's event queues: a min-heap of pending receipts and replies on
 * (due, order), a ring of those due but not yet deliverable, and the table of
 * deliver_sm awaiting their resp. No allocation per event: arrays that grow. */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "smpp/smpp_sim_int.h"
#include "core/banned.h"

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->due < b->due || (a->due == b->due && a->order < b->order);
}

void sim_heap_push(struct ev_heap *h, const struct sim_event *ev)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t i = h->n++;
    while (i > 0 && ev_before(ev, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = *ev;
}

void sim_heap_pop(struct ev_heap *h, struct sim_event *out)
{
    *out = h->v[0];
    struct sim_event last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && ev_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!ev_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
}

static void ring_reserve(struct ev_ring *r)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        struct sim_event *v = xmalloc(cap * sizeof(*v));
        for (size_t i = 0; i < r->len; i++)
            v[i] = r->v[(r->head + i) & (r->cap - 1)];
        free(r->v);
        r->v = v;
        r->cap = cap;
        r->head = 0;
    }
}

void sim_ring_push(struct ev_ring *r, const struct sim_event *ev)
{
    ring_reserve(r);
    r->v[(r->head + r->len++) & (r->cap - 1)] = *ev;
}

void sim_ring_push_front(struct ev_ring *r, const struct sim_event *ev)
{
    ring_reserve(r);
    r->head = (r->head - 1) & (r->cap - 1);
    r->v[r->head] = *ev;
    r->len++;
}

struct sim_event *sim_ring_front(struct ev_ring *r)
{
    return &r->v[r->head];
}

void sim_ring_pop(struct ev_ring *r)
{
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
}

static void inflight_insert(struct inflight_tab *t, const struct inflight *e)
{
    size_t i = e->seq & (t->cap - 1);
    while (t->v[i].seq)
        i = (i + 1) & (t->cap - 1);
    t->v[i] = *e;
    t->n++;
}

void sim_inflight_put(struct inflight_tab *t, uint32_t seq, const struct sim_event *ev)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct inflight_tab old = *t;
        t->cap = old.cap ? old.cap * 2 : 16;
        t->v = xcalloc(t->cap, sizeof(*t->v));
        t->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.v[i].seq)
                inflight_insert(t, &old.v[i]);
        free(old.v);
    }
    struct inflight e = {.seq = seq, .sent = t->sent++, .ev = *ev};
    inflight_insert(t, &e);
}

/* Removes the deliver_sm that seq answers into out; false when none (a resp
 * the ESME made up, or repeated). */
bool sim_inflight_take(struct inflight_tab *t, uint32_t seq, struct sim_event *out)
{
    if (!t->cap || !seq)
        return false;
    size_t mask = t->cap - 1, i = seq & mask;
    for (; t->v[i].seq != seq; i = (i + 1) & mask)
        if (!t->v[i].seq)
            return false;
    *out = t->v[i].ev;
    t->n--;
    /* Backward-shift deletion: an entry whose home is not within (i, j] moves
     * into the hole, so that no probe chain is cut. */
    for (size_t j = (i + 1) & mask; t->v[j].seq; j = (j + 1) & mask) {
        size_t home = t->v[j].seq & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->v[i] = t->v[j];
            i = j;
        }
    }
    t->v[i].seq = 0;
    return true;
}

/* Send order, free slots last. */
static int by_sent(const void *a, const void *b)
{
    const struct inflight *x = a, *y = b;
    if (!x->seq || !y->seq)
        return (x->seq == 0) - (y->seq == 0);
    return x->sent < y->sent ? -1 : x->sent > y->sent;
}

size_t sim_inflight_requeue(struct inflight_tab *t, struct ev_ring *r)
{
    if (!t->n)
        return 0;
    qsort(t->v, t->cap, sizeof(*t->v), by_sent);
    for (size_t i = t->n; i-- > 0;)
        sim_ring_push_front(r, &t->v[i].ev);
    return t->n;
}
