/*
 * test-commands-i18n: every command word README promises, in every real
 * encoding its language's clients send it in, read from a whole reply.
 *
 * Each case is a reply as that client writes it: its headers, charset
 * and transfer encoding (Outlook's Windows-1252 quoted-printable,
 * Thunderbird's 8-bit ISO-8859-15, Apple Mail's ISO-8859-1, Gmail's
 * UTF-8 base64 alternative, Becky!'s ISO-2022-JP, Foxmail's GB2312
 * base64, Outlook's Big5 …), the command on the first line, a sentence,
 * then the quoted history under the client's quote header.  The bytes
 * are made with glibc's iconv, not with ticketd's own decoders; the
 * reply goes through mail_read (parse, reply text) and route_commands,
 * as ingest does.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "route.h"
#include "test.h"
#include "xmalloc.h"

/* How a client sends a reply. */
struct client {
	const char *charset;      /* iconv name and MIME label */
	const char *label;        /* the label as the client writes it */
	const char *cte;          /* "7bit", "8bit", "quoted-printable", "base64" */
	int gmail;                /* multipart/alternative with an HTML part */
	const char *headers;      /* the client's own header lines */
};

static const struct client outlook_1252 = {
	"WINDOWS-1252", "Windows-1252", "quoted-printable", 0,
	"X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdnE3K1cP0v7lQxVTN2s3Q==\n"
	"Content-Language: de-DE\n",
};
static const struct client thunderbird_15 = {
	"ISO-8859-15", "ISO-8859-15; format=flowed", "8bit", 0,
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101\n"
	" Thunderbird/115.5.0\n",
};
static const struct client apple_latin1 = {
	"ISO-8859-1", "iso-8859-1", "quoted-printable", 0,
	"X-Mailer: Apple Mail (2.3774.200.91.1.1)\n",
};
static const struct client gmail_utf8 = {
	"UTF-8", "\"UTF-8\"", "base64", 1,
	"X-Gm-Message-State: AOJu0YwQyq1uMb1V0K2j\n",
};
static const struct client ascii_mutt = {
	"US-ASCII", "us-ascii", "7bit", 0,
	"User-Agent: Mutt/2.2.9 (2022-11-12)\n",
};
static const struct client becky_jis = {
	"ISO-2022-JP", "ISO-2022-JP", "7bit", 0,
	"X-Mailer: Becky! ver. 2.81.04 [ja]\n",
};
static const struct client sjis_8bit = {
	"SHIFT_JIS", "Shift_JIS", "8bit", 0,
	"X-Mailer: Microsoft Outlook Express 6.00.2900.5931\n",
};
static const struct client eucjp_sylpheed = {
	"EUC-JP", "EUC-JP", "8bit", 0,
	"X-Mailer: Sylpheed 3.7.0 (GTK+ 2.24.33; x86_64-pc-linux-gnu)\n",
};
static const struct client foxmail_gb2312 = {
	"GB2312", "gb2312", "base64", 0,
	"X-Mailer: Foxmail 7.2.23.116[cn]\nX-Priority: 3\n",
};
static const struct client outlook_gbk = {
	"GBK", "gbk", "quoted-printable", 0,
	"X-Mailer: Microsoft Outlook 16.0\nContent-Language: zh-CN\n",
};
static const struct client foxmail_gb18030 = {
	"GB18030", "GB18030", "8bit", 0,
	"X-Mailer: Foxmail 7.2.25.228[cn]\n",
};
static const struct client outlook_big5 = {
	"BIG5", "big5", "base64", 0,
	"X-Mailer: Microsoft Outlook 16.0\nContent-Language: zh-TW\n",
};

/* A language: its words, its prose, its quote header, its clients. */
struct language {
	const char *name;
	const char *words[7];     /* escalate close reopen severity priority internal [alt] */
	const char *alt_want;     /* what words[6] means (an ASCII spelling), or NULL */
	const char *sentence;
	const char *quote_header;
	const struct client *clients[4];
};

static const char *const wants[6] = {
	"escalate", "close", "reopen", "severity=1", "priority=2", "internal",
};

