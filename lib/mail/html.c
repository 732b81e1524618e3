/*
 * html: HTML to readable plain text with libxml2's HTML parser.
 *
 * The parser builds a tree; one iterative walk over it (first child, next
 * sibling, back up through the parents) writes the text.  Breaks between
 * blocks are not written at once but owed (out.nl) and paid when the next
 * visible text arrives, so empty blocks leave no blank lines behind and
 * nothing is owed at the end.  A last pass cuts trailing blanks from lines
 * and runs of blank lines, and makes sure the result is valid UTF-8.
 */
#include "html.h"
#include "utf8.h"
#include "xmalloc.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* What an element does to the text. */
enum html_kind {
	HK_INLINE = 0,	/* nothing: its content flows on */
	HK_SKIP,	/* dropped with its content */
	HK_LINE,	/* on its own line(s) */
	HK_PARA,	/* a blank line before and after */
	HK_BR,		/* a line break */
	HK_HR,		/* a blank line */
	HK_CELL,	/* a table cell: spaces around */
	HK_LIST,	/* <ul>, <ol> */
	HK_ITEM,	/* <li> */
	HK_LINK,	/* <a> */
	HK_IMG,		/* <img>: its alt text */
	HK_QUOTE,	/* <blockquote> */
	HK_PRE		/* <pre>, <textarea>: whitespace kept */
};

struct html_tag {
	const char *name;
	enum html_kind kind;
};

/* Sorted by name (strcmp order) for bsearch. */
static const struct html_tag html_tags[] = {
	{ "a", HK_LINK },
	{ "address", HK_LINE },
	{ "article", HK_LINE },
	{ "aside", HK_LINE },
	{ "blockquote", HK_QUOTE },
	{ "body", HK_LINE },
	{ "br", HK_BR },
	{ "caption", HK_LINE },
	{ "center", HK_LINE },
	{ "dd", HK_LINE },
	{ "details", HK_LINE },
	{ "dir", HK_LIST },
	{ "div", HK_LINE },
	{ "dl", HK_PARA },
	{ "dt", HK_LINE },
	{ "fieldset", HK_LINE },
	{ "figcaption", HK_LINE },
	{ "figure", HK_PARA },
	{ "footer", HK_LINE },
	{ "form", HK_LINE },
	{ "frameset", HK_SKIP },
	{ "h1", HK_PARA },
	{ "h2", HK_PARA },
	{ "h3", HK_PARA },
	{ "h4", HK_PARA },
	{ "h5", HK_PARA },
	{ "h6", HK_PARA },
	{ "head", HK_SKIP },
	{ "header", HK_LINE },
	{ "hr", HK_HR },
	{ "iframe", HK_SKIP },
	{ "img", HK_IMG },
	{ "legend", HK_LINE },
	{ "li", HK_ITEM },
	{ "listing", HK_PRE },
	{ "main", HK_LINE },
	{ "menu", HK_LIST },
	{ "nav", HK_LINE },
	{ "noframes", HK_SKIP },
	{ "object", HK_SKIP },
	{ "ol", HK_LIST },
	{ "option", HK_LINE },
	{ "p", HK_PARA },
	{ "plaintext", HK_PRE },
	{ "pre", HK_PRE },
	{ "script", HK_SKIP },
	{ "section", HK_LINE },
	{ "select", HK_SKIP },
	{ "style", HK_SKIP },
	{ "summary", HK_LINE },
	{ "svg", HK_SKIP },
	{ "table", HK_LINE },
	{ "td", HK_CELL },
	{ "template", HK_SKIP },
	{ "textarea", HK_PRE },
	{ "th", HK_CELL },
	{ "title", HK_SKIP },
	{ "tr", HK_LINE },
	{ "ul", HK_LIST },
	{ "xmp", HK_PRE },
};

struct html_list {
	int ordered;
	long n;		/* number of the next item */
};

struct html_out {
	struct buf b;
	int nl;			/* line breaks owed before the next text (0..2) */
	int space;		/* a space owed before the next text */
	int line_start;		/* the next text starts a line */
	int quote;		/* open <blockquote> elements */
	int line_quote;		/* the quote depth of the last line written */
	int pre;		/* open <pre> elements */
	int lists;		/* open lists (may exceed HTML_MAX_LIST_DEPTH) */
	struct html_list list[HTML_MAX_LIST_DEPTH];
	int marker;		/* a list marker is owed at the next line start */
	xmlNode *link;		/* the <a> being written, if any */
	size_t link_start;	/* where its text starts in b */
	int link_fresh;		/* none of its text is written yet */
	int link_words;		/* some of its text is words, not an image's alt */
	struct buf urls;	/* the URLs shown so far, each ending in '\n' */
};

