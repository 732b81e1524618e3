/*
 * test-filename: every trick a sender can play with an attachment name
 * (filename.h), alone and through the parser (the name as decoded from
 * RFC 2231 / RFC 2047 parameters, in ISO-2022-JP too).
 */
#include <stdlib.h>
#include <string.h>

#include "filename.h"
#include "mime.h"
#include "test.h"
#include "xmalloc.h"

static void
check(const char *name, const char *type, const char *want)
{
	char *got = filename_safe(name, type);

	test_assert_streq(got, want);
	test_assert(filename_is_safe(got));
	test_assert(strchr(got, '/') == NULL && strchr(got, '\\') == NULL);
	test_assert(strcmp(got, ".") != 0 && strcmp(got, "..") != 0 && got[0] != '\0');
	free(got);
}

/* The safe name the parser and filename_safe give the first attachment of a mail. */
static char *
parsed_name(const char *disposition)
{
	struct buf raw = BUF_INIT;
	struct mime_msg *m;
	char *name = NULL;

	buf_addf(&raw, "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		 "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
		 "--b\r\nContent-Type: application/octet-stream\r\n"
		 "Content-Disposition: attachment; %s\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n", disposition);
	m = mime_parse(raw.data, raw.len, NULL);
	if (m->n_attachments == 1)
		name = filename_safe(m->attachments[0].filename, m->attachments[0].content_type);
	mime_msg_free(&m);
	buf_release(&raw);
	return name;
}

