#ifndef RL_CAMPAIGN_H
#define RL_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"
#include "domain/billing.h"
#include "domain/rules.h"
#include "store/store.h"

/* Campaigns of kind broadcast: one text (or #field# template) to an audience
 * of lists and typed numbers, expanded at launch into one message per
 * recipient.
 *
 * The audience is a stream. Lists are read a page at a time in contact-id
 * order (store_list_members_page), typed numbers after them; a number is kept
 * once (a hash set of its E.164 digits as uint64: 16 MB for a million), and
 * left out, counted by reason, when it is in an exclude list (exclude_list),
 * not a valid number (invalid), not a mobile (non_mobile), seen already
 * (duplicate), opted out of marketing or of the campaign's category
 * (opted_out), not opted in when the campaign requires it (no_consent), when
 * its contact lacks a field the template needs without a fallback
 * (missing_field), or when its text needs more than text.max_parts parts
 * (too_long). Consent is asked a page at a time (store_consent_status_batch).
 *
 * Each recipient's text is the template rendered with its contact (first
 * name, last name, phone, email, language, custom fields) and #optout_link#,
 * the recipient's own opt-out page (http.public_url + /u/ + a signed token:
 * consent.h), then for marketing the opt-out mention for the recipient's
 * country ("STOP au 36180": the account's own, PATCH /v1/account, else
 * [campaigns] optout_mention) after a space unless the text already ends with
 * it, then smart encoding if asked; encoding, segments and cost are those of
 * that final text.
 *
 * The schedule: every message gets its scheduled_for from one walk at the
 * campaign's rate (a slot every 1/rate s from max(now, send_at)) through the
 * times its rules allow (rules_next_allowed: the country's marketing profile,
 * the campaign's window, in the recipient's zone or the campaign's). A message
 * whose slot is not allowed moves to the next allowed minute and the walk goes
 * on from there, so a backlog after a quiet period leaves at the rate, not in
 * a burst, and the summary's first and last send times are the ones the
 * dispatcher will keep. One walk for the whole campaign keeps the rate for the
 * whole campaign; the price is that in a campaign mixing countries, a
 * recipient whose country is in its quiet hours holds back those after it
 * until its time comes (the pace never goes over the rate, and a one-country
 * campaign — the usual case — loses nothing). Every message a rule's jump put
 * later carries that rule in its history ("deferred:quiet_hours"), not only
 * the first: without the rule it would have gone before. One whose slot only
 * the rate set says "campaign".
 *
 * Validity. A campaign's message is valid dispatch.validity from its slot
 * (its validity_until, written with it), and a lawful deferral never eats it:
 * when the dispatcher's gate or a resume moves the message, its validity
 * starts again from the new time. A message of POST /v1/messages keeps the
 * validity_until the API gave it: deferred past that, it expires (reason
 * deferred_past_validity).
 *
 * The summary runs the same pass without writing. The launch runs it once to
 * check what would block (no recipient, no opt-out mention for a recipient's
 * country, not enough credit) before anything is written, then again writing
 * the messages STORE_INSERT_BATCH_MAX at a time: memory stays flat whatever
 * the audience's size. A launch interrupted (a crash, the balance spent in
 * between) is resumed by launching again: the numbers already written are
 * loaded into the set and skipped. */

#define CAMPAIGN_LISTS_MAX    32    /* lists, and exclude lists, of one audience */
#define CAMPAIGN_NUMBERS_MAX  10000 /* typed numbers of one audience */
#define CAMPAIGN_TEST_MAX     10    /* numbers of one test send */
#define CAMPAIGN_RATE_MAX     100000.0
#define CAMPAIGN_MENTION_MAX  64    /* bytes of one opt-out mention */
#define CAMPAIGN_MENTIONS_MAX 64    /* countries in optout_mention */
#define CAMPAIGN_STALE_MS     60000 /* a launch silent this long was interrupted */

/* --- configuration: [campaigns] and [rules] -------------------------------------- */

struct campaign_mention {
    char country[3]; /* ISO 3166 alpha-2, or "*" for every other country */
    char text[CAMPAIGN_MENTION_MAX + 1];
};

