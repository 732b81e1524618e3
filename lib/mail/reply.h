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
 *    also when a client wrapped it over two or three lines.  It must hold
 *    a date or an address; a bare "Name wrote:" counts only when ">"
 *    lines follow it;
 *  - an Outlook header block: a "From:" line followed within a few lines
 *    by two of "Sent:"/"Date:", "To:"/"Cc:" and "Subject:", in any of the
 *    seven languages (Von:/Gesendet:, De :/Envoyé :, De:/Enviado el:,
 *    Lähettäjä:/Lähetetty:, 差出人:/送信日時:, 发件人:/发送时间: …), with a
 *    line of underscores just above it;
 *  - an "-----Original Message-----" line, in any of the seven languages;
 *  - the first ">" line from which on there are only ">" lines and blank
 *    lines.  Quotes with answers between them are kept as they are;
 * and then at the signature: the first "-- " or "--" line, or a mobile
 * footer such as "Sent from my iPhone", "Von meinem iPhone gesendet",
 * "Envoyé de mon iPhone", "Enviado desde mi iPhone", "Lähetetty
 * iPhonesta", "iPhoneから送信", "发自我的iPhone".
 *
 * Forwarded messages ("---------- Forwarded message ---------", "Begin
 * forwarded message:", an Outlook block whose subject starts "FW:",
 * "WG:", "TR:", "RV:", "VL:" …) are new content for the ticket: they are
 * kept whole, only the signature above them is removed.
 *
 * When nothing is left above a ">" quote (bottom posting), the unquoted
 * lines below its header are the reply.  When still nothing is left (the
 * whole message is history), the body minus its signature is returned,
 * or else the body itself.  Blank lines around the result are trimmed.
 * body NULL gives "".  Never NULL; the caller frees the result.
 */
char *reply_extract(const char *body);

#endif
