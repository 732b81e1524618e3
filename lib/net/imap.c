#include "imap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "base64.h"
#include "literal.h"
#include "xmalloc.h"

/* How long one SASL exchange may be (an OAuth2 token is about 2 KiB). */
#define IMAP_MAX_SASL 16384
#define EXISTS_UNSEEN UINT32_MAX   /* imap_list_new: no EXISTS seen since */

struct imap {
	mailstream_low_driver drv;        /* libetpan reads and writes through conn */
	struct literal_watch watch;       /* literals and lines within their limits */
	struct conn *conn;
	mailimap *session;
	const struct conf_mailbox *mb;
	const char *mech;
	const char *tls_mode;
	unsigned int uidvalidity;
	int has_move;
	int has_uidplus;
	int has_idle;
	const char *created[2];           /* folders made (or found) on this connection */
};

const char *
imap_fail_name(enum imap_fail fail)
{
	static const char *const names[] = {
		"none", "dns", "connect", "tls", "tls_verify", "starttls", "auth", "protocol", "io",
		"stopped",
	};

	return (unsigned int)fail < sizeof(names) / sizeof(names[0]) ? names[fail] : "unknown";
}

/* The failure kind of a broken connection (the conn knows better than libetpan). */
static enum imap_fail
io_fail(const struct imap *imap)
{
	if (imap->conn != NULL && conn_last_fail(imap->conn) == CONN_STOPPED)
		return IMAP_FAIL_STOPPED;
	return IMAP_FAIL_IO;
}

static char *
imap_err(struct imap *imap, const char *what, int rc)
{
	const char *resp = imap->session != NULL ? imap->session->imap_response : NULL;

	if (rc == MAILIMAP_ERROR_STREAM && imap->conn != NULL && conn_last_fail(imap->conn) != CONN_OK)
		return xasprintf("%s failed: %s", what, conn_error(imap->conn));
	if (resp != NULL && *resp != '\0')
		return xasprintf("%s failed: %s", what, resp);
	return xasprintf("%s failed: %s (libetpan error %d)", what,
			 rc == MAILIMAP_ERROR_STREAM ? "connection lost" :
			 rc == MAILIMAP_ERROR_CONNECTION_REFUSED ? "connection refused" :
			 rc == MAILIMAP_ERROR_LOGIN ? "login rejected" :
			 rc == MAILIMAP_ERROR_SSL ? "TLS error" : "protocol error", rc);
}

/* imap://host:port or imaps://host:port → host, port, implicit TLS */
static int
parse_url(const char *url, char **host_r, uint16_t *port_r, int *tls_r)
{
	const char *p, *colon, *slash;
	long port;

	if (strncmp(url, "imaps://", 8) == 0) {
		*tls_r = 1;
		p = url + 8;
	} else if (strncmp(url, "imap://", 7) == 0) {
		*tls_r = 0;
		p = url + 7;
	} else {
		return -1;
	}
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	if (colon != NULL) {
		port = strtol(colon + 1, NULL, 10);
		if (port <= 0 || port > 65535)
			return -1;
	} else {
		colon = slash;
		port = *tls_r ? 993 : 143;
	}
	if (colon == p)
		return -1;
	*host_r = xstrndup(p, (size_t)(colon - p));
	*port_r = (uint16_t)port;
	return 0;
}

/*
 * The libetpan driver over our conn.  libetpan's literal parser treats a
 * read of 0 as "nothing yet" and reads again: a server that closes the
 * connection in the middle of a FETCH would make it spin forever, so end
 * of file is an error here.  It believes a literal's claimed size, too:
 * the read hook follows literals and lines (lib/net/literal) and breaks
 * the stream before libetpan sees one over its limit.  The conn belongs to struct imap: close does
 * nothing, free releases only libetpan's mailstream_low.
 */
static ssize_t
drv_read(mailstream_low *low, void *buf, size_t len)
{
	struct imap *imap = low->data;
	ssize_t r;

	/* A literal or a line past its limit: nothing more of this stream is read. */
	if (imap->watch.tripped)
		return -1;
	r = conn_read(imap->conn, buf, len);
	if (r == 0 && len > 0)
		return -1;
	if (r > 0 && literal_feed(&imap->watch, buf, (size_t)r) < 0)
		return -1;
	return r;
}

