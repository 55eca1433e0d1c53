/* core: the capped buffer, the log line format, the error table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

static void buf_grows_and_stays_terminated(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_string_equal(b.data, ""); /* usable before any append */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_addch(&b, 'x'), 0);
    assert_int_equal(b.len, 1000);
    assert_int_equal(b.data[1000], '\0');
    assert_int_equal(buf_addf(&b, "%d-%s", 42, "ok"), 0);
    assert_string_equal(b.data + 1000, "42-ok");
    buf_release(&b);
}

static void buf_cap_refuses_and_keeps_what_it_had(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_adds(&b, "12345678"), 0); /* exactly the cap */
    assert_int_equal(buf_addch(&b, '9'), RL_ETOOLONG);
    assert_int_equal(buf_addf(&b, "%s", "more"), RL_ETOOLONG);
    assert_string_equal(b.data, "12345678");
    size_t len;
    char *d = buf_detach(&b, &len);
    assert_int_equal(len, 8);
    assert_int_equal(b.len, 0);
    free(d);
}

static char *capture(void (*fn)(void))
{
    FILE *f = tmpfile();
    log_set_stream(f);
    fn();
    log_set_stream(NULL);
    long n = ftell(f);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static void emit(void)
{
    log_set_level(LOG_INFO);
    log_info("smpp", "bound", "route=%s window=%u", "orange", 10u);
    log_debug("smpp", "hidden", "x=%d", 1); /* below the level: not written */
    log_warn("store", "slow", "%s", "");    /* no keys: no trailing space */
}

static void log_line_format(void **state)
{
    (void)state;
    char *s = capture(emit);
    regex_t re;
    assert_int_equal(
        regcomp(&re,
                "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                "level=info mod=smpp msg=bound route=orange window=10\n"
                "ts=[^ ]+ level=warn mod=store msg=slow\n$",
                REG_EXTENDED),
        0);
    assert_int_equal(regexec(&re, s, 0, NULL, 0), 0);
    regfree(&re);
    free(s);
}

static void log_levels_parse(void **state)
{
    (void)state;
    enum log_level l;
    assert_int_equal(log_level_parse("WARN", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_level_parse("verbose", &l), RL_EINVAL);
}

static void error_table(void **state)
{
    (void)state;
    assert_string_equal(rl_errname(RL_EPHONE), "invalid_phone");
    assert_string_equal(rl_strerror(RL_EUTF8), "text is not valid UTF-8");
    assert_string_equal(rl_strerror(-ENOENT), strerror(ENOENT)); /* system errors pass through */
    assert_true(RL_ELAST < -4095);                               /* below every -errno */
    struct rl_err e;
    assert_int_equal(rl_err_set(&e, RL_ERANGE, "http.port", "port %d", 70000), RL_ERANGE);
    assert_string_equal(e.field, "http.port");
    assert_string_equal(e.msg, "port 70000");
    assert_int_equal(rl_err_set(NULL, RL_ERANGE, NULL, "x"), RL_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_stays_terminated),
        cmocka_unit_test(buf_cap_refuses_and_keeps_what_it_had),
        cmocka_unit_test(log_line_format),
        cmocka_unit_test(log_levels_parse),
        cmocka_unit_test(error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