static const struct language languages[] = {
	{ "en", { "escalate", "close", "reopen", "severity", "priority", "internal", NULL }, NULL,
	  "We need this fixed today.",
	  "On Mon, 30 Nov 2026 at 09:00, Example Support <support@example.com> wrote:",
	  { &ascii_mutt, &gmail_utf8, &outlook_1252, NULL } },
	{ "de", { "eskalieren", "schließen", "wiedereröffnen", "schweregrad", "priorität", "intern",
		  "schliessen" }, "close",
	  "Bitte dringend prüfen, die Anlage steht still.",
	  "Am Mo., 30. Nov. 2026 um 09:00 Uhr schrieb Example Support <support@example.com>:",
	  { &outlook_1252, &thunderbird_15, &apple_latin1, &gmail_utf8 } },
	{ "fr", { "escalader", "fermer", "rouvrir", "gravité", "priorité", "interne", "gravite" },
	  "severity=1",
	  "Le problème est revenu ce matin, merci de vérifier.",
	  "Le lun. 30 nov. 2026 à 09:00, Example Support <support@example.com> a écrit :",
	  { &outlook_1252, &thunderbird_15, &apple_latin1, &gmail_utf8 } },
	{ "es", { "escalar", "cerrar", "reabrir", "gravedad", "prioridad", "interno", NULL }, NULL,
	  "El error volvió a aparecer esta mañana, por favor revísenlo.",
	  "El lun, 30 nov 2026 a las 9:00, Example Support (<support@example.com>) escribió:",
	  { &outlook_1252, &thunderbird_15, &apple_latin1, &gmail_utf8 } },
	{ "fi", { "eskaloi", "sulje", "avaa", "vakavuus", "prioriteetti", "sisäinen", "sisainen" },
	  "internal",
	  "Vika palasi tänä aamuna, tarkistakaa pyydän.",
	  "Example Support <support@example.com> kirjoitti ma 30.11.2026 klo 9.00:",
	  { &outlook_1252, &thunderbird_15, &apple_latin1, &gmail_utf8 } },
	{ "ja", { "エスカレーション", "クローズ", "再開", "深刻度", "優先度", "内部", NULL }, NULL,
	  "本日中の対応をお願いいたします。",
	  "2026年11月30日(月) 9:00 Example Support <support@example.com>:",
	  { &becky_jis, &sjis_8bit, &eucjp_sylpheed, &gmail_utf8 } },
	{ "zh", { "升级", "关闭", "重新打开", "严重性", "优先级", "内部", NULL }, NULL,
	  "请今天之内处理，谢谢。",
	  "在 2026年11月30日 09:00，Example Support <support@example.com> 写道：",
	  { &foxmail_gb2312, &outlook_gbk, &foxmail_gb18030, &gmail_utf8 } },
	{ "zh-Hant", { "升級", "關閉", "重新打開", "嚴重性", "優先級", "內部", NULL }, NULL,
	  "請今天之內處理，謝謝。",
	  "在 2026年11月30日 09:00，Example Support <support@example.com> 寫道：",
	  { &outlook_big5, &gmail_utf8, NULL, NULL } },
};

/* UTF-8 text in charset, by glibc's iconv; NULL when it cannot be said there. */
static char *
encode(const char *charset, const char *utf8, size_t *len_r)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	size_t in_left = strlen(utf8), out_cap = in_left * 4 + 16, out_left = out_cap;
	char *out = xmalloc(out_cap), *ip = (char *)utf8, *op = out;

	if (cd == (iconv_t)-1) {
		printf("# iconv has no %s\n", charset);
		free(out);
		return NULL;
	}
	if (iconv(cd, &ip, &in_left, &op, &out_left) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &op, &out_left) == (size_t)-1) {
		iconv_close(cd);
		free(out);
		return NULL;
	}
	iconv_close(cd);
	*len_r = (size_t)(op - out);
	out[*len_r] = '\0';
	return out;
}

static void
base64_lines(struct buf *out, const unsigned char *s, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) |
			(i + 2 < len ? s[i + 2] : 0);

		buf_addc(out, abc[v >> 18 & 63]);
		buf_addc(out, abc[v >> 12 & 63]);
		buf_addc(out, i + 1 < len ? abc[v >> 6 & 63] : '=');
		buf_addc(out, i + 2 < len ? abc[v & 63] : '=');
		col += 4;
		if (col >= 76) {
			buf_addc(out, '\n');
			col = 0;
		}
	}
	if (col > 0)
		buf_addc(out, '\n');
}

static void
qp_lines(struct buf *out, const unsigned char *s, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			buf_addc(out, '\n');
			col = 0;
			continue;
		}
		if (col >= 72) {
			buf_adds(out, "=\n");
			col = 0;
		}
		if (s[i] >= 0x80 || s[i] == '=' || s[i] < 0x20) {
			buf_addf(out, "=%02X", s[i]);
			col += 3;
		} else {
			buf_addc(out, (char)s[i]);
			col++;
		}
	}
}

/* The body bytes (already in the charset) transfer-encoded as cte says. */
static void
transfer(struct buf *out, const char *cte, const char *bytes, size_t len)
{
	if (strcmp(cte, "base64") == 0)
		base64_lines(out, (const unsigned char *)bytes, len);
	else if (strcmp(cte, "quoted-printable") == 0)
		qp_lines(out, (const unsigned char *)bytes, len);
	else
		buf_add(out, bytes, len);
}

