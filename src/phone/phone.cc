/* The only C++ in relais: a shim over libphonenumber behind phone.h. Everything
 * that can be checked without the library (length, NUL, UTF-8, region syntax)
 * is checked here first, so only bounded, valid UTF-8 reaches it; and every
 * call into it sits inside a try block, because an exception crossing into C
 * is undefined behaviour. */
#include "phone/phone.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <new>
#include <string>

#include <phonenumbers/phonenumberutil.h>

extern "C" {
#include "text/utf8.h"
}
#include "core/banned.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* The C enum mirrors libphonenumber's so that a cast converts; a library
 * upgrade that reorders it must fail the build, not mislabel numbers. */
#define SAME_TYPE(c, cxx) static_assert((int)(c) == (int)PhoneNumberUtil::cxx, #cxx " moved")
SAME_TYPE(PHONE_TYPE_FIXED_LINE, FIXED_LINE);
SAME_TYPE(PHONE_TYPE_MOBILE, MOBILE);
SAME_TYPE(PHONE_TYPE_FIXED_LINE_OR_MOBILE, FIXED_LINE_OR_MOBILE);
SAME_TYPE(PHONE_TYPE_TOLL_FREE, TOLL_FREE);
SAME_TYPE(PHONE_TYPE_PREMIUM_RATE, PREMIUM_RATE);
SAME_TYPE(PHONE_TYPE_SHARED_COST, SHARED_COST);
SAME_TYPE(PHONE_TYPE_VOIP, VOIP);
SAME_TYPE(PHONE_TYPE_PERSONAL_NUMBER, PERSONAL_NUMBER);
SAME_TYPE(PHONE_TYPE_PAGER, PAGER);
SAME_TYPE(PHONE_TYPE_UAN, UAN);
SAME_TYPE(PHONE_TYPE_VOICEMAIL, VOICEMAIL);
SAME_TYPE(PHONE_TYPE_UNKNOWN, UNKNOWN);
#undef SAME_TYPE

namespace
{

/* Room for PHONE_INPUT_MAX plain bytes or fewer escaped ones, leaving about
 * 90 bytes of rl_err.msg for the reason around the quote. */
const size_t QUOTE_SIZE = 160;
const char *const FIELD = "phone";

/* Copies at most max bytes of s[0..n) into out for an error message that will
 * be printed and put in JSON: valid UTF-8 as is, control characters and bad
 * bytes as \xNN, cut at a character boundary with "..." when it does not fit
 * or when s is longer than max. */
void quote(const char *s, size_t n, size_t max, char *out, size_t size)
{
    bool cut = n > max;
    if (cut)
        n = max;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t k = utf8_decode(p + i, n - i, &cp);
        bool raw = k > 0 && cp >= 0x20 && cp != 0x7F && (cp < 0x80 || cp > 0x9F);
        size_t need = raw ? k : 4;
        if (o + need + 4 > size) {
            cut = true;
            break;
        }
        if (raw) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        } else {
            snprintf(out + o, 5, "\\x%02X", p[i]);
            o += 4;
            i += 1;
        }
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Upper-cases a two-letter region into rc[3]; "ZZ" (no default) for NULL. */
bool region_code(const char *cc, char rc[3])
{
    if (!cc) {
        memcpy(rc, "ZZ", 3);
        return true;
    }
    for (int i = 0; i < 2; i++) {
        char c = cc[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        rc[i] = c;
    }
    rc[2] = '\0';
    return cc[2] == '\0';
}

/* GetCountryCodeForRegion is 0 for ZZ, 001 and codes without metadata. */
bool supported(const char rc[3])
{
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(rc) != 0;
}

const char *parse_reason(PhoneNumberUtil::ErrorType e, bool has_default)
{
    switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return has_default ? "has an invalid country code"
                           : "has no valid country code (and there is no default region)";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        return "is too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
        return "is too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
        return "is too long";
    case PhoneNumberUtil::NOT_A_NUMBER:
    default:
        return "is not a phone number";
    }
}

const char *possible_reason(PhoneNumberUtil::ValidationResult v)
{
    switch (v) {
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
        return "is a local number without its area code in";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return "has an invalid country code for";
    case PhoneNumberUtil::TOO_SHORT:
        return "is too short for";
    case PhoneNumberUtil::INVALID_LENGTH:
        return "has an invalid length for";
    case PhoneNumberUtil::TOO_LONG:
        return "is too long for";
    case PhoneNumberUtil::IS_POSSIBLE:
    default:
        return "is not a valid number in";
    }
}

/* Fills the region of a parsed number: the library answers "ZZ" when the
 * country code is shared (+1) and the number fits none of its regions. */
void set_region(const PhoneNumberUtil *u, const PhoneNumber &n, struct phone_info *out)
{
    std::string rc;
    u->GetRegionCodeForNumber(n, &rc);
    if (rc != "ZZ" && rc.size() < sizeof(out->region))
        memcpy(out->region, rc.c_str(), rc.size() + 1);
}

/* libphonenumber reads letters as keypad digits once a number holds three of
 * them ("0800 FLOWERS"), so "06 10 20 30 40 (mobile)" becomes a longer number.
 * Where that happened, the national number is no longer spelt out in the
 * input's digits. (The check is not made without letters: some plans rewrite
 * digits, e.g. Argentina's 011 15 2345-6789 is +54 9 11 2345 6789.) */
bool letters_read_as_digits(const PhoneNumberUtil *u, const PhoneNumber &n, const std::string &s)
{
    int letters = 0;
    for (char c : s)
        letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letters < 3)
        return false;
    std::string digits(s), nsn;
    u->NormalizeDigitsOnly(&digits);
    u->GetNationalSignificantNumber(n, &nsn);
    return digits.find(nsn) == std::string::npos;
}

