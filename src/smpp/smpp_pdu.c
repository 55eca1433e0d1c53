#include "smpp/smpp_pdu.h"

#include <stddef.h>
#include <string.h>

#include "core/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- tables ---------------------------------------------------------------- */

/* The mandatory-field layouts; SMPP_CMD rows in smpp_pdu.def name one each. */
enum body {
    BODY_NONE,
    BODY_BIND,
    BODY_BIND_RESP,
    BODY_OUTBIND,
    BODY_SM,
    BODY_MSGID,
    BODY_DATA_SM,
    BODY_QUERY,
    BODY_QUERY_RESP,
    BODY_UNSUPPORTED,
};

enum field_kind {
    F_U8,   /* one-octet integer */
    F_CSTR, /* C-Octet String of at most max octets with its NUL */
    F_TIME, /* C-Octet String, empty or exactly 16 characters (spec 7.1) */
    F_SM,   /* sm_length, then that many octets of short_message */
};

struct field {
    const char *name;
    uint8_t kind;
    uint8_t max;
    uint16_t off;    /* in struct smpp_pdu */
    uint32_t status; /* what a fault in this field is answered with */
};

/* clang-format off */
#define OFF(m) ((uint16_t)offsetof(struct smpp_pdu, m))
#define U8(m) {#m, F_U8, 1, OFF(m), SMPP_ESME_RSYSERR}
#define CSTR(m, max, st) {#m, F_CSTR, max, OFF(m), st}
#define TIME(m, st) {#m, F_TIME, 17, OFF(m), st}
#define SM {"short_message", F_SM, SMPP_SM_MAX, OFF(sm_length), SMPP_ESME_RINVMSGLEN}
#define END {NULL, 0, 0, 0, 0}
/* clang-format on */

/* Section 4 of the spec, one table per layout, fields in wire order. */
static const struct field f_none[] = {END};
static const struct field f_bind[] = {CSTR(system_id, 16, SMPP_ESME_RINVSYSID),
                                      CSTR(password, 9, SMPP_ESME_RINVPASWD),
                                      CSTR(system_type, 13, SMPP_ESME_RINVSYSTYP),
                                      U8(interface_version),
                                      U8(addr_ton),
                                      U8(addr_npi),
                                      CSTR(address_range, 41, SMPP_ESME_RSYSERR),
                                      END};
static const struct field f_bind_resp[] = {CSTR(system_id, 16, SMPP_ESME_RINVSYSID), END};
static const struct field f_outbind[] = {CSTR(system_id, 16, SMPP_ESME_RINVSYSID),
                                         CSTR(password, 9, SMPP_ESME_RINVPASWD), END};
static const struct field f_sm[] = {CSTR(service_type, 6, SMPP_ESME_RINVSERTYP),
                                    U8(source_addr_ton),
                                    U8(source_addr_npi),
                                    CSTR(source_addr, 21, SMPP_ESME_RINVSRCADR),
                                    U8(dest_addr_ton),
                                    U8(dest_addr_npi),
                                    CSTR(destination_addr, 21, SMPP_ESME_RINVDSTADR),
                                    U8(esm_class),
                                    U8(protocol_id),
                                    U8(priority_flag),
                                    TIME(schedule_delivery_time, SMPP_ESME_RINVSCHED),
                                    TIME(validity_period, SMPP_ESME_RINVEXPIRY),
                                    U8(registered_delivery),
                                    U8(replace_if_present_flag),
                                    U8(data_coding),
                                    U8(sm_default_msg_id),
                                    SM,
                                    END};
/* deliver_sm_resp's message_id is "unused, set to NULL" (size 1): read with
 * data_sm_resp's size so that a peer that fills it in is not refused. */
static const struct field f_msgid[] = {CSTR(message_id, 65, SMPP_ESME_RINVMSGID), END};
static const struct field f_data_sm[] = {CSTR(service_type, 6, SMPP_ESME_RINVSERTYP),
                                         U8(source_addr_ton),
                                         U8(source_addr_npi),
                                         CSTR(source_addr, 65, SMPP_ESME_RINVSRCADR),
                                         U8(dest_addr_ton),
                                         U8(dest_addr_npi),
                                         CSTR(destination_addr, 65, SMPP_ESME_RINVDSTADR),
                                         U8(esm_class),
                                         U8(registered_delivery),
                                         U8(data_coding),
                                         END};
