/*
 * test-corpus-sisimai: classify sisimai's set-of-emails (real bounces and
 * robot mail from real MTAs, ../shared/corpus/sisimai).
 *
 *   bsd/  the file name is the label: lhost-*, rhost-*, rfc3464-* are
 *         bounces, rfc3834-* auto-replies, arf-* feedback reports; at
 *         least 98 % must get that kind.  Also reports how many bounces
 *         yield a failed recipient and the Message-ID of the bounced mail.
 *   not/  mail that looks automatic but is not a bounce: none may be one.
 *   err/  broken bounces: each must parse without a crash.
 *
 * Known, deliberate differences from the labels (4 of 629):
 * lhost-amazonses-11 is an SES complaint (feedback_report here),
 * lhost-amazonses-12/13 are SES "Delivery" (success) notifications, and
 * lhost-sendmail-14 is a person forwarding a bounce ("Fwd: Returned
 * mail"), which ticketd treats as mail from that person.
 *
 * Skips (exit 77) when the corpus is absent.  TICKETD_SISIMAI_VERBOSE=1
 * prints every file with its kind, recipient and Message-ID.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail.h"
#include "xmalloc.h"
#include "test.h"

#define MIN_KIND_SHARE 98.0
#define MIN_FROM_SHARE 93.0  /* 41 of 629 say "From: <>", "MAILER-DAEMON <>" or a bare "mailer-daemon" */

struct tally {
	int files;
	int kind_ok;
	int bounces;        /* files labelled bounce that classify as bounce */
	int with_recipient;
	int with_message_id;
	int false_bounces;
	int with_from;      /* a From address read */
	int with_body;      /* some body text */
	int with_report;    /* bounces with report parts (status, returned message or headers) */
	int report_listed;  /* … each of them listed as an attachment */
	int failures;       /* unreadable files */
	double seconds;
};

static int verbose;

static char *
read_file(const char *path, size_t *len_r)
{
	char *data = test_slurp(path, len_r);

	if (data == NULL)
		printf("# unable to open '%s': %s\n", path, strerror(errno));
	return data;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.eml names in dir, NULL-terminated; NULL when dir is absent. */
static char **
list_dir(const char *dir, size_t *n_r)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		return NULL;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		names = xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (names == NULL)
		names = xcalloc(1, sizeof(*names));
	qsort(names, n, sizeof(*names), cmp_names);
	names[n] = NULL;
	*n_r = n;
	return names;
}