/* A whole reply from client in language l carrying "#word arg"; NULL when unsayable. */
static char *
reply(const struct language *l, const struct client *c, const char *word, const char *arg)
{
	struct buf text = BUF_INIT, msg = BUF_INIT, subject = BUF_INIT;
	char *bytes, *subj_bytes;
	size_t len, subj_len;

	buf_addf(&text, "#%s%s%s\n\n%s\n\n%s\n> Your request SUP-1 is open.\n", word,
		 arg != NULL ? " " : "", arg != NULL ? arg : "", l->sentence, l->quote_header);
	bytes = encode(c->charset, buf_str(&text), &len);
	subj_bytes = encode(c->charset, l->sentence, &subj_len);
	buf_release(&text);
	if (bytes == NULL || subj_bytes == NULL) {
		free(bytes);
		free(subj_bytes);
		return NULL;
	}
	/* the subject as the client encodes it: a B word in its charset */
	buf_addf(&subject, "Re: [SUP-1] =?%s?B?", c->charset);
	base64_lines(&subject, (const unsigned char *)subj_bytes, subj_len);
	subject.len--;          /* base64_lines' line end */
	buf_adds(&subject, "?=");
	buf_addf(&msg, "From: Customer <customer@acme.example>\n"
		 "To: Example Support <support@example.com>\n"
		 "Subject: %s\n"
		 "Date: Mon, 30 Nov 2026 10:15:00 +0100\n"
		 "Message-ID: <reply-%s-%s@acme.example>\n"
		 "In-Reply-To: <sup-1.autoresponse@example.com>\n"
		 "%sMIME-Version: 1.0\n",
		 buf_str(&subject), l->name, c->charset, c->headers);
	if (c->gmail) {
		buf_adds(&msg, "Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3\"\n\n"
			 "--000000000000a1b2c3\n");
	}
	buf_addf(&msg, "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n",
		 c->label, c->cte);
	transfer(&msg, c->cte, bytes, len);
	if (c->gmail) {
		buf_addf(&msg, "\n--000000000000a1b2c3\nContent-Type: text/html; charset=%s\n"
			 "Content-Transfer-Encoding: %s\n\n", c->label, c->cte);
		free(bytes);
		buf_init(&text);
		buf_addf(&text, "<div dir=\"ltr\">#%s%s%s<br><br>%s</div>\n", word,
			 arg != NULL ? " " : "", arg != NULL ? arg : "", l->sentence);
		bytes = encode(c->charset, buf_str(&text), &len);
		buf_release(&text);
		transfer(&msg, c->cte, bytes, len);
		buf_adds(&msg, "\n--000000000000a1b2c3--\n");
	}
	free(bytes);
	free(subj_bytes);
	buf_release(&subject);
	return buf_detach(&msg, NULL);
}

/* The commands route_commands finds in the reply text, as "escalate severity=1". */
static void
commands_of(const char *raw, struct buf *out)
{
	struct route_cmd cmds[ROUTE_MAX_CMDS];
	struct mail m;
	size_t n, i;

	mail_read(&m, raw, strlen(raw), NULL);
	n = route_commands(m.msg->subject, mail_text(&m), cmds, ROUTE_MAX_CMDS, NULL);
	for (i = 0; i < n; i++) {
		buf_addf(out, "%s%s", i > 0 ? " " : "", route_cmd_name(cmds[i].type));
		if (cmds[i].type == ROUTE_CMD_SEVERITY || cmds[i].type == ROUTE_CMD_PRIORITY)
			buf_addf(out, "=%d", cmds[i].value);
	}
	buf_add(out, "", 0);
	mail_release(&m);
}

static void
try_word(const struct language *l, const struct client *c, const char *word, const char *want)
{
	const char *arg = strncmp(want, "severity", 8) == 0 ? "1" :
		strncmp(want, "priority", 8) == 0 ? "2" : NULL;
	char title[256], *raw = reply(l, c, word, arg);
	struct buf got = BUF_INIT;

	snprintf(title, sizeof(title), "%s: #%s in %s (%s)", l->name, word, c->charset, c->cte);
	test_begin(title);
	test_assert(raw != NULL);
	if (raw != NULL) {
		commands_of(raw, &got);
		test_assert_streq(buf_str(&got), want);
	}
	buf_release(&got);
	free(raw);
	test_end();
}

int
main(void)
{
	size_t i, k, w;

	for (i = 0; i < sizeof(languages) / sizeof(languages[0]); i++) {
		const struct language *l = &languages[i];

		for (k = 0; k < 4 && l->clients[k] != NULL; k++) {
			for (w = 0; w < 6; w++)
				try_word(l, l->clients[k], l->words[w], wants[w]);
			if (l->words[6] != NULL)
				try_word(l, l->clients[k], l->words[6], l->alt_want);
		}
	}
	return test_done();
}
