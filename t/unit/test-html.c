/* Unit tests for lib/mail/html.c: HTML to readable text. */
#include "html.h"
#include "test.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* html_to_text on a C string, compared with want. */
static void
check(const char *html, const char *want)
{
	char *text = html_to_text(html, strlen(html));

	test_assert_streq(text, want);
	free(text);
}

static void
test_paragraphs(void)
{
	test_begin("html paragraphs, headings and divs");
	check("<p>One</p><p>Two</p>", "One\n\nTwo");
	check("<h1>Title</h1><div>a</div><div>b</div><p>c</p>", "Title\n\na\nb\n\nc");
	check("<div><div><p>deep</p></div></div><div>next</div>", "deep\n\nnext");
	check("<p></p><p> </p><p>&nbsp;</p><p>only</p><div></div>", "only");
	check("", "");
	check("   \n\t ", "");
	test_end();
}

static void
test_breaks(void)
{
	test_begin("html <br> and blank-line limits");
	check("a<br>b", "a\nb");
	check("a<br/><br />b", "a\n\nb");
	check("a<br><br><br><br><br>b", "a\n\nb");
	check("<p>a<br></p><p>b</p>", "a\n\nb");
	check("<br><br>start", "start");
	check("end<br><br>", "end");
	test_end();
}

static void
test_whitespace(void)
{
	test_begin("html whitespace collapsed, pre kept");
	check("<p>  lots   of\n\n  space\t here </p>", "lots of space here");
	check("a <b>bold</b> and <i> italic </i>!", "a bold and italic !");
	check("<p>x</p><pre>  int main()\n  {\n\treturn 0;\n  }</pre><p>y</p>",
	      "x\n\n  int main()\n  {\n\treturn 0;\n  }\n\ny");
	check("a&#8203;b&shy;c &zwnj;d", "abc d");
	check("<p>trailing   </p>  ", "trailing");
	test_end();
}

static void
test_lists(void)
{
	test_begin("html lists");
	check("<p>Steps:</p><ul><li>one</li><li>two</li></ul><p>done</p>",
	      "Steps:\n\n- one\n- two\n\ndone");
	check("<ol><li>first<li>second<li>third</ol>", "1. first\n2. second\n3. third");
	check("<ol start=\"4\"><li>four</li><li>five</li></ol>", "4. four\n5. five");
	check("<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b"
	      "<ol><li>b1</li></ol></li></ul>",
	      "- a\n  - a1\n  - a2\n- b\n  1. b1");
	check("<ul><li><p>para item</p></li><li>x</li></ul>", "- para item\n\n- x");
	test_end();
}