/* What makes a parsed number unusable as an SMS destination. */
int check_parsed(const PhoneNumberUtil *u, const PhoneNumber &n, const std::string &s,
                 const struct phone_info *out, const char *q, struct rl_err *err)
{
    char where[16];
    if (out->region[0])
        snprintf(where, sizeof(where), "%s", out->region);
    else
        snprintf(where, sizeof(where), "+%d", out->country_code);
    /* The library keeps "ext. 5" aside and would format the number without
     * it: a message sent there would reach the switchboard, not the person. */
    if (n.has_extension())
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' has an extension, which SMS cannot reach",
                          q);
    if (letters_read_as_digits(u, n, s))
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' has letters that would be read as digits",
                          q);
    PhoneNumberUtil::ValidationResult v = u->IsPossibleNumberWithReason(n);
    if (v != PhoneNumberUtil::IS_POSSIBLE || !u->IsValidNumber(n))
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' %s %s", q, possible_reason(v), where);
    return 0;
}

int parse_checked(const std::string &s, const char rc[3], struct phone_info *out, const char *q,
                  struct rl_err *err)
{
    const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
    PhoneNumber n;
    PhoneNumberUtil::ErrorType e = u->Parse(s, rc, &n);
    if (e != PhoneNumberUtil::NO_PARSING_ERROR)
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' %s", q,
                          parse_reason(e, strcmp(rc, "ZZ") != 0));
    out->country_code = (int)n.country_code();
    set_region(u, n, out);
    int rv = check_parsed(u, n, s, out, q, err);
    if (rv != 0)
        return rv;
    static_assert(sizeof(out->e164) > 16, "no room for '+', 15 digits and NUL");
    std::string e164;
    u->Format(n, PhoneNumberUtil::E164, &e164);
    /* The metadata of some plans (Germany's 0800, up to 17 digits) accepts
     * numbers that E.164 (section 6.2.1: at most 15 digits) cannot carry. */
    if (e164.size() > 16)
        return rl_err_set(err, RL_EPHONE, FIELD,
                          "'%s' has more digits than E.164 allows (15 with the country code)", q);
    memcpy(out->e164, e164.c_str(), e164.size() + 1);
    out->valid = true;
    out->type = (enum phone_type)u->GetNumberType(n);
    return 0;
}

/* Out of memory inside the library: the house rule (core/mem.c) is to abort. */
[[noreturn]] void oom(void)
{
    fprintf(stderr, "level=fatal mod=phone msg=out_of_memory\n");
    abort();
}

/* Checks that need no library: the cap first, so that nothing reads a huge
 * buffer; then NUL (std::string would carry it in, C callers would cut at it). */
int check_bytes(const char *input, size_t len, const char *q, struct rl_err *err)
{
    size_t bad = 0;
    if (len > PHONE_INPUT_MAX)
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' is longer than %d bytes", q,
                          PHONE_INPUT_MAX);
    if (memchr(input, '\0', len))
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' contains a NUL byte", q);
    if (utf8_validate(input, len, &bad) != 0)
        return rl_err_set(err, RL_EPHONE, FIELD, "'%s' is not valid UTF-8 (at byte offset %zu)", q,
                          bad);
    return 0;
}

