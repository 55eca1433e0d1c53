#ifndef RL_ERR_H
#define RL_ERR_H

/* One error table for all of relais (libuv's UV_ERRNO_MAP style). Functions that
 * can fail return 0 or a negative code: RL_E* from this table, or -errno for
 * system errors. Codes sit far below -errno's range so the two never collide. */

#define RL_ERRNO_MAP(XX)                                                                           \
    XX(EINVAL, "invalid_argument", "invalid argument")                                             \
    XX(EUTF8, "invalid_utf8", "text is not valid UTF-8")                                           \
    XX(ETOOLONG, "too_long", "too long")                                                           \
    XX(ERANGE, "out_of_range", "value out of range")                                               \
    XX(EPARSE, "parse_error", "cannot parse")                                                      \
    XX(EFIELD, "unknown_field", "unknown field")                                                   \
    XX(ENOTFOUND, "not_found", "not found")                                                        \
    XX(EPHONE, "invalid_phone", "invalid phone number")                                            \
    XX(ESENDER, "invalid_sender", "invalid sender ID")                                             \
    XX(ECONFIG, "invalid_config", "invalid configuration")                                         \
    XX(EUDH, "invalid_udh", "invalid user data header")                                            \
    XX(EPARTS, "bad_parts", "message parts do not fit together")                                   \
    XX(EIO, "io_error", "input/output error")                                                      \
    XX(ESMPP, "invalid_smpp_pdu", "invalid SMPP PDU")                                              \
    XX(ESMPPTLV, "invalid_smpp_tlv", "invalid SMPP TLV")

enum {
    RL_EBASE = -10000,
#define XX(code, name, text) RL_##code,
    RL_ERRNO_MAP(XX)
#undef XX
        RL_ELAST
};

/* Returns a static description of code (an RL_E* or -errno). */
const char *rl_strerror(int code);
/* Returns the stable snake_case name of code, as used in API errors. */
const char *rl_errname(int code);

/* The detail that reaches a user: what is wrong, naming the field, line, value
 * or limit. Filled by the function that fails; the caller owns the struct. */
struct rl_err {
    int code;
    char field[48];
    char msg[256];
};

/* Fills e (if not NULL) and returns code, so that `return rl_err_set(...)` reads well. */
int rl_err_set(struct rl_err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
