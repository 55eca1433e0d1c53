#include "smpp/smpp_receipt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII-only classes: receipts are read byte by byte and the locale must not
 * change what a letter is. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    c = to_upper(c);
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool ci_equal(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (to_upper(s[i]) != to_upper(word[i]))
            return false;
    }
    return true;
}

/* --- states ---------------------------------------------------------------- */

static const struct {
    const char *word, *name;
} states[] = {
    [SMPP_DLR_NONE] = {"", "none"},
    [SMPP_DLR_ENROUTE] = {"ENROUTE", "enroute"},
    [SMPP_DLR_DELIVERED] = {"DELIVRD", "delivered"},
    [SMPP_DLR_EXPIRED] = {"EXPIRED", "expired"},
    [SMPP_DLR_DELETED] = {"DELETED", "deleted"},
    [SMPP_DLR_UNDELIVERABLE] = {"UNDELIV", "undeliverable"},
    [SMPP_DLR_ACCEPTED] = {"ACCEPTD", "accepted"},
    [SMPP_DLR_UNKNOWN] = {"UNKNOWN", "unknown"},
    [SMPP_DLR_REJECTED] = {"REJECTD", "rejected"},
};

const char *smpp_dlr_state_word(enum smpp_dlr_state s)
{
    return (unsigned)s < ARRAY_SIZE(states) ? states[s].word : "UNKNOWN";
}

const char *smpp_dlr_state_name(enum smpp_dlr_state s)
{
    return (unsigned)s < ARRAY_SIZE(states) ? states[s].name : "unknown";
}

/* ACCEPTED is final in the spec's table, but many SMSCs send ACCEPTD as an
 * intermediate report before DELIVRD; UNKNOWN is also what an unreadable stat
 * word maps to. Treating both as not final lets a later receipt still settle
 * the message, and the message's own validity bounds the wait. */
bool smpp_dlr_state_final(enum smpp_dlr_state s)
{
    return s == SMPP_DLR_DELIVERED || s == SMPP_DLR_EXPIRED || s == SMPP_DLR_DELETED ||
           s == SMPP_DLR_UNDELIVERABLE || s == SMPP_DLR_REJECTED;
}

/* The spec's seven-letter words, the spelled-out forms SMSCs write instead,
 * and a few vendor words seen in the field. */
static const struct {
    const char *word;
    enum smpp_dlr_state state;
} stat_words[] = {
    {"DELIVRD", SMPP_DLR_DELIVERED},
    {"DELIVERED", SMPP_DLR_DELIVERED},
    {"UNDELIV", SMPP_DLR_UNDELIVERABLE},
    {"UNDELIVERABLE", SMPP_DLR_UNDELIVERABLE},
    {"UNDELIVERED", SMPP_DLR_UNDELIVERABLE},
    {"FAILED", SMPP_DLR_UNDELIVERABLE},
    {"EXPIRED", SMPP_DLR_EXPIRED},
    {"DELETED", SMPP_DLR_DELETED},
    {"ACCEPTD", SMPP_DLR_ACCEPTED},
    {"ACCEPTED", SMPP_DLR_ACCEPTED},
    {"ACKED", SMPP_DLR_ACCEPTED},
    {"UNKNOWN", SMPP_DLR_UNKNOWN},
    {"REJECTD", SMPP_DLR_REJECTED},
    {"REJECTED", SMPP_DLR_REJECTED},
    {"ENROUTE", SMPP_DLR_ENROUTE},
    {"BUFFRED", SMPP_DLR_ENROUTE},
    {"BUFFERED", SMPP_DLR_ENROUTE},
};

static enum smpp_dlr_state state_from_word(const char *s, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(stat_words); i++) {
        if (ci_equal(s, n, stat_words[i].word))
            return stat_words[i].state;
    }
    /* A few SMSCs write message_state's number instead of the word. */
    if (n == 1 && s[0] >= '1' && s[0] <= '8')
        return (enum smpp_dlr_state)(s[0] - '0');
    return SMPP_DLR_UNKNOWN;
}

/* --- the text form ---------------------------------------------------------- */

