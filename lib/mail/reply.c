/*
 * reply: the new text of a reply, without quoted history and signature.
 *
 * The body is split into lines once; every test looks at one line (or a
 * few joined ones) with simple prefix/suffix matches, so the whole thing
 * is linear in the size of the body.  The rules are listed in reply.h.
 */
#include "reply.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct line {
	const char *s;
	size_t len;		/* without the line end */
};

/* How far a "From:" block may reach: Outlook folds long To:/Cc: lines. */
#define REPLY_BLOCK_LINES 8
/* Mobile footers are short lines. */
#define REPLY_MAX_FOOTER_LEN 100

/* What a line of a quote header block says, by its label. */
enum label {
	LABEL_NONE = 0,
	LABEL_FROM,
	LABEL_DATE,
	LABEL_TO,
	LABEL_CC,
	LABEL_SUBJECT
};

struct label_name {
	const char *name;
	enum label label;
};

static const struct label_name label_names[] = {
	{ "From", LABEL_FROM }, { "Von", LABEL_FROM }, { "De", LABEL_FROM },
	{ "Lähettäjä", LABEL_FROM }, { "差出人", LABEL_FROM },
	{ "送信者", LABEL_FROM }, { "发件人", LABEL_FROM },
	{ "寄件者", LABEL_FROM }, { "寄件人", LABEL_FROM },

	{ "Sent", LABEL_DATE }, { "Date", LABEL_DATE },
	{ "Gesendet", LABEL_DATE }, { "Datum", LABEL_DATE },
	{ "Envoyé", LABEL_DATE }, { "Enviado el", LABEL_DATE },
	{ "Enviado", LABEL_DATE }, { "Fecha", LABEL_DATE },
	{ "Lähetetty", LABEL_DATE }, { "Päivämäärä", LABEL_DATE },
	{ "Päiväys", LABEL_DATE }, { "送信日時", LABEL_DATE },
	{ "日付", LABEL_DATE }, { "发送时间", LABEL_DATE },
	{ "发送日期", LABEL_DATE }, { "日期", LABEL_DATE },
	{ "寄件日期", LABEL_DATE }, { "時間", LABEL_DATE },

	{ "To", LABEL_TO }, { "An", LABEL_TO }, { "À", LABEL_TO },
	{ "A", LABEL_TO }, { "Para", LABEL_TO }, { "Vastaanottaja", LABEL_TO },
	{ "宛先", LABEL_TO }, { "收件人", LABEL_TO }, { "收件者", LABEL_TO },

	{ "Cc", LABEL_CC }, { "Kopie", LABEL_CC }, { "Copie", LABEL_CC },
	{ "CC", LABEL_CC }, { "Kopio", LABEL_CC }, { "抄送", LABEL_CC },
	{ "副本", LABEL_CC },

	{ "Subject", LABEL_SUBJECT }, { "Betreff", LABEL_SUBJECT },
	{ "Objet", LABEL_SUBJECT }, { "Asunto", LABEL_SUBJECT },
	{ "Aihe", LABEL_SUBJECT }, { "件名", LABEL_SUBJECT },
	{ "主题", LABEL_SUBJECT }, { "主旨", LABEL_SUBJECT },
	{ "主題", LABEL_SUBJECT },
};

/*
 * Subjects of forwarded mail, as an Outlook block shows them (Finnish
 * "VS:" is a reply, "VL:" a forward; Spanish "RV:" a forward).
 */
static const char *const forward_prefixes[] = {
	"FW:", "FWD:", "WG:", "TR:", "RV:", "VL:", "VB:", "ENC:", "Doorst:",
	"转发:", "转发：", "轉寄:", "轉寄：", "転送:", "転送：",
};

/*
 * "On … wrote:" and its kin: an opening word (optional) and the word for
 * "wrote" at the end, or inside for WF_INSIDE ("Am … schrieb Max <m@x>:").
 * With the opening word and a digit (the date) the header is sure.
 * Without the opening word it is sure when it holds an address, or a
 * digit for languages whose clients write no opening word (WF_DATED).
 * Otherwise it counts only when quoted lines follow it.
 */