static pthread_once_t html_once = PTHREAD_ONCE_INIT;

static void
html_init(void)
{
	xmlInitParser();
}

static int
tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct html_tag *)elem)->name);
}

static enum html_kind
tag_kind(const xmlNode *n)
{
	const struct html_tag *t;

	if (n->name == NULL)
		return HK_INLINE;
	t = bsearch(n->name, html_tags, sizeof(html_tags) / sizeof(html_tags[0]),
		    sizeof(html_tags[0]), tag_cmp);
	return t != NULL ? t->kind : HK_INLINE;
}

static void
owe_break(struct html_out *o, int n)
{
	if (o->nl < n)
		o->nl = n;
}

static void
owe_newline(struct html_out *o)
{
	if (o->nl < 2)
		o->nl++;
}

static void
add_quote_prefix(struct html_out *o, int depth, int blank)
{
	int i;

	if (depth > HTML_MAX_QUOTE_DEPTH)
		depth = HTML_MAX_QUOTE_DEPTH;
	for (i = 0; i < depth; i++)
		buf_addc(&o->b, '>');
	if (depth > 0 && !blank)
		buf_addc(&o->b, ' ');
}

static void
add_marker(struct html_out *o)
{
	int depth = o->lists < HTML_MAX_LIST_DEPTH ? o->lists : HTML_MAX_LIST_DEPTH;
	struct html_list *l;
	int i;

	if (depth == 0)
		return;
	for (i = 1; i < depth; i++)
		buf_add(&o->b, "  ", 2);
	l = &o->list[depth - 1];
	if (l->ordered)
		buf_addf(&o->b, "%ld. ", l->n - 1);
	else
		buf_add(&o->b, "- ", 2);
}

/* Pay what is owed before visible text: line breaks, prefixes or a space. */
static void
flush(struct html_out *o)
{
	int i;

	if (o->b.len == 0) {
		o->nl = 0;
		o->space = 0;
	}
	if (o->nl > 0) {
		for (i = 0; i < o->nl; i++) {
			/* blank lines between quotes belong to both */
			if (i > 0)
				add_quote_prefix(o, o->quote < o->line_quote ?
						 o->quote : o->line_quote, 1);
			buf_addc(&o->b, '\n');
		}
		o->line_start = 1;
	} else if (o->space && !o->line_start) {
		buf_addc(&o->b, ' ');
	}
	if (o->line_start) {
		add_quote_prefix(o, o->quote, 0);
		o->line_quote = o->quote;
		if (o->marker)
			add_marker(o);
		o->marker = 0;
	}
	o->nl = 0;
	o->space = 0;
	o->line_start = 0;
}

/* Before visible text: pay what is owed, note where a link's text starts. */
static void
begin_text(struct html_out *o)
{
	if (o->nl != 0 || o->space != 0 || o->line_start != 0)
		flush(o);
	if (o->link_fresh) {
		o->link_start = o->b.len;
		o->link_fresh = 0;
	}
}

/* Text as it is (for addresses). */
static void
put_raw(struct html_out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	begin_text(o);
	buf_add(&o->b, s, n);
}