enum key { K_NONE, K_ID, K_SUB, K_DLVRD, K_SUBMIT, K_DONE, K_STAT, K_ERR, K_TEXT };

static const struct {
    const char *name;
    enum key key;
} keys[] = {
    {"id", K_ID},         {"sub", K_SUB},   {"dlvrd", K_DLVRD}, {"submitdate", K_SUBMIT},
    {"donedate", K_DONE}, {"stat", K_STAT}, {"err", K_ERR},     {"text", K_TEXT},
};

/* Recognises a field name at s[i] followed by ':' and sets *val to the octet
 * after the colon. "submit date", "submit_date" and "submitdate" are one
 * name, as are the "done" forms; any case; blanks before the colon allowed. */
static enum key match_key(const char *s, size_t len, size_t i, size_t *val)
{
    size_t w = i, j;
    enum key k = K_NONE;
    while (w < len && is_alpha(s[w]))
        w++;
    if (ci_equal(s + i, w - i, "submit") || ci_equal(s + i, w - i, "done")) {
        for (j = w; j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '_'); j++)
            ;
        if (j + 4 <= len && ci_equal(s + j, 4, "date") && (j + 4 == len || !is_alpha(s[j + 4]))) {
            k = to_upper(s[i]) == 'S' ? K_SUBMIT : K_DONE;
            w = j + 4;
        }
    }
    for (size_t n = 0; k == K_NONE && n < ARRAY_SIZE(keys); n++) {
        if (ci_equal(s + i, w - i, keys[n].name))
            k = keys[n].key;
    }
    while (w < len && (s[w] == ' ' || s[w] == '\t'))
        w++;
    if (k == K_NONE || w >= len || s[w] != ':')
        return K_NONE;
    *val = w + 1;
    return k;
}

/* A count or code of up to 9 digits (so it fits an int), else -1. err: is
 * sometimes written in hex ("err:00B"), which is read as such. */
static int read_number(const char *s, size_t n, bool hex_ok)
{
    int v = 0, hv = 0;
    bool dec = n > 0 && n <= 9, hex = hex_ok && n > 0 && n <= 7;
    for (size_t i = 0; i < n; i++) {
        dec = dec && is_digit(s[i]);
        hex = hex && hex_value(s[i]) >= 0;
        if (dec)
            v = v * 10 + (s[i] - '0');
        if (hex)
            hv = hv * 16 + hex_value(s[i]);
    }
    return dec ? v : hex ? hv : -1;
}

static int store_id(const char *s, size_t n, struct smpp_receipt *out, struct rl_err *err)
{
    if (n >= SMPP_MESSAGE_ID_SIZE)
        return rl_err_set(err, RL_EPARSE, "id", "receipt id is %zu characters, over the 64 allowed",
                          n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.')
            return rl_err_set(err, RL_EPARSE, "id",
                              "receipt id has character 0x%02X at offset %zu; allowed are "
                              "letters, digits, '-', '_' and '.'",
                              (unsigned char)c, i);
    }
    memcpy(out->id, s, n);
    out->id[n] = '\0';
    return 0;
}

/* Dates are kept as written when they are 10 or 12 digits; anything else is
 * dropped rather than failing the receipt, since the state is what matters. */