static ssize_t
drv_write(mailstream_low *low, const void *buf, size_t len)
{
	struct imap *imap = low->data;

	return conn_write(imap->conn, buf, len);
}

static int
drv_close(mailstream_low *low)
{
	return 0;
}

static int
drv_get_fd(mailstream_low *low)
{
	struct imap *imap = low->data;

	return conn_fd(imap->conn);
}

static void
drv_free(mailstream_low *low)
{
	free(low);
}

static void
drv_cancel(mailstream_low *low)
{
}

static struct mailstream_cancel *
drv_get_cancel(mailstream_low *low)
{
	return NULL;
}

static carray *
drv_get_certificate_chain(mailstream_low *low)
{
	return NULL;
}

static int
drv_no_idle(mailstream_low *low)
{
	return -1;
}

static mailstream *
conn_stream(struct imap *imap)
{
	mailstream_low *low;
	mailstream *stream;

	imap->drv.mailstream_read = drv_read;
	imap->drv.mailstream_write = drv_write;
	imap->drv.mailstream_close = drv_close;
	imap->drv.mailstream_get_fd = drv_get_fd;
	imap->drv.mailstream_free = drv_free;
	imap->drv.mailstream_cancel = drv_cancel;
	imap->drv.mailstream_get_cancel = drv_get_cancel;
	imap->drv.mailstream_get_certificate_chain = drv_get_certificate_chain;
	imap->drv.mailstream_setup_idle = drv_no_idle;
	imap->drv.mailstream_unsetup_idle = drv_no_idle;
	imap->drv.mailstream_interrupt_idle = drv_no_idle;
	low = mailstream_low_new(imap, &imap->drv);
	if (low == NULL)
		return NULL;
	stream = mailstream_new(low, 8192);
	if (stream == NULL)
		mailstream_low_free(low);
	return stream;
}

static void
trust_of(const struct conf_mailbox *mb, struct conn_trust *t)
{
	t->verify = mb->tls_verify;
	t->ca_file = mb->ca_file;
	t->fingerprint = mb->tls_fingerprint;
	t->pubkey = mb->tls_pubkey;
}

static enum imap_fail
tls_fail(enum conn_fail f)
{
	return f == CONN_TLS_VERIFY ? IMAP_FAIL_TLS_VERIFY : f == CONN_STOPPED ? IMAP_FAIL_STOPPED :
		f == CONN_IO ? IMAP_FAIL_IO : IMAP_FAIL_TLS;
}

/* Ask for the capabilities (they are forgotten after STARTTLS and may change after login). */
static int
refresh_capabilities(struct imap *imap)
{
	struct mailimap_capability_data *cap = NULL;
	int rc = mailimap_capability(imap->session, &cap);

	if (cap != NULL)
		mailimap_capability_data_free(cap);
	return rc;
}

static int
have_capabilities(struct imap *imap)
{
	return imap->session->imap_connection_info != NULL &&
		imap->session->imap_connection_info->imap_capability != NULL;
}

/*
 * STARTTLS (RFC 9051 section 6.2.1), then the handshake and the trust
 * check on our conn.  Anything the server sent after its OK but before
 * the handshake would be read as if it came over TLS: refuse it (the
 * STARTTLS command injection of CVE-2011-0411 and friends).
 */
static int
start_tls(struct imap *imap, const char *host, enum imap_fail *fail_r, char **error_r)
{
	struct conn_trust trust;
	enum conn_fail cf;
	int rc;

	rc = mailimap_starttls(imap->session);
	if (rc != MAILIMAP_NO_ERROR) {
		*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_STARTTLS;
		*error_r = imap_err(imap, "starttls", rc);
		return -1;
	}
	if (imap->session->imap_stream->read_buffer_len > 0) {
		*fail_r = IMAP_FAIL_STARTTLS;
		*error_r = xasprintf("the server at '%s' sent data after its STARTTLS answer, "
				     "before TLS began: refused", host);
		return -1;
	}
	trust_of(imap->mb, &trust);
	if (conn_start_tls(imap->conn, host, &trust, &cf, error_r) < 0) {
		*fail_r = tls_fail(cf);
		return -1;
	}
	/* What the server said in clear text is forgotten; ask again over TLS. */
	rc = refresh_capabilities(imap);
	if (rc != MAILIMAP_NO_ERROR) {
		*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_PROTOCOL;
		*error_r = imap_err(imap, "capability after starttls", rc);
		return -1;
	}
	return 0;
}