#define CAMPAIGN_URL_MAX 254 /* http.public_url, NUL included */

/* Caller-owned; campaign_config_init fills it, campaign_config_release frees it. */
struct campaign_config {
    struct rules_config rules;         /* [rules]: the marketing profiles */
    struct campaign_mention *mentions; /* owned; n entries, in the order written */
    size_t nmentions;
    double default_rate;               /* [campaigns] default_rate; 0: no cap */
    char public_url[CAMPAIGN_URL_MAX]; /* http.public_url without a trailing '/' */
};

/* Parses "FR=STOP au 36180 | BE=STOP 3011 | *=Reply STOP" (borrowed; "" is
 * none) into cc's mentions, replacing them: entries separated by '|', a
 * country (two upper-case letters, or '*') then '=' then 1..64 bytes of UTF-8
 * without control characters or '|'; a country twice is refused. Returns 0,
 * or RL_ECONFIG on field "campaigns.optout_mention" naming the entry; cc is
 * unchanged on failure. */
int campaign_mentions_parse(struct campaign_config *cc, const char *text, struct rl_err *err);
/* Fills cc from c's [campaigns] and [rules] keys (borrowed). Returns 0 or
 * RL_ECONFIG naming the key; cc then needs no release. */
int campaign_config_init(struct campaign_config *cc, const struct cfg *c, struct rl_err *err);
/* Frees what cc owns; NULL is a no-op. */
void campaign_config_release(struct campaign_config *cc);
/* The mention for country (borrowed; NULL or "" for a number without one):
 * its own entry, else '*', else NULL. Borrowed from cc. */
const char *campaign_mention_for(const struct campaign_config *cc, const char *country);

/* An account's own mentions (PATCH /v1/account), which replace the
 * configuration's for the countries they cover. Caller-owned;
 * campaign_account_mentions_release frees it. */
struct campaign_account_mentions {
    struct campaign_mention *m; /* owned */
    size_t n;
};

/* Reads the JSON object text json (borrowed; NULL or "" is none) of country
 * (two upper-case letters, or "*") to mention (1..CAMPAIGN_MENTION_MAX bytes
 * of UTF-8 without control characters), at most CAMPAIGN_MENTIONS_MAX
 * entries, into *out. Returns 0, or RL_EINVAL with err on field
 * "optout_mention" or "optout_mention.CC" saying what is wrong (*out empty). */
int campaign_account_mentions_parse(struct campaign_account_mentions *out, const char *json,
                                    struct rl_err *err);
void campaign_account_mentions_release(struct campaign_account_mentions *am);
/* The mention a marketing text to country gets: the account's entry for it,
 * else the account's '*', else the configuration's (campaign_mention_for).
 * am may be NULL. Borrowed from am or cc; NULL when none. */
const char *campaign_mention_pick(const struct campaign_config *cc,
                                  const struct campaign_account_mentions *am, const char *country);

/* Whether a campaign's window w can ever let a message go under rc: a
 * marketing campaign's must meet the default marketing window or one
 * country's profile on some day (holidays aside). Returns 0, or RL_EINVAL on
 * field "window" naming the window and the hours it never meets. A
 * transactional campaign's window always can. */
int campaign_window_check(const struct rules_config *rc, bool marketing,
                          const struct rules_window *w, struct rl_err *err);

/* --- timing: where the lawful-timing rules put a message ----------------------------- */

/* What one message is held to: a marketing message to its country's profile,
 * any message to its campaign's window. Pointers borrowed. */
struct campaign_timing {
    bool marketing;
    const struct rules_window *window; /* NULL: none */
    const char *timezone;              /* NULL: the recipient's country's zones */
};

/* True when t restricts anything (marketing, or a window). */
bool campaign_timing_restricts(const struct campaign_timing *t);

/* A cache in front of rules_next_allowed: ICU zones per country or zone name,
 * the country of a number by its first digits (libphonenumber once per
 * prefix, not per number), and the last minute each class was found allowed
 * in, so that a million messages cost a few thousand rule evaluations. Heap
 * object; one thread at a time (it holds ICU calendars). */
