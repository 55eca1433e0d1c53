/* The message state machine: one table of allowed moves, each edge with the
 * event that makes it, so that a store update the table refuses is a bug
 * caught where it happens rather than a history that cannot be explained. */
#include "domain/msgstate.h"

#include <stdio.h>
#include <string.h>

#include "smpp/smpp_pdu.h"
#include "core/banned.h"

#define BIT(s) (1u << MSG_STATE_##s)

_Static_assert(MSG_STATE_COUNT <= 16, "moves[] holds one bit per state in 16 bits");

/* moves[from] = the states from may move to. */
static const unsigned short moves[MSG_STATE_COUNT] = {
    /* draft: launched with a date, launched now, or abandoned by its author. */
    [MSG_STATE_DRAFT] = BIT(SCHEDULED) | BIT(QUEUED) | BIT(CANCELLED),
    /* scheduled: its time came (queued), or came and the dispatcher claimed
     * it in the same step, as store_claim_due does (submitting); its
     * campaign was cancelled before it started, at no cost; or it fell due
     * and its validity ran out before any claim (a dispatcher down for days). */
    [MSG_STATE_SCHEDULED] = BIT(SUBMITTING) | BIT(CANCELLED) | BIT(EXPIRED) | BIT(QUEUED),
    /* queued: claimed by the dispatcher (the row says submitting before any
     * byte leaves); refused by send-time checks made before the claim
     * (opted_out, insufficient_credit, no_route); cancelled before the
     * dispatcher took it; or its validity elapsed while it waited (deferred
     * by quiet hours, a long backlog). */
    [MSG_STATE_QUEUED] = BIT(SUBMITTING) | BIT(REJECTED) | BIT(CANCELLED) | BIT(EXPIRED),
    /* submitting: a first part accepted (submitted); a temporary failure, or
     * every route down, with time left (retrying) or without (expired); a
     * permanent refusal (failed); refused by the send-time checks, which run
     * after the claim has marked it submitting and before any byte leaves
     * (rejected: opted_out, insufficient_credit, no_route); no
     * submit_sm_resp under the route's on_submit_timeout = unknown (unknown);
     * or found stale at start-up, when nothing says whether it went, and
     * requeued (possible_duplicate: SMPP has no idempotent submit). */
    [MSG_STATE_SUBMITTING] = BIT(SUBMITTED) | BIT(RETRYING) | BIT(EXPIRED) | BIT(FAILED) |
                             BIT(REJECTED) | BIT(UNKNOWN) | BIT(QUEUED),
    /* retrying: due again and claimed; refused by the send-time checks, which
     * run at every attempt (an opt-out or an empty balance since the last);
     * cancelled (nothing is in flight); or its validity elapsed. */
    [MSG_STATE_RETRYING] = BIT(SUBMITTING) | BIT(REJECTED) | BIT(CANCELLED) | BIT(EXPIRED),
    /* submitted: the final receipts (every part, some parts, none delivered;
     * expired at the SMSC), or no final receipt within the route's wait. Once
     * the SMSC has it, it retries, not us: no way back to retrying. */
    [MSG_STATE_SUBMITTED] =
        BIT(DELIVERED) | BIT(PARTIALLY_DELIVERED) | BIT(FAILED) | BIT(EXPIRED) | BIT(UNKNOWN),
    /* unknown: a late receipt, matched by its message id after the connector
     * stopped waiting, still tells the truth. */
    [MSG_STATE_UNKNOWN] = BIT(DELIVERED) | BIT(PARTIALLY_DELIVERED) | BIT(FAILED) | BIT(EXPIRED),
    /* delivered, partially_delivered, failed, expired, rejected, cancelled:
     * nothing more happens. A resend is a new message with its own history. */
};

bool msgstate_is_initial(enum msg_state s)
{
    return s == MSG_STATE_DRAFT || s == MSG_STATE_SCHEDULED || s == MSG_STATE_QUEUED ||
           s == MSG_STATE_REJECTED;
}

bool msgstate_is_final(enum msg_state s)
{
    switch (s) {
    case MSG_STATE_DELIVERED:
    case MSG_STATE_PARTIALLY_DELIVERED:
    case MSG_STATE_FAILED:
    case MSG_STATE_EXPIRED:
    case MSG_STATE_REJECTED:
    case MSG_STATE_CANCELLED:
    case MSG_STATE_UNKNOWN:
        return true;
    default:
        return false;
    }
}

bool msgstate_can_move(enum msg_state from, enum msg_state to)
{
    if ((unsigned)from >= MSG_STATE_COUNT || (unsigned)to >= MSG_STATE_COUNT)
        return false;
    return (moves[from] & (1u << to)) != 0;
}

enum msg_state msgstate_from_smpp_result(enum smpp_msg_result r)
{
    switch (r) {
    case SMPP_MSG_SUBMITTED:
        return MSG_STATE_SUBMITTED;
    case SMPP_MSG_DELIVERED:
        return MSG_STATE_DELIVERED;
    case SMPP_MSG_PARTIALLY_DELIVERED:
        return MSG_STATE_PARTIALLY_DELIVERED;
    case SMPP_MSG_FAILED:
        return MSG_STATE_FAILED;
    case SMPP_MSG_EXPIRED:
        return MSG_STATE_EXPIRED;
    case SMPP_MSG_UNKNOWN:
        break;
    }
    return MSG_STATE_UNKNOWN;
}

/* snprintf's result as this header's contract: the length, or RL_ETOOLONG. */
static int written(int rc, size_t n)
{
    if (rc < 0)
        return RL_EINVAL;
    return (size_t)rc < n ? rc : RL_ETOOLONG;
}

int msgstate_reason_smpp_fail(uint32_t status, enum smpp_fail_kind kind, char *out, size_t n)
{
    const char *name = smpp_status_name(status);
    switch (kind) {
    case SMPP_FAIL_UNKNOWN:
        return written(snprintf(out, n, "submit_timeout"), n);
    case SMPP_FAIL_STOPPED:
        return written(snprintf(out, n, "session_stopped"), n);
    case SMPP_FAIL_PERMANENT:
        break;
    }
    /* smpp_status_name says "unknown" for a vendor code: the number tells more. */
    if (strcmp(name, "unknown") == 0)
        return written(snprintf(out, n, "smsc_refused:0x%08X", (unsigned)status), n);
    return written(snprintf(out, n, "smsc_refused:%s", name), n);
}

int msgstate_reason_receipt(const struct smpp_receipt *r, char *out, size_t n)
{
    char err[16] = "", net[24] = "";
    if (r->err >= 0)
        snprintf(err, sizeof(err), ":err=%03d", r->err);
    if (r->has_network_error)
        snprintf(net, sizeof(net), ":net=%u.%u", (unsigned)r->network_error_type,
                 (unsigned)r->network_error);
    return written(snprintf(out, n, "%s%s%s", smpp_dlr_state_name(r->state), err, net), n);
}