static char *
b64(const void *data, size_t len)
{
	gnutls_datum_t in, out = { NULL, 0 };
	char *s;

	in.data = (unsigned char *)data;
	in.size = (unsigned int)len;
	if (len == 0)
		return xstrdup("=");    /* RFC 4959: an empty initial response */
	if (gnutls_base64_encode2(&in, &out) < 0)
		return NULL;
	s = xstrndup((const char *)out.data, out.size);
	explicit_bzero(out.data, out.size);
	gnutls_free(out.data);
	return s;
}

/* A challenge line "+ BASE64" decoded for the log (the server's error JSON), or NULL. */
static char *
challenge_text(const char *line)
{
	struct base64_decoder d = BASE64_DECODER_INIT;
	struct buf out = BUF_INIT;
	size_t n;
	char *s, *p;

	if (line[0] != '+')
		return NULL;
	line += 1 + (line[1] == ' ');
	n = strcspn(line, "\r\n");
	if (n == 0)
		return NULL;
	base64_decode(&d, line, n, &out);
	s = xstrndup(buf_str(&out), out.len > 300 ? 300 : out.len);
	buf_release(&out);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == '"')
			*p = ' ';
	return s;
}

static int
send_line(struct imap *imap, const char *a, const char *b)
{
	mailstream *st = imap->session->imap_stream;

	if (mailstream_write(st, a, strlen(a)) < 0 ||
	    (b != NULL && mailstream_write(st, b, strlen(b)) < 0) ||
	    mailstream_write(st, "\r\n", 2) < 0 || mailstream_flush(st) < 0)
		return -1;
	return 0;
}

/*
 * AUTHENTICATE mech with one client response (RFC 3501 6.2.2, SASL-IR
 * RFC 4959 when offered).  A challenge after our response is the
 * server's error report (XOAUTH2, OAUTHBEARER RFC 7628 3.2.3): we answer
 * it with abort_reply and read the tagged NO.  libetpan's own
 * mailimap_authenticate needs cyrus-sasl and mailimap_oauth2_authenticate
 * knows only XOAUTH2, so the exchange is written here with libetpan's
 * tag, line reader and response parser.
 */
static int
sasl_authenticate(struct imap *imap, const char *mech, const char *resp, size_t resp_len,
		  const char *abort_reply, enum imap_fail *fail_r, char **error_r)
{
	mailimap *s = imap->session;
	struct mailimap_response *response = NULL;
	char *enc = b64(resp, resp_len), *cmd = NULL, *why = NULL;
	const char *line;
	int ir = mailimap_has_extension(s, "SASL-IR"), rc = -1, r, state;

	if (enc == NULL || strlen(enc) > IMAP_MAX_SASL) {
		*fail_r = IMAP_FAIL_AUTH;
		*error_r = xasprintf("unable to encode the %s response", mech);
		goto out;
	}
	cmd = xasprintf("AUTHENTICATE %s%s", mech, ir ? " " : "");
	if (mailimap_send_current_tag(s) != MAILIMAP_NO_ERROR ||
	    send_line(imap, cmd, ir ? enc : NULL) < 0)
		goto broken;
	line = mailimap_read_line(s);
	if (line == NULL)
		goto broken;
	if (!ir && line[0] == '+') {
		if (send_line(imap, enc, NULL) < 0)
			goto broken;
		line = mailimap_read_line(s);
		if (line == NULL)
			goto broken;
	}
	if (line[0] == '+') {
		why = challenge_text(line);
		if (send_line(imap, abort_reply, NULL) < 0)
			goto broken;
		if (mailimap_read_line(s) == NULL)
			goto broken;
	}
	r = mailimap_parse_response(s, &response);
	if (r != MAILIMAP_NO_ERROR) {
		*fail_r = r == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_AUTH;
		*error_r = imap_err(imap, mech, r);
		goto out;
	}
	state = response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	if (state != MAILIMAP_RESP_COND_STATE_OK) {
		*fail_r = IMAP_FAIL_AUTH;
		*error_r = xasprintf("AUTHENTICATE %s refused: %s%s%s%s", mech,
				     s->imap_response != NULL && *s->imap_response != '\0' ?
				     s->imap_response : "no reason given",
				     why != NULL ? " (server said: " : "", why != NULL ? why : "",
				     why != NULL ? ")" : "");
		goto out;
	}
	s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	rc = 0;
	goto out;
broken:
	*fail_r = io_fail(imap);
	*error_r = xasprintf("AUTHENTICATE %s failed: %s", mech, conn_error(imap->conn));
out:
	if (enc != NULL) {
		explicit_bzero(enc, strlen(enc));
		free(enc);
	}
	free(cmd);
	free(why);
	return rc;
}