struct campaign_clock;

/* Returns a new clock over rc (borrowed: must outlive it); free with
 * campaign_clock_free. */
struct campaign_clock *campaign_clock_new(const struct rules_config *rc);
void campaign_clock_free(struct campaign_clock *c);
/* The ISO 3166 region of e164 (borrowed) into out ("" when it has none). */
void campaign_clock_region(struct campaign_clock *c, const char *e164, char out[4]);
/* The first instant at or after at_ms when t allows a message to e164
 * (borrowed): *next_ms, and *reason the rule that moved it (static) or NULL.
 * A number whose country has no zone is read in UTC (logged once). Returns 0,
 * RL_EINVAL on field "window" when the campaign's window never meets the
 * country's marketing hours (err names both), or rules_next_allowed's other
 * errors. */
int campaign_clock_next(struct campaign_clock *c, const struct campaign_timing *t, const char *e164,
                        int64_t at_ms, int64_t *next_ms, const char **reason, struct rl_err *err);

/* The walk: slots 1/rate apart through what the rules allow. Caller-owned,
 * plain data. */
struct campaign_pacer {
    int64_t cursor_us;    /* the next free slot */
    int64_t step_us;      /* 1e6 / rate; 0: no cap (every slot at the cursor) */
    const char *moved_by; /* the rule that last moved the walk (static); NULL: none yet */
};

/* Starts a walk at start_ms with rate messages a second (<= 0: no cap). */
void campaign_pacer_init(struct campaign_pacer *p, int64_t start_ms, double rate);
/* The next message's slot (ms) into *slot: the cursor, or the first allowed
 * minute after it when t does not allow the cursor for e164; the cursor moves
 * one step past the slot. *reason names the rule that last moved the walk
 * (at this message, or at one before it whose jump this slot follows), or
 * NULL while no rule has moved it. */
int campaign_pacer_next(struct campaign_pacer *p, struct campaign_clock *c,
                        const struct campaign_timing *t, const char *e164, int64_t *slot,
                        const char **reason, struct rl_err *err);

/* --- a campaign's definition, as the work below reads it ------------------------------ */

/* Read from a stored campaign (campaign_spec_init); strings borrowed from it. */
struct campaign_spec {
    int64_t id, account_id;
    bool marketing;                          /* category is not "transactional" */
    char scope[STORE_CONSENT_SCOPE_MAX + 1]; /* a category's consent scope; "" none */
    bool require_optin;
    const char *sender; /* "" : the route's default */
    const char *text, *template_text;
    int64_t *lists, *exclude; /* owned */
    size_t nlists, nexclude;
    char (*numbers)[64]; /* owned: as typed */
    size_t nnumbers;
    int64_t send_at;
    bool has_window;
    struct rules_window window;
    const char *timezone; /* NULL: the recipient's */
    double rate;          /* 0: no cap */
    bool smart_encoding;
};

/* Fills sp from row (borrowed: must outlive sp). Returns 0 or RL_EINVAL naming
 * the column a stored value fails in (the API checks them before). */
int campaign_spec_init(struct campaign_spec *sp, const struct store_campaign *row,
                       struct rl_err *err);
void campaign_spec_release(struct campaign_spec *sp);

/* --- what the work needs ------------------------------------------------------------ */

/* Borrowed pointers, all outliving the calls. */
struct campaign_env {
    struct store *store;
    const struct campaign_config *cfg;
    const struct billing_table *billing;
    const char *region;  /* phone.default_region, for typed numbers; "" none */
    size_t max_parts;    /* text.max_parts */
    unsigned ref_bits;   /* text.concat_ref */
    int64_t validity_ms; /* dispatch.validity, from each message's slot; 0: none */
};

#define CAMPAIGN_EXCLUSION_MAP(XX)                                                                 \
    XX(OPTED_OUT, "opted_out")                                                                     \
    XX(INVALID, "invalid")                                                                         \
    XX(NON_MOBILE, "non_mobile")                                                                   \
    XX(DUPLICATE, "duplicate")                                                                     \
    XX(NO_CONSENT, "no_consent")                                                                   \
    XX(EXCLUDE_LIST, "exclude_list")                                                               \
    XX(MISSING_FIELD, "missing_field")                                                             \
    XX(TOO_LONG, "too_long")

