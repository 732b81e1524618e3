/*
 * charset: any real-world charset to UTF-8.
 *
 * Labels are read the way browsers read them: ISO-8859-1, Latin-1 and
 * US-ASCII mean Windows-1252 (pure ASCII stays ASCII), Shift_JIS means
 * CP932, EUC-JP means EUC-JP-MS, GB2312 and GBK mean GB18030, Big5 means
 * Big5-HKSCS, EUC-KR and ks_c_5601-1987 mean CP949.  ISO-2022-JP has its
 * own decoder that knows the Microsoft/NEC extensions (①, ㈱, ㍻).
 *
 * Mislabelled text: valid UTF-8 under a legacy label is read as UTF-8 when
 * the label is a single-byte charset or the bytes are invalid in it;
 * "UTF-8" text gets U+FFFD for its bad bytes when it has at least as many
 * valid multibyte characters as bad spots, else it is detected; legacy text with many invalid bytes (more than one
 * in eight of its 8-bit bytes) is detected and the better reading kept.
 * Detection is uchardet, with Windows-1252 when it has no answer.
 *
 * No state is kept between calls.
 */
#ifndef TICKETD_CHARSET_H
#define TICKETD_CHARSET_H

#include <stddef.h>

struct buf;

/*
 * Convert len bytes labelled charset (a MIME label in any case; NULL,
 * empty or unknown means: detect) to UTF-8.  Never fails: invalid bytes
 * become U+FFFD.  Returns a NUL-terminated string the caller frees; its
 * length in *len_r when len_r is not NULL (the text may hold NUL bytes
 * that were in the input).
 */
char *charset_to_utf8(const char *charset, const char *in, size_t len, size_t *len_r);

/* Same as charset_to_utf8, appending to dst (which keeps ownership). */
void charset_append_utf8(struct buf *dst, const char *charset, const char *in, size_t len);

/* 1 when s[0..len) is valid UTF-8. */
int charset_is_utf8(const char *s, size_t len);

/*
 * The canonical name of a MIME charset label ("x-sjis" -> "CP932",
 * "ISO_8859-1:1987" -> "WINDOWS-1252", "utf8" -> "UTF-8",
 * "iso-2022-jp-2" -> "ISO-2022-JP"; a RFC 2231 "*lang" suffix is ignored),
 * or NULL when the label is not in the table (charset_to_utf8 then still
 * tries iconv with the label as written before it detects).  The string
 * is static.  Names other than UTF-8 and ISO-2022-JP are iconv names.
 */
const char *charset_canonical(const char *label);

/*
 * How well len bytes read in charset (a label as for charset_to_utf8):
 * -1 when the label is unknown, else the number of invalid sequences.
 * *single_byte_r (when not NULL) says whether the charset has one byte
 * per character, so that any bytes read in it.
 */
int charset_fit(const char *charset, const char *in, size_t len, int *single_byte_r);

/*
 * The charset of unlabelled text: "UTF-8" when it is valid UTF-8 (pure
 * ASCII included), else the canonical name of what detection finds,
 * "WINDOWS-1252" when it finds nothing.  Never NULL; the string is static.
 */
const char *charset_detect(const char *in, size_t len);

#endif