static void
free_names(char **names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/* The kind a bsd/ file name promises. */
static enum mime_kind
label_kind(const char *name)
{
	if (strncmp(name, "rfc3834-", 8) == 0)
		return MIME_KIND_AUTO_REPLY;
	if (strncmp(name, "arf-", 4) == 0)
		return MIME_KIND_FEEDBACK_REPORT;
	return MIME_KIND_BOUNCE;   /* lhost-*, rhost-*, rfc3464-* */
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when a desk shows part p of a report as an attachment: status, returned mail. */
static int
is_report_part(const struct mime_part *p)
{
	static const char *const types[] = {
		"message/delivery-status", "message/global-delivery-status",
		"text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header",
		"message/global-headers", "message/rfc822", "message/global",
		"message/feedback-report",
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(p->content_type, types[i]) == 0)
			return 1;
	}
	return 0;
}

/* Count a bounce's report parts and whether each is listed as an attachment. */
static void
count_report(const struct mime_msg *m, struct tally *t, const char *name)
{
	int have = 0, listed = 1;

	for (size_t i = 0; i < m->n_parts; i++) {
		if (!is_report_part(&m->parts[i]))
			continue;
		have = 1;
		if (!m->parts[i].is_attachment)
			listed = 0;
	}
	if (!have)
		return;
	t->with_report++;
	if (listed)
		t->report_listed++;
	else if (verbose)
		printf("# report parts not all listed: %s\n", name);
}

/* What run_dir checks. */
enum check {
	CHECK_LABEL,      /* the kind the file name promises */
	CHECK_NO_BOUNCE,  /* not a bounce */
	CHECK_PARSES,     /* only that it parses */
};

/* Parse every file of root/sub and check each as told. */
static int
run_dir(const char *root, const char *sub, enum check check, struct tally *t)
{
	char *dir = xasprintf("%s/%s", root, sub);
	size_t n = 0;
	char **names = list_dir(dir, &n);

	if (names == NULL) {
		printf("# unable to open '%s'\n", dir);
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len;
		char *raw = read_file(path, &len);
		struct mail mail;
		const struct mime_msg *m;
		const struct msg_class *c;
		double t0;

		free(path);
		if (raw == NULL) {
			t->failures++;
			continue;
		}
		t->files++;
		t0 = now();
		mail_read(&mail, raw, len, NULL);
		m = mail.msg;
		c = &mail.cls;
		t->seconds += now() - t0;
		if (verbose)
			printf("# %s/%s: %s automatic=%d reason=%s rcpt=%s msgid=%s\n",
			       sub, names[i], mime_kind_name(c->kind), c->automatic,
			       c->automatic_reason ? c->automatic_reason : "-",
			       c->dsn_recipient ? c->dsn_recipient : "-",
			       c->dsn_message_id ? c->dsn_message_id : "-");
		if (m->from.address != NULL)
			t->with_from++;
		if (m->body != NULL && m->body[0] != '\0')
			t->with_body++;
		if (check == CHECK_LABEL) {
			enum mime_kind want = label_kind(names[i]);

			if (c->kind == want) {
				t->kind_ok++;
			} else {
				printf("# mismatch %s: %s, want %s (subject '%s')\n", names[i],
				       mime_kind_name(c->kind), mime_kind_name(want),
				       m->subject ? m->subject : "");
			}
			if (want == MIME_KIND_BOUNCE && c->kind == MIME_KIND_BOUNCE) {
				t->bounces++;
				if (c->dsn_recipient != NULL)
					t->with_recipient++;
				else
					printf("# no recipient %s\n", names[i]);
				if (c->dsn_message_id != NULL)
					t->with_message_id++;
				else if (verbose)  /* most returned no headers at all */
					printf("# no message-id %s\n", names[i]);
				count_report(m, t, names[i]);
			}
		}
		if (check == CHECK_NO_BOUNCE && c->kind == MIME_KIND_BOUNCE) {
			t->false_bounces++;
			printf("# %s/%s: a bounce\n", sub, names[i]);
		}
		mail_release(&mail);
		free(raw);
	}
	free_names(names);
	free(dir);
	return 0;
}

/* Checked by hand: what a few bounces of each family must yield. */
static const struct {
	const char *file;
	const char *recipient;
	const char *message_id;   /* NULL: not checked */
} known[] = {
	{ "lhost-qmail-01.eml", "kijitora@example.ne.jp",
	  "000000000.9999999999999.JavaMail.postmaster@mailhub" },
	{ "lhost-exim-01.eml", "kijitora@example.ed.jp", "E1P1ce6-000Egt-GZ@e1.example.org" },
	{ "lhost-postfix-07.eml", "kijitora@user.example.or.jp", NULL },
	{ "lhost-dragonfly-14.eml", "mesgtoobig@libsisimai.net",
	  "66681b55.e0726.3201b1e4@df.example.jp" },
	{ "lhost-sendmail-01.eml", "userunknown@bouncehammer.jp",
	  "E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org" },
	{ "lhost-office365-01.eml", "kijitora@example.com", "FFFFFFFF.EEEEEEEE@example.ed.jp" },
	{ "lhost-yahoo-01.eml", "kijitora@example.org",
	  "6AE6249A-E7A8-4980-862C-F499F6B8E7C5@y.example.co.jp" },
	{ "lhost-notes-01.eml", "kijitora@u1.example.co.jp",
	  "000000000.0000000000000.notes@example.co.jp" },
	{ "lhost-ezweb-01.eml", "this-message-rejected-by-the-domain-filter@ezweb.ne.jp",
	  "20080907124011.12ABCD8@lsean.ezweb.ne.jp" },
	{ "lhost-amazonses-09.eml", "bounce@simulator.amazonses.com", NULL },
	{ "lhost-biglobe-01.eml", "postmaster@mxr.biglobe.ne.jp", NULL },
	{ "rhost-aol-01.eml", "kijitora@example.jp",
	  "1EF5F5E0-9CBD-4D06-BF45-F6AA5034DA0A@aol.example.jp" },
};

static void
check_known(const char *root)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char *path = xasprintf("%s/bsd/%s", root, known[i].file);
		size_t len;
		char *raw = read_file(path, &len);
		struct mail mail;
		const struct msg_class *c;

		free(path);
		test_assert(raw != NULL);
		if (raw == NULL)
			continue;
		mail_read(&mail, raw, len, NULL);
		c = &mail.cls;
		if (c->dsn_recipient == NULL || strcmp(c->dsn_recipient, known[i].recipient) != 0)
			printf("# %s:\n", known[i].file);
		test_assert_streq(c->dsn_recipient, known[i].recipient);
		if (known[i].message_id != NULL)
			test_assert_streq(c->dsn_message_id, known[i].message_id);
		mail_release(&mail);
		free(raw);
	}
}