/* RFC 7628 saslname: ',' and '=' escaped. */
static void
add_saslname(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ',')
			buf_adds(b, "=2C");
		else if (*s == '=')
			buf_adds(b, "=3D");
		else
			buf_addc(b, *s);
	}
}

static int
login_with(struct imap *imap, const char *mech, const char *host, unsigned int port,
	   const char *secret, enum imap_fail *fail_r, char **error_r)
{
	const struct conf_mailbox *mb = imap->mb;
	struct buf b = BUF_INIT;
	int rc;

	if (strcmp(mech, "LOGIN") == 0) {
		rc = mailimap_login(imap->session, mb->user, secret);
		if (rc != MAILIMAP_NO_ERROR) {
			*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_AUTH;
			*error_r = imap_err(imap, "login", rc);
			return -1;
		}
		return 0;
	}
	if (strcmp(mech, "PLAIN") == 0) {
		/* RFC 4616: authzid NUL authcid NUL passwd */
		buf_addc(&b, '\0');
		buf_adds(&b, mb->user);
		buf_addc(&b, '\0');
		buf_adds(&b, secret);
		rc = sasl_authenticate(imap, mech, b.data, b.len, "*", fail_r, error_r);
	} else if (strcmp(mech, "XOAUTH2") == 0) {
		buf_addf(&b, "user=%s\001auth=Bearer %s\001\001", mb->user, secret);
		rc = sasl_authenticate(imap, mech, b.data, b.len, "", fail_r, error_r);
	} else {
		/* RFC 7628 OAUTHBEARER: gs2 header, then host, port and the bearer token. */
		buf_adds(&b, "n,a=");
		add_saslname(&b, mb->user);
		buf_addf(&b, ",\001host=%s\001port=%u\001auth=Bearer %s\001\001", host, port, secret);
		/* An error challenge is answered with %x01 (RFC 7628 3.2.3), "AQ==" in base64. */
		rc = sasl_authenticate(imap, mech, b.data, b.len, "AQ==", fail_r, error_r);
	}
	explicit_bzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

static int
offers(struct imap *imap, const char *mech)
{
	return mailimap_has_authentication(imap->session, mech);
}

/* The mechanism mb->auth and the server's offer agree on, or NULL with *error_r. */
static const char *
choose_mech(struct imap *imap, const char *host, char **error_r)
{
	int login_ok = !mailimap_has_extension(imap->session, "LOGINDISABLED");

	switch (imap->mb->auth) {
	case CONF_AUTH_PASSWORD:
		if (offers(imap, "PLAIN"))
			return "PLAIN";
		if (login_ok)
			return "LOGIN";
		break;
	case CONF_AUTH_LOGIN:
		if (login_ok)
			return "LOGIN";
		*error_r = xasprintf("the server at '%s' refuses LOGIN (LOGINDISABLED)", host);
		return NULL;
	case CONF_AUTH_PLAIN:
		if (offers(imap, "PLAIN"))
			return "PLAIN";
		break;
	case CONF_AUTH_OAUTH2:
		if (offers(imap, "OAUTHBEARER"))
			return "OAUTHBEARER";
		if (offers(imap, "XOAUTH2"))
			return "XOAUTH2";
		*error_r = xasprintf("the server at '%s' offers neither AUTHENTICATE OAUTHBEARER "
				     "nor XOAUTH2", host);
		return NULL;
	case CONF_AUTH_XOAUTH2:
		if (offers(imap, "XOAUTH2"))
			return "XOAUTH2";
		break;
	case CONF_AUTH_OAUTHBEARER:
		if (offers(imap, "OAUTHBEARER"))
			return "OAUTHBEARER";
		break;
	}
	*error_r = xasprintf("the server at '%s' offers no login mechanism for auth = %s", host,
			     imap->mb->auth == CONF_AUTH_PLAIN ? "plain" :
			     imap->mb->auth == CONF_AUTH_XOAUTH2 ? "xoauth2" :
			     imap->mb->auth == CONF_AUTH_OAUTHBEARER ? "oauthbearer" : "password");
	return NULL;
}

int
imap_open(const struct conf_mailbox *mb, const char *secret, const struct conn_stop *stop,
	  struct imap **imap_r, enum imap_fail *fail_r, char **error_r)
{
	struct imap *imap = xcalloc(1, sizeof(*imap));
	struct conn_trust trust;
	mailstream *stream;
	enum conn_fail cf;
	char *host = NULL;
	uint16_t port;
	int implicit, rc;

	literal_init(&imap->watch, IMAP_MAX_LITERAL);
	imap->mb = mb;
	imap->tls_mode = "none";
	*fail_r = IMAP_FAIL_PROTOCOL;
	if (parse_url(mb->url, &host, &port, &implicit) < 0) {
		*error_r = xasprintf("bad mailbox url '%s'", mb->url);
		goto fail;
	}
	imap->conn = conn_open(host, port, mb->timeout > 0 ? mb->timeout : IMAP_TIMEOUT, stop, &cf,
			       error_r);
	if (imap->conn == NULL) {
		*fail_r = cf == CONN_DNS ? IMAP_FAIL_DNS : cf == CONN_STOPPED ? IMAP_FAIL_STOPPED :
			IMAP_FAIL_CONNECT;
		goto fail;
	}
	if (implicit) {
		trust_of(mb, &trust);
		if (conn_start_tls(imap->conn, host, &trust, &cf, error_r) < 0) {
			*fail_r = tls_fail(cf);
			goto fail;
		}
		imap->tls_mode = "imaps";
	}
	imap->session = mailimap_new(0, NULL);
	stream = imap->session != NULL ? conn_stream(imap) : NULL;
	if (stream == NULL) {
		*error_r = xstrdup("out of memory");
		goto fail;
	}
	rc = mailimap_connect(imap->session, stream);
	if (rc != MAILIMAP_NO_ERROR && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_PROTOCOL;
		*error_r = imap_err(imap, "greeting", rc);
		goto fail;
	}
	rc = have_capabilities(imap) ? MAILIMAP_NO_ERROR : refresh_capabilities(imap);
	if (rc != MAILIMAP_NO_ERROR) {
		*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_PROTOCOL;
		*error_r = imap_err(imap, "capability", rc);
		goto fail;
	}
	if (!implicit && mb->tls != CONF_TLS_NONE) {
		if (mailimap_has_extension(imap->session, "STARTTLS")) {
			if (start_tls(imap, host, fail_r, error_r) < 0)
				goto fail;
			imap->tls_mode = "starttls";
		} else if (mb->tls == CONF_TLS_STARTTLS) {
			*fail_r = IMAP_FAIL_STARTTLS;
			*error_r = xasprintf("the server at '%s' does not offer STARTTLS: not sending "
					     "credentials in clear text (tls = optional allows it)", host);
			goto fail;
		}
	}
	/* No credentials before the state is settled (PREAUTH: nothing to send). */
	if (imap->session->imap_state == MAILIMAP_STATE_NON_AUTHENTICATED) {
		imap->mech = choose_mech(imap, host, error_r);
		if (imap->mech == NULL) {
			*fail_r = IMAP_FAIL_AUTH;
			goto fail;
		}
		if (login_with(imap, imap->mech, host, port, secret != NULL ? secret : "", fail_r,
			       error_r) < 0)
			goto fail;
	} else {
		imap->mech = "PREAUTH";
	}
	/* Capabilities seen after login (MOVE and UIDPLUS come only then). */
	if (!have_capabilities(imap))
		refresh_capabilities(imap);
	imap->has_move = mailimap_has_extension(imap->session, "MOVE");
	imap->has_uidplus = mailimap_has_extension(imap->session, "UIDPLUS");
	imap->has_idle = mailimap_has_idle(imap->session);
	rc = mailimap_select(imap->session, mb->folder);
	if (rc != MAILIMAP_NO_ERROR) {
		*fail_r = rc == MAILIMAP_ERROR_STREAM ? io_fail(imap) : IMAP_FAIL_PROTOCOL;
		*error_r = imap_err(imap, "select", rc);
		goto fail;
	}
	imap->uidvalidity = imap->session->imap_selection_info != NULL ?
		imap->session->imap_selection_info->sel_uidvalidity : 0;
	free(host);
	*imap_r = imap;
	return 0;
fail:
	free(host);
	imap_close(&imap);
	return -1;
}

void
imap_close(struct imap **imapp)
{
	struct imap *imap = *imapp;

	if (imap == NULL)
		return;
	if (imap->session != NULL) {
		/* LOGOUT only over a healthy connection: a hung server would hold us again. */
		if (imap->session->imap_stream != NULL && imap->conn != NULL &&
		    conn_last_fail(imap->conn) == CONN_OK)
			mailimap_logout(imap->session);
		if (imap->session->imap_stream != NULL) {
			mailstream_close(imap->session->imap_stream);
			imap->session->imap_stream = NULL;
		}
		mailimap_free(imap->session);
	}
	conn_close(&imap->conn);
	free(imap);
	*imapp = NULL;
}

enum imap_fail
imap_last_fail(const struct imap *imap)
{
	return io_fail(imap);
}

const char *
imap_auth_mech(const struct imap *imap)
{
	return imap->mech != NULL ? imap->mech : "none";
}

const char *
imap_tls_mode(const struct imap *imap)
{
	return imap->tls_mode;
}

unsigned int
imap_uidvalidity(const struct imap *imap)
{
	return imap->uidvalidity;
}

int
imap_has_idle(const struct imap *imap)
{
	return imap->has_idle;
}

int
imap_announced(const struct imap *imap)
{
	const struct mailimap_selection_info *sel = imap->session->imap_selection_info;

	return sel != NULL && sel->sel_exists != EXISTS_UNSEEN;
}

/*
 * UID FETCH lo:hi,* (UID RFC822.SIZE) (hi 0: lo:*), the UIDs from lo to
 * hi appended to list; *last_r gets the highest UID in the answer, which
 * the "*" makes the mailbox's last (also the last message alone when
 * every UID is below lo).
 */
static int
list_window(struct imap *imap, unsigned int lo, unsigned int hi, struct imap_msginfo **list,
	    size_t *n, unsigned int *last_r, char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it, *ai;
	int rc;

	set = mailimap_set_new_interval(lo, hi);
	if (hi != 0)
		mailimap_set_add_single(set, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	rc = mailimap_uid_fetch(imap->session, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "uid fetch", rc);
		return -1;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		unsigned int uid = 0;
		size_t size = 0;

		for (ai = clist_begin(att->att_list); ai != NULL; ai = clist_next(ai)) {
			struct mailimap_msg_att_item *item = clist_content(ai);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				size = item->att_data.att_static->att_data.att_rfc822_size;
		}
		if (uid > *last_r)
			*last_r = uid;
		if (uid < lo || (hi != 0 && uid > hi))
			continue;
		*list = xarray_grow(*list, *n, sizeof(**list));
		(*list)[*n].uid = uid;
		(*list)[*n].size = size;
		(*n)++;
	}
	mailimap_fetch_list_free(result);
	return 0;
}

int
imap_list_new(struct imap *imap, unsigned int after, unsigned int window,
	      struct imap_msginfo **list_r, size_t *n_r, int *more_r, char **error_r)
{
	struct imap_msginfo *list = NULL;
	size_t n = 0;
	unsigned int lo, hi, span = window, last = 0;

	*list_r = NULL;
	*n_r = 0;
	*more_r = 0;
	/* libetpan keeps the last EXISTS count here; no mailbox holds this many. */
	if (imap->session->imap_selection_info != NULL)
		imap->session->imap_selection_info->sel_exists = EXISTS_UNSEEN;
	if (after == UINT32_MAX)
		return 0;
	for (lo = after + 1;; lo = hi + 1) {
		hi = span == 0 || span > UINT32_MAX - lo ? 0 : lo + span - 1;
		if (list_window(imap, lo, hi, &list, &n, &last, error_r) < 0)
			goto fail;
		if (hi == 0)
			break;              /* listed to the end */
		if (last <= hi)
			break;              /* nothing above the window */
		if (n > 0) {
			*more_r = 1;        /* the rest in the next round */
			break;
		}
		/* A gap of UIDs wider than the window: the next, twice as wide. */
		span = span > UINT32_MAX / 2 ? 0 : span * 2;
	}
	*list_r = list;
	*n_r = n;
	return 0;
fail:
	free(list);
	return -1;
}

/*
 * One UID's body section (the whole message, or its header up to max
 * bytes): 0 with the bytes, -1 with an error, IMAP_FETCH_OVER_LIMIT when
 * the server sent a literal over the limit (the connection is then
 * broken: close it).
 */
static int
fetch_section(struct imap *imap, unsigned int uid, int header, size_t max, char **raw_r,
	      size_t *len_r, char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_fetch_att *att_body;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it, *ai;
	int rc, found = 0;

	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	att_body = header ?
		mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new_header(), 0,
								 (uint32_t)max) :
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL));
	mailimap_fetch_type_new_fetch_att_list_add(ft, att_body);
	literal_set_limit(&imap->watch, max);
	rc = mailimap_uid_fetch(imap->session, set, ft, &result);
	literal_set_limit(&imap->watch, IMAP_MAX_LITERAL);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (imap->watch.tripped) {
		*error_r = literal_error(&imap->watch);
		return IMAP_FETCH_OVER_LIMIT;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, header ? "uid fetch header" : "uid fetch body", rc);
		return -1;
	}
	for (it = clist_begin(result); it != NULL && !found; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		unsigned int this_uid = 0;
		struct mailimap_msg_att_body_section *sec = NULL;

		for (ai = clist_begin(att->att_list); ai != NULL; ai = clist_next(ai)) {
			struct mailimap_msg_att_item *item = clist_content(ai);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				this_uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
				sec = item->att_data.att_static->att_data.att_body_section;
		}
		/* Unsolicited FETCH responses (flag changes) carry no body. */
		if (this_uid != uid || sec == NULL || sec->sec_body_part == NULL)
			continue;
		*raw_r = xstrndup(sec->sec_body_part, sec->sec_length);
		*len_r = sec->sec_length;
		found = 1;
	}
	mailimap_fetch_list_free(result);
	if (!found) {
		*error_r = xasprintf("message uid %u vanished from the server", uid);
		return -1;
	}
	return 0;
}

