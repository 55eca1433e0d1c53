/* phone_parse_typed: a number as a user types it or a file holds it, with a
 * fast path for the common case. libphonenumber takes about 20 µs a number
 * (its metadata is regular expressions, run through ICU), most of a
 * 1,000,000-row import and of the simulator's work per message; the common
 * French spellings are answered instead from a table of the 3-digit starts
 * of French national numbers that libphonenumber itself fills once per
 * process (about 0.2 s), and its answers are the library's (test_phone
 * compares every 4-digit start, every 5-digit one for 06 and 07, and every
 * spelling). Written in C beside the C++ shim: it calls the shim, not the
 * library. */
#include "phone/phone.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

/* fast_type[p - 100] is the type libphonenumber gives every French number
 * whose 9-digit national number starts with the 3 digits p, or -1 where the
 * fast path must not answer (not valid, or not one type throughout). The
 * library's FR metadata draws its ranges on whole 2- or 3-digit prefixes
 * followed by free digits ("6[0-24-8]\d", "63[0-8]", "7[3-9]\d",
 * "(?:[1-35]\d|4[1-9])" for fixed lines, "80[0-5]" toll-free...), so a prefix
 * is sampled at each of its ten 4th digits, at both ends of the block too; a
 * prefix split finer in some later metadata would disagree between samples
 * and be left to the library, and the unit tests compare the fast path with
 * the library on every 4-digit (5-digit for 06 and 07) start. Filled once per
 * process, about 9,000 parses. */
static signed char fast_type[900];
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

static void fast_init(void)
{
    for (int p = 0; p < 900; p++) {
        int type = -1;
        for (int d = 0; d < 10; d++) {
            char num[16];
            struct phone_info pi;
            snprintf(num, sizeof(num), "+33%d%d%05d", 100 + p, d, d % 2 ? 99999 : 0);
            if (phone_parse(num, strlen(num), NULL, &pi, NULL) != 0 || strcmp(pi.e164, num) != 0 ||
                strcmp(pi.region, "FR") != 0 || pi.country_code != 33 ||
                (d > 0 && (int)pi.type != type)) {
                type = -1;
                break;
            }
            type = (int)pi.type;
        }
        fast_type[p] = (signed char)type;
    }
}

static bool is_fr(const char *region)
{
    return region && (region[0] == 'F' || region[0] == 'f') &&
           (region[1] == 'R' || region[1] == 'r') && region[2] == '\0';
}

/* The digits of s when it is only digits with single ' ', '.' or '-' between
 * them, after an optional '+'. */
static bool plain_digits(const char *s, size_t len, char d[16], size_t *nd, bool *plus)
{
    size_t i = 0;
    bool after_digit = false;
    *nd = 0;
    *plus = len > 0 && s[0] == '+';
    for (i = *plus ? 1 : 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (*nd == 16)
                return false;
            d[(*nd)++] = c;
            after_digit = true;
        } else if ((c == ' ' || c == '.' || c == '-') && after_digit) {
            after_digit = false;
        } else {
            return false;
        }
    }
    return after_digit;
}

static bool fast_fr(const char *s, size_t len, const char *region, struct phone_info *out)
{
    char d[16];
    size_t nd;
    bool plus;
    const char *nsn;
    if ((region && !is_fr(region)) || len > PHONE_INPUT_MAX || !plain_digits(s, len, d, &nd, &plus))
        return false;
    if (plus)
        nsn = nd == 11 && d[0] == '3' && d[1] == '3' ? d + 2 : NULL;
    else if (!region)
        nsn = NULL;
    else if (nd == 13 && memcmp(d, "0033", 4) == 0)
        nsn = d + 4;
    else if (nd == 11 && d[0] == '3' && d[1] == '3')
        nsn = d + 2;
    else if (nd == 10 && d[0] == '0')
        nsn = d + 1;
    else if (nd == 9)
        nsn = d;
    else
        nsn = NULL;
    if (!nsn || nsn[0] == '0')
        return false;
    pthread_once(&fast_once, fast_init);
    int type = fast_type[(nsn[0] - '0') * 100 + (nsn[1] - '0') * 10 + (nsn[2] - '0') - 100];
    if (type < 0)
        return false;
    /* Byte for byte what phone_parse fills. */
    memset(out, 0, sizeof(*out));
    memcpy(out->e164, "+33", 3);
    memcpy(out->e164 + 3, nsn, 9);
    out->valid = true;
    out->type = (enum phone_type)type;
    memcpy(out->region, "FR", 3);
    out->country_code = 33;
    return true;
}

int phone_parse_typed(const char *s, size_t len, const char *region, struct phone_info *out,
                      struct rl_err *err)
{
    if (s && fast_fr(s, len, region, out))
        return 0;
    return phone_parse_with_overseas(s, len, region, out, err);
}
