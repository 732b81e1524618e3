/*
 * test-corpus-mailgem: the Ruby mail gem's fixture mail through mime_parse.
 *
 * Every file must parse (a result, sane invariants, no sanitizer report);
 * then assertions of our own on the multi_charset, attachment_emails,
 * error_emails, rfc2822 and rfc6532 fixtures (the gem ships no expected
 * values).  TICKETD_SRC is the repository root; the corpus is
 * ../shared/corpus/mail-gem.  Exit 77 when it is absent.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mail.h"
#include "test.h"
#include "xmalloc.h"

static char *corpus;

/* What each assertion checks, for the per-field figures. */
enum field { F_PARTS, F_BODIES, F_ADDRESSES, F_SUBJECTS, F_ATTACHMENTS, F_HEADERS, F_N };

static const char *const field_names[F_N] = {
	"parts", "bodies", "addresses", "subjects", "attachments", "other headers",
};

static unsigned field_total[F_N], field_ok[F_N];

/* Run one test_assert* and count it under field f. */
#define FIELD(f, check) do { \
	int saved_ = test_cur_failed; \
	test_cur_failed = 0; \
	check; \
	field_total[f]++; \
	field_ok[f] += !test_cur_failed; \
	test_cur_failed |= saved_; \
} while (0)

/* The whole read (mail_read) of rel, "" when it cannot be read. */
static struct mail
load_mail(const char *rel)
{
	char *path = xasprintf("%s/%s", corpus, rel), *raw;
	struct mail mail;
	size_t len;

	raw = test_slurp(path, &len);
	if (raw == NULL)
		printf("# cannot read '%s'\n", path);
	free(path);
	mail_read(&mail, raw != NULL ? raw : "", raw != NULL ? len : 0, NULL);
	free(raw);
	return mail;
}

static struct mime_msg *
load(const char *rel)
{
	char *path = xasprintf("%s/%s", corpus, rel), *raw;
	struct mime_msg *m;
	size_t len;

	raw = test_slurp(path, &len);
	if (raw == NULL) {
		printf("# cannot read '%s'\n", path);
		free(path);
		return mime_parse("", 0, NULL);
	}
	free(path);
	m = mime_parse(raw, len, NULL);
	free(raw);
	return m;
}

static int
has_warning(const struct mime_msg *m, const char *text)
{
	size_t i;

	for (i = 0; i < m->n_warnings; i++) {
		if (strstr(m->warnings[i], text) != NULL)
			return 1;
	}
	return 0;
}

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* Invariants every read must hold; returns 1 when they do. */
static int
sane(const struct mail *mail)
{
	const struct mime_msg *m = mail != NULL ? mail->msg : NULL;
	size_t i;

	if (m == NULL || m->body == NULL || mail->reply == NULL || strlen(m->sha256) != 64)
		return 0;
	for (i = 0; i < m->n_parts; i++) {
		if (m->parts[i].content_type == NULL || m->parts[i].data == NULL)
			return 0;
	}
	for (i = 0; i < m->n_attachments; i++) {
		if (m->attachments[i].content_type == NULL ||
		    strlen(m->attachments[i].sha256) != 64)
			return 0;
	}
	return 1;
}

static void
parse_tree(const char *dir, size_t *n, size_t *bad)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			parse_tree(path, n, bad);
		} else if (strstr(e->d_name, ".eml") != NULL) {
			size_t len;
			char *raw = test_slurp(path, &len);
			struct mail mail;

			if (raw != NULL)
				mail_read(&mail, raw, len, NULL);
			(*n)++;
			if (!sane(raw != NULL ? &mail : NULL)) {
				printf("# %s: bad result\n", path);
				(*bad)++;
			}
			if (raw != NULL)
				mail_release(&mail);
			free(raw);
		}
		free(path);
	}
	closedir(d);
}