enum {
	WF_INSIDE = 1 << 0,
	WF_DATED = 1 << 1
};

struct wrote_form {
	const char *opener;
	const char *wrote;
	int flags;
};

static const struct wrote_form wrote_forms[] = {
	{ "On ", "wrote", 0 },
	{ "Am ", "schrieb", WF_INSIDE },
	{ "Le ", "a écrit", 0 },
	{ "El ", "escribió", 0 },
	{ "El ", "escribio", 0 },
	{ "Op ", "schreef", WF_INSIDE },	/* nl, pt, it: cheap to have */
	{ "Em ", "escreveu", 0 },
	{ "Il ", "ha scritto", 0 },
	{ NULL, "hat geschrieben", 0 },
	{ NULL, "kirjoitti", WF_DATED },
	{ NULL, "のメッセージ", WF_DATED },
	{ NULL, "書きました", WF_DATED },
	{ NULL, "写道", WF_DATED },
	{ NULL, "寫道", WF_DATED },
	{ "在", "写道", WF_DATED },
	{ "在", "寫道", WF_DATED },
};

/* Words that open a quote header and seldom a sentence before one. */
static const char *const strict_openers[] = {
	"On ", "Am ", "Le ", "El ", "Op ", "Em ", "Il ", "在",
};

/* "-----Original Message-----" and its translations (dashes stripped). */
static const char *const original_markers[] = {
	"Original Message", "Ursprüngliche Nachricht", "Original-Nachricht",
	"Originalnachricht", "Message d'origine", "Message d’origine",
	"Mensaje original", "Alkuperäinen viesti", "元のメッセージ",
	"原始邮件", "原始郵件", "Messaggio originale", "Oorspronkelijk bericht",
};

/* Forwarded mail starts here: what follows is kept (colons stripped). */
static const char *const forward_markers[] = {
	"Forwarded message", "Forwarded Message", "Begin forwarded message",
	"Weitergeleitete Nachricht", "Anfang der weitergeleiteten Nachricht",
	"Message transféré", "Début du message réexpédié",
	"Début du message transféré", "Mensaje reenviado",
	"Inicio del mensaje reenviado", "Comienzo del mensaje reenviado",
	"Välitetty viesti", "Välitetty viesti alkaa", "転送されたメッセージ",
	"転送メッセージ", "转发的邮件", "以下为转发邮件", "轉寄的郵件",
};

/* Mobile and webmail footers: a line starting with one of these … */
static const char *const footer_prefixes[] = {
	"Sent from my ", "Sent from Outlook", "Sent from Mail for Windows",
	"Sent from Yahoo Mail", "Sent from Samsung", "Sent from the all-new",
	"Sent with ", "Sent via ", "Get Outlook for ",
	"Gesendet von meinem ", "Gesendet von Mail für Windows",
	"Gesendet von Outlook", "Gesendet mit ", "Von meinem Samsung",
	"Envoyé de mon ", "Envoyé depuis mon ", "Envoyé à partir de ",
	"Envoyé de Outlook", "Obtenir Outlook pour ", "Télécharger Outlook pour ",
	"Enviado desde mi ", "Enviado desde Outlook", "Enviado desde Correo",
	"Obtener Outlook para ", "Hanki Outlook ", "发自我的", "从我的",
	"來自我的", "從我的", "寄自我的",
};

/* … or ending with one of these (checked with the prefix given). */
static const struct {
	const char *prefix, *suffix;
} footer_pairs[] = {
	{ "Von meinem ", "gesendet" },
	{ "Lähetetty ", "sta" },
	{ "Lähetetty ", "stä" },
	{ "", "から送信" },
	{ "", "から送信しました" },
	{ "", "发送" },
	{ "", "傳送" },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Compare n bytes, ASCII letters in either case. */
static int
ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && ascii_caseeq(s, prefix, n);
}

static int
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && ascii_caseeq(s + len - n, suffix, n);
}

static int
contains(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if (ascii_caseeq(s + i, word, n))
			return 1;
	return 0;
}

static int
equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && ascii_caseeq(s, word, len);
}

