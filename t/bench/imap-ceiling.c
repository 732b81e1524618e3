/*
 * imap-ceiling: what the mail server and the parsers allow, measured with
 * a plain libetpan loop (no store, no routing), for t/bench/run.
 *
 *	imap-ceiling HOST PORT USER PASSWORD MODE [CHUNK_COUNT [CHUNK_BYTES]]
 *
 * MODE:
 *   list   UID FETCH 1:* (UID RFC822.SIZE) only (also makes Dovecot index
 *          and cache the sizes before anything is timed)
 *   fetch  list, then UID FETCH of chunks (UID BODY.PEEK[]): at most
 *          CHUNK_COUNT messages (default 500) and CHUNK_BYTES bytes
 *          (default 8 MiB) per command, UID sets as ranges
 *   parse  fetch, and libetpan's mailmime_parse() on every message
 *   mail   fetch, and ticketd's own reading of every message (mail_read:
 *          MIME, charsets, HTML, classification, reply, language)
 *
 * EXAMINE, not SELECT, and BODY.PEEK: nothing on the server changes.
 * Prints one line: mode=... messages=N bytes=B seconds=S rate=R/s.
 * Built only with -DTICKETD_BENCH=ON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "mail.h"

struct msg {
	uint32_t uid;
	size_t size;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "imap-ceiling: %s failed (libetpan error %d)\n", what, rc);
	exit(1);
}

static struct msg *
list_all(mailimap *imap, size_t *n_r)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_set *set = mailimap_set_new_interval(1, 0);
	struct msg *v = NULL;
	clist *result = NULL;
	clistiter *it, *ai;
	size_t n = 0, cap = 0;
	int rc;

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	rc = mailimap_uid_fetch(imap, set, ft, &result);
	if (rc != MAILIMAP_NO_ERROR)
		die("uid fetch (list)", rc);
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		struct msg m = { 0, 0 };

		for (ai = clist_begin(att->att_list); ai != NULL; ai = clist_next(ai)) {
			struct mailimap_msg_att_item *item = clist_content(ai);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				m.uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				m.size = item->att_data.att_static->att_data.att_rfc822_size;
		}
		if (m.uid == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				abort();
		}
		v[n++] = m;
	}
	mailimap_fetch_list_free(result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	*n_r = n;
	return v;
}

/* Fetch msgs[0..n) and hand each body to the mode's reader; returns the bytes seen. */
static size_t
fetch_chunk(mailimap *imap, const struct msg *msgs, size_t n, const char *mode)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mime_limits limits = { 0 };
	clist *result = NULL;
	clistiter *it, *ai;
	size_t i = 0, j, bytes = 0;
	int rc;

	while (i < n) {
		for (j = i; j + 1 < n && msgs[j + 1].uid == msgs[j].uid + 1; j++)
			;
		mailimap_set_add_interval(set, msgs[i].uid, msgs[j].uid);
		i = j + 1;
	}
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	rc = mailimap_uid_fetch(imap, set, ft, &result);
	if (rc != MAILIMAP_NO_ERROR)
		die("uid fetch (bodies)", rc);
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);

		for (ai = clist_begin(att->att_list); ai != NULL; ai = clist_next(ai)) {
			struct mailimap_msg_att_item *item = clist_content(ai);
			struct mailimap_msg_att_body_section *sec;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    item->att_data.att_static->att_type != MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			sec = item->att_data.att_static->att_data.att_body_section;
			if (sec->sec_body_part == NULL)
				continue;
			bytes += sec->sec_length;
			if (strcmp(mode, "parse") == 0) {
				struct mailmime *mime = NULL;
				size_t idx = 0;

				if (mailmime_parse(sec->sec_body_part, sec->sec_length, &idx, &mime) ==
				    MAILIMF_NO_ERROR)
					mailmime_free(mime);
			} else if (strcmp(mode, "mail") == 0) {
				struct mail mail;

				mail_read(&mail, sec->sec_body_part, sec->sec_length, &limits);
				mail_release(&mail);
			}
		}
	}
	mailimap_fetch_list_free(result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return bytes;
}

int
main(int argc, char **argv)
{
	mailimap *imap;
	struct msg *msgs;
	const char *mode;
	size_t n, i, j, chunk_count = 500, chunk_bytes = 8u << 20, bytes = 0, sum;
	double t0, t1;
	int rc;

	if (argc < 6) {
		fprintf(stderr, "usage: imap-ceiling HOST PORT USER PASSWORD list|fetch|parse|mail "
			"[CHUNK_COUNT [CHUNK_BYTES]]\n");
		return 2;
	}
	mode = argv[5];
	if (strcmp(mode, "list") != 0 && strcmp(mode, "fetch") != 0 &&
	    strcmp(mode, "parse") != 0 && strcmp(mode, "mail") != 0) {
		fprintf(stderr, "imap-ceiling: unknown mode '%s'\n", mode);
		return 2;
	}
	if (argc > 6)
		chunk_count = strtoul(argv[6], NULL, 10);
	if (argc > 7)
		chunk_bytes = strtoul(argv[7], NULL, 10);
	imap = mailimap_new(0, NULL);
	rc = mailimap_socket_connect(imap, argv[1], (uint16_t)strtoul(argv[2], NULL, 10));
	if (rc != MAILIMAP_NO_ERROR && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		die("connect", rc);
	rc = mailimap_login(imap, argv[3], argv[4]);
	if (rc != MAILIMAP_NO_ERROR)
		die("login", rc);
	rc = mailimap_examine(imap, "INBOX");
	if (rc != MAILIMAP_NO_ERROR)
		die("examine", rc);

	t0 = now_s();
	msgs = list_all(imap, &n);
	if (strcmp(mode, "list") != 0) {
		for (i = 0; i < n; i = j) {
			sum = 0;
			for (j = i; j < n && j - i < chunk_count && (j == i || sum + msgs[j].size <= chunk_bytes); j++)
				sum += msgs[j].size;
			bytes += fetch_chunk(imap, msgs + i, j - i, mode);
		}
	}
	t1 = now_s();
	printf("mode=%s messages=%zu bytes=%zu seconds=%.3f rate=%.0f\n", mode, n, bytes, t1 - t0,
	       t1 > t0 ? (double)n / (t1 - t0) : 0.0);
	mailimap_logout(imap);
	mailimap_free(imap);
	free(msgs);
	return 0;
}
