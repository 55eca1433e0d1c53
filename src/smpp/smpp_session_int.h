#ifndef RL_SMPP_SESSION_INT_H
#define RL_SMPP_SESSION_INT_H

/* Private to smpp_session.c (links, sending, timers) and smpp_session_rx.c
 * (receipts, inbound messages). */

#include "smpp/smpp_conn.h"
#include "smpp/smpp_keyset.h"
#include "smpp/smpp_rate.h"
#include "smpp/smpp_session.h"

enum part_state { PART_QUEUED, PART_INFLIGHT, PART_ACCEPTED, PART_DONE };
enum part_outcome { OUT_NONE, OUT_SUBMITTED, OUT_DELIVERED, OUT_FAILED, OUT_EXPIRED, OUT_UNKNOWN };

struct msg;

/* One submit_sm. It sits in exactly one of the queue or the window list. */
struct part {
    struct msg *m;
    unsigned idx;
    enum part_state st;
    enum part_outcome out;
    struct part *prev, *next; /* queue or window, in order */
    struct part *seq_next;    /* window hash chain */
    struct part *id_next;     /* id hash chain, once accepted */
    uint32_t seq;
    uint64_t sent_ms;
    uint64_t sent_ns;  /* uv_hrtime() at the last send, for the latency histograms */
    unsigned attempts; /* sends left unanswered, plus one */
    uint8_t dlr;       /* last receipt state, SMPP_DLR_NONE before one */
    uint8_t len;
    uint8_t data[160]; /* short_message: UDH (udh mode) and user data */
    char key[SMPP_MESSAGE_ID_SIZE];
};

struct msg {
    uint64_t ref;
    struct msg *prev, *next;
    uint64_t created_ms;
    char from[SMPP_MESSAGE_ID_SIZE], to[SMPP_MESSAGE_ID_SIZE];
    uint8_t src_ton, src_npi, dst_ton, dst_npi;
    uint8_t dc, esm, registered;
    char validity[17];
    enum smpp_long_mode mode; /* as sent: a one-part text is plain in every mode */
    uint16_t sar_ref;
    uint8_t *payload; /* owned, payload mode */
    size_t payload_len;
    unsigned nparts, nfinal, nanswered;
    struct part parts[];
};

struct plist {
    struct part *head, *tail;
    size_t n;
};

enum link_state {
    LINK_IDLE,
    LINK_RESOLVING,
    LINK_CONNECTING,
    LINK_BINDING,
    LINK_BOUND,
    LINK_UNBINDING
};

/* One TCP connection: the transceiver, or the transmitter or the receiver. */
struct link {
    struct smpp_session *s;
    uint32_t bind_cmd;
    enum link_state st;
    uv_timer_t retry;
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    uv_tcp_t *tcp; /* while connecting */
    struct smpp_conn *conn;
    uint32_t gen; /* bumped for each new conn: a held ack goes to its own */
    uint32_t next_seq, bind_seq;
    uint64_t deadline_ms; /* connect, bind or unbind must be done by then */
    uint64_t last_rx_ms;
    bool enq_pending;
    uint64_t enq_sent_ms;
    struct smpp_backoff backoff;
    /* why the connection is being closed, for the event that follows */
    const char *why;
    uint32_t why_status;
};

/* A deliver_sm_resp held until the caller's on_ack_barrier has run. */
struct held_ack {
    uint32_t link, gen, seq, cmd;
    uint64_t ticket; /* the caller's, once the barrier ran; ACK_UNASKED before */
};
#define ACK_UNASKED UINT64_MAX

struct smpp_reasm;

struct smpp_session {
    uv_loop_t *loop;
    struct smpp_route_opts o;
    struct smpp_session_cbs cbs;
    void *ud;
    struct link links[2];
    unsigned nlinks;
    uv_timer_t tick, sendt;
    uv_idle_t ackt;        /* sends the held deliver_sm_resp (on_ack_barrier) */
    struct held_ack *acks; /* owned; nacks of acks_cap */
    size_t nacks, acks_cap;
    uint64_t tick_ms;
    int open; /* handles and requests whose callbacks are still due */
    bool started, stopping, stopped, freeing, up;
    uint64_t stop_deadline_ms;
    struct plist queue, window;
    struct part **seq_tab;
    size_t seq_mask;
    struct part **id_tab;
    size_t id_mask, id_count;
    struct msg *msgs_head, *msgs_tail;
    size_t nmsgs;
    bool tracking_full;        /* at track_max and forgetting, until below 90 % */
    struct smpp_keyset early;  /* receipts that overtook their resp: key -> dlr state */
    struct smpp_keyset recent; /* keys of finished parts: duplicates */
    struct smpp_rate rate;
    struct smpp_backoff throttle;
    uint64_t paused_until_ms;
    uint32_t rnd;
    uint16_t next_ref;
    struct smpp_reasm *reasm;
    uint8_t *scratch; /* SMPP_MAX_PDU_DEFAULT octets for trial encodings */
    struct smpp_session_stats st;
};

/* smpp_session.c */
uint64_t session_now(const struct smpp_session *s);
int link_send(struct link *l, struct smpp_pdu *p);
/* Every part of m has an outcome after part's: may free m. */
void session_part_final(struct smpp_session *s, struct part *p, enum part_outcome out);
struct part *session_id_find(struct smpp_session *s, const char *key);

/* smpp_session_tx.c */
void tx_init(struct smpp_session *s);
void tx_release(struct smpp_session *s);
/* Sends what the window, the throughput cap and a throttling pause allow. */
void tx_pump(struct smpp_session *s);
/* A submit_sm_resp or generic_nack for seq. */
void tx_on_resp(struct smpp_session *s, uint32_t seq, uint32_t status, const char *message_id);
/* The transmitting connection is gone: every part in the window back to the
 * head of the queue, in order. */
void tx_requeue_window(struct smpp_session *s);
/* Submit timeouts and receipts that never came. */
void tx_sweep(struct smpp_session *s, uint64_t now);
/* Stopped: every part not answered is reported failed. */
void tx_fail_unanswered(struct smpp_session *s);

/* smpp_session_rx.c */
void rx_init(struct smpp_session *s);
void rx_release(struct smpp_session *s);
/* A deliver_sm or data_sm on link l: receipt or inbound message; answers it. */
void rx_on_deliver(struct link *l, const struct smpp_pdu *p);
/* Part p was just accepted under p->key: finishes it if its receipt came
 * first (that receipt was reported then, with msg_ref 0). May free p. */
void rx_match_early(struct smpp_session *s, struct part *p);
/* A finished part's key, so that a late duplicate receipt is recognised. */
void rx_remember(struct smpp_session *s, const char *key);
/* Forgets early receipts past held_ms; expires inbound parts. */
void rx_sweep(struct smpp_session *s, uint64_t now);
/* The id key of a message_id, or the id as written when it is not a number. */
void rx_key(const struct smpp_session *s, const char *id, bool is_receipt,
            char out[SMPP_MESSAGE_ID_SIZE]);

#endif