enum campaign_exclusion {
#define XX(c, name) CAMPAIGN_EX_##c,
    CAMPAIGN_EXCLUSION_MAP(XX)
#undef XX
        CAMPAIGN_EX_COUNT
};

const char *campaign_exclusion_name(enum campaign_exclusion e);

/* What a pass found. */
struct campaign_figures {
    int64_t recipients; /* messages (to be) written */
    int64_t excluded[CAMPAIGN_EX_COUNT];
    int64_t by_encoding[2]; /* MSG_ENCODING_GSM7, MSG_ENCODING_UCS2 */
    int64_t segments;
    int64_t cost;
    int64_t first_at, last_at;  /* expected send times; 0 when no recipient */
    int64_t no_mention;         /* marketing recipients whose country has no mention */
    char no_mention_country[4]; /* the first such country ("" when none, "?" unknown) */
    int64_t written;            /* a resumed launch: messages written before */
};

/* The figures as a JSON object's text (free()): what GET /v1/campaigns/{id}
 * shows and what the launch stores. */
char *campaign_figures_json(const struct campaign_figures *f);
/* Reads campaign_figures_json's text (borrowed) back into *f. Returns 0 or
 * RL_EINVAL (not that form: *f is zeroed). */
int campaign_figures_parse(const char *text, struct campaign_figures *f);

/* The summary: the same pass as the launch, writing nothing, as if launched
 * at now (ms). Returns 0, RL_EINVAL "window" (a window that never meets a
 * recipient's marketing hours), or a store error. */
int campaign_summarize(const struct campaign_env *env, const struct campaign_spec *sp, int64_t now,
                       struct campaign_figures *out, struct rl_err *err);

/* What stops a launch, from a summary's figures and the balance: RL_EINVAL on
 * field "audience" (no recipient) or "campaigns.optout_mention" (naming the
 * country; the account's own mentions counted), RL_ERANGE on "balance"
 * (naming cost and balance). 0: none. */
int campaign_blocker(const struct campaign_env *env, const struct campaign_spec *sp,
                     const struct campaign_figures *f, int64_t balance, struct rl_err *err);

/* Launches campaign id of account_id at now: checks (campaign_blocker), then
 * writes its messages; fills *out with what was written. Returns 0, or
 * RL_ENOTFOUND, RL_EINVAL "state" (not a draft), -EBUSY (a launch in
 * progress), campaign_blocker's errors (nothing written), or a store error
 * (the launch stops; launching again resumes it). */
int campaign_launch(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    struct campaign_figures *out, struct rl_err *err);

/* Sends sp's text now to numbers[0..n) (n ≤ CAMPAIGN_TEST_MAX; borrowed,
 * as typed), rendered for each number's contact if it has one, with the
 * mention a marketing message gets. Test messages are transactional (the
 * team's own phones: no quiet hours, no opt-out check), outside the campaign's
 * figures, metadata {"campaign_test": id}, billed like any message. ids[i]
 * gets each message's id. RL_EPHONE "numbers[i]", RL_EFIELD "template", the
 * mention's and the balance's errors as for a launch; nothing is sent then. */
int campaign_test_send(const struct campaign_env *env, const struct campaign_spec *sp,
                       const char *const *numbers, size_t n, int64_t *ids, struct rl_err *err);

/* Pauses a scheduled or sending campaign: its waiting messages go to draft
 * (not claimed), in chunks; *parked (may be NULL) gets how many. */
int campaign_pause(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t *parked,
                   struct rl_err *err);
/* Resumes a paused campaign at now: its draft messages get new slots, walked
 * at the campaign's rate from now through what the rules allow. Also finishes
 * a resume that was interrupted (state sending with drafts left). */
