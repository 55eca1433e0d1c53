#ifndef RL_PHONE_H
#define RL_PHONE_H

/* Phone numbers through libphonenumber: E.164, validity, type and region. The
 * library is C++; phone.cc is the only C++ in relais and keeps it behind this C
 * header, so no C++ type or exception crosses it.
 *
 * Thread safety: every function here may be called from any thread at once.
 * PhoneNumberUtil::GetInstance() builds its singleton under pthread_once (or
 * boost/std::mutex, depending on how the library was built); the methods used
 * are const, and the one mutable state behind them, the regexp cache, is
 * guarded by a lock (regexp_cache.h). Only AsYouTypeFormatter is documented
 * as not thread-safe, and relais does not use it. The singleton is never
 * freed (reachable, so LeakSanitizer does not report it). */

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Inside the guard: core/err.h is plain C with no extern "C" of its own. */
#include "core/err.h"

/* Longest input accepted, in bytes. libphonenumber caps at 250; a number with
 * its formatting never needs more than this, and a field from a CSV import or
 * an API request that is longer is a mistake, not a phone number. */
#define PHONE_INPUT_MAX 64

/* libphonenumber's PhoneNumberType, in its order. */
enum phone_type {
    PHONE_TYPE_FIXED_LINE,
    PHONE_TYPE_MOBILE,
    /* Regions such as the US where the number alone cannot tell. */
    PHONE_TYPE_FIXED_LINE_OR_MOBILE,
    PHONE_TYPE_TOLL_FREE,
    PHONE_TYPE_PREMIUM_RATE,
    PHONE_TYPE_SHARED_COST,
    PHONE_TYPE_VOIP,
    PHONE_TYPE_PERSONAL_NUMBER,
    PHONE_TYPE_PAGER,
    PHONE_TYPE_UAN,
    PHONE_TYPE_VOICEMAIL,
    PHONE_TYPE_UNKNOWN
};

struct phone_info {
    /* "+33610203040"; empty unless valid, so that an invalid number can never
     * be used as a destination. E.164 allows 15 digits after the '+'. */
    char e164[20];
    bool valid;
    /* PHONE_TYPE_UNKNOWN unless valid. */
    enum phone_type type;
    /* ISO 3166 region the number belongs to ("FR", "BE" for +32...), "001" for
     * non-geographic numbers such as +800 freephone, empty when unknown. Set
     * for parsed-but-invalid numbers too when the country code tells. */
    char region[4];
    /* 33 for France; 0 when the input could not be parsed. */
    int country_code;
};

/* Parses input[0..len) (not NUL-terminated; borrowed) as a phone number, in
 * international form ("+33...", "0033...") or national form for
 * default_region ("06 10 20 30 40" with "FR"). default_region is borrowed, an
 * ISO 3166 code (any case) that phone_region_valid() accepts, or NULL to accept
 * international forms only.
 * Always fills *out (caller-owned). Returns 0 when the number parsed and is
 * valid; otherwise RL_EPHONE, with err (if not NULL) set on field "phone" and
 * a reason quoting the input: over PHONE_INPUT_MAX, NUL byte, invalid UTF-8,
 * not a number, invalid country code, too short, too long, an extension, three
 * or more letters read as keypad digits, over E.164's 15 digits, or not a
 * valid number in its region. An unknown default_region gives RL_EINVAL on
 * field "region", naming it. Never throws. */
int phone_parse(const char *input, size_t len, const char *default_region, struct phone_info *out,
                struct rl_err *err);

/* phone_parse, plus what a French user means by a national number: with
 * default_region FR, a number written nationally (no '+'; 10 ASCII digits
 * starting with 0, or 9 digits, as a spreadsheet keeps it after dropping the
 * 0) that is not valid in metropolitan France is tried in the overseas
 * departments and collectivities that share France's trunk prefix 0: GP (also
 * BL and MF, +590), MQ, GF, RE (also YT, +262) and PM, in that order; the first
 * valid one is kept. "0692 12 34 56" is then +262 692 12 34 56 (La Réunion),
 * which libphonenumber refuses for FR because the range is not France's.
 * Overseas fixed lines (0590, 0262...) are valid FR numbers in libphonenumber's
 * metadata and are left as phone_parse gives them. When no retry succeeds, the
 * result, err and return value are those of phone_parse with default_region.
 * Other default regions: exactly phone_parse. Same ownership as phone_parse. */
int phone_parse_with_overseas(const char *input, size_t len, const char *default_region,
                              struct phone_info *out, struct rl_err *err);

/* phone_parse_with_overseas, answered without libphonenumber's regular
 * expressions for the common case: a French number written "06 12 34 56 78",
 * "01.23.45.67.89", "0612345678", "612345678", "33612345678", "0033 6..."
 * (default region FR) or "+33 6 12 34 56 78" (FR or no default), with single
 * spaces, dots or dashes between digits; byte for byte the same results
 * (phone_typed.c says how). Every number a user types or a file holds goes
 * through it. Same contract as phone_parse_with_overseas. */
int phone_parse_typed(const char *input, size_t len, const char *default_region,
                      struct phone_info *out, struct rl_err *err);

/* Returns the static name of t: "mobile", "fixed_line", "fixed_line_or_mobile",
 * "toll_free", "premium_rate", "shared_cost", "voip", "personal_number",
 * "pager", "uan", "voicemail", "unknown" (also for values outside the enum). */
const char *phone_type_name(enum phone_type t);

/* True for the types an SMS audience can hold: MOBILE, and FIXED_LINE_OR_MOBILE
 * (where the plan cannot tell, the carrier will). */
bool phone_is_mobile_type(enum phone_type t);

/* True when cc (borrowed, NUL-terminated, may be NULL) is a two-letter region
 * code that libphonenumber has metadata for, in any case: "FR", "be". False
 * for "ZZ" (unknown) and "001" (non-geographic), which cannot be a default. */
bool phone_region_valid(const char *cc);

#ifdef __cplusplus
}
#endif

#endif
