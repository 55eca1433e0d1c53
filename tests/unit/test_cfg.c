/* The configuration file: defaults, every type, bounds, and the messages a
 * user sees. Expected values come from the issue and cfg.def's documented
 * ranges, written out here by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/cfg.h"
#include "smpp/smpp_session.h"

/* Loads text into a fresh cfg named "t.conf"; returns the load's result. */
static int load(struct cfg *c, const char *text, struct rl_err *err)
{
    cfg_init(c);
    memset(err, 0, sizeof(*err));
    return cfg_load_string(c, text, strlen(text), "t.conf", err);
}

/* Asserts text is refused and the message holds each of the fragments. */
static void refused(const char *text, const char *frag1, const char *frag2)
{
    struct cfg c;
    struct rl_err err;
    int rc = load(&c, text, &err);
    if (rc != RL_ECONFIG || !strstr(err.msg, frag1) || (frag2 && !strstr(err.msg, frag2)))
        fail_msg("text:\n%s\nrc=%d msg='%s', want '%s' and '%s'", text, rc, err.msg, frag1,
                 frag2 ? frag2 : "");
    assert_int_equal(err.code, RL_ECONFIG);
    cfg_release(&c);
}

/* Prints c into a new string (free()). */
static char *printed(const struct cfg *c)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    assert_non_null(f);
    assert_int_equal(cfg_print(c, f), 0);
    fclose(f);
    return s;
}

static void defaults(void **state)
{
    (void)state;
    struct cfg c;
    cfg_init(&c);
    assert_int_equal(c.log_level, CFG_LOG_LEVEL_INFO);
    assert_int_equal(cfg_log_level(&c), LOG_INFO);
    assert_string_equal(c.http_listen, "127.0.0.1");
    assert_int_equal(c.http_port, 8080);
    assert_int_equal(c.http_max_body, 1048576);
    assert_string_equal(c.store_path, "relais.db");
    assert_int_equal(c.store_synchronous, CFG_STORE_SYNCHRONOUS_FULL);
    assert_int_equal(c.text_max_parts, 10);
    assert_int_equal(c.text_concat_ref, CFG_TEXT_CONCAT_REF_8);
    assert_false(c.text_smart_encoding);
    assert_string_equal(c.phone_default_region, "FR");
    assert_int_equal(c.nroutes, 0);
    assert_null(c.routes);
    cfg_release(&c);
    cfg_release(&c); /* released twice: harmless */
}

static void empty_route_takes_defaults(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, "[route orange]\n", &err), 0);
    assert_int_equal(c.nroutes, 1);
    const struct cfg_route *r = &c.routes[0];
    assert_string_equal(r->name, "orange");
    assert_string_equal(r->host, "127.0.0.1");
    assert_int_equal(r->port, 2775);
    assert_string_equal(r->system_id, "");
    assert_string_equal(r->password, "");
    assert_string_equal(r->system_type, "");
    assert_int_equal(r->bind, CFG_ROUTE_BIND_TRANSCEIVER);
    assert_int_equal(r->window, 10);
    assert_int_equal(r->throughput, 0);
    assert_int_equal(r->enquire_link_interval_ms, 30000);
    assert_int_equal(r->enquire_link_timeout_ms, 10000);
    assert_int_equal(r->reconnect_min_ms, 1000);
    assert_int_equal(r->reconnect_max_ms, 60000);
    assert_int_equal(r->submit_timeout_ms, 30000);
    assert_true(r->registered_delivery);
    assert_int_equal(r->data_coding_gsm, 0);
    assert_int_equal(r->long_mode, CFG_ROUTE_LONG_MODE_UDH);
    assert_string_equal(r->prefixes, "");
    assert_ptr_equal(cfg_route_find(&c, "orange"), r);
    assert_null(cfg_route_find(&c, "sfr"));
    cfg_release(&c);
}