int campaign_resume(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    int64_t *resumed, struct rl_err *err);
/* Cancels a campaign not yet finished, at now: every message not yet handed
 * to the dispatcher is cancelled and refunded (all of them while sending has
 * not started: nothing is billed). *cancelled and *refunded (may be NULL) say
 * how many and how much. Cancelling a cancelled campaign finishes a cancel
 * that was interrupted. RL_EINVAL "state" when done, -EBUSY while a launch
 * is writing. */
int campaign_cancel(const struct campaign_env *env, int64_t account_id, int64_t id, int64_t now,
                    int64_t *cancelled, int64_t *refunded, struct rl_err *err);

/* --- the dispatcher's gate: the send-time timing check ----------------------------------- */

/* What the gate decides for one claimed message. */
enum campaign_gate_verdict {
    CAMPAIGN_GATE_SEND,   /* allowed now */
    CAMPAIGN_GATE_HELD,   /* deferred, parked or cancelled by campaign_gate_commit */
    CAMPAIGN_GATE_EXPIRE, /* never allowed, or allowed only past the API's validity_until */
    CAMPAIGN_GATE_REFUSE, /* opted out of its campaign's category, or not opted in */
};

/* Why the gate expires a message: the API's validity_until is before the
 * rules' next allowed time, or its rules allow no minute within a year. */
#define CAMPAIGN_REASON_PAST_VALIDITY "deferred_past_validity"
#define CAMPAIGN_REASON_NEVER_ALLOWED "never_allowed"
/* Why it refuses one: not opted in to the category the campaign requires. */
#define CAMPAIGN_REASON_NO_CONSENT "no_consent"

/* Per claim batch: the campaign of each message, the rules, and the holds to
 * write. Heap object, used by one thread at a time (the dispatcher's claims
 * run one at a time). */
struct campaign_gate;

/* Returns 0 and a new gate for batches of up to batch_max messages, with c's
 * [rules] (borrowed for the call), or RL_ECONFIG naming the key. */
int campaign_gate_new(const struct cfg *c, size_t batch_max, struct campaign_gate **out,
                      struct rl_err *err);
void campaign_gate_free(struct campaign_gate *g);
/* Starts a batch: msgs[0..n) (borrowed until the next begin), one read for
 * their campaigns. On a store failure (logged) no message's campaign is
 * known: its marketing ones are deferred a few seconds (their category's
 * consent cannot be checked), the others checked as if no campaign's. */
void campaign_gate_begin(struct campaign_gate *g, struct store *s, const struct store_message *msgs,
                         size_t n);
/* The verdict on message i at now, valid until valid_until (ms): a message of
 * a paused campaign is parked, of a cancelled one cancelled; a campaign's
 * message with a category is refused when its number opted out of that
 * category, or is not opted in when the campaign requires it (one consent
 * read per campaign per batch; when the store cannot tell, it is deferred a
 * few seconds, never sent on a guess); one outside its allowed time is
 * deferred to the next allowed minute ("deferred:<rule>"). A campaign's
 * message (or one without a validity_until) is deferred whatever its
 * validity, which starts again at the new time; any other expires when that
 * time is past valid_until. */
enum campaign_gate_verdict campaign_gate_check(struct campaign_gate *g, size_t i, int64_t now,
                                               int64_t valid_until);
/* For an EXPIRE verdict on message i: the event's reason (static) and detail
 * (the gate's, valid until the next begin). false for any other verdict. */
bool campaign_gate_expiry(const struct campaign_gate *g, size_t i, const char **reason,
                          const char **detail);
/* The reason of a REFUSE verdict on message i: "opted_out" or "no_consent"
 * (static); "opted_out" for a message the gate did not refuse (what the
 * dispatcher's own marketing check refuses). */
const char *campaign_gate_refusal(const struct campaign_gate *g, size_t i);
/* Writes the batch's holds (store_campaign_hold); returns 0 or the store's
 * error, after which campaign_gate_fallback says what to do with each. */
int campaign_gate_commit(struct campaign_gate *g, struct rl_err *err);
/* For a HELD message i after a failed commit: when to try it again (*at) and
 * why (static). Returns false when the commit succeeded (nothing to do). */
bool campaign_gate_fallback(const struct campaign_gate *g, size_t i, int64_t *at,
                            const char **reason);

#endif
