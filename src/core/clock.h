#ifndef RL_CORE_CLOCK_H
#define RL_CORE_CLOCK_H

#include <stdint.h>

/* "2026-11-21T23:40:00.123Z" and its NUL, with room. */
#define CLOCK_UTC_SIZE 32

/* Writes ms (milliseconds since the Unix epoch) as RFC 3339 in UTC with
 * milliseconds, the form the API answers with and the history records. */
void clock_utc_format(int64_t ms, char out[CLOCK_UTC_SIZE]);

#endif
