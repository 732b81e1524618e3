#include "conn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "clock.h"
#include "tls.h"
#include "str.h"
#include "xmalloc.h"

#define CONN_DNS_SLICE_MS 25      /* how often a name lookup in progress is looked at */
#define CONN_MAX_CHAIN 16

struct conn {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	int timeout;                  /* seconds, every wait */
	struct conn_stop stop;
	char *peer;                   /* "host:port", for messages */
	enum conn_fail fail;
	char *error;
	char fingerprint[65];
};

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_STOPPED, WAIT_ERROR };

const char *
conn_fail_name(enum conn_fail fail)
{
	switch (fail) {
	case CONN_OK: return "ok";
	case CONN_DNS: return "dns";
	case CONN_CONNECT: return "connect";
	case CONN_TLS: return "tls";
	case CONN_TLS_VERIFY: return "tls_verify";
	case CONN_IO: return "io";
	case CONN_STOPPED: return "stopped";
	}
	return "unknown";
}

static void
set_error(struct conn *c, enum conn_fail fail, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_error(struct conn *c, enum conn_fail fail, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(c->error);
	c->error = buf_detach(&b, NULL);
	c->fail = fail;
}

/* Is the stop descriptor telling us to stop?  (It may be shared with other wakeups.) */
static int
stop_requested(const struct conn_stop *stop)
{
	return stop->flag == NULL || atomic_load(stop->flag);
}

/*
 * Wait until fd is ready for events, the deadline (clock_mono_ms) passes,
 * or the stop descriptor fires.
 */
static enum wait_result
wait_fd(const struct conn_stop *stop, int fd, short events, long long deadline)
{
	struct pollfd pfd[2];
	int use_stop = stop->fd >= 0, n;
	long long left;

	for (;;) {
		left = deadline - clock_mono_ms();
		if (left <= 0)
			return WAIT_TIMEOUT;
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[1].fd = stop->fd;
		pfd[1].events = POLLIN;
		n = poll(pfd, use_stop ? 2 : 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return WAIT_ERROR;
		if (use_stop && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
			if (stop_requested(stop))
				return WAIT_STOPPED;
			use_stop = 0;   /* someone else's wakeup: not ours to drain */
		}
		if (pfd[0].revents != 0)
			return WAIT_READY;
	}
}

/* The deadline for one wait of timeout seconds from now. */
static long long
deadline_in(int seconds)
{
	return clock_mono_ms() + (long long)seconds * 1000;
}

/*
 * A name lookup that can be abandoned: getaddrinfo_a runs it on glibc's
 * helper thread while we watch the stop descriptor and the deadline.  The
 * request and its strings live in one block; when glibc cannot cancel a
 * lookup in progress the block is left to it (a few hundred bytes, only
 * when we stop during a hung lookup).
 */
struct lookup {
	struct gaicb req;
	struct addrinfo hints;
	char service[8];
	char host[];
};

static struct addrinfo *
resolve(struct conn *c, const char *host, unsigned int port)
{
	struct lookup *lk = xcalloc(1, sizeof(*lk) + strlen(host) + 1);
	struct gaicb *list[1] = { &lk->req };
	struct addrinfo *res;
	long long deadline = deadline_in(c->timeout);
	enum wait_result w;
	int r;

	memcpy(lk->host, host, strlen(host) + 1);
	snprintf(lk->service, sizeof(lk->service), "%u", port);
	lk->hints.ai_socktype = SOCK_STREAM;
	lk->hints.ai_family = AF_UNSPEC;
	lk->req.ar_name = lk->host;
	lk->req.ar_service = lk->service;
	lk->req.ar_request = &lk->hints;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		set_error(c, CONN_DNS, "unable to resolve '%s': %s", host, gai_strerror(r));
		free(lk);
		return NULL;
	}
	for (r = gai_error(&lk->req); r == EAI_INPROGRESS; r = gai_error(&lk->req)) {
		if (c->stop.fd >= 0) {
			/* The stop descriptor as a timer: it ends the sleep when it fires. */
			w = wait_fd(&c->stop, c->stop.fd, POLLIN, clock_mono_ms() + CONN_DNS_SLICE_MS);
			if (w == WAIT_READY && !stop_requested(&c->stop))
				w = WAIT_TIMEOUT;
			if (w == WAIT_READY)
				w = WAIT_STOPPED;
		} else {
			poll(NULL, 0, CONN_DNS_SLICE_MS);
			w = WAIT_TIMEOUT;
		}
		if (w == WAIT_STOPPED || clock_mono_ms() >= deadline) {
			if (w == WAIT_STOPPED)
				set_error(c, CONN_STOPPED, "stopped while resolving '%s'", host);
			else
				set_error(c, CONN_DNS, "unable to resolve '%s': no answer after %ds",
					  host, c->timeout);
			if (gai_cancel(&lk->req) == EAI_CANCELED) {
				free(lk);
			} else if (gai_error(&lk->req) != EAI_INPROGRESS) {
				if (gai_error(&lk->req) == 0)
					freeaddrinfo(lk->req.ar_result);
				free(lk);
			}
			return NULL;
		}
	}
	if (r != 0) {
		set_error(c, CONN_DNS, "unable to resolve '%s': %s", host, gai_strerror(r));
		free(lk);
		return NULL;
	}
	res = lk->req.ar_result;
	free(lk);
	return res;
}

static void
addr_text(const struct addrinfo *ai, char *out, size_t outlen)
{
	const void *a = ai->ai_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;

	if (inet_ntop(ai->ai_family, a, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/* Connect to one address: the socket, or -1 with the error set. */
static int
connect_one(struct conn *c, const struct addrinfo *ai)
{
	char addr[INET6_ADDRSTRLEN];
	socklen_t len = sizeof(int);
	int fd, err = 0;
	enum wait_result w;

	addr_text(ai, addr, sizeof(addr));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		set_error(c, CONN_CONNECT, "unable to connect to %s (%s): %s", c->peer, addr,
			  strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		err = errno;
	} else {
		w = wait_fd(&c->stop, fd, POLLOUT, deadline_in(c->timeout));
		if (w == WAIT_STOPPED) {
			set_error(c, CONN_STOPPED, "stopped while connecting to %s", c->peer);
			close(fd);
			return -1;
		}
		if (w == WAIT_TIMEOUT) {
			set_error(c, CONN_CONNECT, "unable to connect to %s (%s): no answer after %ds",
				  c->peer, addr, c->timeout);
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	if (err != 0) {
		set_error(c, CONN_CONNECT, "unable to connect to %s (%s): %s", c->peer, addr,
			  strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

struct conn *
conn_open(const char *host, unsigned int port, int timeout, const struct conn_stop *stop,
	  enum conn_fail *fail_r, char **error_r)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct addrinfo *res, *ai;

	c->fd = -1;
	c->timeout = timeout > 0 ? timeout : 60;
	c->stop.fd = -1;
	if (stop != NULL)
		c->stop = *stop;
	c->peer = xasprintf(strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, port);
	res = resolve(c, host, port);
	for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
		c->fd = connect_one(c, ai);
		if (c->fail == CONN_STOPPED)
			break;
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (c->fd < 0) {
		*fail_r = c->fail;
		*error_r = c->error;
		c->error = NULL;
		conn_close(&c);
		return NULL;
	}
	c->fail = CONN_OK;
	free(c->error);
	c->error = NULL;
	return c;
}

void
conn_close(struct conn **cp)
{
	struct conn *c = *cp;

	if (c == NULL)
		return;
	if (c->tls != NULL) {
		/* Best effort, never waits: the socket is non-blocking. */
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd >= 0)
		close(c->fd);
	free(c->peer);
	free(c->error);
	free(c);
	*cp = NULL;
}

static int
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* Wait in the direction GnuTLS asked for. */
static enum wait_result
wait_tls(struct conn *c, long long deadline)
{
	return wait_fd(&c->stop, c->fd, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN,
		       deadline);
}

/* "sha256//BASE64" of the certificate's SubjectPublicKeyInfo; caller frees. */
static char *
pubkey_pin(const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = { NULL, 0 }, b64 = { NULL, 0 }, d;
	unsigned char sum[32];
	char *pin = NULL;

	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_pubkey_init(&key) < 0 || gnutls_pubkey_import_x509(key, crt, 0) < 0 ||
	    gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &spki) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, sum) < 0)
		goto out;
	d.data = sum;
	d.size = sizeof(sum);
	if (gnutls_base64_encode2(&d, &b64) < 0)
		goto out;
	pin = xasprintf("sha256//%.*s", (int)b64.size, (const char *)b64.data);
out:
	gnutls_free(b64.data);
	gnutls_free(spki.data);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return pin;
}

/* Does want (a list split by ',' or ';') name have?  Hex compares ignore ':' and case. */
static int
pin_listed(const char *want, const char *have, int is_hex)
{
	const char *p = want, *e;
	size_t i, j, n;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == ';')
			p++;
		e = p + strcspn(p, ",;");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (!is_hex) {
			if (n > 0 && n == strlen(have) && memcmp(p, have, n) == 0)
				return 1;
		} else {
			i = n > 7 && strncasecmp(p, "sha256:", 7) == 0 ? 7 : 0;
			for (j = 0; i < n; i++) {
				if (p[i] == ':')
					continue;
				if (have[j] == '\0' || tolower((unsigned char)p[i]) != have[j])
					break;
				j++;
			}
			if (n > 0 && i == n && have[j] == '\0')
				return 1;
		}
		p = e;
	}
	return 0;
}

static int
check_trust(struct conn *c, const char *host, const struct conn_trust *trust)
{
	const gnutls_datum_t *peers;
	struct tls_der der[CONN_MAX_CHAIN];
	unsigned int n = 0, i;
	unsigned char sum[32];
	size_t sumlen = sizeof(sum);
	char *error = NULL, *pin;
	int ok;

	peers = gnutls_certificate_get_peers(c->tls, &n);
	if (peers == NULL || n == 0) {
		set_error(c, CONN_TLS_VERIFY, "the server at %s sent no certificate", c->peer);
		return -1;
	}
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &peers[0], sum, &sumlen) < 0 || sumlen != 32) {
		set_error(c, CONN_TLS_VERIFY, "the server at %s sent an unreadable certificate", c->peer);
		return -1;
	}
	str_hex_encode(sum, sumlen, c->fingerprint);
	if (trust->fingerprint != NULL || trust->pubkey != NULL) {
		/* A pin is the whole check: it replaces the CA chain (a self-signed server). */
		ok = trust->fingerprint != NULL && pin_listed(trust->fingerprint, c->fingerprint, 1);
		pin = pubkey_pin(&peers[0]);
		if (!ok && trust->pubkey != NULL && pin != NULL)
			ok = pin_listed(trust->pubkey, pin, 0);
		if (!ok)
			set_error(c, CONN_TLS_VERIFY, "the certificate of '%s' does not match the pinned %s "
				  "(it has SHA256:%s, public key %s)", host,
				  trust->fingerprint != NULL ? "fingerprint" : "public key",
				  c->fingerprint, pin != NULL ? pin : "?");
		free(pin);
		return ok ? 0 : -1;
	}
	if (!trust->verify)
		return 0;
	if (n > CONN_MAX_CHAIN)
		n = CONN_MAX_CHAIN;
	for (i = 0; i < n; i++) {
		der[i].data = peers[i].data;
		der[i].len = peers[i].size;
	}
	if (tls_verify_chain(der, n, host, trust->ca_file, &error) < 0) {
		set_error(c, CONN_TLS_VERIFY, "%s", error);
		free(error);
		return -1;
	}
	return 0;
}

int
conn_start_tls(struct conn *c, const char *host, const struct conn_trust *trust,
	       enum conn_fail *fail_r, char **error_r)
{
	long long deadline = deadline_in(c->timeout);
	enum wait_result w;
	int r;

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0 ||
	    gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_set_default_priority(c->tls) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) < 0) {
		set_error(c, CONN_TLS, "unable to set up TLS for %s", c->peer);
		goto fail;
	}
	/* SNI: multi-tenant servers choose the certificate by it (RFC 6066: names only). */
	if (!is_ip_literal(host) &&
	    gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, host, strlen(host)) < 0) {
		set_error(c, CONN_TLS, "unable to set the TLS server name '%s'", host);
		goto fail;
	}
	gnutls_transport_set_int(c->tls, c->fd);
	for (;;) {
		r = gnutls_handshake(c->tls);
		if (r == GNUTLS_E_SUCCESS)
			break;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(r)) {
			set_error(c, CONN_TLS, "TLS handshake with %s failed: %s", c->peer,
				  gnutls_strerror(r));
			goto fail;
		}
		if (r == GNUTLS_E_AGAIN) {
			w = wait_tls(c, deadline);
			if (w == WAIT_STOPPED) {
				set_error(c, CONN_STOPPED, "stopped during the TLS handshake with %s", c->peer);
				goto fail;
			}
			if (w != WAIT_READY) {
				set_error(c, CONN_TLS, "TLS handshake with %s failed: no answer after %ds",
					  c->peer, c->timeout);
				goto fail;
			}
		}
	}
	if (check_trust(c, host, trust) < 0)
		goto fail;
	return 0;