static void store_date(const char *s, size_t n, char dst[13])
{
    if (n != 10 && n != 12)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The first characters of the echoed text, non-printing octets as '?' since
 * they go on to logs and JSON. */
static void store_text(const char *s, size_t n, struct smpp_receipt *out)
{
    size_t k = 0;
    for (; k < n && k + 1 < sizeof(out->text) && s[k] != '\0'; k++)
        out->text[k] = (s[k] >= 0x20 && s[k] < 0x7F) ? s[k] : '?';
    out->text[k] = '\0';
}

/* Records one field's value; the first occurrence of a field wins. */
static int apply(enum key k, const char *v, size_t n, struct smpp_receipt *out, struct rl_err *err)
{
    switch (k) {
    case K_ID:
        return out->id[0] || n == 0 ? 0 : store_id(v, n, out, err);
    case K_SUB:
        if (out->sub < 0)
            out->sub = read_number(v, n, false);
        break;
    case K_DLVRD:
        if (out->dlvrd < 0)
            out->dlvrd = read_number(v, n, false);
        break;
    case K_SUBMIT:
        if (!out->submit_date[0])
            store_date(v, n, out->submit_date);
        break;
    case K_DONE:
        if (!out->done_date[0])
            store_date(v, n, out->done_date);
        break;
    case K_STAT:
        if (out->state == SMPP_DLR_NONE && n > 0)
            out->state = state_from_word(v, n);
        break;
    case K_ERR:
        if (out->err < 0)
            out->err = read_number(v, n, true);
        break;
    default:
        break;
    }
    return 0;
}

static void receipt_init(struct smpp_receipt *r)
{
    memset(r, 0, sizeof(*r));
    r->err = r->sub = r->dlvrd = -1;
}

/* Reads the fields of s into out (fields already set stay). Stops at text:,
 * which is last and may hold anything. Fails only on an id that cannot be
 * one; missing fields are the caller's to judge. */
static int scan(const char *s, size_t len, struct smpp_receipt *out, struct rl_err *err)
{
    size_t i = 0, v, e;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i >= len)
            break;
        enum key k = match_key(s, len, i, &v);
        if (k == K_NONE) {
            while (i < len && !is_space(s[i]))
                i++; /* a word or field we do not know */
            continue;
        }
        out->from_text = true;
        if (k == K_TEXT) {
            store_text(s + v, len - v, out);
            break;
        }
        while (v < len && (s[v] == ' ' || s[v] == '\t'))
            v++;
        /* "submit date: done date:…": an empty value, not the value "done". */
        size_t unused;
        e = v;
        if (match_key(s, len, v, &unused) == K_NONE) {
            while (e < len && !is_space(s[e]))
                e++;
        }
        int rc = apply(k, s + v, e - v, out, err);
        if (rc)
            return rc;
        i = e;
    }
    return 0;
}

static int check_complete(const struct smpp_receipt *r, struct rl_err *err)
{
    if (!r->id[0])
        return rl_err_set(err, RL_EPARSE, "id",
                          "receipt has no id (neither receipted_message_id nor id:)");
    if (r->state == SMPP_DLR_NONE)
        return rl_err_set(err, RL_EPARSE, "stat",
                          "receipt for id %s has no state (neither message_state nor stat:)",
                          r->id);
    return 0;
}

int smpp_receipt_parse_text(const char *s, size_t len, struct smpp_receipt *out, struct rl_err *err)
{
    receipt_init(out);
    int rc = scan(s, len, out, err);
    return rc ? rc : check_complete(out, err);
}

/* --- the PDU ------------------------------------------------------------------ */

bool smpp_is_receipt(const struct smpp_pdu *p)
{
    if (p->command_id != SMPP_CMD_DELIVER_SM && p->command_id != SMPP_CMD_DATA_SM)
        return false;
    /* Message type bits 5-2: 0001 SMSC delivery receipt, 1000 intermediate
     * delivery notification (same receipt, a state that is not final). */
    unsigned type = (p->esm_class >> 2) & 0x0F;
    return type == 0x1 || type == 0x8 || smpp_tlv_find(p, SMPP_TLV_RECEIPTED_MESSAGE_ID) != NULL;
}

/* The TLV form. A TLV with a length the spec forbids is ignored like an
 * absent one, so that the text form can still give the field. */
static void read_tlvs(const struct smpp_pdu *p, struct smpp_receipt *out)
{
    uint8_t state;
    struct smpp_network_error ne;
    if (smpp_tlv_get_receipted_message_id(p, out->id) != 0)
        out->id[0] = '\0';
    if (out->id[0])
        out->from_tlv = true;
    if (smpp_tlv_get_message_state(p, &state) == 0 && state != SMPP_DLR_NONE) {
        out->state = state <= SMPP_DLR_REJECTED ? (enum smpp_dlr_state)state : SMPP_DLR_UNKNOWN;
        out->from_tlv = true;
    }
    if (smpp_tlv_get_network_error_code(p, &ne) == 0) {
        out->has_network_error = true;
        out->network_error_type = ne.type;
        out->network_error = ne.code;
        out->from_tlv = true;
    }
}