/* Length of a space-like or invisible UTF-8 sequence at s, or 0. */
static size_t
blank_char(const unsigned char *s, size_t left, int *invisible_r)
{
	*invisible_r = 0;
	if (left >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;			/* no-break space */
	if (left >= 2 && s[0] == 0xC2 && s[1] == 0xAD) {
		*invisible_r = 1;		/* soft hyphen */
		return 2;
	}
	if (left >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
	    (s[2] == 0x8B || s[2] == 0x8C)) {
		*invisible_r = 1;		/* zero-width space, non-joiner */
		return 3;
	}
	if (left >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		*invisible_r = 1;		/* BOM, zero-width no-break space */
		return 3;
	}
	return 0;
}

/* Text with whitespace collapsed, or kept inside <pre>. */
static void
put_text(struct html_out *o, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, run, n;
	int invisible;

	while (i < len) {
		unsigned char c = s[i];

		if (c == '\r') {
			i++;
			continue;
		}
		if (o->pre > 0 && c == '\n') {
			owe_newline(o);
			i++;
			continue;
		}
		if (o->pre == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\f')) {
			o->space = 1;
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = blank_char(s + i, len - i, &invisible);
			if (n > 0) {
				if (!invisible && o->pre == 0)
					o->space = 1;
				else if (!invisible)
					put_raw(o, " ", 1);
				i += n;
				continue;
			}
		}
		/* a run of ordinary bytes */
		for (run = i + 1; run < len; run++) {
			c = s[run];
			if (c == '\r' || c == '\n' || c >= 0x80 ||
			    (o->pre == 0 && (c == ' ' || c == '\t' || c == '\f')))
				break;
		}
		/* keep whole UTF-8 sequences together */
		if (s[i] >= 0x80)
			while (run < len && (s[run] & 0xC0) == 0x80)
				run++;
		begin_text(o);
		buf_add(&o->b, s + i, run - i);
		i = run;
	}
}

/*
 * libxml2 compares each attribute of a tag with all those before it, so a
 * tag with a hundred thousand attributes costs minutes.  When a tag has
 * more than HTML_MAX_ATTRS of them (counted as blank-separated words
 * outside quotes), return a copy of the input without the excess, else NULL.
 */
static char *
cap_attributes(const char *s, size_t len, size_t *len_r)
{
	enum { TEXT, TAG, QUOTED } state = TEXT;
	struct buf b = BUF_INIT;
	size_t i, words = 0, copied = 0;
	int blank = 0, over = 0;
	char quote = 0, c;

	for (i = 0; i < len; i++) {
		c = s[i];
		switch (state) {
		case TEXT:
			if (c == '<' && i + 1 < len &&
			    ((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z')) {
				state = TAG;
				words = 0;
				blank = 0;
			}
			break;
		case TAG:
			if (c == '>') {
				state = TEXT;
				if (over) {
					/* resume copying at the '>' */
					copied = i;
					over = 0;
				}
			} else if (c == '"' || c == '\'') {
				state = QUOTED;
				quote = c;
			} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
				blank = 1;
			} else if (blank) {
				blank = 0;
				words++;
				if (words > HTML_MAX_ATTRS && !over) {
					buf_add(&b, s + copied, i - copied);
					over = 1;
				}
			}
			break;
		case QUOTED:
			if (c == quote)
				state = TAG;
			break;
		}
	}
	if (b.data == NULL)
		return NULL;
	if (!over)
		buf_add(&b, s + copied, len - copied);
	return buf_detach(&b, len_r);
}

static xmlChar *
get_attr(xmlNode *n, const char *name)
{
	return xmlGetNoNsProp(n, (const xmlChar *)name);
}

/* Skip a scheme written with the address and a trailing slash. */
static void
url_core(const char *s, size_t len, const char **p_r, size_t *len_r)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };
	size_t i, k;

	while (len > 0 && (*s == ' ' || *s == '\n'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n'))
		len--;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		k = strlen(schemes[i]);
		if (len >= k && strncasecmp(s, schemes[i], k) == 0) {
			s += k;
			len -= k;
			break;
		}
	}
	while (len > 0 && s[len - 1] == '/')
		len--;
	*p_r = s;
	*len_r = len;
}

/* A copy of an href with all whitespace removed. */
static char *
clean_url(const xmlChar *href)
{
	struct buf b = BUF_INIT;
	const char *s;

	for (s = (const char *)href; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f')
			buf_addc(&b, *s);
	return buf_detach(&b, NULL);
}

/* Percent-decoding of s[0..len) onto b ('+' is a blank in a query). */
static void
percent_decode(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		const char *hi = i + 2 < len && s[i] == '%' ? memchr(hex, s[i + 1], 32) : NULL;
		const char *lo = hi != NULL ? memchr(hex, s[i + 2], 32) : NULL;

		if (hi != NULL && lo != NULL) {
			buf_addc(b, (char)(((hi - hex) % 16) * 16 + (lo - hex) % 16));
			i += 2;
		} else {
			buf_addc(b, s[i] == '+' ? ' ' : s[i]);
		}
	}
}

/*
 * The address a redirector link leads to: Outlook's Safe Links
 * ("https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2F…")
 * and Google's ("https://www.google.com/url?q=https://…").  NULL when url
 * is no such link; the caller frees.
 */
static char *
unwrap_redirect(const char *url)
{
	static const struct {
		const char *host_suffix;    /* host ends so */
		const char *param;          /* the parameter holding the target */
	} redirectors[] = {
		{ ".safelinks.protection.outlook.com", "url=" },
		{ "www.google.com", "q=" },
	};
	const char *host, *host_end, *q, *v;
	struct buf b = BUF_INIT;
	size_t i, host_len, k;

	host = strstr(url, "://");
	if (host == NULL)
		return NULL;
	host += 3;
	host_len = strcspn(host, "/?#");
	host_end = host + host_len;
	q = strchr(host_end, '?');
	if (q == NULL)
		return NULL;
	for (i = 0; i < sizeof(redirectors) / sizeof(redirectors[0]); i++) {
		k = strlen(redirectors[i].host_suffix);
		if (host_len < k || strncasecmp(host_end - k, redirectors[i].host_suffix, k) != 0)
			continue;
		for (v = q + 1; v != NULL && *v != '\0'; v = strchr(v, '&') ? strchr(v, '&') + 1 : NULL) {
			if (strncmp(v, redirectors[i].param, strlen(redirectors[i].param)) != 0)
				continue;
			v += strlen(redirectors[i].param);
			percent_decode(&b, v, strcspn(v, "&#"));
			if (strncasecmp(buf_str(&b), "http://", 7) == 0 ||
			    strncasecmp(buf_str(&b), "https://", 8) == 0)
				return buf_detach(&b, NULL);
			buf_release(&b);
			return NULL;
		}
	}
	return NULL;
}

/* 1 when url was shown already in this text; else it is noted as shown. */
static int
url_seen(struct html_out *o, const char *url)
{
	const char *p = buf_str(&o->urls);
	size_t len = strlen(url);

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		if ((size_t)(nl - p) == len && strncasecmp(p, url, len) == 0)
			return 1;
		p = nl + 1;
	}
	buf_add(&o->urls, url, len);
	buf_addc(&o->urls, '\n');
	return 0;
}

