/*
 * test-attach: which of a mail's parts are attachments to forward and
 * which are its client's inline images (decided by cid: use in the
 * mail's own HTML), and what a notification carries under its limit.
 */
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "mime.h"
#include "test.h"
#include "xmalloc.h"

static struct mime_msg *
parse(const char *raw)
{
	return mime_parse(raw, strlen(raw), NULL);
}

#define HEAD "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"

int
main(void)
{
	struct attach_set s;
	struct attach_out out;
	struct mime_msg *m;
	const char *names[] = { "a.bin", "b.bin", "c.bin", "d.bin" };
	static char data[4][100];
	size_t i;

	test_begin("attach: an image the HTML shows by cid: is inline, whatever its disposition");
	m = parse(HEAD "Content-Type: multipart/related; boundary=R\r\n\r\n"
		  "--R\r\nContent-Type: text/html\r\n\r\n"
		  "<p>Hi</p><img src=\"CID:image001.png%4001DB3F2A.5C1E9A20\"><img src='cid:logo'>\r\n"
		  "--R\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=image001.png\r\n"
		  "Content-ID: <image001.png@01DB3F2A.5C1E9A20>\r\n\r\nPNG1\r\n"
		  "--R\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n"
		  "Content-ID: <logo>\r\n\r\nPNG2\r\n"
		  "--R\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=fix.zip\r\n"
		  "Content-ID: <f_m3x8q1a20>\r\nX-Attachment-Id: f_m3x8q1a20\r\n\r\nZIP\r\n"
		  "--R\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=photo.png\r\n\r\nPNG3\r\n"
		  "--R--\r\n");
	attach_set_init(&s);
	attach_from_mail(&s, m);
	test_assert_inteq(s.n, 4);
	if (s.n == 4) {
		test_assert_streq(s.v[0].role, "inline");
		test_assert_streq(s.v[0].name, "image001.png");
		test_assert_streq(s.v[1].role, "inline");
		test_assert_streq(s.v[1].name, "logo.png");     /* named from its Content-ID */
		test_assert_streq(s.v[2].role, "file");      /* Gmail's Content-ID, no HTML uses it */
		test_assert_streq(s.v[3].role, "file");      /* inline but shown by no HTML (Apple Mail) */
		test_assert(s.v[2].size == 3 && memcmp(s.v[2].data, "ZIP", 3) == 0);
	}
	attach_outgoing(&s, 1000, &out);
	test_assert_inteq(out.n_files, 2);
	test_assert(out.n_files == 2 && strcmp(out.files[0].name, "fix.zip") == 0 &&
		    strcmp(out.files[1].name, "photo.png") == 0);
	test_assert(out.withheld.len == 0);
	attach_out_release(&out);
	attach_set_release(&s);
	mime_msg_free(&m);
	test_end();

	test_begin("attach: cid: in an attached .html file decides nothing");
	m = parse(HEAD "Content-Type: multipart/mixed; boundary=R\r\n\r\n"
		  "--R\r\nContent-Type: text/plain\r\n\r\nsee the page\r\n"
		  "--R\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=page.html\r\n\r\n"
		  "<img src=\"cid:x1\">\r\n"
		  "--R\r\nContent-Type: image/gif\r\nContent-ID: <x1>\r\n\r\nGIF\r\n"
		  "--R--\r\n");
	attach_set_init(&s);
	attach_from_mail(&s, m);
	test_assert_inteq(s.n, 2);
	test_assert(s.n == 2 && strcmp(s.v[1].role, "file") == 0);
	attach_set_release(&s);
	mime_msg_free(&m);
	test_end();

	test_begin("attach: a notification carries files in order while they fit, names the rest");
	attach_set_init(&s);
	for (i = 0; i < 4; i++)
		attach_add_file(&s, names[i], data[i], 40);
	s.v[1].dropped = xstrdup("larger than max_attachment_size (1 KB)");
	attach_outgoing(&s, 100, &out);
	test_assert_inteq(out.n_files, 2);       /* a (40) + c (40); d would make 120 */
	test_assert_streq(buf_str(&out.attached), "  a.bin (40 B)\n  c.bin (40 B)");
	test_assert_streq(buf_str(&out.withheld), "  d.bin (40 B)");
	attach_out_release(&out);
	attach_outgoing(&s, 0, &out);            /* max_outgoing_attachments = 0: names only */
	test_assert_inteq(out.n_files, 0);
	test_assert_streq(buf_str(&out.withheld), "  a.bin (40 B)\n  c.bin (40 B)\n  d.bin (40 B)");
	attach_out_release(&out);
	attach_set_release(&s);
	test_end();

	test_begin("attach: sizes for people");
	{
		char t[32];

		attach_size_text(512, t, sizeof(t));
		test_assert_streq(t, "512 B");
		attach_size_text(1025, t, sizeof(t));
		test_assert_streq(t, "2 KB");
		attach_size_text(20 * 1024 * 1024, t, sizeof(t));
		test_assert_streq(t, "20 MB");
		attach_size_text(1536 * 1024, t, sizeof(t));
		test_assert_streq(t, "1.5 MB");
	}
	test_end();

	return test_done();
}
