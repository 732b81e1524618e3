/*
 * Unit tests for lib/desk/route.c: the text rules of routing (SPEC
 * section 5): ticket numbers in subjects, reply prefixes, severity and
 * priority asked for in the mail, and commands at the top of a reply.
 */
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "xmalloc.h"
#include "test.h"

/* route_subject_numbers into a "1,2,…" string, for short assertions. */
static const char *
numbers(const char *subject, const char *prefix)
{
	static char out[128];
	long long n[ROUTE_MAX_NUMBERS];
	size_t k, i, len = 0;

	k = route_subject_numbers(subject, prefix, n, ROUTE_MAX_NUMBERS);
	out[0] = '\0';
	for (i = 0; i < k; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%lld", i ? "," : "", n[i]);
	return out;
}

static void
expect_stripped(const char *subject, const char *want)
{
	char *s = route_strip_prefixes(subject);

	test_assert_streq(s, want);
	free(s);
}

static void
expect_fields(const char *subject, const char *body, int sev, int pri)
{
	int s = -1, p = -1;

	route_fields(subject, body, &s, &p);
	test_assert_inteq(s, sev);
	test_assert_inteq(p, pri);
}

static void
test_numbers(void)
{
	char *s;

	test_begin("normalize: full-width and look-alike forms fold to ASCII");
	s = route_normalize("【ＳＵＰ－１２３】 Ｒｅ：ｘ");
	test_assert_streq(s, "[SUP-123] Re:x");
	free(s);
	s = route_normalize("日本語はそのまま");
	test_assert_streq(s, "日本語はそのまま");
	free(s);
	/* ー after kana is a long vowel; after a letter or digit a dash */
	s = route_normalize("エスカレーション【ＳＵＰー１２】ｻｰﾊﾞｰ");
	test_assert_streq(s, "エスカレーション[SUP-12]ｻｰﾊﾞｰ");
	free(s);
	s = route_normalize("a\xc2\xa0" "b\xe2\x80\xaf" "c\xe2\x80\x8b" "d\xef\xbc\x9a");
	test_assert_streq(s, "a b cd:");
	free(s);
	test_end();

	test_begin("subject numbers: bracketed, bare, any case, full-width, leftmost first");
	test_assert_streq(numbers("Re: [SUP-42] printer", "SUP"), "42");
	test_assert_streq(numbers("sup-7 and SUP-8", "SUP"), "7,8");
	test_assert_streq(numbers("【ＳＵＰ－１２３】 障害", "SUP"), "123");
	test_assert_streq(numbers("SUP #9 about SUP 10", "SUP"), "9");
	test_end();

	test_begin("subject numbers: not inside words, not other prefixes, none without digits");
	test_assert_streq(numbers("XSUP-42 and SUPPORT-3", "SUP"), "");
	test_assert_streq(numbers("[HELP-42]", "SUP"), "");
	test_assert_streq(numbers("SUP-", "SUP"), "");
	test_assert_streq(numbers(NULL, "SUP"), "");
	test_assert_streq(numbers("[HELP-42]", "HELP"), "42");
	test_end();
}

static void
test_prefixes(void)
{
	test_begin("reply prefixes: every language, repeated, counted, with blanks");
	expect_stripped("Re: AW: WG: Hello", "Hello");
	expect_stripped("RE[2]: Re(3): hi", "hi");
	expect_stripped("Fwd : report", "report");
	expect_stripped("回复：问题", "问题");
	expect_stripped("返信: 件名", "件名");
	expect_stripped("SV: VS: Kysymys", "Kysymys");
	test_end();

	test_begin("reply prefixes: a word that only starts like one stays");
	expect_stripped("Report: Q3", "Report: Q3");
	expect_stripped("Reboot needed", "Reboot needed");
	test_end();
}

static void
test_fields(void)
{
	test_begin("fields: subject tags win, body labels in seven languages");
	expect_fields("[Sev1] down", NULL, 1, 0);
	expect_fields("[S2] [P3] slow", NULL, 2, 3);
	expect_fields("[Severity: 4] [Priority 1] x", NULL, 4, 1);
	expect_fields("x", "Hello\nSeverity: 2\nPriority: 1\n", 2, 1);
	expect_fields("x", "Schweregrad: 1\n", 1, 0);
	expect_fields("x", "深刻度：１\n优先级: 2\n", 1, 2);
	expect_fields("[Sev3] x", "Severity: 1\n", 3, 0);
	test_end();

	test_begin("fields: every Unicode space and colon in a label (French typography, CJK)");
	/* Gravité, no-break space (Word, Outlook), colon, no-break space, 1 */
	expect_fields("x", "Bonjour,\nGravit\xc3\xa9\xc2\xa0:\xc2\xa0" "1\n", 1, 0);
	/* narrow no-break space (macOS, LibreOffice), full-width digit */
	expect_fields("x", "Gravit\xc3\xa9\xe2\x80\xaf: \xef\xbc\x92\nPriorit\xc3\xa9\xe2\x80\xaf:\xe2\x80\xaf" "3\n", 2, 3);
	/* capitals, an em space, a thin space, the ideographic space and full-width colon */
	expect_fields("x", "GRAVIT\xc3\x89\xe2\x80\x83: 1\nPRIORIT\xc3\x89\xe2\x80\x89: 4\n", 1, 4);
	expect_fields("x", "\xe6\xb7\xb1\xe5\x88\xbb\xe5\xba\xa6\xe3\x80\x80\xef\xbc\x9a\xe3\x80\x80" "1\n", 1, 0);
	/* a zero-width space a copy from a web page left behind */
	expect_fields("x", "Severity\xe2\x80\x8b: 2\n", 2, 0);
	test_end();

	test_begin("fields: quoted lines and words that are no level count for nothing");
	expect_fields("x", "> Severity: 1\n", 0, 0);
	expect_fields("x", "Severity: whatever\n", 0, 0);
	expect_fields("[Sev5] x", NULL, 0, 0);
	test_end();
}

/* The commands route_commands finds, as "name[=value] …"; the rest in *rest (caller frees). */
static const char *
commands(const char *subject, const char *text, size_t max, char **rest)
{
	static char out[256];
	struct route_cmd c[ROUTE_MAX_CMDS];
	size_t n, i, len = 0;

	n = route_commands(subject, text, c, max, rest);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "",
					route_cmd_name(c[i].type));
		if (c[i].value != 0)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "=%d", c[i].value);
	}
	return out;
}

