#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "core/banned.h"

static const char *const names[] = {"debug", "info", "warn", "error", "off"};
static enum log_level current = LOG_INFO;
static bool pinned;
static FILE *stream;
/* Lines from several threads must not interleave: one lock around one fwrite. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
    if (!pinned)
        current = level;
}

void log_pin_level(enum log_level level)
{
    current = level;
    pinned = true;
}

enum log_level log_get_level(void)
{
    return current;
}

void log_set_stream(FILE *f)
{
    stream = f;
}

const char *log_level_name(enum log_level level)
{
    return level <= LOG_OFF ? names[level] : "?";
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return RL_EINVAL;
}

void log_write(enum log_level level, const char *mod, const char *msg, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s mod=%s msg=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, log_level_name(level), mod, msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (fmt && *fmt && len < sizeof(line) - 2) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof(line) - len ? (size_t)m : sizeof(line) - len - 1;
        else
            len--; /* nothing was added: no trailing space */
    }
    /* A line longer than the buffer is cut, never split over two lines. */
    if (len >= sizeof(line) - 1)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    pthread_mutex_lock(&lock);
    fwrite(line, 1, len, stream ? stream : stderr);
    fflush(stream ? stream : stderr);
    pthread_mutex_unlock(&lock);
}
