/* The configuration as text: `relais config --print` and docs/configuration.md. */
#include <string.h>

#include "core/buf.h"
#include "core/cfg_int.h"
#include "core/banned.h"

static const char *type_name(const struct key *k)
{
    static const char *const str_names[] = {"string", "string", "secret string", "region code",
                                            "prefix list"};
    static const char *const names[] = {"string", "integer",  "boolean",
                                        "enum",   "duration", "number"};
    return k->type == T_STR ? str_names[k->kind] : names[k->type];
}

/* Type and allowed values in one phrase, for --print: "integer 1..65535". */
static void put_type(FILE *f, const struct key *k)
{
    char allowed[128];
    bool unit = k->unit && k->unit[0];
    cfg_describe_allowed(k, allowed, sizeof(allowed));
    if (k->type == T_INT || k->type == T_REAL)
        fprintf(f, "%s %s%s%s", type_name(k), allowed, unit ? " " : "", unit ? k->unit : "");
    else if (k->type == T_DUR)
        fprintf(f, "duration %s", allowed);
    else if (k->type == T_BOOL)
        fputs("true or false", f);
    else if (k->type == T_ENUM)
        fprintf(f, "one of %s", allowed);
    else if (k->kind == STR_REGION || k->kind == STR_PREFIXES)
        fputs(allowed, f);
    else
        fprintf(f, "%s of %s", type_name(k), allowed);
}

/* Writes a value as the file reads it back: strings always quoted. */
static void put_value(FILE *f, const struct key *k, union value v, bool mask)
{
    char tmp[64];
    switch (k->type) {
    case T_STR:
        if (mask && k->kind == STR_SECRET && v.s[0])
            v.s = CFG_SECRET_MASK;
        fputc('"', f);
        for (const char *s = v.s; *s; s++) {
            if (*s == '"' || *s == '\\')
                fputc('\\', f);
            fputc(*s, f);
        }
        fputc('"', f);
        return;
    case T_INT:
        snprintf(tmp, sizeof(tmp), "%lld", v.i);
        break;
    case T_DUR:
        cfg_fmt_dur(v.i, tmp, sizeof(tmp));
        break;
    case T_BOOL:
        snprintf(tmp, sizeof(tmp), "%s", v.b ? "true" : "false");
        break;
    case T_ENUM:
        cfg_word_at(k, (size_t)v.i, tmp);
        break;
    case T_REAL:
        snprintf(tmp, sizeof(tmp), "%.17g", v.r);
        break;
    }
    fputs(tmp, f);
}

/* A value as messages show it: at most 40 bytes, control characters as '?'
 * so that a hostile file cannot drive the terminal. */

/* --- printing --------------------------------------------------------------- */

static void print_keys(FILE *f, const struct section *s, const void *base)
{
    size_t n;
    const struct key *keys = cfg_section_keys(s, &n);
    for (size_t i = 0; i < n; i++) {
        const struct key *k = &keys[i];
        if (strcmp(k->sec, s->name) != 0)
            continue;
        fprintf(f, "\n# %s\n# ", k->doc);
        put_type(f, k);
        fputs("; default ", f);
        put_value(f, k, cfg_key_default(k), false);
        fprintf(f, "\n%s = ", k->name);
        put_value(f, k, cfg_key_get(base, k), true);
        fputc('\n', f);
    }
}

int cfg_print(const struct cfg *c, FILE *f)
{
    fprintf(f, "# relais configuration: the effective values, secrets masked.\n"
               "# 'relais config --doc' describes the format and every key.\n");
    for (size_t i = 0; i < CFG_NSECTIONS; i++) {
        const struct section *s = &cfg_sections[i];
        if (!s->named) {
            fprintf(f, "\n[%s]\n", s->name);
            print_keys(f, s, c);
            continue;
        }
        for (size_t r = 0; r < c->nroutes; r++) {
            fprintf(f, "\n[%s %s]\n", s->name, c->routes[r].name);
            print_keys(f, s, &c->routes[r]);
        }
        if (c->nroutes == 0)
            fprintf(f, "\n# No [%s NAME] section is declared.\n", s->name);
    }
    return fflush(f) != 0 || ferror(f) ? RL_EIO : 0;
}

