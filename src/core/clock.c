#include "core/clock.h"

#include <stdio.h>
#include <time.h>

#include "core/banned.h"

void clock_utc_format(int64_t ms, char out[CLOCK_UTC_SIZE])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char tmp[96]; /* what the compiler can prove of any int fields */
    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    snprintf(out, CLOCK_UTC_SIZE, "%.*s", CLOCK_UTC_SIZE - 1, tmp);
}