int
imap_fetch_header(struct imap *imap, unsigned int uid, size_t max, char **raw_r, size_t *len_r,
		  char **error_r)
{
	return fetch_section(imap, uid, 1, max, raw_r, len_r, error_r);
}

static struct mailimap_set *
uid_set(const unsigned int *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0, j;

	/* Runs of consecutive UIDs as intervals (NOTES: add_single writes each). */
	while (i < n) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			;
		mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* The UID and the body section of one FETCH answer (sec NULL: none). */
static void
fetch_att(const struct mailimap_msg_att *att, unsigned int *uid_r,
	  const struct mailimap_msg_att_body_section **sec_r)
{
	clistiter *ai;

	*uid_r = 0;
	*sec_r = NULL;
	for (ai = clist_begin(att->att_list); ai != NULL; ai = clist_next(ai)) {
		struct mailimap_msg_att_item *item = clist_content(ai);

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
			*uid_r = item->att_data.att_static->att_data.att_uid;
		else if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
			*sec_r = item->att_data.att_static->att_data.att_body_section;
	}
}

static struct mailimap_fetch_type *
body_fetch_type(void)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	return ft;
}

int
imap_fetch_chunk(struct imap *imap, const unsigned int *uids, size_t n,
		 struct imap_chunk *chunk_r, char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	const struct mailimap_msg_att_body_section *sec;
	clist *result = NULL;
	clistiter *it;
	size_t i, lo, hi, mid;
	unsigned int uid;
	int rc;

	memset(chunk_r, 0, sizeof(*chunk_r));
	if (n == 0)
		return 0;
	set = uid_set(uids, n);
	ft = body_fetch_type();
	rc = mailimap_uid_fetch(imap->session, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (imap->watch.tripped) {
		if (result != NULL)
			mailimap_fetch_list_free(result);
		*error_r = literal_error(&imap->watch);
		return IMAP_FETCH_OVER_LIMIT;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "uid fetch bodies", rc);
		return -1;
	}
	chunk_r->msgs = xcalloc(n, sizeof(*chunk_r->msgs));
	chunk_r->n = n;
	chunk_r->fetched = result;
	for (i = 0; i < n; i++)
		chunk_r->msgs[i].uid = uids[i];
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		fetch_att(clist_content(it), &uid, &sec);
		/* Unsolicited FETCH answers (flag changes) carry no body. */
		if (sec == NULL || sec->sec_body_part == NULL)
			continue;
		for (lo = 0, hi = n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (uids[mid] < uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && uids[lo] == uid && chunk_r->msgs[lo].raw == NULL) {
			chunk_r->msgs[lo].raw = sec->sec_body_part;
			chunk_r->msgs[lo].len = sec->sec_length;
		}
	}
	return 0;
}