static void every_singleton_key_parsed(void **state)
{
    (void)state;
    static const char text[] = "[log]\n"
                               "level = debug\n"
                               "[http]\n"
                               "listen = 0.0.0.0\n"
                               "port = 9090\n"
                               "max_body = 2048\n"
                               "[store]\n"
                               "path = /var/lib/relais/relais.db\n"
                               "synchronous = normal\n"
                               "[text]\n"
                               "max_parts = 4\n"
                               "concat_ref = 16\n"
                               "smart_encoding = yes\n"
                               "[phone]\n"
                               "default_region = BE\n";
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), 0);
    assert_int_equal(c.log_level, CFG_LOG_LEVEL_DEBUG);
    assert_int_equal(cfg_log_level(&c), LOG_DEBUG);
    assert_string_equal(c.http_listen, "0.0.0.0");
    assert_int_equal(c.http_port, 9090);
    assert_int_equal(c.http_max_body, 2048);
    assert_string_equal(c.store_path, "/var/lib/relais/relais.db");
    assert_int_equal(c.store_synchronous, CFG_STORE_SYNCHRONOUS_NORMAL);
    assert_int_equal(c.text_max_parts, 4);
    assert_int_equal(c.text_concat_ref, CFG_TEXT_CONCAT_REF_16);
    assert_true(c.text_smart_encoding);
    assert_string_equal(c.phone_default_region, "BE");
    cfg_release(&c);
}

static void every_route_key_parsed(void **state)
{
    (void)state;
    static const char text[] = "[route orange]\n"
                               "host = smpp.example.net\n"
                               "port = 2776\n"
                               "system_id = relais\n"
                               "password = s3cret\n"
                               "system_type = VMA\n"
                               "bind = transmitter_receiver\n"
                               "window = 50\n"
                               "throughput = 120\n"
                               "enquire_link_interval = 45\n"
                               "enquire_link_timeout = 2500ms\n"
                               "reconnect_min = 2s\n"
                               "reconnect_max = 5m\n"
                               "submit_timeout = 1m\n"
                               "registered_delivery = off\n"
                               "data_coding_gsm = 1\n"
                               "long_mode = payload\n"
                               "prefixes = +33, +32,44\n";
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), 0);
    assert_int_equal(c.nroutes, 1);
    const struct cfg_route *r = &c.routes[0];
    assert_string_equal(r->host, "smpp.example.net");
    assert_int_equal(r->port, 2776);
    assert_string_equal(r->system_id, "relais");
    assert_string_equal(r->password, "s3cret");
    assert_string_equal(r->system_type, "VMA");
    assert_int_equal(r->bind, CFG_ROUTE_BIND_TRANSMITTER_RECEIVER);
    assert_int_equal(r->window, 50);
    assert_int_equal(r->throughput, 120);
    assert_int_equal(r->enquire_link_interval_ms, 45000); /* bare number: seconds */
    assert_int_equal(r->enquire_link_timeout_ms, 2500);
    assert_int_equal(r->reconnect_min_ms, 2000);
    assert_int_equal(r->reconnect_max_ms, 300000);
    assert_int_equal(r->submit_timeout_ms, 60000);
    assert_false(r->registered_delivery);
    assert_int_equal(r->data_coding_gsm, 1);
    assert_int_equal(r->long_mode, CFG_ROUTE_LONG_MODE_PAYLOAD);
    assert_string_equal(r->prefixes, "+33,+32,44"); /* spaces dropped */
    cfg_release(&c);
}

static void words_and_units(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err;
    /* Enum words and booleans ignore case; an hour is 3600000 ms. */
    assert_int_equal(load(&c,
                          "[log]\nlevel = WARN\n[text]\nsmart_encoding = TRUE\n"
                          "[route a]\nenquire_link_interval = 1h\nlong_mode = Sar\n",
                          &err),
                     0);
    assert_int_equal(cfg_log_level(&c), LOG_WARN);
    assert_true(c.text_smart_encoding);
    assert_int_equal(c.routes[0].enquire_link_interval_ms, 3600000);
    assert_int_equal(c.routes[0].long_mode, CFG_ROUTE_LONG_MODE_SAR);
    cfg_release(&c);
    assert_int_equal(load(&c, "[log]\nlevel = error\n[text]\nsmart_encoding = 0\n", &err), 0);
    assert_int_equal(cfg_log_level(&c), LOG_ERROR);
    assert_false(c.text_smart_encoding);
    cfg_release(&c);
}