static void
test_links(void)
{
	test_begin("html links and images");
	check("See <a href=\"https://example.com/docs\">the docs</a>.",
	      "See the docs <https://example.com/docs>.");
	check("<a href=\"https://example.com/\">https://example.com/</a>",
	      "https://example.com/");
	check("<a href=\"http://example.com\">example.com</a>", "example.com");
	check("<a href=\"mailto:help@example.com\">help@example.com</a>", "help@example.com");
	check("<a href=\"mailto:help@example.com?subject=Hi\">Write us</a>",
	      "Write us <help@example.com>");
	check("<a href=\"javascript:alert(1)\">click</a> <a href=\"#top\">top</a>",
	      "click top");
	check("<a href=\" https://e.com/a\n b \">x</a>", "x <https://e.com/ab>");
	check("<a href=\"https://e.com/\"><img src=\"logo.png\"></a>", "");
	/* an image link (a logo, an icon) keeps its alt text, not its address */
	check("<a href=\"https://e.com/\"><img src=\"l.png\" alt=\"Logo\"></a>", "Logo");
	check("<a href=\"https://e.com/\"><img src=\"l.png\" alt=\"Logo\"> Example Ltd</a>",
	      "Logo Example Ltd <https://e.com/>");
	/* each address once; redirectors show where they lead */
	check("<p><a href=\"https://e.com/kb/42\">this article</a> and "
	      "<a href=\"https://e.com/kb/42\">again</a></p>",
	      "this article <https://e.com/kb/42> and again");
	check("<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fstatus."
	      "example.com%2Fincident%3Fid%3D7&amp;data=05%7C01%7Cx%40y.com&amp;sdata=abc%3D&amp;reserved=0\">"
	      "the status page</a>",
	      "the status page <https://status.example.com/incident?id=7>");
	check("<a href=\"https://www.google.com/url?q=https://example.org/a&amp;sa=D&amp;ust=1\">"
	      "https://example.org/a</a>", "https://example.org/a");
	check("before <img src=\"x.png\" alt=\"[chart]\"> after <img src=\"y\">",
	      "before [chart] after");
	check("<ul><li><a href=\"https://x.example/\">https://x.example/</a></li>"
	      "<li><a href=\"https://y.example/\">y</a></li></ul>"
	      "<blockquote><a href=\"https://z.example/\">https://z.example/</a></blockquote>",
	      "- https://x.example/\n- y <https://y.example/>\n\n> https://z.example/");
	check("<p><a href=\"https://e.com/\">two words</a></p>", "two words <https://e.com/>");
	test_end();
}

static void
test_dropped(void)
{
	test_begin("html script, style, head and comments dropped");
	check("<html><head><title>Mail</title><style>p { color: red }</style>"
	      "<script>var x = '<p>no</p>';</script></head>"
	      "<body><!-- hidden --><p>shown</p><script>alert(1)</script>"
	      "<style>.x{}</style><template><p>t</p></template></body></html>",
	      "shown");
	check("<p>a</p><noscript>ns</noscript>", "a\n\nns");
	test_end();
}

static void
test_entities(void)
{
	test_begin("html entities and UTF-8");
	check("&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &eacute;&#xE9;&#233; &euro;",
	      "<tag> & \"q\" 's' ééé €");
	check("<p>日本語のテキスト&nbsp;と&#x4E2D;文</p>", "日本語のテキスト と中文");
	check("<p>Grüße, Jürgen</p>", "Grüße, Jürgen");
	/* bad bytes become U+FFFD, the rest survives */
	check("<p>caf\xe9 ok</p><p>next</p>", "caf\xef\xbf\xbd ok\n\nnext");
	check("<p>\xc0\xaf \xf0\x9f\x98\x80</p>", "\xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80");
	test_end();
}

static void
test_tables(void)
{
	test_begin("html tables, nested");
	check("<table><tr><td>Name</td><td>Value</td></tr>"
	      "<tr><td>CPU</td><td>95%</td></tr></table>",
	      "Name Value\nCPU 95%");
	check("<table><tr><td>a<table><tr><td>b</td><td>c</td></tr></table></td>"
	      "<td>d</td></tr></table>",
	      "a\nb c\nd");
	check("<table><tr><td><table><tr><td><table><tr><td>x</td></tr></table>"
	      "</td></tr></table></td></tr><tr><td>y</td></tr></table>",
	      "x\ny");
	test_end();
}

static void
test_blockquote(void)
{
	test_begin("html blockquote as > lines");
	check("<p>Answer.</p><blockquote><p>Question one?</p><p>Two?</p></blockquote>",
	      "Answer.\n\n> Question one?\n>\n> Two?");
	check("<div>new</div><blockquote type=\"cite\">old<br>older"
	      "<blockquote>oldest</blockquote></blockquote><p>after</p>",
	      "new\n\n> old\n> older\n>\n>> oldest\n\nafter");
	test_end();
}