void
imap_chunk_release(struct imap_chunk *chunk)
{
	if (chunk->fetched != NULL)
		mailimap_fetch_list_free(chunk->fetched);
	free(chunk->msgs);
	memset(chunk, 0, sizeof(*chunk));
}

static int
store_flag(struct imap *imap, struct mailimap_set *set, struct mailimap_flag *flag)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sf;
	int rc;

	mailimap_flag_list_add(fl, flag);
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	rc = mailimap_uid_store(imap->session, set, sf);
	mailimap_store_att_flags_free(sf);
	return rc;
}

/* Remove (expunge) messages already marked \Deleted. */
static int
expunge(struct imap *imap, struct mailimap_set *set)
{
	return imap->has_uidplus ? mailimap_uid_expunge(imap->session, set) :
		mailimap_expunge(imap->session);
}

static int
move_to(struct imap *imap, struct mailimap_set *set, const char *folder, char **error_r)
{
	size_t i;
	int rc;

	/*
	 * Create the folder on first use on this connection ("already exists"
	 * is fine); a folder deleted meanwhile fails the move, and the next
	 * connection creates it again.
	 */
	for (i = 0; i < 2 && imap->created[i] != NULL && strcmp(imap->created[i], folder) != 0; i++)
		;
	if (i == 2 || imap->created[i] == NULL) {
		mailimap_create(imap->session, folder);
		if (i < 2)
			imap->created[i] = folder;
	}
	if (imap->has_move) {
		rc = mailimap_uid_move(imap->session, set, folder);
		if (rc != MAILIMAP_NO_ERROR) {
			*error_r = imap_err(imap, "uid move", rc);
			return -1;
		}
		return 0;
	}
	rc = mailimap_uid_copy(imap->session, set, folder);
	if (rc == MAILIMAP_NO_ERROR)
		rc = store_flag(imap, set, mailimap_flag_new_deleted());
	if (rc == MAILIMAP_NO_ERROR)
		rc = expunge(imap, set);
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "copy and expunge", rc);
		return -1;
	}
	return 0;
}