static void
test_all_parse(void)
{
	size_t n = 0, bad = 0;

	test_begin("every mail-gem message parses");
	parse_tree(corpus, &n, &bad);
	printf("# %zu messages, %zu bad\n", n, bad);
	test_assert(n > 100);
	test_assert_inteq(bad, 0);
	test_end();
}

static void
test_multi_charset(void)
{
	struct mime_msg *m;
	struct mail mail;

	test_begin("multi_charset: utf-8 japanese");
	m = load("multi_charset/japanese.eml");
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "まみむめも"));
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_to, 1));
	if (m->n_to == 1)
		FIELD(F_ADDRESSES, test_assert_streq(m->to[0].name, "みける"));
	FIELD(F_BODIES, test_assert(starts_with(m->body, "かきくえこ")));
	mime_msg_free(&m);
	test_end();

	test_begin("multi_charset: iso-2022-jp");
	m = load("multi_charset/japanese_iso_2022.eml");
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "まみむめも"));
	FIELD(F_BODIES, test_assert(starts_with(m->body, "すみません。")));
	FIELD(F_PARTS, test_assert_streq(m->parts[0].charset, "iso-2022-jp"));
	mime_msg_free(&m);
	test_end();

	test_begin("multi_charset: shift_jis");
	m = load("multi_charset/japanese_shift_jis.eml");
	FIELD(F_BODIES, test_assert(starts_with(m->body, "あいうえお")));
	FIELD(F_BODIES, test_assert(contains(m->body, "このメールはテスト用のメールです。")));
	FIELD(F_BODIES, test_assert(contains(m->body, "今後ともよろしくお願い申し上げます！")));
	FIELD(F_BODIES, test_assert(strchr(m->body, '\r') == NULL));
	mime_msg_free(&m);
	mail = load_mail("multi_charset/japanese_shift_jis.eml");
	FIELD(F_BODIES, test_assert_streq(mail.language, "ja"));
	mail_release(&mail);
	test_end();

	test_begin("multi_charset: ks_c_5601-1987");
	m = load("multi_charset/ks_c_5601-1987.eml");
	FIELD(F_BODIES, test_assert(starts_with(m->body, "스티해")));
	mime_msg_free(&m);
	test_end();

	test_begin("multi_charset: japanese attachment names");
	m = load("multi_charset/japanese_attachment.eml");
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
	if (m->n_attachments == 1) {
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].filename, "てすと.txt"));
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].content_type, "text/plain"));
		FIELD(F_ATTACHMENTS, test_assert_inteq(m->attachments[0].size, 33));
	}
	FIELD(F_BODIES, test_assert(starts_with(m->body, "testing")));
	mime_msg_free(&m);
	m = load("multi_charset/japanese_attachment_long_name.eml");
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "まみむめもまみむめもまみむめもまみむめもまみむめも"
			  "まみむめもまみむめもまみむめもまみむめもまみむめも"));
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
	if (m->n_attachments == 1) {
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].filename,
				  "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"));
		FIELD(F_ATTACHMENTS, test_assert_inteq(m->attachments[0].size, 18));
	}
	mime_msg_free(&m);
	test_end();

	test_begin("plain_emails: euc-kr and windows-1251");
	m = load("plain_emails/raw_email.eml");
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "NOTE: 한국말로 하는 것"));
	mime_msg_free(&m);
	m = load("plain_emails/raw_email_bad_time.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->from.name, "Атиковa"));
	mime_msg_free(&m);
	test_end();
}

struct want_att {
	const char *file;
	const char *filename;      /* NULL: no name */
	const char *content_type;
	size_t size;
	const char *sha256_prefix;
};

