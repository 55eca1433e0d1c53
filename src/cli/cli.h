#ifndef RL_CLI_H
#define RL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "core/cfg.h"
#include "core/err.h"

/* The command line: one function per subcommand, dispatched from main.c.
 * Exit codes are part of the interface scripts rely on. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Read when no --config is given and the current directory has it. */
#define CLI_DEFAULT_CONFIG "relais.conf"

/* Prints "relais CMD: <message>" and a pointer to --help on stderr; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "relais CMD: <message>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv holds -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);
/* Reads all of standard input, at most max bytes; returns new memory (free()) or NULL. */
char *cli_read_stdin(size_t max, size_t *len);

/* The fields `relais inspect` prints for a text, shared with `relais render`:
 * encoding, units, segments, per_segment, remaining, replaced (in that order).
 * With smart, look-alikes are replaced first. *final (if not NULL) gets the text
 * as it would be sent (new; free()). Returns a new object, or NULL with err set. */
json_t *cli_text_json(const char *text, size_t len, bool smart, char **final, struct rl_err *err);
/* Prints obj as one compact line on stdout, keys in insertion order. */
void cli_print_json(json_t *obj);

int cli_inspect(int argc, char **argv);
int cli_phone(int argc, char **argv);
int cli_render(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_smsc_sim(int argc, char **argv);
int cli_smpp_send(int argc, char **argv);
int cli_accounts(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_contacts(int argc, char **argv);
int cli_when(int argc, char **argv);

/* Loads path, or relais.conf from the current directory if path is NULL and
 * there is one, or else keeps the defaults; c must be initialised. *used (if
 * not NULL) gets the file read, or NULL. Returns 0 or CLI_FAIL after printing
 * the error naming file:line. */
int cli_load_config(const char *cmd, const char *path, struct cfg *c, const char **used);

struct store;
/* Opens (and migrates) the store of c, or the file db when not NULL (a --db
 * option). Returns CLI_OK with *out (close with store_close), or CLI_FAIL
 * after printing the error. */
/* Applies the configuration's store settings (the low-balance threshold) to s. */
void cli_store_tune(const struct cfg *c, struct store *s);
/* Checks what cfg.c cannot (window specs, amounts, price lists) in c, loaded
 * from path (NULL: the defaults); again after --set overrides. */
int cli_check_config(const char *cmd, const char *path, const struct cfg *c);
int cli_open_store(const char *cmd, const struct cfg *c, const char *db, struct store **out);

#endif
