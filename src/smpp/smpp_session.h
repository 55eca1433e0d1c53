#ifndef RL_SMPP_SESSION_H
#define RL_SMPP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/hist.h"
#include "smpp/smpp_receipt.h"

/* The client connector (ESME side) of one route: binds to an SMSC over one
 * transceiver connection or a transmitter plus a receiver, and keeps it bound
 * (enquire_link, reconnect with backoff); splits each message into submit_sm
 * parts, sends them within the window and the throughput cap, retries what
 * the SMSC throttles or what a lost connection leaves unanswered; matches
 * receipts to parts and parts to messages; reassembles inbound messages. The
 * dispatcher drives it with smpp_session_submit and hears back through
 * struct smpp_session_cbs. Everything runs on the caller's libuv loop, in its
 * thread; nothing here blocks. */

struct cfg_route;
struct smpp_mo; /* smpp/smpp_reasm.h: one reassembled inbound message */

enum smpp_bind_mode { SMPP_BIND_TRANSCEIVER, SMPP_BIND_TRANSMITTER_RECEIVER };
enum smpp_long_mode { SMPP_LONG_UDH, SMPP_LONG_SAR, SMPP_LONG_PAYLOAD };
/* What happens to a part that got no submit_sm_resp within submit_timeout. */
enum smpp_timeout_policy {
    SMPP_TIMEOUT_RESUBMIT, /* back to the queue, counted as a resubmission */
    SMPP_TIMEOUT_UNKNOWN,  /* reported failed with SMPP_FAIL_UNKNOWN */
};

/* Everything a route needs. Caller-owned; the session copies it. */
struct smpp_route_opts {
    char name[33]; /* for logs */
    char host[254];
    uint16_t port;
    char system_id[16];
    char password[9]; /* never logged */
    char system_type[13];
    enum smpp_bind_mode bind;
    uint32_t window;     /* submit_sm awaiting their resp; at least 1 */
    uint32_t throughput; /* messages (parts) a second; 0: no cap */
    uint64_t enquire_link_interval_ms;
    uint64_t enquire_link_timeout_ms; /* also bounds connect and bind */
    uint64_t reconnect_min_ms, reconnect_max_ms;
    uint64_t submit_timeout_ms;
    enum smpp_timeout_policy on_submit_timeout;
    uint64_t throttle_min_ms, throttle_max_ms; /* pause after 0x58/0x14, doubling */
    bool registered_delivery;
    uint8_t data_coding_gsm; /* UCS-2 is always 8 */
    enum smpp_long_mode long_mode;
    unsigned concat_ref_bits; /* 8 or 16, UDH mode */
    size_t max_parts;
    uint8_t numeric_ton, numeric_npi; /* a numeric sender written without '+' */
    uint8_t dest_ton, dest_npi;       /* the destination, written without '+' */
    enum smpp_id_mode id_mode;
    size_t queue_max; /* parts waiting for the window; submit refuses past it */
    /* Messages tracked for their receipts. Past it, the oldest message whose
     * parts are all answered is forgotten without on_message_done (its later
     * receipts come unmatched, msg_ref 0); with none such, submit says -EAGAIN. */
    size_t track_max;
    uint64_t receipt_wait_ms; /* after which a part without a final receipt is unknown */
    /* Receipts seen before their submit_sm_resp (reported at once, msg_ref 0)
     * are remembered, at most held_max for held_ms, so that the part accepted
     * later is finished without waiting for another receipt. */
    size_t held_max;
    uint64_t held_ms;
    uint64_t mo_timeout_ms;   /* for the missing parts of an inbound message */
    uint64_t stop_timeout_ms; /* smpp_session_stop's wait for responses */
};

/* Fills o with the defaults: transceiver, window 10, no cap, enquire_link
 * 30 s / 10 s, reconnect 1 s..60 s, submit_timeout 30 s (resubmit),
 * throttling 1 s..30 s, receipts on, GSM data_coding 0, UDH with 8-bit
 * references, 10 parts, TON/NPI 1/1 for numbers, ids compared as written. */