static void
test_attachments(void)
{
	static const struct want_att want[] = {
		{ "attachment_content_disposition.eml", "api.rb", "text/x-ruby-script", 28, "17f3459825de" },
		/* nameless: named after its Content-Location */
		{ "attachment_content_location.eml", "Photo25.jpg", "image/jpeg", 227, "a902bee0c7cf" },
		{ "attachment_nonascii_filename.eml", "ciële.txt", "text/plain", 11, "12ad052c11eb" },
		{ "attachment_only_email.eml", "blah.gz", "application/x-gzip", 288, "f18aef56d385" },
		{ "attachment_pdf.eml", "broken.pdf", "application/pdf", 1026, "c7d1b9b20df8" },
		{ "attachment_pdf_lf.eml", "broken.pdf", "application/pdf", 1026, "c7d1b9b20df8" },
		{ "attachment_pdf_non_ascii_lf.eml", "broken.pdf", "application/pdf", 1026, "c7d1b9b20df8" },
		{ "attachment_with_base64_encoded_name.eml", "This is a test.pdf", "application/pdf", 399, "3edf4dcb7f25" },
		{ "attachment_with_quoted_filename.eml", "Eelanalüüsi päring.jpg", "image/jpeg", 1952, "87dc350433af" },
		{ "attachment_with_unquoted_name.eml", "This is a test.txt", "text/plain", 11, "12ad052c11eb" },
	};
	size_t i;
	struct mime_msg *m;

	test_begin("attachment_emails: names, types, sizes, hashes");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *rel = xasprintf("attachment_emails/%s", want[i].file);
		const struct mime_attachment *a;

		m = load(rel);
		free(rel);
		FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
		if (m->n_attachments != 1) {
			printf("# %s\n", want[i].file);
			mime_msg_free(&m);
			continue;
		}
		a = &m->attachments[0];
		if (want[i].filename == NULL)
			FIELD(F_ATTACHMENTS, test_assert(a->filename == NULL));
		else
			FIELD(F_ATTACHMENTS, test_assert_streq(a->filename, want[i].filename));
		FIELD(F_ATTACHMENTS, test_assert_streq(a->content_type, want[i].content_type));
		FIELD(F_ATTACHMENTS, test_assert_inteq(a->size, want[i].size));
		FIELD(F_ATTACHMENTS, test_assert(starts_with(a->sha256, want[i].sha256_prefix)));
		mime_msg_free(&m);
	}
	test_end();

	test_begin("attachment_emails: rfc 2231 name in iso-2022-jp with a bad byte");
	m = load("attachment_emails/attachment_with_encoded_name.eml");
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
	if (m->n_attachments == 1) {
		FIELD(F_ATTACHMENTS, test_assert(starts_with(m->attachments[0].filename, "01 Quien Te Dij")));
		FIELD(F_ATTACHMENTS, test_assert(contains(m->attachments[0].filename, "at. Pitbull.mp3")));
	}
	mime_msg_free(&m);
	test_end();

	test_begin("attachment_emails: attached messages");
	m = load("attachment_emails/attachment_message_rfc822.eml");
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
	if (m->n_attachments == 1) {
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].filename, "ForwardedMessage.eml"));
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].content_type, "message/rfc822"));
	}
	FIELD(F_BODIES, test_assert(!contains(m->body, "broken.pdf")));
	mime_msg_free(&m);
	m = load("attachment_emails/attachment_message_rfc822_inline_image.eml");
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 2));
	if (m->n_attachments == 2) {
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].filename, "img.png"));
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[1].content_type, "message/rfc822"));
	}
	FIELD(F_BODIES, test_assert(m->body_from_html));
	mime_msg_free(&m);
	m = load("multipart_report_emails/multi_address_bounce1.eml");
	FIELD(F_PARTS, test_assert_inteq(m->n_parts, 3));
	if (m->n_parts == 3) {
		FIELD(F_PARTS, test_assert_streq(m->parts[1].content_type, "message/delivery-status"));
		FIELD(F_PARTS, test_assert(m->parts[1].is_attachment));
		FIELD(F_PARTS, test_assert_streq(m->parts[2].content_type, "message/rfc822"));
	}
	/* the report is listed; an attached message without a filename is
	 * named by its subject */
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 2));
	FIELD(F_ATTACHMENTS, test_assert(m->n_attachments == 2 &&
		    strcmp(m->attachments[0].content_type, "message/delivery-status") == 0 &&
		    m->attachments[1].filename != NULL &&
		    strcmp(m->attachments[1].filename, "Test of bounce email") == 0));
	mime_msg_free(&m);
	test_end();

	test_begin("error_emails: x-uuencode part");
	m = load("error_emails/content_transfer_encoding_x_uuencode.eml");
	FIELD(F_ATTACHMENTS, test_assert_inteq(m->n_attachments, 1));
	if (m->n_attachments == 1)
		FIELD(F_ATTACHMENTS, test_assert_streq(m->attachments[0].filename, "PGP_Cmts_on_12-14-01_Pkg.doc"));
	FIELD(F_BODIES, test_assert(starts_with(m->body, "Attached are the comments")));
	mime_msg_free(&m);
	test_end();
}

