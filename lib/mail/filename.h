/*
 * filename: attachment names made safe to show and to save, and the
 * content type a file name's extension suggests.
 *
 * A name in a mail is whatever the sender wrote (after RFC 2047/2231
 * decoding): it may hold a path, control characters, text direction
 * overrides, a Windows device name or 2,000 bytes.  filename_safe()
 * gives back one path component that cannot escape a folder nor
 * mislead a reader:
 *
 *   - only what follows the last '/' or '\' is kept ("../../etc/passwd"
 *     is "passwd", "C:\fakepath\a.png" is "a.png");
 *   - invalid UTF-8, control characters (C0, DEL, C1) and the
 *     characters that are invisible or reorder text (the bidi controls
 *     U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069; zero-width
 *     U+200B-U+200D, U+2060, U+FEFF; U+2028, U+2029) become '_', so
 *     "invoice<U+202E>fdp.exe" reads "invoice_fdp.exe", as it truly ends;
 *   - the characters Windows refuses, < > : " | ? *, become '_';
 *   - blanks (any Unicode space) become one ASCII space per run, so no
 *     run of spaces can push ".exe" out of sight;
 *   - dots and spaces at either end go (no hidden ".name", no "..",
 *     no "name.exe." that Windows would strip to "name.exe");
 *   - a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also
 *     with an extension, "con.txt") gets a leading '_';
 *   - at most FILENAME_MAX_BYTES bytes: a longer stem is cut on a
 *     character boundary and the extension (up to 16 bytes) kept;
 *   - nothing left: "attachment" with the extension of the content type
 *     (image/png: "attachment.png").
 */
#ifndef TICKETD_FILENAME_H
#define TICKETD_FILENAME_H

#include <stddef.h>

#define FILENAME_MAX_BYTES 200     /* bytes of a safe name (file systems allow 255) */
#define FILENAME_MAX_EXT 16        /* bytes of an extension kept when a name is cut */

/*
 * The safe form of name (UTF-8, may be NULL) for content_type (may be
 * NULL).  Never NULL, never empty, never "." or "..", no '/', '\' or NUL;
 * the caller frees it.
 */
char *filename_safe(const char *name, const char *content_type);

/* 1 when name is already what filename_safe makes of it. */
int filename_is_safe(const char *name);

/* The content type for name's extension (".png": "image/png"); static,
 * "application/octet-stream" when unknown. */
const char *filename_content_type(const char *name);

#endif
