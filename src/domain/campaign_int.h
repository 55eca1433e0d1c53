#ifndef RL_CAMPAIGN_INT_H
#define RL_CAMPAIGN_INT_H

/* The campaign module's private parts, shared by campaign.c (configuration,
 * definition, launch and the other commands) and campaign_audience.c (the
 * stream of recipients and their texts). */

#include "core/buf.h"
#include "domain/campaign.h"
#include "domain/consent.h"

/* --- a set of numbers: E.164 digits as uint64, with flags ---------------------------- */

#define NUMSET_SEEN     (1ULL << 60) /* met in the audience */
#define NUMSET_EXCLUDED (1ULL << 61) /* in an exclude list */
#define NUMSET_WRITTEN  (1ULL << 62) /* a resumed launch wrote its message already */
#define NUMSET_FLAGS    (0xFULL << 60)

/* Open addressing, at most half full; 0 is an empty slot (no E.164 number
 * is 0). Caller-owned. */
struct numset {
    uint64_t *slot;
    size_t cap, n;
};

void numset_init(struct numset *s);
void numset_release(struct numset *s);
/* The digits of e164 (borrowed, "+33612345678") as a key; 0 when it is not
 * '+' and 1 to 15 digits. */
uint64_t numset_key(const char *e164);
/* The flags of key (0 when absent). */
uint64_t numset_flags(const struct numset *s, uint64_t key);
/* Sizes s for n keys at once (the audience's size is known from its lists'
 * counts): no rehash on the way, whose old and new tables would both be
 * resident at the peak. */
void numset_reserve(struct numset *s, size_t n);
/* ORs flags into key's, adding it if absent. */
void numset_set(struct numset *s, uint64_t key, uint64_t flags);

/* --- one recipient's text ---------------------------------------------------------------- */

/* What composing a text says. */
enum compose_status {
    COMPOSE_OK,
    COMPOSE_MISSING_FIELD, /* the template needs a field the contact does not have */
    COMPOSE_TOO_LONG,      /* more than text.max_parts parts */
    COMPOSE_NO_MENTION,    /* marketing to a country without an opt-out mention */
};

struct composed {
    const char *text; /* borrowed from the composer until the next call */
    size_t len;
    enum msg_encoding encoding;
    int segments;
    int64_t cost;
    char field[48]; /* COMPOSE_MISSING_FIELD: which */
    char region[4]; /* the recipient's country ("" none) */
};

/* The template field that renders the recipient's opt-out page. */
#define COMPOSE_OPTOUT_LINK "optout_link"
#define COMPOSE_FIELDS_MAX  64 /* distinct fields of a template (the API's limit) */

/* Caller-owned; composer_init, composer_load, composer_release. */
struct composer {
    const struct campaign_env *env;
    const struct campaign_spec *sp;
    struct campaign_clock *clock;                 /* borrowed: the region of a number */
    struct campaign_account_mentions mentions;    /* the account's own (composer_load) */
    bool link;                                    /* the template has #optout_link# */
    unsigned char key[STORE_CONSENT_SECRET_SIZE]; /* the link key, when link */
    struct buf text, rendered;
    /* A plain text's final form per country: the same for every recipient of
     * that country, so composed once. */
    char cached_region[4];
    bool cached;
    int cached_status;
    struct composed cache;
    char *cache_text;
};

void composer_init(struct composer *cp, const struct campaign_env *env,
                   const struct campaign_spec *sp, struct campaign_clock *clock);
void composer_release(struct composer *cp);
/* Reads what the texts need from the store: the account's own opt-out
 * mentions and, when the template has #optout_link#, the link key. Returns 0,
 * a store error, or RL_EINVAL "optout_mention" for stored mentions that no
 * longer read. */
int composer_load(struct composer *cp, struct rl_err *err);
/* Composes the text to phone (E.164, borrowed) with contact's fields (NULL:
 * only the number is known). Returns the status with *out filled (text and
 * figures for COMPOSE_OK and COMPOSE_NO_MENTION, field for
 * COMPOSE_MISSING_FIELD), or a negative RL_E* for a failure of the text
 * itself (RL_EUTF8). */
int composer_run(struct composer *cp, const char *phone, const struct store_contact *contact,
                 struct composed *out);

/* --- a pass over the audience --------------------------------------------------------------- */

/* One pass: the summary's (write false) or the launch's (write true). */
struct campaign_run {
    const struct campaign_env *env;
    const struct campaign_spec *sp;
    int64_t now;
    bool write;
    struct campaign_figures fig;
    int64_t written_cost; /* a resumed launch: the cost of the messages already written */
    struct numset set;
    struct campaign_clock *clock;
    struct campaign_pacer pacer;
    struct campaign_timing timing;
    struct composer cp;
    /* the batch being filled (write) */
    int64_t lease;
    struct store_msg_new *batch;
    size_t *to_off, *text_off, *reason_off; /* into arena; reason SIZE_MAX: "campaign" */
    size_t nbatch;
    struct buf arena;
    struct rl_err *err;
};

/* Sets r up for sp (borrowed) at now; start_ms is where the pace starts. */
void campaign_run_init(struct campaign_run *r, const struct campaign_env *env,
                       const struct campaign_spec *sp, int64_t now, int64_t start_ms, bool write,
                       struct rl_err *err);
void campaign_run_release(struct campaign_run *r);
/* A resumed launch: marks the numbers campaign id already has messages to. */
int campaign_run_load_written(struct campaign_run *r, int64_t id);
/* Runs the whole audience through r: figures in r->fig, and with write the
 * messages written (the last batch flushed). Returns 0 or the first error. */
int campaign_run_pass(struct campaign_run *r);

#endif
