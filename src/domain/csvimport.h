#ifndef RL_CSVIMPORT_H
#define RL_CSVIMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "phone/phone.h"

/* Contact import from CSV, the part that needs no database: a parser fed with
 * chunks of bytes as they arrive (an HTTP upload, a file read), which calls
 * back once per data row with the row checked and classified, and keeps the
 * import's report. The store side writes the rows and adds its counts.
 *
 * The file, as spreadsheets and CRMs write it:
 *  - Tokenising is libcsv's (RFC 4180, lenient): quoted fields may hold the
 *    delimiter, line breaks and doubled quotes; spaces around unquoted fields
 *    are dropped. Line ends are LF or CRLF; a file whose header line ends in a
 *    lone CR (old Mac exports) is read with CR line ends throughout.
 *  - The delimiter is the one of ';' ',' TAB found most often outside quotes
 *    in the header line (the first line that is not blank). A tie goes to ';',
 *    then ',', then TAB: ';' is what a French spreadsheet writes, because ','
 *    is its decimal separator; a one-column header (no delimiter) is a tie at
 *    zero and so reads ';'.
 *  - Encoding: a UTF-8 byte order mark is skipped and means UTF-8. Otherwise
 *    the bytes pass as they are while they are ASCII (the same in UTF-8 and in
 *    Windows-1252); from the first byte over 0x7F, the next CSVIMPORT_SNIFF_MAX
 *    bytes are held back and looked at before any of them is used: one invalid
 *    UTF-8 sequence among them makes the rest of the file Windows-1252, else it
 *    is UTF-8. So no row is ever read in one encoding and then another, and a
 *    Windows-1252 file is caught on its first accented letters. In a file
 *    found to be UTF-8, a field that is still not valid UTF-8 further on (two
 *    files pasted together) is read as Windows-1252 on its own. A UTF-16 byte
 *    order mark is refused with a message saying to save as CSV UTF-8.
 *  - The header row names the columns, matched without regard to case,
 *    accents, spaces and punctuation: phone (phone, telephone, téléphone, tel,
 *    "numéro de téléphone"...), mobile (mobile, portable, GSM, cell, "tél
 *    portable"...), email (e-mail, courriel, mail, mél), first name (prénom,
 *    first_name, First Name), last name (nom, last name, surname), language
 *    (langue), opt-out (optout, opt_out, opted out, stop, unsubscribed,
 *    désinscrit, désabonné). "Name" alone is left a custom field: it may be a
 *    full name. Any other column is a custom field under its name as written;
 *    a column with an empty name is ignored. Two columns of one kind (two
 *    mobile columns, "Tel" and "Téléphone") refuse the file: which to take
 *    would be a guess.
 *  - The number: a phone or a mobile column alone is the contact's number.
 *    With both (CRM exports often have a "Téléphone" and a "Portable"), the
 *    mobile cell is the number, and the phone cell is kept as a custom field
 *    under its column's name as written; where the mobile cell is empty, the
 *    phone cell is the number instead.
 *  - The opt-out column, when there is one: 1, yes, y, oui, o, true, vrai, x,
 *    stop (and its column's own words: opted out, unsubscribed, désinscrit,
 *    désabonné), in any case, opt the number out of marketing with source
 *    "import"; empty, 0, no, n, non, false, faux change nothing. An import
 *    never opts a number back in: one opted out stays so whatever the file
 *    says. Another value makes the row invalid: consent is not guessed. The
 *    column is not a custom field.
 *
 * Each data row is checked in this order, the first failure making it invalid
 * (reported with its line and reason, not imported):
 *  - it has as many fields as the header (a shifted row would put names in
 *    the phone column); more than CSVIMPORT_COLUMNS_MAX is said as such;
 *  - no field over CSVIMPORT_FIELD_MAX bytes, none holding a NUL byte;
 *  - names at most STORE_CONTACT_NAME_MAX bytes (control characters, such as a
 *    line break in a quoted name, become one space);
 *  - custom fields at most STORE_CONTACT_FIELDS_MAX bytes as JSON;
 *  - an opt-out cell that says yes or no (see above);
 *  - a phone number: phone_parse_typed() with the import's default region.
 * A valid row whose e-mail or language does not pass contact_email_check or
 * contact_language_norm is kept without it (email_dropped/language_dropped):
 * the number is what the import is for. A row whose fields are all empty
 * (";;;", as spreadsheets write blank rows) is skipped like a blank line and
 * not counted. A number already seen in the file (as E.164) makes the row a
 * duplicate; a fixed line, toll-free number and the like is non_mobile (kept
 * as a contact, left out of SMS audiences).
 *
 * Memory is flat in the file's size, but for the set of numbers seen (8 bytes
 * a slot, at most 3/4 full: 16 MiB for 1,000,000 numbers) and capped
 * everywhere else: a field, a header, the number of rows (rows_max). */

#define CSVIMPORT_FIELD_MAX      4096    /* bytes in one field; over it, the row is invalid */
#define CSVIMPORT_FIELD_HARD_MAX 65536   /* a field reaching this size stops the import */
#define CSVIMPORT_COLUMNS_MAX    256     /* fields in the header or a row */
#define CSVIMPORT_HEADER_MAX     65536   /* bytes before the header line ends */
#define CSVIMPORT_SNIFF_MAX      65536   /* bytes looked at to tell UTF-8 from Windows-1252 */
#define CSVIMPORT_ROWS_MAX       2000000 /* default rows_max */
#define CSVIMPORT_INVALID_MAX    1000    /* invalid rows listed in the report */
#define CSVIMPORT_VALUE_MAX      64      /* bytes of a value quoted in the report */