static void
test_malformed(void)
{
	test_begin("html malformed input");
	check("<p>unclosed <b>bold <i>both</p><p>next", "unclosed bold both\n\nnext");
	check("</div></p></span>text</table>", "text");
	check("<p <a href=>x</p>", "x");
	check("plain text, no tags at all", "plain text, no tags at all");
	check("a < b && c > d", "a < b && c > d");
	check("<p>a\0b</p>", "a");	/* strlen stops at the NUL */
	{
		static const char nul[] = "<p>a\0b</p><p>c</p>";
		char *t = html_to_text(nul, sizeof(nul) - 1);

		test_assert(strncmp(t, "a", 1) == 0);
		test_assert(strstr(t, "c") != NULL);
		free(t);
	}
	check("<html><body><p>x", "x");
	{
		char *t = html_to_text(NULL, 0);

		test_assert_streq(t, "");
		free(t);
	}
	test_end();
}

static char *
repeat(const char *s, size_t times, const char *middle, const char *tail, size_t tail_times)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < times; i++)
		buf_adds(&b, s);
	buf_adds(&b, middle);
	for (i = 0; i < tail_times; i++)
		buf_adds(&b, tail);
	return buf_detach(&b, NULL);
}

static void
test_hostile(void)
{
	char *html, *text;
	size_t len;
	clock_t t0;

	test_begin("html hostile input: deep nesting, many attributes, size");
	html = repeat("<div>", 100000, "deep", "</div>", 100000);
	text = html_to_text(html, strlen(html));
	test_assert(text != NULL);
	free(text);
	free(html);

	html = repeat("<blockquote><ul><li><a href=\"https://x/\">", 100000, "x", "", 0);
	text = html_to_text(html, strlen(html));
	test_assert(text != NULL);
	free(text);
	free(html);

	/* text before a nesting bomb survives it */
	html = repeat("<span>", 100000, "", "", 0);
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, "<p>before</p>");
		buf_adds(&b, html);
		free(html);
		html = buf_detach(&b, NULL);
	}
	text = html_to_text(html, strlen(html));
	test_assert(strncmp(text, "before", 6) == 0);
	free(text);
	free(html);

	/* a tag with 200000 attributes must not take minutes */
	t0 = clock();
	html = repeat("<p a=1 ", 1, "", " b=\"2 >\"", 200000);
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, html);
		buf_adds(&b, ">shown</p>");
		free(html);
		html = buf_detach(&b, &len);
	}
	text = html_to_text(html, len);
	test_assert_streq(text, "shown");
	test_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	free(text);
	free(html);

	/* 8 MiB of paragraphs */
	html = repeat("<p>Hello <b>world</b> &amp; <a href=\"https://e.com/\">more</a></p>\n",
		      120000, "", "", 0);
	t0 = clock();
	text = html_to_text(html, strlen(html));
	test_assert(strncmp(text, "Hello world & more <https://e.com/>\n\nHello", 42) == 0);
	test_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0);
	free(text);
	free(html);
	test_end();
}

static void
test_mail(void)
{
	test_begin("html a real-looking mail");
	check("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
	      "charset=utf-8\"><style>body{font-family:Calibri}</style></head>"
	      "<body lang=\"EN-US\"><div class=\"WordSection1\">"
	      "<p class=\"MsoNormal\">Hi team,<o:p></o:p></p>"
	      "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>"
	      "<p class=\"MsoNormal\">The export fails with <b>error 504</b>.&nbsp; "
	      "Log: <a href=\"https://logs.example.com/x?id=1\">here</a><o:p></o:p></p>"
	      "<p class=\"MsoNormal\">Regards,<br>Jane<o:p></o:p></p></div></body></html>",
	      "Hi team,\n\nThe export fails with error 504. Log: here "
	      "<https://logs.example.com/x?id=1>\n\nRegards,\nJane");
	test_end();
}

int
main(void)
{
	test_paragraphs();
	test_breaks();
	test_whitespace();
	test_lists();
	test_links();
	test_dropped();
	test_entities();
	test_tables();
	test_blockquote();
	test_malformed();
	test_hostile();
	test_mail();
	return test_done();
}
