#ifndef RL_LOG_H
#define RL_LOG_H

#include <stdbool.h>
#include <stdio.h>

/* One line per event on stderr, key=value:
 *   ts=2026-11-21T23:40:00.123Z level=info mod=smpp msg=bound route=orange window=10
 * The level is tested before anything is formatted. Never log secrets; message
 * bodies only at debug. */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

void log_set_level(enum log_level level);
/* Sets the level and ignores later log_set_level calls: -v and -q on the
 * command line win over the configuration file. */
void log_pin_level(enum log_level level);
enum log_level log_get_level(void);
/* Where lines go (stderr by default); borrows f. */
void log_set_stream(FILE *f);
/* Parses "debug", "info", "warn", "error", "off"; returns 0 or RL_EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

static inline bool log_enabled(enum log_level level)
{
    return level >= log_get_level();
}

/* mod and msg are single tokens; fmt adds the key=value pairs (may be ""). */
void log_write(enum log_level level, const char *mod, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG_AT(level, mod, msg, ...)                                                               \
    do {                                                                                           \
        if (log_enabled(level))                                                                    \
            log_write(level, mod, msg, __VA_ARGS__);                                               \
    } while (0)
#define log_debug(mod, msg, ...) LOG_AT(LOG_DEBUG, mod, msg, __VA_ARGS__)
#define log_info(mod, msg, ...)  LOG_AT(LOG_INFO, mod, msg, __VA_ARGS__)
#define log_warn(mod, msg, ...)  LOG_AT(LOG_WARN, mod, msg, __VA_ARGS__)
#define log_error(mod, msg, ...) LOG_AT(LOG_ERROR, mod, msg, __VA_ARGS__)

#endif
