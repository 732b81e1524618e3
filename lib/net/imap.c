#include "imap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "tls.h"
#include "xmalloc.h"

/*
 * libetpan's stream drivers return 0 at end of file, and its literal
 * parser treats 0 as "nothing yet" and reads again: a server that closes
 * the connection in the middle of a FETCH makes it spin forever.  We wrap
 * the connection's driver so that end of file is an error.
 */
struct eof_driver {
	mailstream_low_driver drv;        /* first: low->driver points here */
	mailstream_low_driver *orig;
};

struct imap {
	struct eof_driver eof;
	mailimap *session;
	const struct conf_mailbox *mb;
	unsigned int uidvalidity;
	int has_move;
	int has_uidplus;
	int has_idle;
};

static char *
imap_err(struct imap *imap, const char *what, int rc)
{
	const char *resp = imap->session != NULL ? imap->session->imap_response : NULL;

	if (resp != NULL && *resp != '\0')
		return xasprintf("%s failed: %s", what, resp);
	return xasprintf("%s failed: %s (libetpan error %d)", what,
			 rc == MAILIMAP_ERROR_STREAM ? "connection lost" :
			 rc == MAILIMAP_ERROR_CONNECTION_REFUSED ? "connection refused" :
			 rc == MAILIMAP_ERROR_LOGIN ? "login rejected" :
			 rc == MAILIMAP_ERROR_SSL ? "TLS error" : "protocol error", rc);
}

/* imap://host:port or imaps://host:port → host, port, tls */
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

static ssize_t
read_eof_is_error(mailstream_low *low, void *buf, size_t len)
{
	struct eof_driver *d = (struct eof_driver *)low->driver;
	ssize_t r = d->orig->mailstream_read(low, buf, len);

	return r == 0 && len > 0 ? -1 : r;
}

static void
wrap_driver(struct imap *imap)
{
	mailstream_low *low = mailstream_get_low(imap->session->imap_stream);

	imap->eof.orig = low->driver;
	imap->eof.drv = *low->driver;
	imap->eof.drv.mailstream_read = read_eof_is_error;
	low->driver = &imap->eof.drv;
}

static int
verify_server(struct imap *imap, const char *host, const char *ca_file, char **error_r)
{
	carray *chain = mailstream_get_certificate_chain(imap->session->imap_stream);
	struct tls_der *der;
	unsigned int i, n;
	int rc;

	n = chain != NULL ? carray_count(chain) : 0;
	der = xcalloc(n + 1, sizeof(*der));
	for (i = 0; i < n; i++) {
		MMAPString *s = carray_get(chain, i);

		der[i].data = (const unsigned char *)s->str;
		der[i].len = s->len;
	}
	rc = tls_verify_chain(der, n, host, ca_file, error_r);
	free(der);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

int
imap_open(const struct conf_mailbox *mb, struct imap **imap_r, char **error_r)
{
	struct imap *imap = xcalloc(1, sizeof(*imap));
	char *host = NULL;
	uint16_t port;
	int tls, rc;

	imap->mb = mb;
	if (parse_url(mb->url, &host, &port, &tls) < 0) {
		*error_r = xasprintf("bad mailbox url '%s'", mb->url);
		goto fail;
	}
	imap->session = mailimap_new(0, NULL);
	if (imap->session == NULL) {
		*error_r = xstrdup("out of memory");
		goto fail;
	}
	mailimap_set_timeout(imap->session, IMAP_TIMEOUT);
	rc = tls ? mailimap_ssl_connect(imap->session, host, port) :
		mailimap_socket_connect(imap->session, host, port);
	if (rc != MAILIMAP_NO_ERROR && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		*error_r = xasprintf("unable to connect to %s:%u: %s", host, port,
				     rc == MAILIMAP_ERROR_CONNECTION_REFUSED ? "connection refused" :
				     rc == MAILIMAP_ERROR_SSL ? "TLS handshake failed" :
				     "no IMAP greeting");
		goto fail;
	}
	wrap_driver(imap);
	/* libetpan accepts any certificate: check the chain before we send a password. */
	if (tls && mb->tls_verify && verify_server(imap, host, mb->ca_file, error_r) < 0)
		goto fail;
	rc = mailimap_login(imap->session, mb->user, mb->password != NULL ? mb->password : "");
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "login", rc);
		goto fail;
	}
	/* Capabilities seen after login (MOVE and UIDPLUS come only then). */
	if (imap->session->imap_connection_info == NULL ||
	    imap->session->imap_connection_info->imap_capability == NULL) {
		struct mailimap_capability_data *cap = NULL;

		if (mailimap_capability(imap->session, &cap) == MAILIMAP_NO_ERROR && cap != NULL)
			mailimap_capability_data_free(cap);
	}
	imap->has_move = mailimap_has_extension(imap->session, "MOVE");
	imap->has_uidplus = mailimap_has_extension(imap->session, "UIDPLUS");
	imap->has_idle = mailimap_has_idle(imap->session);
	rc = mailimap_select(imap->session, mb->folder);
	if (rc != MAILIMAP_NO_ERROR) {
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
		if (imap->session->imap_stream != NULL)
			mailimap_logout(imap->session);
		mailimap_free(imap->session);
	}
	free(imap);
	*imapp = NULL;
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
imap_list_new(struct imap *imap, unsigned int after, struct imap_msginfo **list_r, size_t *n_r,
	      char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it, *ai;
	struct imap_msginfo *list = NULL;
	size_t n = 0;
	int rc;

	set = mailimap_set_new_interval(after + 1, 0);
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
		/* "UID FETCH n:*" also returns the highest UID when it is below n. */
		if (uid <= after)
			continue;
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n].uid = uid;
		list[n].size = size;
		n++;
	}
	mailimap_fetch_list_free(result);
	*list_r = list;
	*n_r = n;
	return 0;
}

int
imap_fetch(struct imap *imap, unsigned int uid, char **raw_r, size_t *len_r, char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it, *ai;
	int rc, found = 0;

	set = mailimap_set_new_single(uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	rc = mailimap_uid_fetch(imap->session, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR) {
		*error_r = imap_err(imap, "uid fetch body", rc);
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
	int rc;

	/* Create the folder on first use; an "already exists" answer is fine. */
	mailimap_create(imap->session, folder);
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
	/* Data may already be buffered before we poll (NOTES). */
	*ready_r = imap->session->imap_stream->read_buffer_len > 0;
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
