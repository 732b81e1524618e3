/*
 * lang: which of ticketd's seven languages a text is written in.
 */
#ifndef TICKETD_LANG_H
#define TICKETD_LANG_H

#include <stddef.h>

/* Only this much text (quoted lines, addresses and URLs not counted) is read. */
#define LANG_SCAN_BYTES 4096
/* … and never more than this much input in all. */
#define LANG_SCAN_LIMIT (256 * 1024)

/*
 * "en", "de", "es", "fr", "fi", "ja", "zh", or NULL when unsure (too
 * little text, no clear winner, or another language).  Static strings.
 *
 * A deterministic heuristic over UTF-8 text, lines starting with ">",
 * URLs and e-mail addresses skipped:
 *   - kana (hiragana, katakana) makes Japanese, Han without kana Chinese,
 *     when CJK characters are not outweighed by Latin letters;
 *   - otherwise common words, letters with diacritics (ß ü, ä ö, ñ ¿ á,
 *     é è ç …), Finnish case endings and double vowels, French elisions
 *     and English contractions score each Latin-script language; the best
 *     needs a minimum score and a clear lead over the second.
 */
const char *lang_detect(const char *text);

/* 1 when code is one of the seven supported language codes. */
int lang_supported(const char *code);
/* The seven codes, "en" first (static). */
const char *const *lang_codes(size_t *n_r);
/* code (any case) as the static string of lang_codes(), NULL when not one of them. */
const char *lang_canonical(const char *code);

/* For the unit tests: 1 when the internal word table is sorted. */
int lang_table_sorted(void);

#endif
