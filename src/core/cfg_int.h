#ifndef RL_CFG_INT_H
#define RL_CFG_INT_H

/* What cfg.c (parsing) and cfg_doc.c (the printed form and the markdown)
 * share: the key and section tables built from cfg.def, and how a key's
 * values and bounds are written. Private to src/core/cfg*.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/cfg.h"

enum type { T_STR, T_INT, T_BOOL, T_ENUM, T_DUR, T_REAL };
enum str_kind { STR_ANY, STR_NONEMPTY, STR_SECRET, STR_REGION, STR_PREFIXES };

struct key {
    const char *sec;
    const char *name;
    enum type type;
    size_t off;              /* of the field, in struct cfg or struct cfg_route */
    const char *unit;        /* int and real: shown in the docs */
    long long min, max, def; /* int, dur (ms), bool, enum (word index); str: max bytes */
    double rmin, rmax, rdef; /* real */
    const char *sdef;        /* str */
    enum str_kind kind;      /* str */
    const char *words;       /* enum: "FULL, NORMAL" as written in cfg.def */
    size_t nwords;
    const char *doc;
};

struct section {
    const char *name;
    const char *doc;
    bool named; /* [route NAME]: keys in struct cfg_route, one instance per NAME */
};

union value {
    char *s;
    long long i;
    bool b;
    double r;
};

#define WORD_MAX 32

/* Every section, in cfg.def's order. */
extern const struct section cfg_sections[];
extern const size_t cfg_nsections;
#define CFG_NSECTIONS cfg_nsections

/* The keys of s (a table shared by every section of its kind: filter on k->sec). */
const struct key *cfg_section_keys(const struct section *s, size_t *n);
/* The default of k, and its value in base (a struct cfg or struct cfg_route). */
union value cfg_key_default(const struct key *k);
union value cfg_key_get(const void *base, const struct key *k);
/* The i-th allowed word of an enum key, lower-cased into out. */
const char *cfg_word_at(const struct key *k, size_t i, char out[WORD_MAX]);
/* ms as the shortest exact form: "30s", "1500ms", "1h". */
void cfg_fmt_dur(long long ms, char *out, size_t n);
/* What k allows: "0..65535", "one of full, normal", … */
void cfg_describe_allowed(const struct key *k, char *out, size_t n);

#endif