/* min and max accepted, one past either refused with the range in the message. */
static void bounds(void **state)
{
    (void)state;
    static const struct {
        const char *section, *key, *min, *max, *below, *above, *range;
    } t[] = {
        {"[http]", "port", "0", "65535", "-1", "65536", "out of range 0..65535"}, /* 0: any port */
        {"[http]", "max_body", "1024", "67108864", "1023", "67108865",
         "out of range 1024..67108864"},
        {"[text]", "max_parts", "1", "255", "0", "256", "out of range 1..255"},
        {"[route r]", "port", "1", "65535", "0", "65536", "out of range 1..65535"},
        {"[route r]", "window", "1", "10000", "0", "10001", "out of range 1..10000"},
        {"[route r]", "throughput", "0", "1000000", "-1", "1000001", "out of range 0..1000000"},
        {"[route r]", "data_coding_gsm", "0", "255", "-1", "256", "out of range 0..255"},
        {"[route r]", "enquire_link_interval", "1s", "1h", "999ms", "3600001ms",
         "out of range 1s..1h"},
        {"[route r]", "enquire_link_timeout", "1000ms", "10m", "999ms", "600001ms",
         "out of range 1s..10m"},
        {"[route r]", "submit_timeout", "1", "600", "0", "601", "out of range 1s..10m"},
        /* reconnect_min may not exceed reconnect_max: raise that first. */
        {"[route r]\nreconnect_max = 1h", "reconnect_min", "100ms", "10m", "99ms", "600001ms",
         "out of range 100ms..10m"},
        {"[route r]", "reconnect_max", "1s", "1h", "999ms", "61m", "out of range 1s..1h"},
    };
    char text[256], want[128];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *ok[] = {t[i].min, t[i].max}, *bad[] = {t[i].below, t[i].above};
        for (int j = 0; j < 2; j++) {
            struct cfg c;
            struct rl_err err;
            snprintf(text, sizeof(text), "%s\n%s = %s\n", t[i].section, t[i].key, ok[j]);
            if (load(&c, text, &err) != 0)
                fail_msg("%s refused: %s", text, err.msg);
            cfg_release(&c);
            snprintf(text, sizeof(text), "%s\n\n%s = %s\n", t[i].section, t[i].key, bad[j]);
            unsigned line = 3; /* header, blank line, key */
            for (const char *s = t[i].section; (s = strchr(s, '\n')) != NULL; s++)
                line++;
            snprintf(want, sizeof(want), "t.conf:%u: ", line);
            refused(text, want, t[i].range);
            snprintf(want, sizeof(want), "%s: %s", bad[j], t[i].range);
            refused(text, want, NULL);
        }
    }
}

static void issue_messages(void **state)
{
    (void)state;
    /* The three messages quoted in the issue, to the letter. */
    refused("[http]\n\n\n\n\n\n\n\n\n\n\nprot = 8080\n",
            "t.conf:12: unknown key 'prot' in [http] (known: listen, port, max_body, threads, "
            "rate_limit, public_url)",
            NULL);
    refused("\n\n[http]\nport = 70000\n", "t.conf:4: http.port = 70000: out of range 0..65535",
            NULL);
    refused("[store]\n\n\n\n\n\nsynchronous = fast\n",
            "t.conf:7: store.synchronous = 'fast': expected one of full, normal", NULL);
}

