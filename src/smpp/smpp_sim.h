#ifndef RL_SMPP_SIM_H
#define RL_SMPP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/err.h"

/* The built-in SMSC simulator: an SMPP 3.4 server on a libuv loop that plays
 * the operator for `make demo`, the tests and the benchmarks. It accepts
 * binds, answers submit_sm with fresh ids, sends delivery receipts with
 * realistic outcomes after a delay, has the destination "phones" reply from a
 * script, and can throttle and drop connections on purpose.
 *
 * Behaviour (what an ESME sees):
 * - bind_transmitter/_receiver/_transceiver: system_id must match
 *   (ESME_RINVSYSID), password too unless the configured one is empty
 *   (ESME_RINVPASWD); a second bind on a connection gets ESME_RALYBND. A
 *   failed bind leaves the connection open for another try.
 * - submit_sm before a bind, or on a receiver bind: ESME_RINVBNDSTS. An empty
 *   destination_addr: ESME_RINVDSTADR. Beyond `throttle` accepted submit_sm in
 *   the current second (one budget for the account, whatever the number of
 *   binds): ESME_RTHROTTLED. With SMPP_SIM_QUEUE_MAX receipts and replies
 *   waiting (an ESME submitting faster than its receipts are due or read):
 *   ESME_RMSGQFUL, so that no accepted message loses its receipt. Every
 *   `drop_every`-th submit_sm received by the simulator closes its connection
 *   unanswered (without unbind; what was answered before is flushed first).
 * - Each submit_sm is one message with its own id and receipt, also when it is
 *   one part of a long message (UDH or sar_* TLVs), as SMSCs do.
 * - Outcome: the destination is read with phone_parse (TON 1: international,
 *   '+' prefixed; TON 0/2: national for region FR; other TONs: invalid). Then:
 *     not a valid number     UNDELIV err:001  (MAP unknown subscriber)
 *     valid, not a mobile    UNDELIV err:011  (MAP teleservice not provisioned)
 *     else, with probability delivery_rate, DELIVRD err:000; otherwise
 *       half   UNDELIV err:001 (unknown subscriber) or err:032 (SM delivery
 *              failure: handset memory full), evenly
 *       30%    EXPIRED err:027  (MAP absent subscriber: phone off until the
 *              validity period ran out)
 *       20%    REJECTD err:013  (MAP call barred: operator barring or filter)
 *   Failures also carry network_error_code type 3 (GSM) with the same code.
 * - Receipts (registered_delivery bits 0-1: 1 or 3 always, 2 on failure only,
 *   0 never) are deliver_sm with esm_class 0x04, source = the phone, destination
 *   = the original source, after a delay drawn in [receipt_delay_min_ms,
 *   receipt_delay_max_ms]; delay 0 sends the receipt in the same write as the
 *   submit_sm_resp. Form: Appendix B text in short_message (submit/done dates
 *   YYMMDDhhmm in UTC, text: the first 20 characters when the message is
 *   ASCII-compatible), TLVs receipted_message_id + message_state
 *   (+ network_error_code), or both.
 * - Receipts and replies go to any receiver or transceiver bound to the
 *   account (round robin), at most `window` unacknowledged deliver_sm per
 *   connection. With no such bind (a transmitter alone), or every window full,
 *   they wait in a FIFO for the next receiver bind or deliver_sm_resp, as an
 *   SMSC stores receipts for an offline ESME; past SMPP_SIM_QUEUE_MAX waiting
 *   (with submits already refused, only replies can get there), new ones are
 *   dropped and counted (receipts_dropped).
 * - A deliver_sm still unacknowledged when its connection closes (dropped,
 *   unbound, or the peer gone) goes back to the head of that FIFO, in the order
 *   sent, and leaves again on the next receiver or transceiver bind (one
 *   already bound, or the next to come), as an SMSC redelivers what it had no
 *   deliver_sm_resp for: the same content (message id, text, dates; of a long
 *   reply, the missing parts alone, same UDH reference) under a new
 *   sequence_number (deliver_resent); as often as the connection drops, and
 *   past SMPP_SIM_QUEUE_MAX too (it was held already: nothing new).
 * - A deliver_sm_resp (or generic_nack) with a non-zero status, e.g.
 *   ESME_RX_T_APPN: the same deliver_sm goes again after SMPP_SIM_RETRY_MS,
 *   doubled each time (100, 200, 400 ms), at most SMPP_SIM_RETRY_MAX times
 *   (deliver_retried); refused once more, it is dropped and counted
 *   (deliver_errors). Every status is taken as temporary, ESME_RX_P_APPN too.
 *   A resp that matches no deliver_sm in flight on its connection is counted
 *   (deliver_acked) and otherwise ignored.
 * - Replies: with probability reply_rate, a message delivered (its first part
 *   for a long one) gets an answer from its phone one more delay later: a
 *   deliver_sm with esm_class 0, source = the phone, destination = the
 *   original source, text from the reply script, GSM-7 unpacked (dc 0) or
 *   UCS-2 (dc 8), as concatenated parts with UDH when long.
 * - enquire_link gets its resp in any state; unbind gets unbind_resp, then
 *   the connection closes. A PDU that does not decode gets what the codec
 *   names (generic_nack or the command's resp with its status); requests the
 *   simulator does not serve (query_sm, data_sm, replace_sm, cancel_sm,
 *   submit_multi) get generic_nack ESME_RINVCMDID.
 *
 * Reply script format (UTF-8 text, one reply rule a line):
 *
 *     # comment; blank lines are ignored
 *     order                  a line with only "order" or "random" picks how
 *                            the rules are used: in turn, or at random (default)
 *     OUI                    a fixed answer
 *     OUI|NON|STOP           one of the alternatives, at random
 *     1..5                   an integer between 1 and 5 included, at random
 *     Merci, très bien !     free text (long or non-GSM text is fine)
 *     [note] 1..10           only for messages whose text contains "note"
 *                            (ASCII case-insensitive; a long message is matched
 *                            on its first part)
 *
 * Alternatives may mix ranges and text ("1..5|STOP"); '|' cannot be part of
 * an answer. At most SMPP_SIM_SCRIPT_MAX rules, 32 alternatives each, 640
 * octets a rule. A message for which no rule applies gets no reply. Without a
 * script, the built-in one answers OUI, NON, STOP, a rating 1..5 or a short
 * sentence.
 *
 * Not thread-safe: everything runs on the loop given to smpp_sim_start. */

