/*
 * conn: one client connection that ticketd owns, plain or TLS (GnuTLS).
 *
 * The socket and the TLS session are ours, not libetpan's: so the server
 * name goes out as SNI, the certificate is checked (CA chain, or a pinned
 * fingerprint or public key) before any credential is sent, and every
 * wait (name lookup, connect, handshake, read, write) is bounded by the
 * timeout and ends at once when the stop descriptor becomes readable.
 * imap.c hands libetpan a mailstream over it.
 */
#ifndef TICKETD_CONN_H
#define TICKETD_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

/* What went wrong, for the log's kind= and for the caller's decision. */
enum conn_fail {
	CONN_OK = 0,
	CONN_DNS,          /* the name does not resolve */
	CONN_CONNECT,      /* refused, unreachable, or no answer to the connect */
	CONN_TLS,          /* the handshake failed */
	CONN_TLS_VERIFY,   /* the certificate is not trusted or not the pinned one */
	CONN_IO,           /* the connection broke or timed out after it was made */
	CONN_STOPPED,      /* the stop descriptor fired: we are shutting down */
};

/* A short word for enum conn_fail ("dns", "connect", "tls", "tls_verify", "io", "stopped"). */
const char *conn_fail_name(enum conn_fail fail);

/* How the server's certificate is trusted.  A pin replaces the CA check. */
struct conn_trust {
	int verify;               /* check the chain and the name (system store or ca_file) */
	const char *ca_file;      /* PEM file of trusted CAs, NULL: the system store */
	const char *fingerprint;  /* SHA-256 of the server certificate, 64 hex digits */
	const char *pubkey;       /* "sha256//BASE64" of the server's public key (SPKI) */
};

struct conn;

/*
 * The stop descriptor: when it becomes readable (and *stop is set, or stop
 * is NULL), every wait ends with CONN_STOPPED.  Readable without *stop set
 * (another wakeup sharing the descriptor) is ignored for the rest of that
 * wait.  stop_fd -1: no interruption.
 */
struct conn_stop {
	int fd;
	const atomic_int *flag;
};

/*
 * Resolve host and connect to port, within timeout seconds.  NULL with
 * *fail_r and *error_r set (caller frees), e.g. "unable to resolve
 * 'imap.example.invalid': Name or service not known".
 */
struct conn *conn_open(const char *host, unsigned int port, int timeout,
		       const struct conn_stop *stop, enum conn_fail *fail_r, char **error_r);
void conn_close(struct conn **conn);

/*
 * TLS handshake over the connection (implicit TLS, or after STARTTLS),
 * with host as SNI (unless it is an IP address) and as the name the
 * certificate must carry, then the trust check.  -1 with *fail_r and
 * *error_r (caller frees).
 */
int conn_start_tls(struct conn *conn, const char *host, const struct conn_trust *trust,
		   enum conn_fail *fail_r, char **error_r);
int conn_is_tls(const struct conn *conn);

/* The SHA-256 fingerprint of the peer certificate as 64 hex digits, "" before TLS. */
const char *conn_peer_fingerprint(const struct conn *conn);

/*
 * Read up to len bytes: > 0 bytes read, 0 the peer closed (conn_last_fail()
 * is then CONN_IO), -1 on an error (conn_error() tells it, conn_last_fail()
 * its kind).  Waits at most the timeout.
 */
ssize_t conn_read(struct conn *conn, void *buf, size_t len);
/* Write all of buf, or -1. */
ssize_t conn_write(struct conn *conn, const void *buf, size_t len);

/* Bytes the TLS layer has already decrypted: readable without a poll. */
size_t conn_pending(const struct conn *conn);
int conn_fd(const struct conn *conn);
enum conn_fail conn_last_fail(const struct conn *conn);
const char *conn_error(const struct conn *conn);

#endif