static void bad_values(void **state)
{
    (void)state;
    refused("[http]\nport = 80a\n", "t.conf:2: http.port = '80a': expected an integer in 0..65535",
            NULL);
    refused("[http]\nport =\n", "http.port = '': expected an integer", NULL);
    refused("[http]\nport = 99999999999999999999999\n", "out of range 0..65535", NULL);
    refused("[http]\nlisten =\n", "t.conf:2: http.listen = '': must not be empty", NULL);
    refused("[text]\nsmart_encoding = maybe\n",
            "t.conf:2: text.smart_encoding = 'maybe': expected true or false", NULL);
    refused("[text]\nconcat_ref = 12\n", "text.concat_ref = '12': expected one of 8, 16", NULL);
    refused("[log]\nlevel = trace\n", "expected one of debug, info, warn, error", NULL);
    refused("[route a]\nbind = receiver\n",
            "route.a.bind = 'receiver': expected one of transceiver, transmitter_receiver", NULL);
    refused("[route a]\nlong_mode = split\n", "expected one of udh, sar, payload", NULL);
    refused("[route a]\nsubmit_timeout = 1.5s\n",
            "t.conf:2: route.a.submit_timeout = '1.5s': expected a duration", "1s..10m");
    refused("[route a]\nsubmit_timeout = 30 s\n", "expected a duration", NULL);
    refused("[route a]\nsubmit_timeout = -5s\n", "expected a duration", NULL);
    refused("[phone]\ndefault_region = fr\n",
            "t.conf:2: phone.default_region = 'fr': expected 2 upper-case letters", NULL);
    refused("[phone]\ndefault_region = FRA\n", "longer than 2 bytes", NULL);
    refused("[phone]\ndefault_region = F1\n", "expected 2 upper-case letters", NULL);
    refused("[route a]\nprefixes = +33,,+32\n", "route.a.prefixes = '+33,,+32': expected", NULL);
    refused("[route a]\nprefixes = +33,\n", "expected comma-separated prefixes", NULL);
    refused("[route a]\nprefixes = 33a\n", "expected comma-separated prefixes", NULL);
    refused("[route a]\nprefixes = +1234567890123456\n", "1 to 15 digits", NULL); /* 16 */
    /* SMPP 3.4 field limits: system_id 16 octets, password 9, with the NUL. */
    refused("[route a]\nsystem_id = 0123456789abcdef\n", "longer than 15 bytes", NULL);
    refused("[route a]\nsystem_type = 0123456789abc\n", "longer than 12 bytes", NULL);
}

static void secret_never_in_messages(void **state)
{
    (void)state;
    refused("[route a]\npassword = hunter2hunter2\n",
            "t.conf:2: route.a.password = (secret): longer than 8 bytes", NULL);
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, "[route a]\npassword = hunter2hunter2\n", &err), RL_ECONFIG);
    assert_null(strstr(err.msg, "hunter2"));
    cfg_release(&c);
}

static void unknown_sections_and_keys(void **state)
{
    (void)state;
    refused("[htp]\n",
            "t.conf:1: unknown section [htp] (known: log, http, api, store, text, phone, "
            "billing, dispatch, rules, consent, campaigns, route NAME)",
            NULL);
    refused("[route]\n", "t.conf:1: [route] needs a name: [route NAME]", NULL);
    refused("[http main]\n", "t.conf:1: [http] takes no name", NULL);
    refused("[route a b]\n", "t.conf:1: [route a b]: a name is 1 to 32 letters", NULL);
    refused("[route a.b]\n", "[route a.b]: a name is", NULL);
    refused("[route 0123456789abcdef0123456789abcdefX]\n", "a name is 1 to 32", NULL);
    refused("[http\n", "t.conf:1: missing ']'", NULL);
    refused("[http] port = 1\n", "t.conf:1: unexpected text after ']'", NULL);
    refused("port = 8080\n", "t.conf:1: key 'port' before any [section]", NULL);
    /* A close typo in a long key list gets a suggestion instead of the list. */
    refused("[route a]\nwindo = 3\n", "t.conf:2: unknown key 'windo' in [route a]",
            "did you mean 'window'?");
}

static void route_key_outside_route(void **state)
{
    (void)state;
    refused("[http]\nwindow = 5\n", "t.conf:2: unknown key 'window' in [http]",
            "'window' belongs in [route NAME]");
    /* A key of another singleton section is pointed at too. */
    refused("[store]\nmax_parts = 5\n", "unknown key 'max_parts' in [store]", "belongs in [text]");
    /* After a route, a singleton header closes it: its keys are refused again. */
    refused("[route a]\nwindow = 5\n[http]\nwindow = 6\n", "t.conf:4: unknown key 'window'", NULL);
}