/* What a desk shows as attachments: every part that is not the text (issue 13). */
static void
test_shown_parts(void)
{
	static const struct {
		const char *file;
		const char *types;        /* the attachments' types, in order */
	} want[] = {
		{ "multipart_report_emails/multi_address_bounce1.eml", "message/delivery-status message/rfc822" },
		{ "multipart_report_emails/multi_address_bounce2.eml", "message/delivery-status message/rfc822" },
		{ "multipart_report_emails/multipart_report_multiple_status.eml",
		  "message/delivery-status message/delivery-status message/rfc822" },
		{ "multipart_report_emails/report_422.eml", "message/delivery-status text/rfc822-headers" },
		{ "multipart_report_emails/report_530.eml", "message/delivery-status text/rfc822-headers" },
		{ "mime_emails/raw_email_with_mimepart_without_content_type.eml",
		  "message/delivery-status message/rfc822" },
		{ "mime_emails/raw_email11.eml", "text/enriched" },
	};
	struct mime_msg *m;
	size_t i, k;

	test_begin("reports, returned headers and other text types are listed as attachments");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct buf types = BUF_INIT;

		m = load(want[i].file);
		for (k = 0; k < m->n_attachments; k++)
			buf_addf(&types, "%s%s", k > 0 ? " " : "", m->attachments[k].content_type);
		FIELD(F_ATTACHMENTS, test_assert_streq(buf_str(&types), want[i].types));
		buf_release(&types);
		mime_msg_free(&m);
	}
	test_end();

	test_begin("nameless images are named after their Content-Location");
	m = load("error_emails/missing_content_disposition.eml");
	FIELD(F_ATTACHMENTS, test_assert(m->n_attachments == 1 && m->attachments[0].filename != NULL &&
					 strcmp(m->attachments[0].filename, "somefile.jpg") == 0));
	mime_msg_free(&m);
	m = load("mime_emails/raw_email12.eml");
	FIELD(F_ATTACHMENTS, test_assert(m->n_attachments == 1 && m->attachments[0].filename != NULL &&
					 strcmp(m->attachments[0].filename, "Photo25.jpg") == 0));
	mime_msg_free(&m);
	test_end();

	test_begin("HTML made text: an image link keeps its alt text, not its address");
	m = load("error_emails/content_transfer_encoding_with_8bits.eml");
	FIELD(F_BODIES, test_assert(contains(m->body, "BizRate Customer Certified (GOLD) Site")));
	FIELD(F_BODIES, test_assert(!contains(m->body, "merchant/reports/index.xpml")));
	FIELD(F_BODIES, test_assert(contains(m->body, "Click here <http://www.provantage.com/")));
	mime_msg_free(&m);
	test_end();
}