/* Length of a blank character starting at s (also NBSP, ideographic). */
static size_t
blank_at(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;

	if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\f' ||
			 s[0] == '\v' || s[0] == '\r' || s[0] == '\n'))
		return 1;
	if (len >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	if (len >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	if (len >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
	    (s[2] == 0xAF || s[2] == 0x89 || s[2] == 0x8B))
		return 3;
	return 0;
}

/* Length of a blank character ending at s + len. */
static size_t
blank_before(const char *s, size_t len)
{
	size_t k;

	for (k = 1; k <= 3 && k <= len; k++)
		if (blank_at(s + len - k, k) == k)
			return k;
	return 0;
}

static void
rtrim(const char *s, size_t *len)
{
	size_t k;

	for (k = blank_before(s, *len); k > 0; k = blank_before(s, *len))
		*len -= k;
}

static void
trim(const char **s, size_t *len)
{
	size_t k;

	for (k = blank_at(*s, *len); k > 0; k = blank_at(*s, *len)) {
		*s += k;
		*len -= k;
	}
	rtrim(*s, len);
}

static int
is_blank(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	trim(&s, &len);
	return len == 0;
}

static int
is_quoted(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	trim(&s, &len);
	return len > 0 && s[0] == '>';
}

/* Strip a trailing ':' or '：' and the blanks before it; 0 if none. */
static int
strip_colon(const char *s, size_t *len)
{
	if (*len >= 1 && s[*len - 1] == ':')
		*len -= 1;
	else if (*len >= 3 && memcmp(s + *len - 3, "：", 3) == 0)
		*len -= 3;
	else
		return 0;
	rtrim(s, len);
	return 1;
}

static int
has_digit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

/*
 * Is s (trimmed) an "On … wrote:" header?  2: surely, 1: only when quoted
 * lines follow ("John wrote:"), 0: no.
 */
static int
wrote_header(const char *s, size_t len)
{
	const struct wrote_form *f;
	size_t i, n;
	int m = 0;

	if (len > REPLY_MAX_HEADER_LEN || !strip_colon(s, &len))
		return 0;
	/* Gmail in Japanese: "2024年1月1日(月) 10:00 山田太郎 <a@b>:" */
	for (n = 0; n < len && s[n] >= '0' && s[n] <= '9'; n++)
		;
	if (n >= 4 && has_prefix(s + n, len - n, "年") && contains(s, len, "月"))
		return contains(s, len, "@") ? 2 : 1;
	for (i = 0; i < N_ELEMS(wrote_forms); i++) {
		f = &wrote_forms[i];
		if (f->opener != NULL && has_prefix(s, len, f->opener) &&
		    (has_suffix(s, len, f->wrote) ||
		     ((f->flags & WF_INSIDE) && contains(s, len, f->wrote)))) {
			if (has_digit(s, len))
				return 2;
			m = 1;
			continue;
		}
		if (!has_suffix(s, len, f->wrote))
			continue;
		if (memchr(s, '@', len) != NULL ||
		    ((f->flags & WF_DATED) && has_digit(s, len)))
			return 2;
		m = 1;
	}
	if (m != 0)
		return m;
	/* "Matti kirjoitti 1.1.2024 klo 10.00:" */
	if (contains(s, len, " kirjoitti "))
		return 1;
	return 0;
}

static int
opens_header(const char *s, size_t len, int strict)
{
	size_t i;

	for (i = 0; i < N_ELEMS(strict_openers); i++)
		if (has_prefix(s, len, strict_openers[i]))
			return 1;
	if (strict)
		return 0;
	/* a date, or a Finnish weekday ("ma 1.1.2024 klo 10.00 …") */
	if (len > 0 && s[0] >= '0' && s[0] <= '9')
		return 1;
	if (len > 4 && s[2] == ' ' && s[3] >= '0' && s[3] <= '9')
		return 1;
	return contains(s, len, "@");
}

static int
next_is_quoted(const struct line *l, size_t n, size_t i)
{
	while (i < n && is_blank(&l[i]))
		i++;
	return i < n && is_quoted(&l[i]);
}

/* One line, trimmed, as s/len. */
static void
line_trimmed(const struct line *l, const char **s, size_t *len)
{
	*s = l->s;
	*len = l->len;
	trim(s, len);
}

/* A sure "wrote" header with an opening word, alone on line i. */
static int
strong_single(const struct line *l, size_t n, size_t i)
{
	const char *s;
	size_t len;

	if (i >= n)
		return 0;
	line_trimmed(&l[i], &s, &len);
	return opens_header(s, len, 1) && wrote_header(s, len) == 2;
}

/* A quote header at line i ("On … wrote:", maybe wrapped)?  Lines in *span_r. */
static int
header_at(const struct line *l, size_t n, size_t i, size_t *span_r)
{
	char joined[REPLY_MAX_HEADER_LEN + 1];
	size_t len, jlen, k;
	const char *s;
	int m;

	line_trimmed(&l[i], &s, &len);
	m = wrote_header(s, len);
	if (m == 2 || (m == 1 && next_is_quoted(l, n, i + 1))) {
		*span_r = 1;
		return 1;
	}
	if (len > REPLY_MAX_HEADER_LEN || !opens_header(s, len, 0))
		return 0;
	/* a header wrapped over two or three lines */
	memcpy(joined, s, len);
	jlen = len;
	for (k = 1; k <= 2 && i + k < n; k++) {
		if (is_blank(&l[i + k]) || is_quoted(&l[i + k]))
			break;
		/* prose above a header: let the header start later */
		if (strong_single(l, n, i + k))
			return 0;
		line_trimmed(&l[i + k], &s, &len);
		if (jlen + 1 + len > REPLY_MAX_HEADER_LEN)
			break;
		joined[jlen++] = ' ';
		memcpy(joined + jlen, s, len);
		jlen += len;
		m = wrote_header(joined, jlen);
		if (m == 2 || (m == 1 && next_is_quoted(l, n, i + k + 1))) {
			*span_r = k + 1;
			return 1;
		}
	}
	return 0;
}

/* "-----Original Message-----" (quote) or "--- Forwarded message ---". */
static int
dashed_marker(const char *s, size_t len, const char *const *markers, size_t count)
{
	size_t i;

	while (len > 0 && (s[0] == '-' || s[0] == '_' || s[0] == ' ' || s[0] == '*'))
		s++, len--;
	while (len > 0 && (s[len - 1] == '-' || s[len - 1] == '_' ||
			   s[len - 1] == ' ' || s[len - 1] == '*'))
		len--;
	strip_colon(s, &len);
	for (i = 0; i < count; i++)
		if (equals(s, len, markers[i]))
			return 1;
	return 0;
}

static int
is_original_marker(const struct line *l)
{
	const char *s;
	size_t len;

	line_trimmed(l, &s, &len);
	if (len < 4 || s[0] != '-' || s[1] != '-')
		return 0;
	return dashed_marker(s, len, original_markers, N_ELEMS(original_markers));
}

static int
is_forward_marker(const struct line *l)
{
	const char *s;
	size_t len;

	line_trimmed(l, &s, &len);
	if (len > REPLY_MAX_HEADER_LEN)
		return 0;
	return dashed_marker(s, len, forward_markers, N_ELEMS(forward_markers));
}

static int
is_underscores(const struct line *l)
{
	const char *s;
	size_t len, i;

	line_trimmed(l, &s, &len);
	if (len < 8)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			return 0;
	return 1;
}

/* The label of a "Label: value" line, and where its value starts. */
static enum label
line_label(const struct line *l, const char **value_r, size_t *value_len_r)
{
	const char *s, *colon = NULL;
	size_t len, i, llen, clen = 0;

	line_trimmed(l, &s, &len);
	while (len > 0 && *s == '*')
		s++, len--;
	for (i = 0; i < len && i < 40; i++) {
		if (s[i] == ':') {
			colon = s + i;
			clen = 1;
			break;
		}
		if (len - i >= 3 && memcmp(s + i, "：", 3) == 0) {
			colon = s + i;
			clen = 3;
			break;
		}
	}
	if (colon == NULL)
		return LABEL_NONE;
	*value_r = colon + clen;
	*value_len_r = len - (size_t)(colon - s) - clen;
	llen = (size_t)(colon - s);
	while (llen > 0 && s[llen - 1] == '*')
		llen--;
	trim(&s, &llen);
	while (*value_len_r > 0 && **value_r == '*')
		(*value_r)++, (*value_len_r)--;
	trim(value_r, value_len_r);
	for (i = 0; i < N_ELEMS(label_names); i++)
		if (equals(s, llen, label_names[i].name))
			return label_names[i].label;
	return LABEL_NONE;
}

static int
is_forward_subject(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < N_ELEMS(forward_prefixes); i++)
		if (has_prefix(s, len, forward_prefixes[i]))
			return 1;
	return 0;
}