int smpp_receipt_parse(const struct smpp_pdu *p, struct smpp_receipt *out, struct rl_err *err)
{
    const uint8_t *data = p->short_message;
    size_t len = p->sm_length;
    struct rl_err text_err = {0};
    int text_rc = 0;

    receipt_init(out);
    read_tlvs(p, out);
    if (len == 0 && smpp_tlv_get_message_payload(p, &data, &len) != 0)
        len = 0;
    /* Fields already set from the TLVs are kept: scan fills only the others. */
    if (len > 0)
        text_rc = scan((const char *)data, len, out, &text_err);
    if (text_rc && !out->id[0]) {
        if (err)
            *err = text_err;
        return text_rc;
    }
    return check_complete(out, err);
}

int smpp_receipt_format_text(const struct smpp_receipt *r, char *out, size_t cap)
{
    if (!r->id[0] || r->state == SMPP_DLR_NONE)
        return RL_EINVAL;
    int n = snprintf(out, cap,
                     "id:%.64s sub:%03d dlvrd:%03d submit date:%.12s done date:%.12s stat:%s "
                     "err:%03d text:%.20s",
                     r->id, r->sub < 0 ? 0 : r->sub, r->dlvrd < 0 ? 0 : r->dlvrd, r->submit_date,
                     r->done_date, smpp_dlr_state_word(r->state), r->err < 0 ? 0 : r->err, r->text);
    if (n < 0)
        return RL_EINVAL;
    return (size_t)n >= cap ? RL_ETOOLONG : n;
}

/* --- id keys ------------------------------------------------------------------- */

/* Upper-cases src into dst; drops leading zeros when every character is a
 * digit of base (16 also covers decimal ids; 0: any id), keeping one "0". */
static bool canonical(const char *src, size_t n, int base, char *dst)
{
    bool numeric = true;
    for (size_t i = 0; i < n; i++) {
        int d = hex_value(src[i]);
        numeric = numeric && d >= 0 && (base == 0 || d < base);
    }
    if (base != 0 && !numeric)
        return false;
    size_t start = 0;
    while (numeric && start + 1 < n && src[start] == '0')
        start++;
    for (size_t i = start; i < n; i++)
        dst[i - start] = to_upper(src[i]);
    dst[n - start] = '\0';
    return true;
}

/* Reads src as an unsigned 64-bit number in base; false when it is not one
 * or does not fit. */
static bool parse_u64(const char *src, size_t n, unsigned base, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_value(src[i]);
        if (d < 0 || (unsigned)d >= base || *v > (UINT64_MAX - (unsigned)d) / base)
            return false;
        *v = *v * base + (unsigned)d;
    }
    return true;
}

int smpp_id_key(const char *id, enum smpp_id_mode mode, bool is_receipt,
                char out[SMPP_MESSAGE_ID_SIZE])
{
    size_t n = strnlen(id, SMPP_MESSAGE_ID_SIZE);
    int base_resp, base_in;
    if (n == 0 || n >= SMPP_MESSAGE_ID_SIZE)
        return RL_EINVAL;
    switch (mode) {
    case SMPP_ID_SAME:
        base_resp = 0;
        break;
    case SMPP_ID_RESP_HEX_DLR_DEC:
        base_resp = 16;
        break;
    case SMPP_ID_RESP_DEC_DLR_HEX:
        base_resp = 10;
        break;
    default:
        return RL_EINVAL;
    }
    base_in = base_resp;
    if (is_receipt && base_resp != 0)
        base_in = base_resp == 16 ? 10 : 16;
    if (base_in == base_resp)
        return canonical(id, n, base_in, out) ? 0 : RL_EINVAL;
    uint64_t v;
    if (!parse_u64(id, n, (unsigned)base_in, &v))
        return RL_EINVAL;
    snprintf(out, SMPP_MESSAGE_ID_SIZE, base_resp == 16 ? "%" PRIX64 : "%" PRIu64, v);
    return 0;
}