static void
test_error_emails(void)
{
	struct mime_msg *m;

	test_begin("error_emails: warnings, no failure");
	m = load("error_emails/bad_date_header.eml");
	FIELD(F_HEADERS, test_assert(!m->has_date));
	FIELD(F_HEADERS, test_assert(has_warning(m, "invalid date")));
	FIELD(F_ADDRESSES, test_assert_streq(m->from.address, "infoz@reactive-outpost.com"));
	mime_msg_free(&m);
	m = load("error_emails/bad_date_header2.eml");
	FIELD(F_HEADERS, test_assert(has_warning(m, "invalid date")));
	FIELD(F_HEADERS, test_assert(has_warning(m, "missing boundary")));
	mime_msg_free(&m);
	m = load("error_emails/missing_body.eml");
	FIELD(F_HEADERS, test_assert(has_warning(m, "missing boundary")));
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "REDACTED"));
	mime_msg_free(&m);
	m = load("error_emails/encoding_madness.eml");
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_reply_to, 1));
	if (m->n_reply_to == 1) {
		FIELD(F_ADDRESSES, test_assert(m->reply_to[0].address == NULL));
		FIELD(F_ADDRESSES, test_assert(starts_with(m->reply_to[0].name, "KLAUS- H")));
	}
	FIELD(F_BODIES, test_assert_streq(m->body, "Body Text"));
	mime_msg_free(&m);
	m = load("error_emails/new_line_in_to_header.eml");
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_to, 6));
	mime_msg_free(&m);
	m = load("error_emails/empty_in_reply_to.eml");
	FIELD(F_ADDRESSES, test_assert(m->in_reply_to == NULL));
	FIELD(F_ADDRESSES, test_assert_streq(m->from.address, "ak@g.com"));
	mime_msg_free(&m);
	m = load("error_emails/multiple_references_with_one_invalid.eml");
	FIELD(F_BODIES, test_assert_streq(m->body, "foo\n"));
	mime_msg_free(&m);
	m = load("error_emails/content_transfer_encoding_qp_with_space.eml");
	FIELD(F_BODIES, test_assert(starts_with(m->body, "If you're in need of a good RX site")));
	mime_msg_free(&m);
	m = load("error_emails/content_transfer_encoding_text-html.eml");
	FIELD(F_BODIES, test_assert(m->body_from_html));
	FIELD(F_BODIES, test_assert(starts_with(m->body, "Hello,")));
	mime_msg_free(&m);
	m = load("plain_emails/raw_email_with_bad_date.eml");
	FIELD(F_HEADERS, test_assert(!m->has_date));
	FIELD(F_HEADERS, test_assert(has_warning(m, "invalid date")));
	mime_msg_free(&m);
	test_end();
}

