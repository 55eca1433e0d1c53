/* Consent keywords in inbound texts. Every expectation is derived by hand from
 * the rules (the whole message; case, accents, surrounding
 * punctuation and whitespace ignored), never from the code's output; the
 * UTF-8 bytes of non-ASCII characters are spelt out where the character alone
 * would hide what is tested (a precomposed Ê versus E + combining U+0302). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "domain/keywords.h"

static enum keyword match(const char *s)
{
    return keyword_match(s, strlen(s));
}

static void stop_words(void **state)
{
    (void)state;
    /* The list, as written. */
    assert_int_equal(match("STOP"), KEYWORD_STOP);
    assert_int_equal(match("STOP SMS"), KEYWORD_STOP);
    assert_int_equal(match("ARRET"), KEYWORD_STOP);
    assert_int_equal(match("ARR\xc3\x8aT"), KEYWORD_STOP); /* ARRÊT, Ê = U+00CA */
    assert_int_equal(match("UNSUBSCRIBE"), KEYWORD_STOP);
    assert_int_equal(match("END"), KEYWORD_STOP);
    assert_int_equal(match("QUIT"), KEYWORD_STOP);
    /* Case. */
    assert_int_equal(match("stop"), KEYWORD_STOP);
    assert_int_equal(match("Stop"), KEYWORD_STOP);
    assert_int_equal(match("sToP"), KEYWORD_STOP);
    assert_int_equal(match("Unsubscribe"), KEYWORD_STOP);
    assert_int_equal(match("quit"), KEYWORD_STOP);
    assert_int_equal(match("End"), KEYWORD_STOP);
    /* Accents, precomposed and combining. */
    assert_int_equal(match("arret"), KEYWORD_STOP);
    assert_int_equal(match("arr\xc3\xaat"), KEYWORD_STOP);  /* arrêt, ê = U+00EA */
    assert_int_equal(match("Arr\xc3\xaat"), KEYWORD_STOP);  /* Arrêt */
    assert_int_equal(match("ARRE\xcc\x82T"), KEYWORD_STOP); /* E + U+0302 combining circumflex */
    assert_int_equal(match("arr\xc3\xa9t"), KEYWORD_STOP);  /* arrét: é = U+00E9, a typo */
    assert_int_equal(match("\xc3\xa2rret"), KEYWORD_STOP);  /* ârret */
    assert_int_equal(match("St\xc3\xb6p"), KEYWORD_STOP);   /* Stöp: ö = U+00F6 */
    assert_int_equal(match("\xc5\x9aTOP"), KEYWORD_STOP);   /* ŚTOP: Ś = U+015A */
    assert_int_equal(match("qu\xc4\xb1t"), KEYWORD_STOP);   /* quıt: dotless ı = U+0131 */
    assert_int_equal(match("\xef\xbc\xb3\xef\xbd\x94op"), KEYWORD_STOP); /* fullwidth Ｓｔ */
}

static void start_words(void **state)
{
    (void)state;
    assert_int_equal(match("START"), KEYWORD_START);
    assert_int_equal(match("start"), KEYWORD_START);
    assert_int_equal(match("Start."), KEYWORD_START);
    assert_int_equal(match("UNSTOP"), KEYWORD_START);
    assert_int_equal(match(" unstop! "), KEYWORD_START);
    /* Not on the list: a survey's YES must never opt anyone in. */
    assert_int_equal(match("YES"), KEYWORD_NONE);
    assert_int_equal(match("OUI"), KEYWORD_NONE);
}

static void punctuation_and_whitespace(void **state)
{
    (void)state;
    assert_int_equal(match("stop!"), KEYWORD_STOP);
    assert_int_equal(match("Stop."), KEYWORD_STOP);
    assert_int_equal(match("STOP !!!"), KEYWORD_STOP); /* French spacing before ! */
    assert_int_equal(match("...stop..."), KEYWORD_STOP);
    assert_int_equal(match("(STOP)"), KEYWORD_STOP);
    assert_int_equal(match("\"stop\""), KEYWORD_STOP);
    assert_int_equal(match("\xc2\xab STOP \xc2\xbb"), KEYWORD_STOP);       /* « STOP » */
    assert_int_equal(match("\xc2\xa1stop!"), KEYWORD_STOP);                /* ¡stop! */
    assert_int_equal(match("\xe2\x80\x9cStop\xe2\x80\x9d"), KEYWORD_STOP); /* “Stop” */
    assert_int_equal(match("stop\xe2\x80\xa6"), KEYWORD_STOP);             /* stop… */
    assert_int_equal(match("  STOP  "), KEYWORD_STOP);
    assert_int_equal(match("\tSTOP\r\n"), KEYWORD_STOP);
    assert_int_equal(match("\xc2\xa0STOP\xc2\xa0"), KEYWORD_STOP); /* no-break spaces */
    assert_int_equal(match("\xef\xbb\xbfSTOP"), KEYWORD_STOP);     /* a BOM before it */
    assert_int_equal(match("ST\xe2\x80\x8bOP"), KEYWORD_STOP);     /* a zero-width space inside */
    assert_int_equal(match("STOP   SMS"), KEYWORD_STOP);           /* spaces collapse */
    assert_int_equal(match("stop\n sms"), KEYWORD_STOP);           /* any whitespace run */
    assert_int_equal(match("Stop sms."), KEYWORD_STOP);
    assert_int_equal(match("\xe3\x80\x80STOP\xe3\x80\x82"),
                     KEYWORD_STOP); /* ideographic space, 。 */
}

