/* Arbitrary bytes as relais.conf. Up to the first NUL they are the file; after
 * it, "KEY\0VALUE" is applied with cfg_set. The invariants: no crash or leak,
 * and whatever loads prints back to a file that loads to the same printed
 * form (secrets stay masked, so the second print equals the first). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"

static char *printed(const struct cfg *c)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f || cfg_print(c, f) != 0)
        abort();
    fclose(f);
    return s;
}

static void check_round_trip(const struct cfg *c)
{
    struct cfg again;
    struct rl_err err;
    char *first = printed(c);
    cfg_init(&again);
    if (cfg_load_string(&again, first, strlen(first), "printed", &err) != 0) {
        fprintf(stderr, "printed form refused: %s\n%s", err.msg, first);
        abort();
    }
    char *second = printed(&again);
    if (strcmp(first, second) != 0)
        abort();
    free(first);
    free(second);
    cfg_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t len = nul ? (size_t)(nul - text) : size;
    struct cfg c;
    struct rl_err err;
    cfg_init(&c);
    if (cfg_load_string(&c, text, len, "fuzz.conf", &err) == 0) {
        if (nul) {
            /* Two NULs after the copy: KEY and VALUE end whatever the input holds. */
            size_t m = size - len - 1;
            char *key = malloc(m + 2);
            memcpy(key, nul + 1, m);
            key[m] = key[m + 1] = '\0';
            cfg_set(&c, key, key + strlen(key) + 1, &err);
            free(key);
        }
        check_round_trip(&c);
    } else if (err.code != RL_ECONFIG || strncmp(err.msg, "fuzz.conf", 9) != 0) {
        abort(); /* every refusal names the file */
    }
    cfg_release(&c);
    return 0;
}
