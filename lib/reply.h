/*
 * reply: the new text of a reply, without quoted history and signature.
 */
#ifndef TICKETD_REPLY_H
#define TICKETD_REPLY_H

/* Quote headers longer than this (joined over up to three lines) are prose. */
#define REPLY_MAX_HEADER_LEN 400

/*
 * Return the new text of body (UTF-8, LF or CRLF lines) as LF lines.
 *
 * The text is cut at the first of:
 *  - a quote header: "On … wrote:" and its German, French, Spanish,
 *    Finnish, Japanese and Chinese forms ("Am … schrieb …:",
 *    "Le … a écrit :", "El … escribió:", "… kirjoitti:",
 *    "2024年1月1日(月) 10:00 Name <a@b>:", "…のメッセージ:", "… 写道："),
 *    also when a client wrapped it over two or three lines;
 *  - an Outlook header block: a "From:" line followed by "Sent:"/"Date:",
 *    "To:" or "Subject:" lines, in any of the seven languages, together
 *    with a line of underscores just above it;
 *  - an "-----Original Message-----" line, in any of the seven languages;
 *  - the first ">" line from which on there are only ">" lines and blank
 *    lines (quotes interleaved with answers are kept as they are);
 * and then at the signature: a "-- " or "--" line, or a mobile footer
 * such as "Sent from my iPhone" or its localised forms.
 * Forwarded messages ("Begin forwarded message:", "---------- Forwarded
 * message ---------") are new content for the ticket and are kept.
 *
 * When nothing would be left (the whole message is a quote), the body
 * minus its signature is returned instead, or the body itself.  Blank
 * lines around the result are trimmed.  body NULL gives "".  Caller frees.
 */
char *reply_extract(const char *body);

#endif