/* A C caller may pass any int as an enum phone_type; in C++ loading a value
 * outside the enum's range is undefined (UBSan's -fsanitize=enum says so), so
 * the bits are read as what they are, an int. */
unsigned type_bits(const enum phone_type *t)
{
    static_assert(sizeof(enum phone_type) == sizeof(unsigned), "enum is not int-sized");
    unsigned i;
    memcpy(&i, t, sizeof(i));
    return i;
}

} // namespace

int phone_parse(const char *input, size_t len, const char *default_region, struct phone_info *out,
                struct rl_err *err)
{
    char q[QUOTE_SIZE];
    char rc[3];
    memset(out, 0, sizeof(*out));
    out->type = PHONE_TYPE_UNKNOWN;
    if (!input) {
        input = "";
        len = 0;
    }
    try {
        if (!region_code(default_region, rc) || (default_region && !supported(rc))) {
            quote(default_region, strnlen(default_region, 16), 8, q, sizeof(q));
            return rl_err_set(err, RL_EINVAL, "region", "unknown default region '%s'", q);
        }
        quote(input, len, PHONE_INPUT_MAX, q, sizeof(q));
        int rv = check_bytes(input, len, q, err);
        if (rv == 0)
            rv = parse_checked(std::string(input, len), rc, out, q, err);
        return rv;
    } catch (const std::bad_alloc &) {
        oom();
    } catch (...) {
        memset(out, 0, sizeof(*out));
        out->type = PHONE_TYPE_UNKNOWN;
        return rl_err_set(err, RL_EPHONE, FIELD, "phone number could not be checked");
    }
}

/* Digits of a nationally written number: 10 starting with 0, or 9 (a
 * spreadsheet's number cell drops the 0). Anything else, a '+' in particular,
 * says where it belongs by itself. */
static bool national_shape(const char *input, size_t len)
{
    size_t digits = 0;
    char first = 0;
    if (!input || len > PHONE_INPUT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (input[i] == '+')
            return false;
        if (input[i] >= '0' && input[i] <= '9') {
            if (digits++ == 0)
                first = input[i];
        }
    }
    return digits == 9 || (digits == 10 && first == '0');
}

int phone_parse_with_overseas(const char *input, size_t len, const char *default_region,
                              struct phone_info *out, struct rl_err *err)
{
    /* One region per country code: the library validates a number against
     * every region of its code (GP, BL and MF for +590; RE and YT for +262),
     * and these regions read the national prefix 0 the same way, so parsing
     * with BL, MF or YT as the default would find nothing new. */
    static const char *const overseas[] = {"GP", "MQ", "GF", "RE", "PM"};
    struct rl_err first = {};
    int rv = phone_parse(input, len, default_region, out, &first);
    if (rv == RL_EPHONE && default_region && strcasecmp(default_region, "FR") == 0 &&
        national_shape(input, len)) {
        for (const char *r : overseas) {
            struct phone_info alt;
            if (phone_parse(input, len, r, &alt, NULL) == 0) {
                *out = alt;
                return 0;
            }
        }
    }
    /* err only now, so that a retry that succeeds leaves it untouched. */
    if (rv != 0 && err)
        *err = first;
    return rv;
}

const char *phone_type_name(enum phone_type t)
{
    static const char *const names[] = {
        "fixed_line",  "mobile",  "fixed_line_or_mobile", "toll_free", "premium_rate",
        "shared_cost", "voip",    "personal_number",      "pager",     "uan",
        "voicemail",   "unknown",
    };
    unsigned i = type_bits(&t);
    return i < sizeof(names) / sizeof(names[0]) ? names[i] : "unknown";
}

bool phone_is_mobile_type(enum phone_type t)
{
    unsigned i = type_bits(&t);
    return i == PHONE_TYPE_MOBILE || i == PHONE_TYPE_FIXED_LINE_OR_MOBILE;
}

bool phone_region_valid(const char *cc)
{
    char rc[3];
    if (!cc || !region_code(cc, rc))
        return false;
    try {
        return supported(rc);
    } catch (const std::bad_alloc &) {
        oom();
    } catch (...) {
        return false;
    }
}
