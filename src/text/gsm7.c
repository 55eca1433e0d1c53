#include "text/gsm7.h"

#include <pthread.h>
#include <string.h>

#include "core/banned.h"

/* 3GPP TS 23.038 §6.2.1, the default alphabet, indexed by septet. */
static const uint16_t basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* @ £ $ ¥ è é ù ì */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* ò Ç LF Ø ø CR Å å */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* Δ _ Φ Γ Λ Ω Π Ψ */
    0x03A3, 0x0398, 0x039E, 0x001B, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* Σ Θ Ξ ESC Æ æ ß É */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* ( ) * + , - . / */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0-7 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 8 9 : ; < = > ? */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* H-O */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* P-W */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* X Y Z Ä Ö Ñ Ü § */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* h-o */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* p-w */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* x y z ä ö ñ ü à */
};

/* §6.2.1.1, the extension table: reached by ESC, so each costs two septets.
 * 0x0D (CR2) and 0x1B (SS2) are reserved and have no character. */
static const struct {
    uint8_t septet;
    uint16_t cp;
} ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* \ */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* € */
};

/* Reverse map for U+0000..U+00FF, built once from the two tables above so
 * that they stay the only source of truth: 0 = none, else septet + 1, with
 * 0x100 set for the extension table. */
static uint16_t latin[256];
static pthread_once_t latin_once = PTHREAD_ONCE_INIT;

static void latin_build(void)
{
    for (unsigned s = 0; s < 128; s++) {
        if (basic[s] < 256 && s != GSM7_ESC)
            latin[basic[s]] = (uint16_t)(s + 1);
    }
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        if (ext[i].cp < 256)
            latin[ext[i].cp] = (uint16_t)(0x100 | (ext[i].septet + 1));
    }
}

bool gsm7_lookup(uint32_t cp, uint8_t *septet, bool *is_ext)
{
    if (cp < 256) {
        pthread_once(&latin_once, latin_build);
        uint16_t v = latin[cp];
        if (!v)
            return false;
        *septet = (uint8_t)((v & 0xFF) - 1);
        *is_ext = (v & 0x100) != 0;
        return true;
    }
    if (cp == 0x20AC) {
        *septet = 0x65;
        *is_ext = true;
        return true;
    }
    /* The Greek capitals of 0x10-0x1A are the only other code points. */
    for (unsigned s = 0x10; s <= 0x1A; s++) {
        if (basic[s] == cp) {
            *septet = (uint8_t)s;
            *is_ext = false;
            return true;
        }
    }
    return false;
}

unsigned gsm7_units(uint32_t cp)
{
    uint8_t s;
    bool e;
    if (!gsm7_lookup(cp, &s, &e))
        return 0;
    return e ? 2 : 1;
}

uint32_t gsm7_char(uint8_t septet)
{
    return basic[septet & 0x7F];
}

uint32_t gsm7_ext_char(uint8_t septet)
{
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        if (ext[i].septet == (septet & 0x7F))
            return ext[i].cp;
    }
    return 0;
}

size_t gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out)
{
    size_t nbits = fill_bits + 7 * n;
    size_t noct = (nbits + 7) / 8;
    memset(out, 0, noct);
    size_t bit = fill_bits;
    for (size_t i = 0; i < n; i++, bit += 7) {
        unsigned v = septets[i] & 0x7F;
        size_t o = bit / 8;
        unsigned shift = bit % 8;
        out[o] |= (uint8_t)(v << shift);
        if (shift > 1)
            out[o + 1] |= (uint8_t)(v >> (8 - shift));
    }
    return noct;
}

size_t gsm7_unpack(const uint8_t *octets, size_t noct, unsigned fill_bits, uint8_t *out, size_t max)
{
    size_t n = 0;
    for (size_t bit = fill_bits; bit + 7 <= noct * 8 && n < max; bit += 7) {
        size_t o = bit / 8;
        unsigned shift = bit % 8;
        unsigned v = octets[o] >> shift;
        if (shift > 1)
            v |= (unsigned)octets[o + 1] << (8 - shift);
        out[n++] = (uint8_t)(v & 0x7F);
    }
    return n;
}