/*
 * An Outlook block ("From:" then "Sent:", "To:", "Subject:") at line i?
 * 0: no, 1: a quote, 2: a forward (its subject starts "FW:" …).
 */
static int
outlook_block_at(const struct line *l, size_t n, size_t i)
{
	int date = 0, to = 0, subject = 0, forward = 0;
	const char *v;
	size_t k, vlen;

	if (line_label(&l[i], &v, &vlen) != LABEL_FROM)
		return 0;
	for (k = i + 1; k < n && k <= i + REPLY_BLOCK_LINES; k++) {
		switch (line_label(&l[k], &v, &vlen)) {
		case LABEL_DATE:
			date = 1;
			break;
		case LABEL_TO:
		case LABEL_CC:
			to = 1;
			break;
		case LABEL_SUBJECT:
			subject = 1;
			forward = is_forward_subject(v, vlen);
			break;
		case LABEL_FROM:
			k = n;		/* the next block */
			break;
		case LABEL_NONE:
			break;
		}
		if (subject && (date || to))
			break;
	}
	if (date + to + subject < 2)
		return 0;
	return forward ? 2 : 1;
}

/* Move a cut at line i up over blank lines and a line of underscores. */
static size_t
with_rule_above(const struct line *l, size_t i)
{
	size_t k = i;

	while (k > 0 && is_blank(&l[k - 1]))
		k--;
	if (k > 0 && is_underscores(&l[k - 1]))
		return k - 1;
	return i;
}

