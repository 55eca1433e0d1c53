/* Arbitrary bytes as an inbound SMS text. Byte 0 sets the output cap for
 * keyword_normalize (1 to 256), the rest is the text. Invariants: a
 * normalised text fits its cap, is valid UTF-8, has no ASCII capital, no
 * space at either end and no two spaces in a row, and normalises to itself;
 * a text that is too long keeps a prefix of whole characters; keyword_match
 * answers STOP or START only when the normalised text is one of the lists'
 * words, and the same for the text and for its normalised form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "domain/keywords.h"
#include "text/utf8.h"

static const char *const stop_words[] = {"stop", "stop sms", "arret", "unsubscribe", "end", "quit"};
static const char *const start_words[] = {"start", "unstop"};

static int listed(const char *s, size_t n, const char *const *w, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (strlen(w[i]) == n && memcmp(s, w[i], n) == 0)
            return 1;
    return 0;
}

static void check_form(const char *out, size_t n)
{
    if (utf8_validate(out, n, NULL) != 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (out[i] >= 'A' && out[i] <= 'Z')
            abort();
        if (out[i] == ' ' && (i == 0 || i + 1 == n || out[i + 1] == ' '))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t cap = (size_t)data[0] + 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char out[257], again[257];
    memset(out, 0x5a, sizeof(out));
    int rc = keyword_normalize(text, len, out, cap);
    if (rc == RL_ETOOLONG) {
        /* A prefix of whole characters, NUL-terminated within cap. */
        size_t w = strnlen(out, cap);
        if (w >= cap || utf8_validate(out, w, NULL) != 0)
            abort();
    } else if (rc >= 0) {
        size_t n = (size_t)rc;
        if (n >= cap || out[n] != '\0')
            abort();
        check_form(out, n);
        if (keyword_normalize(out, n, again, sizeof(again)) != rc || memcmp(out, again, n) != 0)
            abort();
        if (n <= KEYWORD_NORM_MAX && keyword_match(out, n) != keyword_match(text, len))
            abort();
    } else if (rc != RL_EUTF8) {
        abort();
    }
    enum keyword k = keyword_match(text, len);
    if (k != KEYWORD_NONE) {
        int m = keyword_normalize(text, len, out, sizeof(out));
        if (m <= 0)
            abort();
        if (k == KEYWORD_STOP && !listed(out, (size_t)m, stop_words, 6))
            abort();
        if (k == KEYWORD_START && !listed(out, (size_t)m, start_words, 2))
            abort();
    }
    return 0;
}