static void syntax(void **state)
{
    (void)state;
    refused("[http]\nport 8080\n", "t.conf:2: expected 'key = value', '[section]' or a comment",
            NULL);
    refused("[http]\n= 8080\n", "t.conf:2: missing key before '='", NULL);
    refused("[http]\nlisten = \"a b\n", "t.conf:2: http.listen: missing closing '\"'", NULL);
    refused("[http]\nlisten = \"a\\n\"\n", "http.listen: unknown escape", NULL);
    refused("[http]\nlisten = \"a\" b\n", "unexpected text after the closing '\"'", NULL);
    refused("[http]\nlisten = a\tb\n", "control characters are not allowed", NULL);
    /* Each line is capped: 4096 bytes pass, 4097 do not. */
    char *text = malloc(5000);
    memcpy(text, "[http]\nlisten = ", 16);
    memset(text + 16, 'a', 4096 - 9);
    memcpy(text + 16 + 4096 - 9, "\n", 2); /* "listen = " is 9 bytes: the line is 4096 */
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), RL_ECONFIG); /* long, but over 253 bytes */
    assert_non_null(strstr(err.msg, "longer than 253 bytes"));
    cfg_release(&c);
    memcpy(text + 16 + 4096 - 9, "a\n", 3);
    refused(text, "t.conf:2: line longer than 4096 bytes", NULL);
    free(text);
}

static void file_size_and_nul(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err;
    size_t n = CFG_FILE_MAX + 1;
    char *big = malloc(n);
    memset(big, '\n', n);
    cfg_init(&c);
    assert_int_equal(cfg_load_string(&c, big, n, "big.conf", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "big.conf: larger than 1048576 bytes");
    assert_int_equal(cfg_load_string(&c, big, n - 1, "big.conf", &err), 0); /* 1 MiB exactly */
    free(big);
    static const char nul[] = "[http]\nport = 80\0\n";
    assert_int_equal(cfg_load_string(&c, nul, sizeof(nul) - 1, "n.conf", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "n.conf:2: NUL byte in line");
    cfg_release(&c);
}

static void duplicates(void **state)
{
    (void)state;
    refused("[http]\nport = 1\n\nport = 2\n",
            "t.conf:4: http.port set twice in one section (first at line 2)", NULL);
    /* Reopening a section does not make a repeat legal. */
    refused("[http]\nport = 1\n[log]\n[http]\nport = 2\n", "t.conf:5: http.port set twice",
            "line 2");
    refused("[route a]\nwindow = 1\n[route b]\n[route a]\n",
            "t.conf:4: [route a] declared twice (first at line 1)", NULL);
    /* The same key in two routes is not a repeat. */
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, "[route a]\nport = 1\n[route b]\nport = 2\n", &err), 0);
    cfg_release(&c);
}

static void quoting_and_comments(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF# a comment\r\n"
                               "; another\n"
                               "   # indented\n"
                               "\n"
                               "[ http ]   # after a header\n"
                               "listen = \" a # b \\\"q\\\" \\\\ \"  # trailing\n"
                               "port=8081\t# after a tab\n"
                               "[store]\n"
                               "path = x#y\n"
                               "[route a]\n"
                               "password = \"p#ss w\"\r\n"
                               "system_id = id # comment\n"
                               "system_type = \"\"\n";
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), 0);
    assert_string_equal(c.http_listen, " a # b \"q\" \\ ");
    assert_int_equal(c.http_port, 8081);
    assert_string_equal(c.store_path, "x#y");
    assert_string_equal(c.routes[0].password, "p#ss w");
    assert_string_equal(c.routes[0].system_id, "id");
    assert_string_equal(c.routes[0].system_type, "");
    cfg_release(&c);
    /* Without a space before it, '#' is part of the value. */
    refused("[http]\nport = 8081# glued\n", "http.port = '8081# glued': expected an integer", NULL);
}

