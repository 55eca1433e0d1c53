/* A request body as POST /v1/messages and each batch item read it: api_json_body
 * then api_msgnew_build, with the built-in configuration. Invariants: every
 * refusal is a 400 or 422 with a code and a message (the field named when
 * there is one, and the whole problem renders as JSON); every acceptance has
 * an E.164 number, a non-empty valid UTF-8 text, at least one segment and a
 * known encoding. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_config.h"
#include "api/api_json.h"
#include "api/api_msgnew.h"
#include "text/utf8.h"
#include "core/banned.h"

static struct api_config cfg;
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        struct rl_err err = {0};
        if (api_config_init(&cfg, NULL, &err) != 0)
            abort();
        ready = true;
    }
    char *body = malloc(size + 1);
    memcpy(body, data, size);
    body[size] = '\0';
    struct api_request rq = {.body = body, .body_len = size};
    struct api_problem p = {0};
    json_t *obj = api_json_body(&rq, &p);
    if (obj) {
        struct api_msgnew m = {0};
        /* 2026-11-21T12:00:00Z: a fixed now, so that send_at is judged alike. */
        if (api_msgnew_build(&cfg, 1, obj, 1795262400000LL, &m, &p) == 0) {
            if (m.m.to[0] != '+' || !m.m.text || !m.m.text[0] || m.m.segments < 1 ||
                utf8_validate(m.m.text, strlen(m.m.text), NULL) != 0 ||
                (m.m.encoding != MSG_ENCODING_GSM7 && m.m.encoding != MSG_ENCODING_UCS2))
                abort();
            api_msgnew_release(&m);
            json_decref(obj);
            free(body);
            return 0;
        }
        json_decref(obj);
    }
    if ((p.status != 400 && p.status != 422) || !p.code[0] || !p.msg[0])
        abort();
    json_t *j = api_problem_json(&p);
    if (!j)
        abort();
    json_decref(j);
    free(body);
    return 0;
}
