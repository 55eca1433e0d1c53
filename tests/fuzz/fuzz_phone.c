/* Arbitrary bytes as a phone number, default region FR. Invariants: a success
 * is a usable destination (E.164: '+', the country code, at most 15 digits in
 * all, a known region and type) that parses back to itself; a failure leaves
 * nothing usable and explains itself in valid UTF-8, since the message is put
 * in JSON as is. libphonenumber is not instrumented: only our side is checked
 * for memory errors, the library's answers for consistency. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone/phone.h"
#include "text/utf8.h"

static void check_e164(const struct phone_info *p)
{
    const char *d = p->e164 + 1;
    size_t n = strlen(d);
    char cc[8];
    if (p->e164[0] != '+' || n < 2 || n > 15 || strspn(d, "0123456789") != n)
        abort();
    snprintf(cc, sizeof(cc), "%d", p->country_code);
    if (p->country_code <= 0 || strncmp(d, cc, strlen(cc)) != 0)
        abort();
    if (p->region[0] == '\0' || p->type == PHONE_TYPE_UNKNOWN)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct phone_info info, again;
    struct rl_err err = {0};
    int rv = phone_parse((const char *)data, size, "FR", &info, &err);
    if (rv != 0) {
        if (rv != RL_EPHONE || info.valid || info.e164[0] != '\0' || err.msg[0] == '\0' ||
            strcmp(err.field, "phone") != 0 || utf8_validate(err.msg, strlen(err.msg), NULL) != 0)
            abort();
        return 0;
    }
    if (!info.valid)
        abort();
    check_e164(&info);
    if (phone_parse(info.e164, strlen(info.e164), "FR", &again, NULL) != 0 ||
        strcmp(again.e164, info.e164) != 0 || again.type != info.type ||
        strcmp(again.region, info.region) != 0)
        abort();
    return 0;
}