static const struct field f_query[] = {CSTR(message_id, 65, SMPP_ESME_RINVMSGID),
                                       U8(source_addr_ton), U8(source_addr_npi),
                                       CSTR(source_addr, 21, SMPP_ESME_RINVSRCADR), END};
static const struct field f_query_resp[] = {CSTR(message_id, 65, SMPP_ESME_RINVMSGID),
                                            TIME(final_date, SMPP_ESME_RSYSERR), U8(message_state),
                                            U8(error_code), END};

static const struct field *const layouts[] = {
    [BODY_NONE] = f_none,       [BODY_BIND] = f_bind,   [BODY_BIND_RESP] = f_bind_resp,
    [BODY_OUTBIND] = f_outbind, [BODY_SM] = f_sm,       [BODY_MSGID] = f_msgid,
    [BODY_DATA_SM] = f_data_sm, [BODY_QUERY] = f_query, [BODY_QUERY_RESP] = f_query_resp,
    [BODY_UNSUPPORTED] = NULL,
};

struct command {
    uint32_t id;
    const char *name;
    enum body body;
};

static const struct command commands[] = {
#define SMPP_CMD(NAME, name, id, body) {id, #name, BODY_##body},
#include "smpp/smpp_pdu.def"
};

struct status {
    uint32_t value;
    const char *name;
    const char *text;
};

static const struct status statuses[] = {
#define SMPP_STATUS(NAME, value, text) {value, #NAME, text},
#include "smpp/smpp_pdu.def"
};

struct tlv_def {
    uint16_t tag;
    uint16_t min_len;
    uint16_t max_len;
    const char *name;
};

static const struct tlv_def tlv_defs[] = {
#define SMPP_TLV(NAME, name, tag, min_len, max_len) {tag, min_len, max_len, #name},
#include "smpp/smpp_pdu.def"
};

static const struct command *command_find(uint32_t id)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (commands[i].id == id)
            return &commands[i];
    return NULL;
}

static const struct field *layout_of(uint32_t id)
{
    const struct command *c = command_find(id);
    return c ? layouts[c->body] : NULL;
}

static const struct tlv_def *tlv_def_find(uint16_t tag)
{
    for (size_t i = 0; i < ARRAY_SIZE(tlv_defs); i++)
        if (tlv_defs[i].tag == tag)
            return &tlv_defs[i];
    return NULL;
}

static bool tlv_len_ok(uint16_t tag, size_t len)
{
    const struct tlv_def *d = tlv_def_find(tag);
    return !d || (len >= d->min_len && len <= d->max_len);
}

static bool is_resp(uint32_t id)
{
    return (id & SMPP_RESP_BIT) != 0;
}

/* --- names ----------------------------------------------------------------- */

const char *smpp_command_name(uint32_t command_id)
{
    const struct command *c = command_find(command_id);
    return c ? c->name : "unknown";
}

static const struct status *status_find(uint32_t value)
{
    for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
        if (statuses[i].value == value)
            return &statuses[i];
    return NULL;
}

const char *smpp_status_name(uint32_t status)
{
    const struct status *s = status_find(status);
    return s ? s->name : "unknown";
}

const char *smpp_status_text(uint32_t status)
{
    const struct status *s = status_find(status);
    if (s)
        return s->text;
    if (status >= 0x100 && status <= 0x3FF)
        return "reserved for SMPP extension";
    if (status >= 0x400 && status <= 0x4FF)
        return "SMSC vendor-specific error";
    return "reserved";
}

const char *smpp_tlv_name(uint16_t tag)
{
    const struct tlv_def *d = tlv_def_find(tag);
    return d ? d->name : "unknown";
}

const char *smpp_decode_kind_name(enum smpp_decode_kind kind)
{
    switch (kind) {
    case SMPP_DECODE_OK:
        return "ok";
    case SMPP_DECODE_TRUNCATED:
        return "truncated";
    case SMPP_DECODE_BAD_LENGTH:
        return "bad_length";
    case SMPP_DECODE_TOO_LONG:
        return "too_long";
    case SMPP_DECODE_UNKNOWN_COMMAND:
        return "unknown_command";
    case SMPP_DECODE_CSTRING_UNTERMINATED:
        return "cstring_unterminated";
    case SMPP_DECODE_FIELD_RANGE:
        return "field_range";
    case SMPP_DECODE_TLV_OVERRUN:
        return "tlv_overrun";
    case SMPP_DECODE_TLV_LENGTH:
        return "tlv_length";
    case SMPP_DECODE_TLV_TOO_MANY:
        return "tlv_too_many";
    }
    return "unknown";
}