#define SMPP_SIM_WINDOW_DEFAULT 100        /* unacknowledged deliver_sm per connection */
#define SMPP_SIM_QUEUE_MAX      (1u << 19) /* receipts and replies waiting, in all */
#define SMPP_SIM_SCRIPT_MAX     1000       /* rules in a reply script */
#define SMPP_SIM_RETRY_MAX      3          /* resends of a deliver_sm answered with an error */
#define SMPP_SIM_RETRY_MS       100        /* wait before the first, doubled for each next */

enum smpp_sim_receipt_form { SMPP_SIM_RECEIPT_TEXT, SMPP_SIM_RECEIPT_TLV, SMPP_SIM_RECEIPT_BOTH };
enum smpp_sim_id_format { SMPP_SIM_ID_HEX, SMPP_SIM_ID_DEC };

struct smpp_sim_opts {
    const char *listen;    /* IPv4 or IPv6 literal; borrowed during smpp_sim_start */
    uint16_t port;         /* 0: an ephemeral port, read back with smpp_sim_port */
    const char *system_id; /* required */
    const char *password;  /* required; "" accepts any password */
    double delivery_rate;  /* 0..1: share of valid mobiles that get DELIVRD */
    uint32_t receipt_delay_min_ms, receipt_delay_max_ms;
    double reply_rate;        /* 0..1: share of delivered messages answered */
    const char *reply_script; /* script text (format above), NULL: built-in */
    size_t reply_script_len;
    uint32_t throttle;   /* accepted submit_sm a second, 0: no limit */
    uint32_t drop_every; /* 0: never */
    enum smpp_sim_receipt_form receipt_form;
    enum smpp_sim_id_format id_format;
    uint64_t seed;     /* for the random draws; 0: from the clock */
    uint64_t first_id; /* first message id; 0: from the clock, so that a restart
                        * does not hand out ids an ESME has already stored */
    uint32_t window;   /* 0: SMPP_SIM_WINDOW_DEFAULT */
    /* Skip phone_parse and treat every non-empty destination as a valid mobile:
     * libphonenumber costs ~15 us a number, which would make the simulator the
     * bottleneck of a benchmark over distinct numbers. Repeated numbers are
     * cached either way. */
    bool no_number_check;
};