enum csvimport_status {
    CSVIMPORT_MOBILE,     /* valid and reachable by SMS (phone_is_mobile_type) */
    CSVIMPORT_NON_MOBILE, /* valid but a fixed line, toll-free...: kept, no SMS */
    CSVIMPORT_INVALID,    /* not imported: see reason */
    CSVIMPORT_DUPLICATE,  /* the same number as an earlier row of the file */
};

/* One data row, as the callback sees it. Every pointer is borrowed until the
 * callback returns (copy what is kept); strings are NUL-terminated UTF-8. An
 * INVALID row carries its line, phone_raw and reason, nothing more. */
struct csvimport_row {
    size_t line; /* physical line where the record starts; the header's is 1 */
    enum csvimport_status status;
    const char *phone_raw;   /* the phone field as written (trimmed); "" if empty */
    struct phone_info phone; /* valid for MOBILE, NON_MOBILE and DUPLICATE */
    const char *reason;      /* INVALID: why, naming the column or limit; else "" */
    const char *email;       /* NULL when empty or dropped */
    const char *first_name;  /* NULL when empty */
    const char *last_name;   /* NULL when empty */
    const char *language;    /* normalised ("fr-FR"); NULL when empty or dropped */
    const char *fields;      /* custom fields, a JSON object's text: "{}" when none */
    bool email_dropped;      /* an e-mail was there but is not one */
    bool language_dropped;   /* a language was there but is not a tag */
    bool optout; /* the opt-out column says yes (DUPLICATE rows too); false if INVALID */
};

/* Called once per data row, in file order. Returns 0 to go on, or a negative
 * code (RL_E* or -errno) to stop the import: csvimport_feed or
 * csvimport_finish then returns that code. */
typedef int (*csvimport_row_fn)(void *ctx, const struct csvimport_row *row);

struct csvimport_invalid {
    size_t line;
    char value[CSVIMPORT_VALUE_MAX + 4]; /* the phone field, cut with "..." */
    char reason[256];
};

/* The import's answer. The parser fills rows, duplicates_file, non_mobile and
 * the invalid list; the store side fills created, updated and
 * duplicates_list. A caller that leaves DUPLICATE rows out of its writes keeps
 * the two duplicate counts apart (a store that counts "already in the list"
 * would otherwise count a number twice in the file once more). */
struct csvimport_report {
    size_t rows;            /* data rows (not the header, blank or all-empty rows) */
    size_t created;         /* store: new contacts */
    size_t updated;         /* store: existing contacts added to the list */
    size_t duplicates_file; /* a number twice in the file */
    size_t duplicates_list; /* store: a number already in the list */
    size_t non_mobile;      /* valid, not mobile (first occurrences only) */
    size_t invalid_total;   /* invalid rows; the first CSVIMPORT_INVALID_MAX are listed */
    size_t emails_dropped;  /* rows kept without their e-mail */
    size_t languages_dropped;
    size_t opted_out; /* store: numbers the opt-out column opted out of marketing (a number
                         opted out already is not counted again) */
    struct csvimport_invalid *invalid; /* owned by the import; invalid_n entries */
    size_t invalid_n;
};

struct csvimport_opts {
    const char *region; /* default region for national numbers ("FR"); NULL: none */
    csvimport_row_fn on_row;
    void *ctx;       /* passed to on_row */
    size_t rows_max; /* more data rows stop the import; 0: CSVIMPORT_ROWS_MAX */
};

struct csvimport;

/* Returns a new import in *out (free with csvimport_free) that calls o->on_row
 * (required) for each row. o is copied; o->region is checked (RL_EINVAL on
 * field "region" unless phone_region_valid) and copied. */
int csvimport_new(const struct csvimport_opts *o, struct csvimport **out, struct rl_err *err);
void csvimport_free(struct csvimport *imp);

/* Parses the next len bytes of the file (borrowed for the call; any split,
 * down to one byte at a time, gives the same rows). Calls on_row for the rows
 * completed. Returns 0, or a code with err naming the line and the limit or
 * header problem; the import is then over, and every later call returns the
 * same code and err:
 *  - RL_EPARSE "header": no phone column (naming the columns found), two
 *    columns for the same field, a custom column name repeated or over
 *    CONTACT_FIELD_KEY_MAX bytes, a NUL byte (UTF-16?), a UTF-16 file;
 *  - RL_ETOOLONG: header over CSVIMPORT_HEADER_MAX bytes or
 *    CSVIMPORT_COLUMNS_MAX columns, over CONTACT_FIELDS_MAX custom columns,
 *    a field over CSVIMPORT_FIELD_HARD_MAX bytes (a quote left open),
 *    over rows_max rows;
 *  - what on_row returned. */
int csvimport_feed(struct csvimport *imp, const void *data, size_t len, struct rl_err *err);
/* Ends the file: the last row may lack its line break. Returns as
 * csvimport_feed, or RL_EPARSE "header" for a file with no header row. */
int csvimport_finish(struct csvimport *imp, struct rl_err *err);

/* The report so far (borrowed; the store side adds its counts to it). */
struct csvimport_report *csvimport_report(struct csvimport *imp);
/* What was detected: ';' ',' or '\t' (0 before the header line ended), and
 * "utf-8", "windows-1252" or "ascii" (nothing but ASCII so far). */
char csvimport_delimiter(const struct csvimport *imp);
const char *csvimport_encoding(const struct csvimport *imp);

/* Returns a new JSON object (json_decref) in the API's shape:
 * {"rows", "created", "updated", "duplicates" (file + list),
 *  "invalid": [{"line", "value", "reason"}], "non_mobile", "opted_out"},
 * plus "invalid_total" when more invalid rows were found than listed. */
json_t *csvimport_report_json(const struct csvimport_report *r);

/* The phone check every row goes through: phone_parse_typed (phone.h). */

#endif