/* Where the history starts.  Results for the cut in struct cut. */
struct cut {
	size_t at;		/* first line of the history, or n */
	size_t resume;		/* first line after its header, for fallbacks */
	int quoted;		/* history is ">" quoted after a header */
	size_t forward;		/* a forwarded message starts here, or n */
};

static void
find_cut(const struct line *l, size_t n, struct cut *c)
{
	size_t i, span;
	int block;

	c->at = n;
	c->resume = n;
	c->quoted = 0;
	c->forward = n;
	for (i = 0; i < n; i++) {
		if (is_blank(&l[i]) || is_quoted(&l[i]))
			continue;
		if (is_forward_marker(&l[i])) {
			c->forward = with_rule_above(l, i);
			return;
		}
		if (is_original_marker(&l[i])) {
			c->at = i;
			return;
		}
		block = outlook_block_at(l, n, i);
		if (block == 2) {
			c->forward = with_rule_above(l, i);
			return;
		}
		if (block == 1) {
			c->at = with_rule_above(l, i);
			return;
		}
		if (header_at(l, n, i, &span)) {
			c->at = i;
			c->resume = i + span;
			c->quoted = 1;
			return;
		}
	}
	/* the first ">" line followed only by ">" lines and blank lines */
	for (i = n; i > 0 && (is_blank(&l[i - 1]) || is_quoted(&l[i - 1])); i--)
		;
	while (i < n && is_blank(&l[i]))
		i++;
	if (i < n) {
		c->at = i;
		c->resume = i;
		c->quoted = 1;
	}
}