static void two_routes(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c,
                          "[route orange]\nwindow = 20\nprefixes = +33\n"
                          "[http]\nport = 9000\n"
                          "[route belgacom-2]\nwindow = 5\n",
                          &err),
                     0);
    assert_int_equal(c.nroutes, 2);
    assert_string_equal(c.routes[0].name, "orange");
    assert_int_equal(c.routes[0].window, 20);
    assert_string_equal(c.routes[0].prefixes, "+33");
    assert_string_equal(c.routes[1].name, "belgacom-2");
    assert_int_equal(c.routes[1].window, 5);
    assert_string_equal(c.routes[1].prefixes, "");
    assert_int_equal(c.http_port, 9000);
    cfg_release(&c);
}

static void route_cap(void **state)
{
    (void)state;
    char text[2048];
    size_t n = 0;
    for (int i = 0; i <= CFG_ROUTES_MAX; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "[route r%d]\n", i);
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), RL_ECONFIG);
    assert_string_equal(err.msg, "t.conf:65: more than 64 [route NAME] sections");
    cfg_release(&c);
    text[n - strlen("[route r64]\n")] = '\0'; /* 64 routes: fine */
    assert_int_equal(load(&c, text, &err), 0);
    assert_int_equal(c.nroutes, 64);
    cfg_release(&c);
}

static void reconnect_order(void **state)
{
    (void)state;
    refused("[route a]\nreconnect_min = 5m\n\nreconnect_max = 1m\n",
            "t.conf:4: [route a]: reconnect_min = 5m is above reconnect_max = 1m", NULL);
    /* Equal is fine. */
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, "[route a]\nreconnect_min = 2s\nreconnect_max = 2000ms\n", &err), 0);
    cfg_release(&c);
}

static void failed_load_keeps_config(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err;
    assert_int_equal(load(&c, "[http]\nport = 1234\n[route a]\n", &err), 0);
    assert_int_equal(cfg_load_string(&c, "[http]\nport = 4321\nbad\n", 23, "u.conf", &err),
                     RL_ECONFIG);
    assert_string_equal(err.msg, "u.conf:3: expected 'key = value', '[section]' or a comment");
    assert_int_equal(c.http_port, 1234);
    assert_int_equal(c.nroutes, 1);
    /* A successful load replaces everything: defaults, then the new text. */
    assert_int_equal(cfg_load_string(&c, "[log]\nlevel = warn\n", 19, "v.conf", &err), 0);
    assert_int_equal(c.http_port, 8080);
    assert_int_equal(c.nroutes, 0);
    cfg_release(&c);
}