/* --- documentation ---------------------------------------------------------- */

/* A markdown table cell: '|' would end it early. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void md_section(FILE *f, const struct section *s)
{
    char allowed[128];
    size_t n;
    const struct key *keys = cfg_section_keys(s, &n);
    fprintf(f, "\n## [%s%s]\n\n%s\n\n", s->name, s->named ? " NAME" : "", s->doc);
    fprintf(f, "| Key | Type | Default | Allowed | Description |\n"
               "|-----|------|---------|---------|-------------|\n");
    for (size_t i = 0; i < n; i++) {
        const struct key *k = &keys[i];
        if (strcmp(k->sec, s->name) != 0)
            continue;
        cfg_describe_allowed(k, allowed, sizeof(allowed));
        fprintf(f, "| `%s` | %s%s%s | `", k->name, type_name(k),
                k->unit && k->unit[0] ? " in " : "", k->unit ? k->unit : "");
        put_value(f, k, cfg_key_default(k), false);
        fputs("` | ", f);
        md_cell(f, allowed);
        fputs(" | ", f);
        md_cell(f, k->doc);
        fputs(" |\n", f);
    }
}

static const char doc_intro[] =
    "# Configuration\n"
    "\n"
    "<!-- Generated from src/core/cfg.def by `relais config --doc`: edit cfg.def, then run\n"
    "     `make docs`. -->\n"
    "\n"
    "relais reads its settings from one file, `relais.conf`. `relais config --check` checks\n"
    "a file, `relais config --print` shows the effective settings with the defaults filled\n"
    "in; both read the file given with `--config FILE`, else `relais.conf` in the current\n"
    "directory if there is one, else use the built-in defaults below.\n"
    "\n"
    "## File format\n"
    "\n"
    "```ini\n"
    "# relais.conf\n"
    "[http]\n"
    "port = 8080\n"
    "\n"
    "[route orange]\n"
    "host = smpp.example.net   # a comment\n"
    "password = \"p#ss w\"\n"
    "window = 20\n"
    "```\n"
    "\n"
    "- `key = value` lines under `[section]` headers; spaces around keys and values are\n"
    "  ignored. A key left out keeps its default.\n"
    "- Lines starting with `#` or `;` are comments, and so is a `#` after a space or tab\n"
    "  at the end of a value.\n"
    "- A value in double quotes keeps its spaces and `#`; inside, `\\\"` is a quote and\n"
    "  `\\\\` a backslash.\n"
    "- Integers are decimal. Booleans are `true` or `false` (also `yes`/`no`, `on`/`off`,\n"
    "  `1`/`0`). Durations are a whole number with a unit, `500ms`, `30s`, `5m` or `1h`;\n"
    "  a bare number is seconds. Enum words are case-insensitive.\n"
    "- `[route NAME]` may appear once per NAME (1 to 32 letters, digits, `_` or `-`), at\n"
    "  most 64 times; each route starts from the defaults of its keys.\n"
    "- In messages and overrides, a key is named `section.key` (`http.port`) or\n"
    "  `route.NAME.key` (`route.orange.window`).\n"
    "\n"
    "A file relais cannot read exactly as written is refused, never half applied: an\n"
    "unknown section or key, a value of the wrong type or out of range, a key set twice in\n"
    "one section, a route declared twice, a line without `=`, a line over 4096 bytes or a\n"
    "file over 1 MiB. The message names the file, the line, the key, the value and what is\n"
    "allowed:\n"
    "\n"
    "```\n"
    "relais.conf:3: http.port = 70000: out of range 1..65535\n"
    "relais.conf:7: store.synchronous = 'fast': expected one of full, normal\n"
    "```\n";

int cfg_doc_markdown(FILE *f)
{
    fputs(doc_intro, f);
    for (size_t i = 0; i < CFG_NSECTIONS; i++)
        md_section(f, &cfg_sections[i]);
    return fflush(f) != 0 || ferror(f) ? RL_EIO : 0;
}
