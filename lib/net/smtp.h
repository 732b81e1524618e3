/*
 * smtp: submit one message over SMTP with libcurl.
 *
 * One struct smtp keeps one curl handle, so consecutive sends reuse the
 * connection (one TCP/TLS handshake for a burst).  smtp://, smtps://, and
 * STARTTLS when the server offers it; AUTH when a user is configured;
 * certificates verified unless tls_verify = no.
 */
#ifndef TICKETD_SMTP_H
#define TICKETD_SMTP_H

#include <stdatomic.h>
#include <stddef.h>

struct conf;
struct smtp;

enum smtp_result {
	SMTP_SENT = 0,
	SMTP_TEMPFAIL,      /* 4xx to MAIL, RCPT or DATA: try this message again later */
	SMTP_PERMFAIL,      /* 5xx to RCPT or DATA, 552 to MAIL: give this message up */
	SMTP_UNAVAILABLE,   /* the server, not the message: no connection, timeout, 421,
			       a refusal of the session (greeting, EHLO, AUTH) or of our
			       sender (5xx to MAIL): try again later, and hold the other
			       messages back meanwhile */
};

/* *stop is polled during a transfer: when it becomes non-zero the send is aborted. */
struct smtp *smtp_new(const struct conf *conf, const atomic_int *stop);
void smtp_free(struct smtp **s);

/*
 * Send raw (CRLF lines) from mail_from to rcpt.  *code_r gets the last
 * SMTP reply code (0 when there was none) and *error_r a one-line reason
 * when not sent (NULL when sent), owned by s and valid until its next
 * send.  After a failure the next send opens a
 * new connection; a reused connection that turns out dead before the
 * message went out is replaced once at once.
 */
enum smtp_result smtp_send(struct smtp *s, const char *mail_from, const char *rcpt,
			   const char *raw, size_t len, long *code_r, const char **error_r);
/*
 * The same, with gate(gate_arg) asked once, after the server took MAIL,
 * RCPT and DATA and before the first byte of the message goes out: when
 * it returns non-zero, the transfer is aborted and nothing of the message
 * reaches the server.  The outbox syncs the claim of the mail meanwhile.
 */
enum smtp_result smtp_send_gated(struct smtp *s, const char *mail_from, const char *rcpt,
				 const char *raw, size_t len, int (*gate)(void *), void *gate_arg,
				 long *code_r, const char **error_r);

/*
 * 1 when the last send failed after the whole message had gone out, with
 * no final reply (a timeout or a dropped connection while the server was
 * to answer the data): it may have been delivered all the same.
 */
int smtp_in_doubt(const struct smtp *s);

#endif