static void set_overrides(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err = {0};
    assert_int_equal(load(&c, "[route orange]\nwindow = 20\n", &err), 0);
    assert_int_equal(cfg_set(&c, "http.port", "9000", &err), 0);
    assert_int_equal(c.http_port, 9000);
    assert_int_equal(cfg_set(&c, "store.path", "/tmp/x.db", &err), 0);
    assert_string_equal(c.store_path, "/tmp/x.db");
    assert_int_equal(cfg_set(&c, "route.orange.window", "30", &err), 0);
    assert_int_equal(c.routes[0].window, 30);
    assert_int_equal(cfg_set(&c, "route.orange.submit_timeout", "2m", &err), 0);
    assert_int_equal(c.routes[0].submit_timeout_ms, 120000);

    assert_int_equal(cfg_set(&c, "http.port", "65536", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "http.port = 65536: out of range 0..65535");
    assert_string_equal(err.field, "http.port");
    assert_int_equal(c.http_port, 9000);
    assert_int_equal(cfg_set(&c, "route.orange.window", "0", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "route.orange.window = 0: out of range 1..10000");
    assert_int_equal(cfg_set(&c, "route.sfr.window", "3", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "no [route sfr] is declared");
    assert_int_equal(cfg_set(&c, "http.prot", "3", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "unknown key 'prot' in [http] (known: listen, port, max_body, "
                                 "threads, rate_limit, public_url)");
    assert_int_equal(cfg_set(&c, "port", "3", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "'port': expected section.key or route.NAME.key");
    assert_int_equal(cfg_set(&c, "htp.port", "3", &err), RL_ECONFIG);
    assert_non_null(strstr(err.msg, "unknown section 'htp'"));
    /* An override may not break what the file guarantees. */
    assert_int_equal(cfg_set(&c, "route.orange.reconnect_min", "2m", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "route.orange: reconnect_min = 2m is above reconnect_max = 1m");
    assert_int_equal(c.routes[0].reconnect_min_ms, 1000);
    cfg_release(&c);
}

static void print_masks_secret_and_round_trips(void **state)
{
    (void)state;
    static const char text[] = "[http]\nlisten = \"a \\\"b\\\" #c\"\n"
                               "[route orange]\npassword = s3cret\nsystem_id = ab\n"
                               "reconnect_max = 45m\nenquire_link_timeout = 1500ms\n"
                               "[route b]\n";
    struct cfg c, again;
    struct rl_err err;
    assert_int_equal(load(&c, text, &err), 0);
    char *out = printed(&c);
    assert_null(strstr(out, "s3cret"));
    assert_non_null(strstr(out, "\npassword = \"********\"\n"));
    assert_non_null(strstr(out, "\n[route orange]\n"));
    assert_non_null(strstr(out, "\nlisten = \"a \\\"b\\\" #c\"\n"));
    assert_non_null(strstr(out, "\nreconnect_max = 45m\n"));
    assert_non_null(strstr(out, "\nenquire_link_timeout = 1500ms\n"));
    assert_non_null(strstr(out, "\n# TCP port of the HTTP server; 0 takes any free port, logged "
                                "at start (for tests).\n# integer 0..65535; default 8080\nport = "
                                "8080\n"));
    /* An empty secret shows as empty: nothing to hide, and the omission shows. */
    assert_non_null(strstr(out, "[route b]"));
    assert_non_null(strstr(strstr(out, "[route b]"), "\npassword = \"\"\n"));
    /* The printed form reads back to the same configuration. */
    assert_int_equal(load(&again, out, &err), 0);
    assert_string_equal(again.http_listen, "a \"b\" #c");
    assert_string_equal(again.routes[0].password, CFG_SECRET_MASK);
    assert_int_equal(again.routes[0].reconnect_max_ms, 45 * 60000);
    char *out2 = printed(&again);
    assert_string_equal(out, out2);
    free(out);
    free(out2);
    cfg_release(&again);
    cfg_release(&c);
}

static void markdown_documents_every_key(void **state)
{
    (void)state;
    char *md = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&md, &n);
    assert_int_equal(cfg_doc_markdown(f), 0);
    fclose(f);
    assert_non_null(strstr(md, "# Configuration\n"));
    const char *sec = md;
    char want[256];
#define CFG_SECTION(s, doc)                                                                        \
    snprintf(want, sizeof(want), "\n## [%s]\n\n%s\n", #s, doc);                                    \
    assert_non_null(sec = strstr(md, want));
#define CFG_NAMED(s, doc)                                                                          \
    snprintf(want, sizeof(want), "\n## [%s NAME]\n\n%s\n", #s, doc);                               \
    assert_non_null(sec = strstr(md, want));
#define KEY(s, k, doc)                                                                             \
    snprintf(want, sizeof(want), "\n| `%s` | ", #k);                                               \
    if (!strstr(sec, want) || !strstr(strstr(sec, want), doc))                                     \
        fail_msg("%s.%s missing from the markdown", #s, #k);
#define CFG_STR(s, k, kind, maxlen, def, doc)    KEY(s, k, doc)
#define CFG_INT(s, k, unit, min, max, def, doc)  KEY(s, k, doc)
#define CFG_BOOL(s, k, def, doc)                 KEY(s, k, doc)
#define CFG_ENUM(s, k, TAG, def, doc, ...)       KEY(s, k, doc)
#define CFG_DUR(s, k, min, max, def, doc)        KEY(s, k, doc)
#define CFG_REAL(s, k, unit, min, max, def, doc) KEY(s, k, doc)
#include "core/cfg.def"
#undef KEY
    /* A few rows checked whole. */
    assert_non_null(strstr(md, "| `port` | integer | `8080` | 0..65535 | TCP port of the HTTP "
                               "server; 0 takes any free port, logged at start (for tests). |\n"));
    assert_non_null(strstr(md, "| `enquire_link_interval` | duration | `30s` | 1s..1h | "));
    assert_non_null(strstr(md, "| `synchronous` | enum | `full` | full, normal | FULL fsyncs"));
    /* Deterministic: a second run gives the same bytes. */
    char *md2 = NULL;
    f = open_memstream(&md2, &n);
    cfg_doc_markdown(f);
    fclose(f);
    assert_string_equal(md, md2);
    free(md);
    free(md2);
}

static void load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_cfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "[http]\nport = 7000\n[text]\nmax_parts = 0\n";
    assert_int_equal(write(fd, text, 19), 19); /* the valid first two lines */
    close(fd);
    struct cfg c;
    struct rl_err err;
    cfg_init(&c);
    assert_int_equal(cfg_load_file(&c, path, &err), 0);
    assert_int_equal(c.http_port, 7000);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    assert_int_equal(cfg_load_file(&c, path, &err), RL_ECONFIG);
    char want[128];
    snprintf(want, sizeof(want), "%s:4: text.max_parts = 0: out of range 1..255", path);
    assert_string_equal(err.msg, want);
    unlink(path);
    assert_int_equal(cfg_load_file(&c, path, &err), -ENOENT);
    snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(c.http_port, 7000);
    cfg_release(&c);
}

/* The route's receipt-id and submit-timeout policies reach the connector. */
static void route_policies(void **state)
{
    (void)state;
    struct cfg c;
    struct rl_err err = {0};
    struct smpp_route_opts o;
    cfg_init(&c);
    const char *text = "[route a]\n[route b]\nreceipt_ids = resp_hex_dlr_dec\n"
                       "on_submit_timeout = unknown\n";
    assert_int_equal(cfg_load_string(&c, text, strlen(text), "t.conf", &err), 0);
    smpp_route_opts_from_cfg(&o, &c.routes[0]);
    assert_int_equal(o.id_mode, SMPP_ID_SAME); /* the defaults */
    assert_int_equal(o.on_submit_timeout, SMPP_TIMEOUT_RESUBMIT);
    /* The connector's own defaults (for smpp-send without a file) are the
     * ones cfg.def declares: an empty [route] section changes nothing. */
    struct smpp_route_opts d;
    smpp_route_opts_default(&d);
    snprintf(d.name, sizeof(d.name), "a");
    assert_memory_equal(&d, &o, sizeof(d));
    smpp_route_opts_from_cfg(&o, &c.routes[1]);
    assert_int_equal(o.id_mode, SMPP_ID_RESP_HEX_DLR_DEC);
    assert_int_equal(o.on_submit_timeout, SMPP_TIMEOUT_UNKNOWN);
    const char *bad = "[route a]\nreceipt_ids = hex\n";
    assert_int_equal(cfg_load_string(&c, bad, strlen(bad), "t.conf", &err), RL_ECONFIG);
    assert_string_equal(err.msg, "t.conf:2: route.a.receipt_ids = 'hex': expected one of same, "
                                 "resp_hex_dlr_dec, resp_dec_dlr_hex");
    cfg_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(empty_route_takes_defaults),
        cmocka_unit_test(every_singleton_key_parsed),
        cmocka_unit_test(every_route_key_parsed),
        cmocka_unit_test(words_and_units),
        cmocka_unit_test(bounds),
        cmocka_unit_test(issue_messages),
        cmocka_unit_test(bad_values),
        cmocka_unit_test(secret_never_in_messages),
        cmocka_unit_test(unknown_sections_and_keys),
        cmocka_unit_test(route_key_outside_route),
        cmocka_unit_test(syntax),
        cmocka_unit_test(file_size_and_nul),
        cmocka_unit_test(duplicates),
        cmocka_unit_test(quoting_and_comments),
        cmocka_unit_test(two_routes),
        cmocka_unit_test(route_cap),
        cmocka_unit_test(reconnect_order),
        cmocka_unit_test(failed_load_keeps_config),
        cmocka_unit_test(set_overrides),
        cmocka_unit_test(print_masks_secret_and_round_trips),
        cmocka_unit_test(markdown_documents_every_key),
        cmocka_unit_test(load_file),
        cmocka_unit_test(route_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