static void
expect_commands(const char *subject, const char *text, const char *want, const char *want_rest)
{
	char *rest;

	test_assert_streq(commands(subject, text, ROUTE_MAX_CMDS, &rest), want);
	test_assert_streq(rest, want_rest);
	free(rest);
}

static void
test_commands(void)
{
	test_begin("commands: at the top, removed from the text, the rest kept");
	expect_commands("Re: x", "\n#escalate\n#severity 1\nPlease hurry.\n#close\n",
			"escalate severity=1", "Please hurry.\n#close\n");
	test_end();

	test_begin("commands: localised words and full-width forms; unknown ones stay");
	expect_commands(NULL, "#eskalieren\n＃ｃｌｏｓｅ\n#frobnicate\n#優先度 2\nDanke\n",
			"escalate close priority=2", "#frobnicate\nDanke\n");
	test_end();

	test_begin("commands: katakana long vowels, Unicode spaces and colons, capitals");
	expect_commands(NULL, "#エスカレーション\n#クローズ\nよろしくお願いします。\n",
			"escalate close", "よろしくお願いします。\n");
	expect_commands(NULL, "＃エスカレーション\n♯深刻度：１\n", "escalate severity=1", "");
	expect_commands(NULL, "#gravit\xc3\xa9\xc2\xa0:\xc2\xa0" "2\n#FERMER\xe2\x80\xaf\nMerci\n",
			"severity=2 close", "Merci\n");
	expect_commands(NULL, "#GRAVIT\xc3\x89 1\n#Schlie\xc3\x9f" "en\n", "severity=1 close", "");
	test_end();

	test_begin("commands: [Escalate] in the subject, #internal, a bad value is no command");
	expect_commands("[Escalate] Re: x", "#internal\n#severity 7\ntext", "escalate internal",
			"#severity 7\ntext");
	test_assert_streq(route_cmd_name(ROUTE_CMD_REOPEN), "reopen");
	test_end();

	test_begin("commands: at most max, and NULL text is no text");
	test_assert_streq(commands(NULL, "#close\n#reopen\n#escalate\n", 2, NULL), "close reopen");
	expect_commands(NULL, NULL, "", "");
	test_end();
}

int
main(void)
{
	test_numbers();
	test_prefixes();
	test_fields();
	test_commands();
	return test_done();
}