/* --- decoding -------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct reader {
    const uint8_t *buf;
    size_t pos, end;
    struct smpp_decode_err *err;
};

static int fail(struct reader *r, enum smpp_decode_kind kind, const char *field, size_t offset,
                uint32_t status)
{
    *r->err = (struct smpp_decode_err){
        .kind = kind, .field = field, .offset = offset, .field_status = status};
    return RL_ESMPP;
}

static int tlv_fail(struct reader *r, enum smpp_decode_kind kind, uint16_t tag, size_t offset)
{
    const struct tlv_def *d = tlv_def_find(tag);
    fail(r, kind, d ? d->name : "tlv", offset, 0);
    r->err->tag = tag;
    return RL_ESMPP;
}

static int read_cstr(struct reader *r, const struct field *f, char *dst)
{
    size_t avail = r->end - r->pos;
    size_t lim = avail < f->max ? avail : f->max;
    const uint8_t *s = r->buf + r->pos;
    const uint8_t *nul = memchr(s, 0, lim);
    if (!nul) {
        /* The body ending first means command_length is short, not the string long. */
        if (avail < f->max)
            return fail(r, SMPP_DECODE_TRUNCATED, f->name, r->pos, 0);
        return fail(r, SMPP_DECODE_CSTRING_UNTERMINATED, f->name, r->pos, f->status);
    }
    size_t n = (size_t)(nul - s);
    if (f->kind == F_TIME && n != 0 && n != 16)
        return fail(r, SMPP_DECODE_FIELD_RANGE, f->name, r->pos, f->status);
    memcpy(dst, s, n + 1);
    r->pos += n + 1;
    return 0;
}

static int read_sm(struct reader *r, const struct field *f, struct smpp_pdu *out)
{
    if (r->pos >= r->end)
        return fail(r, SMPP_DECODE_TRUNCATED, "sm_length", r->pos, 0);
    uint8_t n = r->buf[r->pos];
    if (n > SMPP_SM_MAX)
        return fail(r, SMPP_DECODE_FIELD_RANGE, "sm_length", r->pos, f->status);
    if (n > r->end - r->pos - 1)
        return fail(r, SMPP_DECODE_FIELD_RANGE, "sm_length", r->pos, f->status);
    out->sm_length = n;
    memcpy(out->short_message, r->buf + r->pos + 1, n);
    r->pos += 1 + (size_t)n;
    return 0;
}