int
imap_apply(struct imap *imap, const unsigned int *uids, size_t n, const char *quarantine,
	   char **error_r)
{
	struct mailimap_set *set;
	int rc = 0, r;

	if (n == 0)
		return 0;
	set = uid_set(uids, n);
	if (quarantine != NULL) {
		rc = move_to(imap, set, quarantine, error_r);
	} else {
		switch (imap->mb->after) {
		case CONF_AFTER_SEEN:
			r = store_flag(imap, set, mailimap_flag_new_seen());
			if (r != MAILIMAP_NO_ERROR) {
				*error_r = imap_err(imap, "uid store \\Seen", r);
				rc = -1;
			}
			break;
		case CONF_AFTER_MOVE:
			rc = move_to(imap, set, imap->mb->after_folder, error_r);
			break;
		case CONF_AFTER_DELETE:
			r = store_flag(imap, set, mailimap_flag_new_deleted());
			if (r == MAILIMAP_NO_ERROR)
				r = expunge(imap, set);
			if (r != MAILIMAP_NO_ERROR) {
				*error_r = imap_err(imap, "delete", r);
				rc = -1;
			}
			break;
		}
	}
	mailimap_set_free(set);
	return rc;
}

int
imap_idle_start(struct imap *imap, int *ready_r, char **error_r)
{
	int rc;

	*ready_r = 0;
	*error_r = NULL;
	if (!imap->has_idle)
		return -1;
	rc = mailimap_idle(imap->session);
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "idle", rc);
		return -1;
	}
	/* Data may already be buffered before we poll (NOTES), in libetpan or in TLS. */
	*ready_r = imap->session->imap_stream->read_buffer_len > 0 || conn_pending(imap->conn) > 0;
	return mailimap_idle_get_fd(imap->session);
}

int
imap_idle_done(struct imap *imap, char **error_r)
{
	int rc = mailimap_idle_done(imap->session);

	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "idle done", rc);
		return -1;
	}
	return 0;
}