static double
share(int part, int whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

int
main(void)
{
	const char *src = getenv("TICKETD_SRC");
	const char *v = getenv("TICKETD_SISIMAI_VERBOSE");
	struct tally bsd = { 0 }, not = { 0 }, err = { 0 };
	char *root;
	DIR *d;

	verbose = v != NULL && strcmp(v, "1") == 0;
	root = xasprintf("%s/../shared/corpus/sisimai", src != NULL ? src : ".");
	d = opendir(root);
	if (d == NULL) {
		printf("1..0 # SKIP no corpus at '%s'\n", root);
		free(root);
		return 77;
	}
	closedir(d);

	test_begin("bsd: kind matches the file name label");
	test_assert(run_dir(root, "bsd", CHECK_LABEL, &bsd) == 0);
	printf("# bsd: %d/%d kinds right (%.1f %%), %.0f msgs/s\n", bsd.kind_ok, bsd.files,
	       share(bsd.kind_ok, bsd.files),
	       bsd.seconds > 0 ? bsd.files / bsd.seconds : 0.0);
	test_assert(bsd.files > 0);
	test_assert(bsd.failures == 0);
	test_assert(share(bsd.kind_ok, bsd.files) >= MIN_KIND_SHARE);
	test_end();

	test_begin("bsd: bounces name the failed recipient and the bounced Message-ID");
	printf("# bsd: %d bounces, recipient %d (%.1f %%), message-id %d (%.1f %%)\n",
	       bsd.bounces, bsd.with_recipient, share(bsd.with_recipient, bsd.bounces),
	       bsd.with_message_id, share(bsd.with_message_id, bsd.bounces));
	test_assert(share(bsd.with_recipient, bsd.bounces) >= 90.0);
	test_assert(share(bsd.with_message_id, bsd.bounces) >= 80.0);
	test_end();

	test_begin("bsd: what a desk shows of each");
	printf("# bsd: from address %d of %d, body text %d of %d; bounces with report parts %d, "
	       "all of them listed as attachments %d (%.1f %%)\n",
	       bsd.with_from, bsd.files, bsd.with_body, bsd.files, bsd.with_report,
	       bsd.report_listed, share(bsd.report_listed, bsd.with_report));
	test_assert(share(bsd.with_from, bsd.files) >= MIN_FROM_SHARE);
	test_assert(bsd.with_report > 300);
	test_assert(share(bsd.report_listed, bsd.with_report) >= 99.0);
	test_end();

	test_begin("bsd: known recipients and Message-IDs");
	check_known(root);
	test_end();

	test_begin("not: nothing is a bounce");
	test_assert(run_dir(root, "not", CHECK_NO_BOUNCE, &not) == 0);
	printf("# not: %d files, %d false bounces\n", not.files, not.false_bounces);
	test_assert(not.files > 0);
	test_assert(not.false_bounces == 0);
	test_end();

	test_begin("err: broken bounces parse");
	test_assert(run_dir(root, "err", CHECK_PARSES, &err) == 0);
	printf("# err: %d files parsed\n", err.files);
	test_assert(err.files > 0);
	test_assert(err.failures == 0);
	test_end();

	free(root);
	return test_done();
}