/*
 * At the end of a link: add " <url>" unless it adds nothing or only
 * bloat: not for a link whose text is only an image's alt (logos,
 * social icons), not when its text is the address itself, and each
 * address only the first time.  Safe Links and Google redirects show
 * the address they lead to.
 */
static void
link_end(struct html_out *o, xmlNode *n)
{
	const char *text, *core_t, *core_u;
	size_t text_len, len_t, len_u, q;
	xmlChar *href;
	char *url, *target;

	o->link = NULL;
	if (o->link_fresh) {
		o->link_fresh = 0;
		return;		/* no text: nothing to show */
	}
	href = get_attr(n, "href");
	if (href == NULL)
		return;
	url = clean_url(href);
	xmlFree(href);
	target = unwrap_redirect(url);
	if (target != NULL) {
		free(url);
		url = target;
	}
	text = o->b.data != NULL ? o->b.data + o->link_start : "";
	text_len = o->b.len - o->link_start;
	if (url[0] == '\0' || url[0] == '#' || text_len == 0 || !o->link_words ||
	    strncasecmp(url, "javascript:", 11) == 0 ||
	    strncasecmp(url, "vbscript:", 9) == 0 ||
	    strncasecmp(url, "data:", 5) == 0 || strncasecmp(url, "cid:", 4) == 0) {
		free(url);
		return;
	}
	url_core(text, text_len, &core_t, &len_t);
	url_core(url, strlen(url), &core_u, &len_u);
	if (strncasecmp(url, "mailto:", 7) == 0) {
		/* show the address alone, without ?subject=… */
		q = strcspn(core_u, "?");
		len_u = q < len_u ? q : len_u;
	}
	if ((len_t != len_u || strncasecmp(core_t, core_u, len_u) != 0) && !url_seen(o, url)) {
		o->space = 1;
		put_raw(o, "<", 1);
		if (strncasecmp(url, "mailto:", 7) == 0)
			buf_add(&o->b, core_u, len_u);
		else
			buf_adds(&o->b, url);
		buf_addc(&o->b, '>');
	}
	free(url);
}

static void
list_begin(struct html_out *o, xmlNode *n)
{
	struct html_list *l;
	xmlChar *start;
	char *end;
	long v;

	owe_break(o, o->lists == 0 ? 2 : 1);
	o->lists++;
	if (o->lists > HTML_MAX_LIST_DEPTH)
		return;
	l = &o->list[o->lists - 1];
	l->ordered = strcmp((const char *)n->name, "ol") == 0;
	l->n = 1;
	if (!l->ordered)
		return;
	start = get_attr(n, "start");
	if (start != NULL) {
		v = strtol((const char *)start, &end, 10);
		if (end != (char *)start && v > -1000000 && v < 1000000)
			l->n = v;
		xmlFree(start);
	}
}

static void
item_begin(struct html_out *o)
{
	int depth = o->lists < HTML_MAX_LIST_DEPTH ? o->lists : HTML_MAX_LIST_DEPTH;

	owe_break(o, 1);
	if (depth > 0) {
		o->list[depth - 1].n++;
		o->marker = 1;
	}
}

