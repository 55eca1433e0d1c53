#ifndef RL_CFG_H
#define RL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/err.h"
#include "core/log.h"

/* The configuration: one file, relais.conf, of `key = value` lines under
 * [section] headers. Every key is declared once in cfg.def; this header turns
 * those lines into typed fields, cfg.c into parsing, checks, defaults, the
 * printed form and the markdown documentation. */

#define CFG_ROUTES_MAX     64         /* [route NAME] sections in one file */
#define CFG_ROUTE_NAME_MAX 32         /* bytes of NAME: letters, digits, _ and - */
#define CFG_LINE_MAX       4096       /* bytes of one line, newline excluded */
#define CFG_FILE_MAX       (1 << 20)  /* bytes of the whole file */
#define CFG_SECRET_MASK    "********" /* what --print shows for a secret that is set */

/* CFG_EACH(m, t, a, b, ...) expands to m(t, a) m(t, b) ...: one enum constant
 * per allowed word of a CFG_ENUM key, up to 8 words. */
#define CFG_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, n, ...) n

#define CFG_NARG(...) CFG_NARG_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)

#define CFG_CAT_(a, b) a##b
#define CFG_CAT(a, b)  CFG_CAT_(a, b)

#define CFG_EACH(m, t, ...) CFG_CAT(CFG_EACH_, CFG_NARG(__VA_ARGS__))(m, t, __VA_ARGS__)

#define CFG_EACH_1(m, t, a)      m(t, a)
#define CFG_EACH_2(m, t, a, ...) m(t, a) CFG_EACH_1(m, t, __VA_ARGS__)
#define CFG_EACH_3(m, t, a, ...) m(t, a) CFG_EACH_2(m, t, __VA_ARGS__)
#define CFG_EACH_4(m, t, a, ...) m(t, a) CFG_EACH_3(m, t, __VA_ARGS__)
#define CFG_EACH_5(m, t, a, ...) m(t, a) CFG_EACH_4(m, t, __VA_ARGS__)
#define CFG_EACH_6(m, t, a, ...) m(t, a) CFG_EACH_5(m, t, __VA_ARGS__)
#define CFG_EACH_7(m, t, a, ...) m(t, a) CFG_EACH_6(m, t, __VA_ARGS__)
#define CFG_EACH_8(m, t, a, ...) m(t, a) CFG_EACH_7(m, t, __VA_ARGS__)

/* One enum per CFG_ENUM key, constants in the order of its words:
 * enum cfg_store_synchronous { CFG_STORE_SYNCHRONOUS_FULL, CFG_STORE_SYNCHRONOUS_NORMAL }. */
#define CFG_ENUM_CONST(t, w) CFG_##t##_##w,
#define CFG_ENUM(sec, key, TAG, def, doc, ...)                                                     \
    enum cfg_##sec##_##key{CFG_EACH(CFG_ENUM_CONST, TAG, __VA_ARGS__)};
#include "core/cfg.def"
#undef CFG_ENUM_CONST

/* One [route NAME] section: an SMPP connection. Strings are owned by the
 * struct cfg holding the route and freed by cfg_release. */
struct cfg_route {
    char name[CFG_ROUTE_NAME_MAX + 1];
#define CFG_DEF_SINGLETONS                           0
#define CFG_STR(sec, key, kind, maxlen, def, doc)    char *key;
#define CFG_INT(sec, key, unit, min, max, def, doc)  long long key;
#define CFG_BOOL(sec, key, def, doc)                 bool key;
#define CFG_ENUM(sec, key, TAG, def, doc, ...)       enum cfg_##sec##_##key key;
#define CFG_DUR(sec, key, min, max, def, doc)        long long key##_ms;
#define CFG_REAL(sec, key, unit, min, max, def, doc) double key;
#include "core/cfg.def"
};

/* The whole configuration. Caller-owned; cfg_init fills it, cfg_release frees
 * what it owns. The strings and routes are owned by the struct: copy it only
 * to read, never release both copies. */
struct cfg {
#define CFG_DEF_ROUTES                               0
#define CFG_STR(sec, key, kind, maxlen, def, doc)    char *sec##_##key;
#define CFG_INT(sec, key, unit, min, max, def, doc)  long long sec##_##key;
#define CFG_BOOL(sec, key, def, doc)                 bool sec##_##key;
#define CFG_ENUM(sec, key, TAG, def, doc, ...)       enum cfg_##sec##_##key sec##_##key;
#define CFG_DUR(sec, key, min, max, def, doc)        long long sec##_##key##_ms;
#define CFG_REAL(sec, key, unit, min, max, def, doc) double sec##_##key;
#include "core/cfg.def"
    struct cfg_route *routes; /* owned; nroutes entries, in file order */
    size_t nroutes;
};

/* Fills c with the built-in defaults and no route. Cannot fail; pair with cfg_release. */
void cfg_init(struct cfg *c);
/* Frees what c owns; c may be initialised again. */
void cfg_release(struct cfg *c);

/* Replaces c, which must be initialised, by the defaults overridden by the
 * text (len bytes, NULs refused, at most CFG_FILE_MAX). name is used in
 * messages ("name:LINE: ..."); borrowed. Returns 0, or RL_ECONFIG with err
 * naming name:line, the key, the value and what is allowed; on failure c is
 * left as it was. */
int cfg_load_string(struct cfg *c, const char *text, size_t len, const char *name,
                    struct rl_err *err);
/* cfg_load_string on the contents of the file at path (borrowed). Returns 0,
 * RL_ECONFIG, or -errno when the file cannot be read (err says which). */
int cfg_load_file(struct cfg *c, const char *path, struct rl_err *err);

/* Sets one key, named "section.key" or "route.NAME.key" (the route must
 * exist), from text as it would be written in the file, unquoted: for
 * command-line overrides. Both strings borrowed. Returns 0 or RL_ECONFIG;
 * on failure c is unchanged. */
int cfg_set(struct cfg *c, const char *key, const char *value, struct rl_err *err);

/* Returns the route named name (borrowed from c), or NULL. */
const struct cfg_route *cfg_route_find(const struct cfg *c, const char *name);

/* c->log_level as the level log_set_level takes. */
enum log_level cfg_log_level(const struct cfg *c);

/* Writes the effective configuration to f in the file format, each key after
 * its description as a comment, secrets masked. Returns 0 or RL_EIO. */
int cfg_print(const struct cfg *c, FILE *f);
/* Writes docs/configuration.md: the file format, then one table per section.
 * The output depends on nothing but cfg.def. Returns 0 or RL_EIO. */
int cfg_doc_markdown(FILE *f);

#endif