void smpp_route_opts_default(struct smpp_route_opts *o);
/* The defaults overridden by the route's configuration (borrowed). */
void smpp_route_opts_from_cfg(struct smpp_route_opts *o, const struct cfg_route *r);

/* A message's outcome once every part has one. */
enum smpp_msg_result {
    SMPP_MSG_SUBMITTED,           /* every part accepted, no receipts asked for */
    SMPP_MSG_DELIVERED,           /* every part delivered */
    SMPP_MSG_PARTIALLY_DELIVERED, /* some parts delivered */
    SMPP_MSG_FAILED,              /* no part delivered (refused, undeliverable, rejected...) */
    SMPP_MSG_EXPIRED,             /* every part expired */
    SMPP_MSG_UNKNOWN,             /* no part known to be delivered or failed (timeouts) */
};
const char *smpp_msg_result_name(enum smpp_msg_result r);

/* Why a part failed, with the status kept. */
enum smpp_fail_kind {
    SMPP_FAIL_PERMANENT, /* the SMSC refused it with status; do not retry as is */
    SMPP_FAIL_UNKNOWN,   /* no submit_sm_resp in time (policy unknown): it may have gone */
    SMPP_FAIL_STOPPED,   /* the session stopped before the part was answered */
};

/* A change of the route's state, or a failed attempt. reason is a static
 * token: "bound", "connect_failed", "bind_refused", "bind_timeout",
 * "connection_lost", "enquire_link_timeout", "unbound_by_smsc", "stopped". */
struct smpp_session_event {
    bool up; /* every connection of the route is bound */
    const char *reason;
    uint32_t status; /* the SMSC's command_status for bind_refused, else 0 */
    int err;         /* a libuv or RL_E* code for connect_failed, connection_lost */
    /* The connection that failed: "transceiver", "transmitter" or "receiver"
     * (static); NULL for "bound" and "stopped", which are the route's. With a
     * transmitter and a receiver, each fails and reconnects on its own. */
    const char *link;
};

/* Callbacks, all on the loop's thread, ud first. Pointers are valid during the
 * call only. None may call smpp_session_free; they may call _submit and _stop. */
struct smpp_session_cbs {
    void (*on_state)(void *ud, const struct smpp_session_event *ev);
    /* attempts > 1: the part was sent more than once (a lost connection or a
     * timeout), so the SMSC may have it twice: record possible_duplicate. */
    void (*on_accepted)(void *ud, uint64_t msg_ref, unsigned part, const char *message_id,
                        unsigned attempts);
    void (*on_failed)(void *ud, uint64_t msg_ref, unsigned part, uint32_t status,
                      enum smpp_fail_kind kind);
    /* The first receipt of each state for a part; none after a final one. A
     * receipt matching no part known here (sent before a restart, forgotten
     * past track_max, or ahead of its own submit_sm_resp) comes at once with
     * msg_ref 0 and part 0: look its r->id up elsewhere, or keep it until
     * that id is known (on_accepted follows for one that came early). */
    void (*on_receipt)(void *ud, uint64_t msg_ref, unsigned part, unsigned nparts,
                       const struct smpp_receipt *r);
    /* Every part has an outcome; the session forgets the message after this. */
    void (*on_message_done)(void *ud, uint64_t msg_ref, enum smpp_msg_result result,
                            unsigned delivered, unsigned parts);
    /* An inbound message, reassembled. The deliver_sm_resp of its last part
     * is sent after this returns. */
    void (*on_inbound)(void *ud, const struct smpp_mo *mo);
    /* Optional. When set, the deliver_sm_resp of every receipt and inbound
     * message is held back to the end of the loop iteration and this is
     * called once: the caller starts making durable what the callbacks above
     * handed it, and returns 0 if all it was ever handed is (the resps, and
     * any still waiting, go at once) or a
     * ticket, a number that never decreases from one call to the next; the
     * resps then wait for smpp_session_acks_release with that ticket or a
     * later one. So the SMSC is never told "received" for something a crash
     * would lose, and the loop does not stop while the caller's disk syncs.
     * Without it each deliver_sm is answered as soon as its callback returns. */
    uint64_t (*on_ack_barrier)(void *ud);
    /* Optional. The SMSC answered a part with ESME_RTHROTTLED (0x58) or
     * ESME_RMSGQFUL (0x14): it goes back to the head of the queue and is sent
     * again after the pause; this only tells, for the message's history. */
    void (*on_throttled)(void *ud, uint64_t msg_ref, unsigned part, uint32_t status);
};