/* Entering node n: write what comes before its content; 1 to descend. */
static int
node_enter(struct html_out *o, xmlNode *n)
{
	xmlChar *alt;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL) {
			size_t before = o->b.len;

			put_text(o, (const char *)n->content);
			if (o->link != NULL && o->b.len > before)
				o->link_words = 1;
		}
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	switch (tag_kind(n)) {
	case HK_SKIP:
		return 0;
	case HK_INLINE:
		break;
	case HK_LINE:
		owe_break(o, 1);
		break;
	case HK_PARA:
		owe_break(o, 2);
		break;
	case HK_BR:
		owe_newline(o);
		break;
	case HK_HR:
		owe_break(o, 2);
		break;
	case HK_CELL:
		o->space = 1;
		break;
	case HK_LIST:
		list_begin(o, n);
		break;
	case HK_ITEM:
		item_begin(o);
		break;
	case HK_LINK:
		if (o->link == NULL) {
			o->link = n;
			o->link_fresh = 1;
			o->link_words = 0;
		}
		break;
	case HK_IMG:
		alt = get_attr(n, "alt");
		if (alt != NULL) {
			put_text(o, (const char *)alt);
			xmlFree(alt);
		}
		break;
	case HK_QUOTE:
		owe_break(o, 2);
		o->quote++;
		break;
	case HK_PRE:
		owe_break(o, 2);
		o->pre++;
		break;
	}
	return 1;
}

/* Leaving node n (entered with node_enter returning 1). */
static void
node_leave(struct html_out *o, xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE)
		return;
	switch (tag_kind(n)) {
	case HK_LINE:
	case HK_ITEM:
		owe_break(o, 1);
		break;
	case HK_PARA:
		owe_break(o, 2);
		break;
	case HK_CELL:
		o->space = 1;
		break;
	case HK_LIST:
		o->lists--;
		owe_break(o, o->lists == 0 ? 2 : 1);
		break;
	case HK_LINK:
		if (o->link == n)
			link_end(o, n);
		break;
	case HK_QUOTE:
		o->quote--;
		owe_break(o, 2);
		break;
	case HK_PRE:
		o->pre--;
		owe_break(o, 2);
		break;
	default:
		break;
	}
}

static void
walk(struct html_out *o, xmlDoc *doc)
{
	xmlNode *n = doc->children;

	while (n != NULL) {
		if (node_enter(o, n)) {
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
			node_leave(o, n);
		}
		while (n->next == NULL) {
			n = n->parent;
			if (n == NULL || n == (xmlNode *)doc)
				return;
			node_leave(o, n);
		}
		n = n->next;
	}
}

/* Add s[0..len) to b with each invalid UTF-8 byte as U+FFFD. */
static void
add_valid_utf8(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, n;

	while (i < len) {
		n = utf8_decode(u + i, len - i, NULL, NULL);
		if (n > 0) {
			i += n;
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_add(b, "\xEF\xBF\xBD", 3);
		start = ++i;
	}
	buf_add(b, s + start, len - start);
}

/* Cut trailing blanks from lines, blank-line runs to one, and trim. */
static char *
tidy(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0, end, e;
	int blank_run = 0;

	while (i < len) {
		end = i;
		while (end < len && s[end] != '\n')
			end++;
		e = end;
		while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e == i) {
			blank_run++;
		} else {
			if (b.len > 0)
				buf_add(&b, "\n\n", blank_run > 0 ? 2 : 1);
			blank_run = 0;
			add_valid_utf8(&b, s + i, e - i);
		}
		i = end + 1;
	}
	return buf_detach(&b, NULL);
}

char *
html_to_text(const char *html, size_t len)
{
	struct html_out o;
	htmlDocPtr doc;
	char *text, *capped;

	if (html == NULL || len == 0)
		return xstrdup("");
	if (len > HTML_MAX_INPUT)
		len = HTML_MAX_INPUT;
	capped = cap_attributes(html, len, &len);
	if (capped != NULL)
		html = capped;
	pthread_once(&html_once, html_init);
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
			     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	xmlResetLastError();
	free(capped);
	if (doc == NULL)
		return xstrdup("");
	memset(&o, 0, sizeof(o));
	buf_init(&o.b);
	o.line_start = 1;
	buf_init(&o.urls);
	walk(&o, doc);
	xmlFreeDoc(doc);
	text = tidy(buf_str(&o.b), o.b.len);
	buf_release(&o.b);
	buf_release(&o.urls);
	return text;
}