static int read_fields(struct reader *r, const struct field *fields, struct smpp_pdu *out)
{
    for (const struct field *f = fields; f->name; f++) {
        uint8_t *dst = (uint8_t *)out + f->off;
        int rc = 0;
        switch (f->kind) {
        case F_U8:
            if (r->pos >= r->end)
                return fail(r, SMPP_DECODE_TRUNCATED, f->name, r->pos, 0);
            *dst = r->buf[r->pos++];
            break;
        case F_CSTR:
        case F_TIME:
            rc = read_cstr(r, f, (char *)dst);
            break;
        case F_SM:
            rc = read_sm(r, f, out);
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int read_tlvs(struct reader *r, struct smpp_pdu *out)
{
    while (r->pos < r->end) {
        size_t at = r->pos, left = r->end - r->pos;
        if (left < 4)
            return tlv_fail(r, SMPP_DECODE_TLV_OVERRUN, left >= 2 ? get16(r->buf + at) : 0, at);
        uint16_t tag = get16(r->buf + at), len = get16(r->buf + at + 2);
        if (len > left - 4)
            return tlv_fail(r, SMPP_DECODE_TLV_OVERRUN, tag, at);
        if (!tlv_len_ok(tag, len))
            return tlv_fail(r, SMPP_DECODE_TLV_LENGTH, tag, at);
        if (out->ntlv == SMPP_TLV_MAX)
            return tlv_fail(r, SMPP_DECODE_TLV_TOO_MANY, tag, at);
        out->tlv[out->ntlv++] = (struct smpp_tlv){.tag = tag, .len = len, .val = r->buf + at + 4};
        r->pos += 4 + (size_t)len;
    }
    return 0;
}

/* Checks the header's length against what the caller framed and allows. */
static int check_length(struct reader *r, size_t len, size_t max_len, uint32_t command_length)
{
    if (command_length < SMPP_HEADER_LEN)
        return fail(r, SMPP_DECODE_BAD_LENGTH, "command_length", 0, 0);
    if (command_length > max_len)
        return fail(r, SMPP_DECODE_TOO_LONG, "command_length", 0, 0);
    if (len < command_length)
        return fail(r, SMPP_DECODE_TRUNCATED, "command_length", 0, 0);
    if (len > command_length)
        return fail(r, SMPP_DECODE_BAD_LENGTH, "command_length", 0, 0);
    return 0;
}

int smpp_pdu_decode(const uint8_t *buf, size_t len, size_t max_len, struct smpp_pdu *out,
                    struct smpp_decode_err *err)
{
    struct smpp_decode_err dummy;
    struct reader r = {.buf = buf, .pos = SMPP_HEADER_LEN, .end = len, .err = err ? err : &dummy};
    *r.err = (struct smpp_decode_err){.kind = SMPP_DECODE_OK};
    memset(out, 0, sizeof(*out));
    if (max_len == 0)
        max_len = SMPP_MAX_PDU_DEFAULT;
    if (len < SMPP_HEADER_LEN)
        return fail(&r, SMPP_DECODE_TRUNCATED, "header", 0, 0);
    out->command_length = get32(buf);
    out->command_id = get32(buf + 4);
    out->command_status = get32(buf + 8);
    out->sequence_number = get32(buf + 12);
    int rc = check_length(&r, len, max_len, out->command_length);
    if (rc)
        return rc;
    const struct field *fields = layout_of(out->command_id);
    if (!fields)
        return fail(&r, SMPP_DECODE_UNKNOWN_COMMAND, "command_id", 4, 0);
    if (is_resp(out->command_id) && fields->name && len == SMPP_HEADER_LEN) {
        out->no_body = true;
        return 0;
    }
    rc = read_fields(&r, fields, out);
    if (rc == 0)
        rc = read_tlvs(&r, out);
    return rc;
}

int smpp_pdu_frame(const uint8_t *buf, size_t avail, size_t max_len, size_t *pdu_len)
{
    if (max_len == 0)
        max_len = SMPP_MAX_PDU_DEFAULT;
    if (avail < 4) {
        *pdu_len = SMPP_HEADER_LEN;
        return SMPP_FRAME_MORE;
    }
    uint32_t n = get32(buf);
    if (n < SMPP_HEADER_LEN || n > max_len) {
        *pdu_len = 0;
        return RL_ESMPP;
    }
    *pdu_len = n;
    return avail >= n ? SMPP_FRAME_READY : SMPP_FRAME_MORE;
}

uint32_t smpp_decode_err_status(const struct smpp_decode_err *e)
{
    switch (e->kind) {
    case SMPP_DECODE_OK:
        return SMPP_ESME_ROK;
    case SMPP_DECODE_TRUNCATED:
    case SMPP_DECODE_BAD_LENGTH:
    case SMPP_DECODE_TOO_LONG:
        return SMPP_ESME_RINVCMDLEN;
    case SMPP_DECODE_UNKNOWN_COMMAND:
        return SMPP_ESME_RINVCMDID;
    case SMPP_DECODE_CSTRING_UNTERMINATED:
    case SMPP_DECODE_FIELD_RANGE:
        return e->field_status ? e->field_status : SMPP_ESME_RSYSERR;
    case SMPP_DECODE_TLV_OVERRUN:
    case SMPP_DECODE_TLV_TOO_MANY:
        /* Too many is our cap, not a spec limit; it is still a fault in the
         * optional part, which tells the peer where to look. */
        return SMPP_ESME_RINVOPTPARSTREAM;
    case SMPP_DECODE_TLV_LENGTH:
        return SMPP_ESME_RINVPARLEN;
    }
    return SMPP_ESME_RSYSERR;
}

uint32_t smpp_decode_err_reply_id(const struct smpp_decode_err *e, uint32_t command_id)
{
    switch (e->kind) {
    case SMPP_DECODE_OK:
        return is_resp(command_id) ? 0 : command_id | SMPP_RESP_BIT;
    case SMPP_DECODE_TRUNCATED:
    case SMPP_DECODE_BAD_LENGTH:
    case SMPP_DECODE_TOO_LONG:
    case SMPP_DECODE_UNKNOWN_COMMAND:
        /* A body shorter than its mandatory fields is a command_length that is
         * "too short" in the spec's words: the header is at fault. */
        return SMPP_CMD_GENERIC_NACK;
    default:
        return is_resp(command_id) ? 0 : command_id | SMPP_RESP_BIT;
    }
}

/* --- encoding -------------------------------------------------------------- */

/* Counts every octet but stores only those that fit, so one pass gives both
 * the PDU and, when it does not fit, the size it needs. */
struct writer {
    uint8_t *out;
    size_t cap, len;
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (n > 0 && w->len <= w->cap && n <= w->cap - w->len)
        memcpy(w->out + w->len, p, n);
    w->len += n;
}

static void put8(struct writer *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 2);
}

static void put32(struct writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 4);
}

static int write_field(struct writer *w, const struct field *f, const struct smpp_pdu *p,
                       struct rl_err *err)
{
    const uint8_t *src = (const uint8_t *)p + f->off;
    size_t n;
    switch (f->kind) {
    case F_U8:
        put8(w, *src);
        return 0;
    case F_CSTR:
    case F_TIME:
        n = strnlen((const char *)src, f->max);
        if (n == f->max)
            return rl_err_set(err, RL_ETOOLONG, f->name, "%s: longer than %u characters", f->name,
                              (unsigned)f->max - 1);
        if (f->kind == F_TIME && n != 0 && n != 16)
            return rl_err_set(err, RL_EINVAL, f->name, "%s: %zu characters, a time is empty or 16",
                              f->name, n);
        put(w, src, n + 1);
        return 0;
    case F_SM:
        if (p->sm_length > SMPP_SM_MAX)
            return rl_err_set(err, RL_ETOOLONG, "short_message",
                              "short_message: %u octets, at most %u", p->sm_length, SMPP_SM_MAX);
        put8(w, p->sm_length);
        put(w, p->short_message, p->sm_length);
        return 0;
    }
    return rl_err_set(err, RL_EINVAL, f->name, "%s: unknown field kind", f->name);
}

static int write_tlvs(struct writer *w, const struct smpp_pdu *p, struct rl_err *err)
{
    if (p->ntlv > SMPP_TLV_MAX)
        return rl_err_set(err, RL_ERANGE, "tlv", "%zu TLVs, at most %d", p->ntlv, SMPP_TLV_MAX);
    for (size_t i = 0; i < p->ntlv; i++) {
        const struct smpp_tlv *t = &p->tlv[i];
        if (!tlv_len_ok(t->tag, t->len))
            return rl_err_set(err, RL_ESMPPTLV, smpp_tlv_name(t->tag),
                              "TLV 0x%04x (%s): length %u not allowed", t->tag,
                              smpp_tlv_name(t->tag), t->len);
        put16(w, t->tag);
        put16(w, t->len);
        put(w, smpp_tlv_value(t), t->len);
    }
    return 0;
}

int smpp_pdu_encode(const struct smpp_pdu *p, uint8_t *out, size_t cap, size_t *written,
                    struct rl_err *err)
{
    struct writer w = {.out = out, .cap = out ? cap : 0};
    *written = 0;
    const struct field *fields = layout_of(p->command_id);
    if (!fields)
        return rl_err_set(err, RL_EINVAL, "command_id", "command_id 0x%08x (%s) not supported",
                          p->command_id, smpp_command_name(p->command_id));
    if (p->no_body && !is_resp(p->command_id))
        return rl_err_set(err, RL_EINVAL, "no_body", "only a response may have no body");
    put32(&w, 0); /* command_length, known at the end */
    put32(&w, p->command_id);
    put32(&w, p->command_status);
    put32(&w, p->sequence_number);
    if (!p->no_body) {
        for (const struct field *f = fields; f->name; f++) {
            int rc = write_field(&w, f, p, err);
            if (rc)
                return rc;
        }
        int rc = write_tlvs(&w, p, err);
        if (rc)
            return rc;
    }
    *written = w.len;
    if (w.len > w.cap)
        return rl_err_set(err, RL_ETOOLONG, "pdu", "PDU needs %zu octets, buffer holds %zu", w.len,
                          w.cap);
    uint8_t len[4] = {(uint8_t)(w.len >> 24), (uint8_t)(w.len >> 16), (uint8_t)(w.len >> 8),
                      (uint8_t)w.len};
    memcpy(out, len, 4);
    return 0;
}

void smpp_pdu_init(struct smpp_pdu *p, uint32_t command_id, uint32_t sequence_number)
{
    memset(p, 0, sizeof(*p));
    p->command_id = command_id;
    p->sequence_number = sequence_number;
}

static bool field_equal(const struct field *f, const struct smpp_pdu *a, const struct smpp_pdu *b)
{
    const uint8_t *x = (const uint8_t *)a + f->off, *y = (const uint8_t *)b + f->off;
    switch (f->kind) {
    case F_U8:
        return *x == *y;
    case F_CSTR:
    case F_TIME:
        return strncmp((const char *)x, (const char *)y, f->max) == 0;
    case F_SM:
        return a->sm_length == b->sm_length &&
               memcmp(a->short_message, b->short_message,
                      a->sm_length < SMPP_SM_MAX ? a->sm_length : SMPP_SM_MAX) == 0;
    }
    return false;
}

bool smpp_pdu_equal(const struct smpp_pdu *a, const struct smpp_pdu *b)
{
    if (a->command_length != b->command_length || a->command_id != b->command_id ||
        a->command_status != b->command_status || a->sequence_number != b->sequence_number ||
        a->no_body != b->no_body || a->ntlv != b->ntlv || a->ntlv > SMPP_TLV_MAX)
        return false;
    const struct field *fields = layout_of(a->command_id);
    for (const struct field *f = fields; f && f->name; f++)
        if (!field_equal(f, a, b))
            return false;
    for (size_t i = 0; i < a->ntlv; i++) {
        const struct smpp_tlv *s = &a->tlv[i], *t = &b->tlv[i];
        if (s->tag != t->tag || s->len != t->len ||
            memcmp(smpp_tlv_value(s), smpp_tlv_value(t), s->len) != 0)
            return false;
    }
    return true;
}

/* --- TLVs ------------------------------------------------------------------ */

const uint8_t *smpp_tlv_value(const struct smpp_tlv *t)
{
    return t->val ? t->val : t->small;
}

const struct smpp_tlv *smpp_tlv_find(const struct smpp_pdu *p, uint16_t tag)
{
    for (size_t i = 0; i < p->ntlv && i < SMPP_TLV_MAX; i++)
        if (p->tlv[i].tag == tag)
            return &p->tlv[i];
    return NULL;
}

static int get_fixed(const struct smpp_pdu *p, uint16_t tag, size_t len, const uint8_t **v)
{
    const struct smpp_tlv *t = smpp_tlv_find(p, tag);
    if (!t)
        return RL_ENOTFOUND;
    if (t->len != len)
        return RL_ESMPPTLV;
    *v = smpp_tlv_value(t);
    return 0;
}

int smpp_tlv_get_u8(const struct smpp_pdu *p, uint16_t tag, uint8_t *out)
{
    const uint8_t *v;
    int rc = get_fixed(p, tag, 1, &v);
    if (rc == 0)
        *out = v[0];
    return rc;
}

int smpp_tlv_get_u16(const struct smpp_pdu *p, uint16_t tag, uint16_t *out)
{
    const uint8_t *v;
    int rc = get_fixed(p, tag, 2, &v);
    if (rc == 0)
        *out = get16(v);
    return rc;
}

int smpp_tlv_get_u32(const struct smpp_pdu *p, uint16_t tag, uint32_t *out)
{
    const uint8_t *v;
    int rc = get_fixed(p, tag, 4, &v);
    if (rc == 0)
        *out = get32(v);
    return rc;
}

int smpp_tlv_get_message_payload(const struct smpp_pdu *p, const uint8_t **data, size_t *len)
{
    const struct smpp_tlv *t = smpp_tlv_find(p, SMPP_TLV_MESSAGE_PAYLOAD);
    if (!t)
        return RL_ENOTFOUND;
    *data = smpp_tlv_value(t);
    *len = t->len;
    return 0;
}

int smpp_tlv_get_sar_msg_ref_num(const struct smpp_pdu *p, uint16_t *out)
{
    return smpp_tlv_get_u16(p, SMPP_TLV_SAR_MSG_REF_NUM, out);
}

int smpp_tlv_get_sar_total_segments(const struct smpp_pdu *p, uint8_t *out)
{
    return smpp_tlv_get_u8(p, SMPP_TLV_SAR_TOTAL_SEGMENTS, out);
}

int smpp_tlv_get_sar_segment_seqnum(const struct smpp_pdu *p, uint8_t *out)
{
    return smpp_tlv_get_u8(p, SMPP_TLV_SAR_SEGMENT_SEQNUM, out);
}

int smpp_tlv_get_message_state(const struct smpp_pdu *p, uint8_t *out)
{
    return smpp_tlv_get_u8(p, SMPP_TLV_MESSAGE_STATE, out);
}

int smpp_tlv_get_user_message_reference(const struct smpp_pdu *p, uint16_t *out)
{
    return smpp_tlv_get_u16(p, SMPP_TLV_USER_MESSAGE_REFERENCE, out);
}

int smpp_tlv_get_receipted_message_id(const struct smpp_pdu *p, char out[SMPP_MESSAGE_ID_SIZE])
{
    const struct smpp_tlv *t = smpp_tlv_find(p, SMPP_TLV_RECEIPTED_MESSAGE_ID);
    if (!t)
        return RL_ENOTFOUND;
    const uint8_t *v = smpp_tlv_value(t);
    const uint8_t *nul = memchr(v, 0, t->len);
    size_t n = nul ? (size_t)(nul - v) : t->len;
    if (n >= SMPP_MESSAGE_ID_SIZE)
        return RL_ESMPPTLV;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

int smpp_tlv_get_network_error_code(const struct smpp_pdu *p, struct smpp_network_error *out)
{
    const uint8_t *v;
    int rc = get_fixed(p, SMPP_TLV_NETWORK_ERROR_CODE, 3, &v);
    if (rc == 0)
        *out = (struct smpp_network_error){.type = v[0], .code = get16(v + 1)};
    return rc;
}

/* Appends a TLV whose value is set by the caller (borrowed or small). */
static int tlv_append(struct smpp_pdu *p, uint16_t tag, size_t len, struct smpp_tlv **t)
{
    if (p->ntlv >= SMPP_TLV_MAX)
        return RL_ERANGE;
    if (len > UINT16_MAX)
        return RL_ETOOLONG;
    if (!tlv_len_ok(tag, len))
        return RL_ESMPPTLV;
    *t = &p->tlv[p->ntlv++];
    **t = (struct smpp_tlv){.tag = tag, .len = (uint16_t)len};
    return 0;
}

int smpp_tlv_add(struct smpp_pdu *p, uint16_t tag, const void *value, size_t len)
{
    if (!value && len > 0)
        return RL_EINVAL;
    struct smpp_tlv *t;
    int rc = tlv_append(p, tag, len, &t);
    if (rc == 0)
        t->val = len ? value : NULL;
    return rc;
}

static int add_small(struct smpp_pdu *p, uint16_t tag, const uint8_t *v, size_t len)
{
    struct smpp_tlv *t;
    int rc = tlv_append(p, tag, len, &t);
    if (rc == 0)
        memcpy(t->small, v, len);
    return rc;
}

int smpp_tlv_add_u8(struct smpp_pdu *p, uint16_t tag, uint8_t v)
{
    return add_small(p, tag, &v, 1);
}

int smpp_tlv_add_u16(struct smpp_pdu *p, uint16_t tag, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return add_small(p, tag, b, 2);
}

int smpp_tlv_add_u32(struct smpp_pdu *p, uint16_t tag, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return add_small(p, tag, b, 4);
}

int smpp_tlv_add_cstr(struct smpp_pdu *p, uint16_t tag, const char *s)
{
    return smpp_tlv_add(p, tag, s, strlen(s) + 1);
}

int smpp_tlv_add_network_error_code(struct smpp_pdu *p, const struct smpp_network_error *e)
{
    uint8_t b[3] = {e->type, (uint8_t)(e->code >> 8), (uint8_t)e->code};
    return add_small(p, SMPP_TLV_NETWORK_ERROR_CODE, b, 3);
}