static int
is_footer(const struct line *l)
{
	const char *s;
	size_t len, i;

	line_trimmed(l, &s, &len);
	if (len == 0 || len > REPLY_MAX_FOOTER_LEN)
		return 0;
	for (i = 0; i < N_ELEMS(footer_prefixes); i++)
		if (has_prefix(s, len, footer_prefixes[i]))
			return 1;
	for (i = 0; i < N_ELEMS(footer_pairs); i++)
		if (has_prefix(s, len, footer_pairs[i].prefix) &&
		    has_suffix(s, len, footer_pairs[i].suffix) &&
		    memchr(s, ':', len) == NULL)
			return 1;
	return 0;
}

static int
is_sig_dashes(const struct line *l)
{
	size_t len = l->len;

	while (len > 0 && (l->s[len - 1] == ' ' || l->s[len - 1] == '\t'))
		len--;
	return len == 2 && l->s[0] == '-' && l->s[1] == '-';
}

/* The first signature line in [from, to), or to. */
static size_t
find_signature(const struct line *l, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (is_sig_dashes(&l[i]) || is_footer(&l[i]))
			return i;
	return to;
}

/* Add lines [from, to) to b, one per line, quoted ones too unless skip_quoted. */
static void
add_lines(struct buf *b, const struct line *l, size_t from, size_t to, int skip_quoted)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (skip_quoted && is_quoted(&l[i]))
			continue;
		buf_add(b, l[i].s, l[i].len);
		buf_addc(b, '\n');
	}
}

/* The text of b without blank lines around it, allocated. */
static char *
trimmed_lines(const struct buf *b)
{
	const char *s = b->data != NULL ? b->data : "", *ls, *nl;
	size_t len = b->len, start = 0, end = len, stop, ll, k;

	/* whole blank lines at the start: the first line keeps its indent */
	while (start < len) {
		nl = memchr(s + start, '\n', len - start);
		stop = nl != NULL ? (size_t)(nl - s) : len;
		ls = s + start;
		ll = stop - start;
		trim(&ls, &ll);
		if (ll != 0)
			break;
		start = nl != NULL ? stop + 1 : len;
	}
	for (k = end > start ? blank_before(s + start, end - start) : 0; k > 0;
	     k = end > start ? blank_before(s + start, end - start) : 0)
		end -= k;
	return xstrndup(s + start, end - start);
}

static size_t
split_lines(const char *body, struct line **lines_r)
{
	struct line *l = NULL;
	size_t n = 0, cap = 0;
	const char *p = body, *end = body + strlen(body), *nl;

	/* One pass: memchr within the known end, never a rescan to the NUL. */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			l = xrealloc(l, cap * sizeof(*l));
		}
		l[n].s = p;
		l[n].len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*lines_r = l;
	return n;
}

char *
reply_extract(const char *body)
{
	struct buf b = BUF_INIT;
	struct line *l;
	struct cut c;
	size_t n, end, sig;
	char *r;

	if (body == NULL)
		return xstrdup("");
	n = split_lines(body, &l);
	find_cut(l, n, &c);

	/* the new text, and a forwarded message after it */
	end = c.forward < c.at ? c.forward : c.at;
	sig = find_signature(l, 0, end);
	add_lines(&b, l, 0, sig, 0);
	if (c.forward < n)
		add_lines(&b, l, c.forward, n, 0);
	r = trimmed_lines(&b);

	/* nothing new above a ">" quote: the answer may be below it */
	if (r[0] == '\0' && c.quoted) {
		struct cut below;

		free(r);
		buf_reset(&b);
		find_cut(l + c.resume, n - c.resume, &below);
		end = c.resume + (below.forward < below.at ? below.forward : below.at);
		sig = find_signature(l, c.resume, end);
		add_lines(&b, l, c.resume, sig, 1);
		r = trimmed_lines(&b);
	}
	/* all of it is history: the body minus the signature, or all of it */
	if (r[0] == '\0') {
		free(r);
		buf_reset(&b);
		add_lines(&b, l, 0, find_signature(l, 0, n), 0);
		r = trimmed_lines(&b);
	}
	if (r[0] == '\0') {
		free(r);
		buf_reset(&b);
		add_lines(&b, l, 0, n, 0);
		r = trimmed_lines(&b);
	}
	buf_release(&b);
	free(l);
	return r;
}
