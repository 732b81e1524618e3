/*
 * html: HTML to readable plain text.
 */
#ifndef TICKETD_HTML_H
#define TICKETD_HTML_H

#include <stddef.h>

/* Input beyond this many bytes is ignored (hostile or absurd mail). */
#define HTML_MAX_INPUT (32u * 1024 * 1024)
/* Attributes of one tag beyond this many are dropped before parsing. */
#define HTML_MAX_ATTRS 64
/* Deeper lists are drawn at this depth; deeper quotes get no more '>'. */
#define HTML_MAX_LIST_DEPTH 16
#define HTML_MAX_QUOTE_DEPTH 16

/*
 * Convert UTF-8 HTML to readable UTF-8 text, roughly as a browser shows it:
 *
 *   <p>, <div>, headings, <tr>, <li> …   line breaks or one blank line
 *   <br>                                 a line break
 *   <ul>/<ol> items                      "- item" / "1. item", nested
 *                                        lists indented by two spaces
 *   <a href="u">t</a>                    "t <u>"; just "t" when t is the
 *                                        address itself, when t is only an
 *                                        image's alt text (logos, icons) or
 *                                        when u was shown before;
 *                                        javascript:, data:, cid: and "#…"
 *                                        targets dropped, mailto: shown as
 *                                        the bare address, Outlook Safe
 *                                        Links and Google redirects as the
 *                                        address they lead to
 *   <img alt="x">                        x
 *   <blockquote>                         lines prefixed "> "
 *   <script>, <style>, <head> …          dropped
 *   whitespace                           collapsed (kept inside <pre>)
 *
 * Entities are decoded, at most one blank line appears in a row, trailing
 * blanks are cut from lines and the result is trimmed.  The walk over the
 * document is iterative; libxml2 itself stops parsing at a nesting depth
 * of 256 elements, so text after such a point is lost.  Never fails:
 * empty or unparseable input gives "".  html need not be NUL-terminated.
 * The caller frees the result.
 */
char *html_to_text(const char *html, size_t len);

#endif