static void not_keywords(void **state)
{
    (void)state;
    /* Whole message only. */
    assert_int_equal(match("please stop"), KEYWORD_NONE);
    assert_int_equal(match("stop please"), KEYWORD_NONE);
    assert_int_equal(match("STOP, what is this?"), KEYWORD_NONE);
    assert_int_equal(match("don't stop"), KEYWORD_NONE);
    assert_int_equal(match("Stop calling me"), KEYWORD_NONE);
    assert_int_equal(match("start date?"), KEYWORD_NONE);
    assert_int_equal(match("the end"), KEYWORD_NONE);
    /* Punctuation inside is kept. */
    assert_int_equal(match("stop.sms"), KEYWORD_NONE);
    assert_int_equal(match("s-t-o-p"), KEYWORD_NONE);
    assert_int_equal(match("st op"), KEYWORD_NONE);
    /* Near misses and other words. */
    assert_int_equal(match("stops"), KEYWORD_NONE);
    assert_int_equal(match("stopp"), KEYWORD_NONE);
    assert_int_equal(match("stop2"), KEYWORD_NONE);
    assert_int_equal(match("sms stop"), KEYWORD_NONE);
    assert_int_equal(match("arrete"), KEYWORD_NONE);
    assert_int_equal(match("STOP \xf0\x9f\x9b\x91"),
                     KEYWORD_NONE); /* an emoji is not punctuation */
    assert_int_equal(match("\xd0\xa1\xd0\xa2\xd0\x9e\xd0\x9f"), KEYWORD_NONE); /* Cyrillic СТОП */
    /* Nothing at all. */
    assert_int_equal(match(""), KEYWORD_NONE);
    assert_int_equal(match("   "), KEYWORD_NONE);
    assert_int_equal(match("!!!"), KEYWORD_NONE);
    /* Invalid UTF-8 around a keyword: not trusted. */
    assert_int_equal(match("STOP\xff"), KEYWORD_NONE);
    assert_int_equal(match("\xc3STOP"), KEYWORD_NONE);
    /* len bounds the read: "STOP" of "STOPPED". */
    assert_int_equal(keyword_match("STOPPED", 4), KEYWORD_STOP);
    /* A NUL byte inside is a character like another, not an end. */
    assert_int_equal(keyword_match("STOP\0x", 6), KEYWORD_NONE);
}

static void long_texts(void **state)
{
    (void)state;
    char s[600];
    /* STOP then 500 '!': trimmed back to "stop", however long the tail. */
    memcpy(s, "STOP", 4);
    memset(s + 4, '!', 500);
    assert_int_equal(keyword_match(s, 504), KEYWORD_STOP);
    /* 500 spaces then STOP. */
    memset(s, ' ', 500);
    memcpy(s + 500, "STOP", 4);
    assert_int_equal(keyword_match(s, 504), KEYWORD_STOP);
    /* A long ordinary text. */
    memset(s, 'a', 500);
    assert_int_equal(keyword_match(s, 500), KEYWORD_NONE);
}

static void normalize(void **state)
{
    (void)state;
    char out[64];
    const char *in = "  \xc2\xab Arr\xc3\xaat   SMS ! \xc2\xbb ";
    /* « Arrêt   SMS ! » → "arret sms": 9 bytes. */
    assert_int_equal(keyword_normalize(in, strlen(in), out, sizeof(out)), 9);
    assert_string_equal(out, "arret sms");
    /* Ligatures and ß: Œuvre Straße → "oeuvre strasse" (14 bytes). */
    in = "\xc5\x92uvre Stra\xc3\x9f"
         "e";
    assert_int_equal(keyword_normalize(in, strlen(in), out, sizeof(out)), 14);
    assert_string_equal(out, "oeuvre strasse");
    /* Inner punctuation stays; a non-Latin letter is copied as it is:
     * "Ça va, Δ?" → "ca va, Δ" (Δ = CE 94): 9 bytes. */
    in = "\xc3\x87"
         "a va, \xce\x94?";
    assert_int_equal(keyword_normalize(in, strlen(in), out, sizeof(out)), 9);
    assert_string_equal(out, "ca va, \xce\x94");
    /* Only punctuation and spaces: empty. */
    assert_int_equal(keyword_normalize(" ?! ", 4, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    /* Too long for cap: "abcdef" needs 7 bytes; cap 6 keeps the prefix "abcde". */
    assert_int_equal(keyword_normalize("abcdef", 6, out, 6), RL_ETOOLONG);
    assert_string_equal(out, "abcde");
    /* Exactly fits: 5 bytes and the NUL in 6. */
    assert_int_equal(keyword_normalize("ABCDE", 5, out, 6), 5);
    assert_string_equal(out, "abcde");
    /* A multi-byte character is never split: "aΔ" (3 bytes) in cap 3 keeps "a". */
    assert_int_equal(keyword_normalize("a\xce\x94", 3, out, 3), RL_ETOOLONG);
    assert_string_equal(out, "a");
    /* Trailing punctuation past cap does not count: "stop" + 40 '.' in cap 5. */
    char s[44];
    memcpy(s, "stop", 4);
    memset(s + 4, '.', 40);
    assert_int_equal(keyword_normalize(s, sizeof(s), out, 5), 4);
    assert_string_equal(out, "stop");
    assert_int_equal(keyword_normalize("x\xe2\x82", 3, out, sizeof(out)), RL_EUTF8);
    assert_int_equal(keyword_normalize("x", 1, out, 0), RL_ETOOLONG);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(keyword_name(KEYWORD_STOP), "stop");
    assert_string_equal(keyword_name(KEYWORD_START), "start");
    assert_string_equal(keyword_name(KEYWORD_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_words),
        cmocka_unit_test(start_words),
        cmocka_unit_test(punctuation_and_whitespace),
        cmocka_unit_test(not_keywords),
        cmocka_unit_test(long_texts),
        cmocka_unit_test(normalize),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
