#ifndef RL_SMPP_SIM_INT_H
#define RL_SMPP_SIM_INT_H

/* Private to the simulator: smpp_sim.c (server, deliveries), smpp_sim_queue.c
 * (the pending-event heap, the due-event ring and the in-flight table) and
 * smpp_sim_script.c (the reply script: parser and picker). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "smpp/smpp_pdu.h"

#define SIM_ALTS_MAX 32   /* alternatives in one rule */
#define SIM_ESM_UDHI 0x40 /* esm_class: the user data starts with a UDH */

struct sim_script_alt {
    char *text; /* NULL for a range */
    int32_t lo, hi;
};

struct sim_script_rule {
    char *keyword; /* NULL: applies to every message */
    struct sim_script_alt alts[SIM_ALTS_MAX];
    size_t nalts;
};

struct sim_script {
    struct sim_script_rule *rules;
    size_t n;
    bool in_order;
    bool has_keywords; /* the picker needs the message's text */
    size_t cursor;     /* next rule to try, in order mode */
};

/* One reply drawn from the script: a rule, one of its alternatives and, for a
 * range, the number. Three small integers, so that a pending reply needs no
 * allocation; sim_script_text turns it back into text. */
struct sim_reply {
    uint16_t rule;
    uint8_t alt;
    int32_t num;
};

/* One receipt or reply to send: everything needed is copied in, so that no
 * allocation is made per message and the submit_sm's buffer can go. The same
 * copy, kept while its deliver_sm is unanswered, is what a resend uses. */
struct sim_event {
    uint64_t due;   /* loop time, ms */
    uint64_t order; /* ties on due keep submission order */
    uint64_t msg_id;
    int64_t submit_time;    /* Unix seconds */
    int64_t done_time;      /* Unix seconds; 0 until the first send, then fixed */
    struct sim_reply reply; /* EV_MO: what the phone answers */
    uint16_t err;
    uint8_t kind, state;
    /* 0 until sent; then the part this copy stands for (1 for a receipt), so
     * that a long reply missing one part gets that part alone again */
    uint8_t part;
    uint8_t ref;   /* EV_MO: concatenation reference, fixed at the first send */
    uint8_t tries; /* deliver_sm_resp with an error so far */
    uint8_t src_ton, src_npi, dst_ton, dst_npi; /* of the submit_sm */
    char src[21], dst[21], text[21];
};

/* A binary min-heap on (due, order): receipt delays are random, so the queue
 * is not FIFO; one timer serves it all. */
struct ev_heap {
    struct sim_event *v;
    size_t n, cap;
};

/* Events due but not yet sent (no receiver, or windows full), in order. */
struct ev_ring {
    struct sim_event *v;
    size_t head, len, cap; /* cap a power of two */
};

/* A deliver_sm awaiting its resp, kept to be sent again if it gets none. */
struct inflight {
    uint32_t seq;  /* 0: a free slot (sequence numbers start at 1) */
    uint64_t sent; /* send order on the connection */
    struct sim_event ev;
};

/* Open addressing on the sequence number, linear probing, at most half full:
 * resps come in any order, and consecutive numbers spread well over seq & mask.
 * Grows with what is in flight (at most the window, plus a reply's parts). */
struct inflight_tab {
    struct inflight *v;
    size_t n, cap; /* cap: 0 or a power of two */
    uint64_t sent;
};

/* The queues (smpp_sim_queue.c). Each grows as needed; none is bounded here:
 * smpp_sim.c caps the total at SMPP_SIM_QUEUE_MAX before pushing. */
/* Adds ev (copied) to the heap. */
void sim_heap_push(struct ev_heap *h, const struct sim_event *ev);
/* Removes the earliest event (the heap must not be empty) into out. */
void sim_heap_pop(struct ev_heap *h, struct sim_event *out);
/* Appends ev (copied), or puts it first (a resend keeps its place in line). */
void sim_ring_push(struct ev_ring *r, const struct sim_event *ev);
void sim_ring_push_front(struct ev_ring *r, const struct sim_event *ev);
/* The first event (borrowed; the ring must not be empty), and its removal. */
struct sim_event *sim_ring_front(struct ev_ring *r);
void sim_ring_pop(struct ev_ring *r);
/* Keeps a copy of ev under the deliver_sm's sequence number seq (> 0). */
void sim_inflight_put(struct inflight_tab *t, uint32_t seq, const struct sim_event *ev);
/* Takes back the event sent as seq into out; false when none is in flight. */
bool sim_inflight_take(struct inflight_tab *t, uint32_t seq, struct sim_event *out);
/* Puts every event still in t at the head of r, in the order they were sent;
 * returns how many. t keeps its entries (the caller frees the table). */
size_t sim_inflight_requeue(struct inflight_tab *t, struct ev_ring *r);

/* splitmix64: the simulator's one random stream (seeded, for repeatable runs). */
static inline uint64_t sim_rng_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Parses a script (format in smpp_sim.h) into sc; text NULL parses the built-in
 * one. Borrows text. Returns 0 (release sc with sim_script_release) or
 * RL_EPARSE with err naming the line; sc is then empty. */
int sim_script_parse(const char *text, size_t len, struct sim_script *sc, struct rl_err *err);

/* Frees what sc holds and leaves it empty. */
void sim_script_release(struct sim_script *sc);

/* Picks a rule that applies to the submit_sm p (keyword rules: to its text,
 * decoded; an unreadable coding gets only rules without a keyword) and draws
 * its answer from rng into out. Returns false when none applies. Borrows p;
 * advances sc's cursor in order mode. */
bool sim_script_pick(struct sim_script *sc, uint64_t *rng, const struct smpp_pdu *p,
                     struct sim_reply *out);

/* The text of a drawn reply: the alternative's own text (borrowed from sc), or
 * the number formatted into buf. */
const char *sim_script_text(const struct sim_script *sc, const struct sim_reply *r, char buf[16]);

/* The user data of a submit_sm: short_message, or message_payload (borrowed
 * from p). In smpp_sim.c. */
void sim_user_data(const struct smpp_pdu *p, const uint8_t **ud, size_t *len);

#endif