/* Counters since start, for tests and benchmarks. */
struct smpp_sim_stats {
    uint64_t connections;      /* accepted */
    uint64_t binds;            /* successful */
    uint64_t bind_failures;    /* wrong system_id or password */
    uint64_t submits;          /* submit_sm received while bound */
    uint64_t accepted;         /* submit_sm answered with a message id */
    uint64_t throttled;        /* answered ESME_RTHROTTLED */
    uint64_t queue_full;       /* answered ESME_RMSGQFUL: SMPP_SIM_QUEUE_MAX waiting */
    uint64_t drops;            /* connections closed on purpose (drop_every) */
    uint64_t bad_pdus;         /* PDUs that did not decode */
    uint64_t receipts[9];      /* sent, by enum smpp_dlr_state (smpp_receipt.h) */
    uint64_t receipts_dropped; /* receipts and replies lost: queue full */
    uint64_t mo_sent;          /* replies sent (messages, not parts) */
    uint64_t deliver_acked;    /* deliver_sm_resp received, any status */
    uint64_t deliver_errors;   /* deliver_sm dropped: still an error after the retries */
    uint64_t deliver_retried;  /* deliver_sm to send again: resp with an error */
    uint64_t deliver_resent;   /* deliver_sm to send again: connection closed unanswered */
};

struct smpp_sim;

/* Fills o with the defaults: 127.0.0.1, port 2775, system_id and password
 * "relais", delivery_rate 0.97, delays 200..2000 ms, reply_rate 0.3, text and
 * TLV receipts, hex ids. */
void smpp_sim_opts_init(struct smpp_sim_opts *o);

/* Checks a reply script (format above) without starting anything. Returns 0,
 * or RL_EPARSE with err naming the line ("line 3: ..."). Borrows text. */
int smpp_sim_script_check(const char *text, size_t len, struct rl_err *err);

/* Validates o, parses the script, binds and listens on loop (borrowed; must
 * outlive the simulator). Borrows o: what is kept is copied. On success *out
 * is the new simulator (ends with smpp_sim_stop). Returns 0, RL_EINVAL /
 * RL_EPARSE with err naming the option or script line, or a negative libuv
 * code when the address cannot be bound (err says which). After a failure on
 * the address (RL_EINVAL on field "listen", or a libuv code), handles opened
 * are closing: run the loop once more before uv_loop_close. */
int smpp_sim_start(uv_loop_t *loop, const struct smpp_sim_opts *o, struct smpp_sim **out,
                   struct rl_err *err);

/* The port listened on (the ephemeral one when opts.port was 0). */
uint16_t smpp_sim_port(const struct smpp_sim *s);

/* Copies the counters into the caller's out. */
void smpp_sim_stats(const struct smpp_sim *s, struct smpp_sim_stats *out);

/* Called once everything is closed, just before s is freed: st (borrowed for
 * the call) holds the final counters. */
typedef void smpp_sim_stopped_fn(const struct smpp_sim_stats *st, void *ud);

/* Stops listening, closes every connection at once (unsent output is dropped:
 * a peer that stopped reading must not hold the stop), drops what is waiting
 * or unacknowledged, and frees s once its handles are closed, calling done
 * (may be NULL) first. Takes s: do not use it after this call. */
void smpp_sim_stop(struct smpp_sim *s, smpp_sim_stopped_fn *done, void *ud);

#endif