static void
test_rfc2822(void)
{
	struct mime_msg *m;

	test_begin("rfc2822: In-Reply-To and References");
	m = load("rfc2822/example06.eml");
	FIELD(F_HEADERS, test_assert_streq(m->message_id, "3456@example.net"));
	FIELD(F_ADDRESSES, test_assert_streq(m->in_reply_to, "1234@local.machine.example"));
	FIELD(F_HEADERS, test_assert_inteq(m->n_references, 1));
	if (m->n_references == 1)
		FIELD(F_HEADERS, test_assert_streq(m->references[0], "1234@local.machine.example"));
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_reply_to, 1));
	if (m->n_reply_to == 1) {
		FIELD(F_ADDRESSES, test_assert_streq(m->reply_to[0].name, "Mary Smith: Personal Account"));
		FIELD(F_ADDRESSES, test_assert_streq(m->reply_to[0].address, "smith@home.example"));
	}
	mime_msg_free(&m);
	m = load("rfc2822/example07.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->in_reply_to, "3456@example.net"));
	FIELD(F_HEADERS, test_assert_inteq(m->n_references, 2));
	if (m->n_references == 2) {
		FIELD(F_HEADERS, test_assert_streq(m->references[0], "1234@local.machine.example"));
		FIELD(F_HEADERS, test_assert_streq(m->references[1], "3456@example.net"));
	}
	mime_msg_free(&m);
	m = load("rfc2822/example14.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->in_reply_to, "rid_5582199198@msgid.example.com"));
	/* folded over a blank line: how many blanks stay is rfc2047's choice */
	FIELD(F_SUBJECTS, test_assert(starts_with(m->subject, "Re: TEST")));
	FIELD(F_SUBJECTS, test_assert(contains(m->subject, " テストテスト")));
	mime_msg_free(&m);
	test_end();

	test_begin("rfc2822: addresses, groups, comments, obsolete forms");
	m = load("rfc2822/example03.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->from.name, "Joe Q. Public"));
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_to, 3));
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_cc, 2));
	if (m->n_cc == 2) {
		FIELD(F_ADDRESSES, test_assert_streq(m->cc[0].address, "boss@nil.test"));
		FIELD(F_ADDRESSES, test_assert_streq(m->cc[1].name, "Giant; \"Big\" Box"));
		FIELD(F_ADDRESSES, test_assert_streq(m->cc[1].address, "sysservices@example.net"));
	}
	FIELD(F_HEADERS, test_assert(m->has_date));
	FIELD(F_HEADERS, test_assert_inteq(m->date, 1057049557));
	FIELD(F_HEADERS, test_assert_inteq(m->date_tzoff, 120));
	mime_msg_free(&m);
	m = load("rfc2822/example10.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->from.name, "Pete"));
	FIELD(F_ADDRESSES, test_assert_streq(m->from.address, "pete@silly.test"));
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_to, 3));
	if (m->n_to == 3) {
		FIELD(F_ADDRESSES, test_assert_streq(m->to[0].address, "c@public.example"));
		FIELD(F_ADDRESSES, test_assert_streq(m->to[2].name, "John"));
	}
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_cc, 0));
	FIELD(F_HEADERS, test_assert(m->has_date));
	FIELD(F_HEADERS, test_assert_inteq(m->date_tzoff, -210));
	mime_msg_free(&m);
	m = load("rfc2822/example11.eml");
	FIELD(F_ADDRESSES, test_assert_inteq(m->n_to, 2));
	if (m->n_to == 2) {
		FIELD(F_ADDRESSES, test_assert_streq(m->to[0].address, "mary@example.net"));
		FIELD(F_ADDRESSES, test_assert_streq(m->to[1].address, "jdoe@test.example"));
	}
	mime_msg_free(&m);
	m = load("rfc2822/example13.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->from.address, "jdoe@machine.example"));
	FIELD(F_HEADERS, test_assert_streq(m->message_id, "1234@local.machine.example"));
	FIELD(F_HEADERS, test_assert(m->has_date));
	FIELD(F_HEADERS, test_assert_inteq(m->date, 880127706));
	mime_msg_free(&m);
	test_end();

	test_begin("rfc6532: utf-8 headers");
	m = load("rfc6532/utf8_headers.eml");
	FIELD(F_ADDRESSES, test_assert_streq(m->from.name, "Jöhn Doe"));
	FIELD(F_ADDRESSES, test_assert_streq(m->from.address, "jdöe@mächine.example"));
	FIELD(F_SUBJECTS, test_assert_streq(m->subject, "Säying Hello"));
	mime_msg_free(&m);
	test_end();
}

int
main(void)
{
	const char *src = getenv("TICKETD_SRC");
	DIR *d;

	corpus = xasprintf("%s/../shared/corpus/mail-gem", src != NULL ? src : ".");
	d = opendir(corpus);
	if (d == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", corpus);
		free(corpus);
		return 77;
	}
	closedir(d);
	test_all_parse();
	test_multi_charset();
	test_attachments();
	test_shown_parts();
	test_error_emails();
	test_rfc2822();
	for (int f = 0; f < F_N; f++)
		printf("# mail-gem %s: %u of %u checks hold\n", field_names[f], field_ok[f],
		       field_total[f]);
	free(corpus);
	return test_done();
}
