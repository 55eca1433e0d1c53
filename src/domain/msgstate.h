#ifndef RL_MSGSTATE_H
#define RL_MSGSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smpp/smpp_receipt.h"
#include "smpp/smpp_session.h"
#include "store/store.h"

/* The life of one message (DESIGN §3) as a pure state machine: the states,
 * their names as the store writes them (TEXT), which moves are allowed, and
 * how the connector's outcomes become a state and a reason token for the
 * message's history. No I/O: the dispatcher asks, the store records. */

/* The states themselves (enum msg_state, MSG_STATE_*, their TEXT names,
 * msg_state_name and msg_state_parse) are the store's, in store/store.h: the
 * schema's CHECK lists them, so they are declared once, beside it. */

/* Reason tokens the dispatcher writes into a message's history; stable
 * snake_case, as the API and reports show them. The connector's reasons come
 * from the msgstate_reason_* functions below. */
#define MSG_REASON_OPTED_OUT           "opted_out"           /* marketing to an opted-out number */
#define MSG_REASON_INSUFFICIENT_CREDIT "insufficient_credit" /* balance below the cost */
#define MSG_REASON_NO_ROUTE            "no_route"            /* no route serves the destination */
#define MSG_REASON_ROUTES_DOWN         "routes_down"         /* every route serving it is down */
#define MSG_REASON_VALIDITY            "validity_elapsed"    /* expired before it could go */
#define MSG_REASON_DUPLICATE           "possible_duplicate"  /* stale submitting, requeued */

/* True for the states a message may be created in: draft, scheduled, queued,
 * and rejected (refused at creation, kept so its history says why). */
bool msgstate_is_initial(enum msg_state s);

/* True when the dispatcher will never act on the message again: delivered,
 * partially_delivered, failed, expired, rejected, cancelled, unknown. Of
 * these, only unknown has moves out of it, and only a late receipt makes them
 * (see msgstate.c); counting it as final keeps reports and sweeps from
 * waiting on receipts that may never come. */
bool msgstate_is_final(enum msg_state s);

/* True when the table in msgstate.c allows from -> to. A state never moves to
 * itself: a repeated event (a duplicate receipt) is not a transition. */
bool msgstate_can_move(enum msg_state from, enum msg_state to);

/* --- the connector's outcomes ------------------------------------------- */

/* The state a message reaches when the connector reports every part
 * (on_message_done): submitted, delivered, partially_delivered, failed,
 * expired or unknown. */
enum msg_state msgstate_from_smpp_result(enum smpp_msg_result r);

/* Writes the history reason for a part the connector failed (on_failed):
 * "smsc_refused:ESME_RINVDSTADR" (a status without a name is written as
 * "smsc_refused:0x00000400"), "submit_timeout", "session_stopped". Whether it
 * is retried is retry.h's decision. Returns the length written, or
 * RL_ETOOLONG when n is too small (out then holds a truncated token). */
int msgstate_reason_smpp_fail(uint32_t status, enum smpp_fail_kind kind, char *out, size_t n);

/* Writes the history reason for a receipt (borrowed): the state's name, then
 * the text form's error and the network error when given:
 * "undeliverable:err=001", "rejected:err=012:net=3.34", "delivered". Same
 * returns as msgstate_reason_smpp_fail. */
int msgstate_reason_receipt(const struct smpp_receipt *r, char *out, size_t n);

#endif