fail:
	*fail_r = c->fail;
	*error_r = xstrdup(c->error);
	return -1;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

const char *
conn_peer_fingerprint(const struct conn *c)
{
	return c->fingerprint;
}

/* One wait inside a read or a write: -1 with the error set when it did not end ready. */
static int
io_wait(struct conn *c, short events, long long deadline, const char *what)
{
	enum wait_result w = c->tls != NULL ? wait_tls(c, deadline) :
		wait_fd(&c->stop, c->fd, events, deadline);

	if (w == WAIT_READY)
		return 0;
	if (w == WAIT_STOPPED)
		set_error(c, CONN_STOPPED, "stopped while %s %s", what, c->peer);
	else if (w == WAIT_TIMEOUT)
		set_error(c, CONN_IO, "%s %s timed out after %ds", what, c->peer, c->timeout);
	else
		set_error(c, CONN_IO, "%s %s failed: %s", what, c->peer, strerror(errno));
	return -1;
}

/* The peer closed the connection: 0, and the reason kept for the log. */
static ssize_t
peer_closed(struct conn *c)
{
	set_error(c, CONN_IO, "the server at %s closed the connection", c->peer);
	return 0;
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	long long deadline = deadline_in(c->timeout);
	ssize_t r;

	for (;;) {
		if (c->tls != NULL) {
			r = gnutls_record_recv(c->tls, buf, len);
			if (r == 0 && len > 0)
				return peer_closed(c);
			if (r >= 0)
				return r;
			if (r == GNUTLS_E_PREMATURE_TERMINATION)
				return peer_closed(c);    /* without close_notify: common, still the end */
			if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED &&
			    gnutls_error_is_fatal((int)r)) {
				set_error(c, CONN_IO, "reading from %s failed: %s", c->peer,
					  gnutls_strerror((int)r));
				return -1;
			}
		} else {
			r = recv(c->fd, buf, len, 0);
			if (r == 0 && len > 0)
				return peer_closed(c);
			if (r >= 0)
				return r;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				set_error(c, CONN_IO, "reading from %s failed: %s", c->peer, strerror(errno));
				return -1;
			}
		}
		if (io_wait(c, POLLIN, deadline, "reading from") < 0)
			return -1;
	}
}

ssize_t
conn_write(struct conn *c, const void *buf, size_t len)
{
	long long deadline = deadline_in(c->timeout);
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		if (c->tls != NULL) {
			r = gnutls_record_send(c->tls, (const char *)buf + done, len - done);
			if (r < 0 && r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
				set_error(c, CONN_IO, "writing to %s failed: %s", c->peer,
					  gnutls_strerror((int)r));
				return -1;
			}
		} else {
			r = send(c->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				set_error(c, CONN_IO, "writing to %s failed: %s", c->peer, strerror(errno));
				return -1;
			}
		}
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (io_wait(c, POLLOUT, deadline, "writing to") < 0)
			return -1;
	}
	return (ssize_t)len;
}

size_t
conn_pending(const struct conn *c)
{
	return c->tls != NULL ? gnutls_record_check_pending(c->tls) : 0;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

enum conn_fail
conn_last_fail(const struct conn *c)
{
	return c->fail;
}

const char *
conn_error(const struct conn *c)
{
	return c->error != NULL ? c->error : "no error";
}