int
main(void)
{
	char *s;
	struct buf b = BUF_INIT;
	size_t i;

	test_begin("plain names stay as they are, any script");
	check("report.pdf", NULL, "report.pdf");
	check("スクリーンショット 2026-11-26.png", NULL, "スクリーンショット 2026-11-26.png");
	check("Käyttöohje v2.1.docx", NULL, "Käyttöohje v2.1.docx");
	test_end();

	test_begin("../ and absolute paths: only the last component");
	check("../../etc/passwd", NULL, "passwd");
	check("/etc/cron.d/evil", NULL, "evil");
	check("..\\..\\Windows\\System32\\evil.dll", NULL, "evil.dll");
	check("C:\\fakepath\\screen.png", NULL, "screen.png");
	check("..", "image/png", "attachment.png");
	check("../", "text/plain", "attachment.txt");
	check("a/b/../", NULL, "attachment.bin");
	test_end();

	test_begin("look-alike slashes (Windows best-fit maps them to / and \\)");
	check("..\xef\xbc\x8f..\xef\xbc\x8f" "evil.sh", NULL, "_.._evil.sh");
	check("a\xe2\x88\x95" "b", NULL, "a_b");
	check("a\xef\xbc\xbc" "b", NULL, "a_b");
	test_end();

	test_begin("control characters become _ (CR, LF, TAB, ESC, DEL, C1)");
	check("evil\r\nContent-Type: text/html.txt", NULL, "html.txt");
	check("evil\r\nX-Header: x.txt", NULL, "evil__X-Header_ x.txt");
	check("a\tb\x1b[31mred.txt", NULL, "a_b_[31mred.txt");
	check("x\x7fy\xc2\x85z.txt", NULL, "x_y_z.txt");
	test_end();

	test_begin("NUL: a %00 in an RFC 2231 name does not cut the name short");
	s = parsed_name("filename*=utf-8''report.pdf%00.exe");
	test_assert_streq(s, "report.pdf .exe");
	free(s);
	s = parsed_name("filename=\"=?utf-8?q?report.pdf=00.exe?=\"");
	test_assert_streq(s, "report.pdf .exe");
	free(s);
	test_end();

	test_begin("RTL override and the other bidi and invisible characters");
	/* "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf" */
	check("invoice\xe2\x80\xae" "fdp.exe", NULL, "invoice_fdp.exe");
	check("a\xe2\x80\xab" "b\xe2\x80\xaa" "c\xe2\x80\xac" "d\xe2\x80\xad" "e.txt", NULL, "a_b_c_d_e.txt");
	check("a\xe2\x81\xa6" "b\xe2\x81\xa7" "c\xe2\x81\xa8" "d\xe2\x81\xa9" "e.txt", NULL, "a_b_c_d_e.txt");
	check("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d.txt", NULL, "a_b_c_d.txt");
	check("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xe2\x81\xa0" "d.txt", NULL, "a_b_c_d.txt");
	test_end();

	test_begin("invalid UTF-8 becomes _");
	check("caf\xe9.txt", NULL, "caf_.txt");
	/* one _ per byte of an invalid sequence (Unicode's maximal subparts) */
	check("\xc0\xaf\xc0\xaf" "etc.txt", NULL, "____etc.txt");
	check("a\xed\xa0\x80" "b.txt", NULL, "a___b.txt");
	test_end();

	test_begin("characters Windows refuses become _");
	check("a<b>c:d\"e|f?g*h.txt", NULL, "a_b_c_d_e_f_g_h.txt");
	test_end();

	test_begin("reserved Windows names get a leading _");
	check("CON", NULL, "_CON");
	check("prn.txt", NULL, "_prn.txt");
	check("AUX", NULL, "_AUX");
	check("NUL.tar.gz", NULL, "_NUL.tar.gz");
	check("com1", NULL, "_com1");
	check("LPT1.log", NULL, "_LPT1.log");
	check("COM\xc2\xb9.txt", NULL, "_COM\xc2\xb9.txt");
	check("CON .txt", NULL, "_CON .txt");
	check("CONSOLE.txt", NULL, "CONSOLE.txt");
	check("com10", NULL, "com10");
	test_end();

	test_begin("trailing dots and spaces go, leading ones too (no hidden files)");
	check("setup.exe.", NULL, "setup.exe");
	check("setup.exe . . ", NULL, "setup.exe");
	check(".bashrc", NULL, "bashrc");
	check("  ...hidden.txt", NULL, "hidden.txt");
	check(". .", "application/pdf", "attachment.pdf");
	test_end();

	test_begin("runs of blanks (any Unicode space) are one space: no pushed-away .exe");
	check("photo.jpg                                        .exe", NULL, "photo.jpg .exe");
	check("a\xe3\x80\x80\xe3\x80\x80" "b\xc2\xa0" "c\xe2\x80\x83.txt", NULL, "a b c .txt");
	test_end();

	test_begin("overlong names are cut on a character boundary, the extension kept");
	for (i = 0; i < 150; i++)
		buf_adds(&b, "\xe6\x97\xa5");   /* 日, 3 bytes */
	buf_adds(&b, ".tar.gz");
	s = filename_safe(b.data, NULL);
	test_assert(strlen(s) <= FILENAME_MAX_BYTES);
	test_assert(strlen(s) > FILENAME_MAX_BYTES - 4);
	test_assert(strcmp(s + strlen(s) - 3, ".gz") == 0);
	test_assert(filename_is_safe(s));
	test_assert((strlen(s) - 3) % 3 == 0);   /* whole characters only */
	free(s);
	buf_reset(&b);
	for (i = 0; i < 300; i++)
		buf_addc(&b, 'a');
	s = filename_safe(b.data, NULL);
	test_assert_inteq(strlen(s), FILENAME_MAX_BYTES);
	free(s);
	buf_reset(&b);
	for (i = 0; i < 250; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, ".averyveryverylongextension");
	s = filename_safe(b.data, NULL);
	test_assert_inteq(strlen(s), FILENAME_MAX_BYTES);
	free(s);
	buf_release(&b);
	test_end();

	test_begin("no name: attachment with the type's extension");
	check(NULL, "image/png", "attachment.png");
	check("", "application/x-unknown", "attachment.bin");
	check(NULL, NULL, "attachment.bin");
	test_end();

	test_begin("content types by extension");
	test_assert_streq(filename_content_type("a.PNG"), "image/png");
	test_assert_streq(filename_content_type("crash.log"), "text/plain");
	test_assert_streq(filename_content_type("fix.patch"), "text/x-diff");
	test_assert_streq(filename_content_type("core"), "application/octet-stream");
	test_assert_streq(filename_content_type("x."), "application/octet-stream");
	test_assert_streq(filename_content_type(NULL), "application/octet-stream");
	test_end();

	test_begin("ISO-2022-JP names, as RFC 2231 and as RFC 2047 in the parameter");
	/* 添付資料.txt in ISO-2022-JP: ESC $ B  E: IU ;q NA  ESC ( B, then .txt */
	s = parsed_name("filename*=iso-2022-jp''%1B%24BE%3AIU%3BqNA%1B%28B.txt");
	test_assert_streq(s, "添付資料.txt");
	free(s);
	s = parsed_name("filename=\"=?ISO-2022-JP?B?GyRCRTpJVTtxTkEbKEI=?=.txt\"");
	test_assert_streq(s, "添付資料.txt");
	free(s);
	s = parsed_name("filename*0*=iso-2022-jp''%1B%24BE%3AIU; filename*1*=%3BqNA%1B%28B.txt");
	test_assert_streq(s, "添付資料.txt");
	free(s);
	test_end();

	return test_done();
}