/* Per message options for smpp_session_submit (NULL: the route's). */
struct smpp_submit_opts {
    int registered_delivery;  /* -1: the route's; 0 or 1 */
    char validity_period[17]; /* SMPP time ("" none), e.g. "000001000000000R" */
};

/* Counters for metrics; a snapshot. */
struct smpp_session_stats {
    bool up;
    uint32_t window_used;
    size_t queued;      /* parts waiting */
    size_t tracked;     /* messages not done */
    size_t held;        /* receipts that came before their submit_sm_resp, kept */
    uint64_t submitted; /* submit_sm sent, resubmissions included */
    uint64_t accepted, failed, throttled, resubmitted, timeouts;
    uint64_t reconnects, receipts, receipts_unmatched, receipts_duplicate, inbound;
    uint64_t forgotten; /* messages dropped from tracking at track_max before their receipts */
    struct hist resp_latency;    /* submit_sm sent → its submit_sm_resp, any status */
    struct hist receipt_latency; /* the accepted submit_sm sent → its final receipt */
};

struct smpp_session;

/* Returns a new session on loop (borrowed, must outlive it) with a copy of
 * opts and cbs; ud is passed to the callbacks. Free with smpp_session_free. */
struct smpp_session *smpp_session_new(uv_loop_t *loop, const struct smpp_route_opts *opts,
                                      const struct smpp_session_cbs *cbs, void *ud);
/* Connects and binds, and keeps doing so until stopped. Returns 0 or RL_EINVAL
 * when already started. */
int smpp_session_start(struct smpp_session *s);

/* Splits text_utf8 (borrowed) per the route's long_mode and queues its parts;
 * from and to are borrowed: from checked as a sender ID, to as digits with an
 * optional '+'. msg_ref is the caller's non-zero id, reported back in the
 * callbacks. Returns the number of parts (>0), or RL_ESENDER, RL_EINVAL (to,
 * msg_ref 0), RL_EUTF8, RL_ETOOLONG (more than max_parts; err says how many),
 * -EAGAIN (the queue is full), -ESHUTDOWN (stopping). Nothing is queued on
 * failure. Callbacks come later, never from inside this call. */
int smpp_session_submit(struct smpp_session *s, uint64_t msg_ref, const char *from, const char *to,
                        const char *text_utf8, const struct smpp_submit_opts *o,
                        struct rl_err *err);

/* Stops gracefully: no new submit_sm, waits for the window's responses up to
 * stop_timeout_ms, unbinds, closes. Parts never answered are reported failed
 * (SMPP_FAIL_STOPPED), then on_state comes with reason "stopped". Idempotent. */
void smpp_session_stop(struct smpp_session *s);
/* Sends the deliver_sm_resp held under every ticket up to done (see
 * on_ack_barrier); those whose connection has gone since are dropped, and the
 * SMSC sends their deliver_sm again. */
void smpp_session_acks_release(struct smpp_session *s, uint64_t done);

/* Closes everything at once, without callbacks. The memory is released once
 * the loop has run the handles' close callbacks. NULL is a no-op. */
void smpp_session_free(struct smpp_session *s);

void smpp_session_get_stats(const struct smpp_session *s, struct smpp_session_stats *out);
bool smpp_session_is_up(const struct smpp_session *s);

#endif
