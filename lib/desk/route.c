#include "route.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

/* A code point that folds to nothing: zero-width spaces and joiners, the BOM. */
#define FOLD_DROP 0xFFFFFFFFu

/* 1 for kana: a following ー is a long vowel, not a dash. */
static int
is_kana(unsigned int cp)
{
	return (cp >= 0x3041 && cp <= 0x30FF) || (cp >= 0xFF66 && cp <= 0xFF9F) ||
		(cp >= 0x31F0 && cp <= 0x31FF);
}

static unsigned int
fold_cp(unsigned int cp, unsigned int prev)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)       /* full-width ASCII, ＃ and ： among them */
		return cp - 0xFF01 + 0x21;
	if ((cp >= 0x2000 && cp <= 0x200A) || cp == 0x00A0 || cp == 0x1680 || cp == 0x202F ||
	    cp == 0x205F || cp == 0x3000)
		return ' ';                     /* every Unicode space: Gravité\u202F: 2 */
	switch (cp) {
	case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
		return FOLD_DROP;
	case 0xFE13: case 0xFE55: case 0x2236:  /* vertical, small and ratio colons */
		return ':';
	case 0x266F: case 0xFE5F:               /* ♯ and the small number sign */
		return '#';
	case 0x3010: case 0x3014: case 0x3016: case 0x3008: case 0x300A: return '[';
	case 0x3011: case 0x3015: case 0x3017: case 0x3009: case 0x300B: return ']';
	case 0x30FC: case 0xFF70:
		/* after kana the long vowel mark (エスカレーション), else a dash (ＳＵＰー１) */
		return is_kana(prev) ? cp : '-';
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212:
		return '-';
	default:
		return cp;
	}
}

char *
route_normalize(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n, left = strlen(s);
	unsigned int cp, folded, prev = 0;

	buf_grow(&b, left);
	while (*p != '\0') {
		if (*p < 0x80) {
			/* A run of ASCII: nothing in it folds. */
			const unsigned char *q = p;

			while (*q != '\0' && *q < 0x80)
				q++;
			buf_add(&b, p, (size_t)(q - p));
			prev = q[-1];
			left -= (size_t)(q - p);
			p = q;
			continue;
		}
		n = utf8_decode(p, left, &cp, NULL);
		if (n <= 1) {
			/* a bad byte, kept as it is */
			n = 1;
			cp = *p;
			buf_addc(&b, (char)*p);
		} else {
			folded = fold_cp(cp, prev);
			if (folded == cp)
				buf_add(&b, p, n);
			else if (folded != FOLD_DROP)
				buf_add_utf8(&b, folded);
		}
		prev = cp;
		p += n;
		left -= n;
	}
	return buf_detach(&b, NULL);
}

/* A code point with ASCII and Latin-1 capitals in lowercase (É is é). */
static unsigned int
lower_cp(unsigned int cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
		return cp + 0x20;
	return cp;
}

/*
 * When s starts with word (case ignored for ASCII and Latin-1 letters,
 * so "#GRAVITÉ 1" is "#gravité 1"), the bytes of s it spans; else 0.
 */
static size_t
prefix_ci(const char *s, const char *word)
{
	size_t i = 0, j = 0, ns, nw, lw = strlen(word), ls;
	unsigned int cs, cw;

	/* As many code points as word has, four bytes each at most: no need to measure all of s. */
	ls = strnlen(s, 4 * lw);

	while (j < lw) {
		if (i >= ls)
			return 0;
		ns = utf8_decode(s + i, ls - i, &cs, NULL);
		nw = utf8_decode(word + j, lw - j, &cw, NULL);
		if (ns == 0 || nw == 0 || lower_cp(cs) != lower_cp(cw))
			return 0;
		i += ns;
		j += nw;
	}
	return i;
}

size_t
route_subject_numbers(const char *subject, const char *prefix, long long *numbers, size_t max)
{
	char *s;
	const char *p;
	size_t plen = strlen(prefix), n = 0, i;
	long long v;

	if (subject == NULL || plen == 0)
		return 0;
	s = route_normalize(subject);
	for (p = s; *p != '\0' && n < max; p++) {
		if (strncasecmp(p, prefix, plen) != 0)
			continue;
		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		i = plen;
		if (p[i] == ' ')
			i++;
		if (p[i] != '-' && p[i] != '#')
			continue;
		i++;
		if (!isdigit((unsigned char)p[i]))
			continue;
		v = 0;
		for (; isdigit((unsigned char)p[i]); i++) {
			if (v > 1000000000000LL)
				break;
			v = v * 10 + (p[i] - '0');
		}
		if (isalnum((unsigned char)p[i]) || v <= 0)
			continue;
		numbers[n++] = v;
		p += i - 1;
	}
	free(s);
	return n;
}

/* Reply and forward prefixes of common clients in the seven languages. */
static const char *const reply_prefixes[] = {
	"re", "aw", "antw", "antwort", "wg", "sv", "vs", "vl", "rv", "tr", "fwd", "fw", "enc",
	"r", "ref", "vb", "odp", "rif", "res",
	"回复", "回覆", "答复", "答覆", "转发", "轉寄", "转寄", "返信", "転送", "返", "Réf", "Rép",
	NULL,
};

char *
route_strip_prefixes(const char *subject)
{
	char *s = route_normalize(subject), *p = s, *q, *out;
	size_t i, len;
	int again = 1;

	while (again) {
		again = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (i = 0; reply_prefixes[i] != NULL; i++) {
			len = prefix_ci(p, reply_prefixes[i]);
			if (len == 0)
				continue;
			q = p + len;
			/* Re[2]: and Re(2): */
			if (*q == '[' || *q == '(') {
				char close = *q == '[' ? ']' : ')';

				for (q++; isdigit((unsigned char)*q); q++)
					;
				if (*q != close)
					continue;
				q++;
			}
			while (*q == ' ')
				q++;
			if (*q != ':')
				continue;
			p = q + 1;
			again = 1;
			break;
		}
	}
	out = xstrdup(p);
	free(s);
	return out;
}

/* Brackets a ticket tag is written in: ASCII and the CJK ones route_normalize folds. */
static size_t
bracket_open(const char *p, const char **close_r)
{
	static const struct {
		const char *open, *close;
	} pairs[] = {
		{ "[", "]" }, { "\xe3\x80\x90", "\xe3\x80\x91" } /* 【】 */,
		{ "\xe3\x80\x94", "\xe3\x80\x95" } /* 〔〕 */, { "\xef\xbc\xbb", "\xef\xbc\xbd" } /* ［］ */,
	};
	size_t i, n;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		n = strlen(pairs[i].open);
		if (strncmp(p, pairs[i].open, n) == 0) {
			*close_r = pairs[i].close;
			return n;
		}
	}
	return 0;
}

/* 1 when the bracketed text is a ticket tag and nothing else: "[SUP-12]", "【ＳＵＰ－１２】". */
static int
tag_only(const char *bracketed, const char *prefix)
{
	char *s = route_normalize(bracketed);
	const char *p = s + 1;
	size_t plen = strlen(prefix);
	int ok = 0;

	while (*p == ' ')
		p++;
	if (plen > 0 && strncasecmp(p, prefix, plen) == 0) {
		p += plen;
		if (*p == ' ')
			p++;
		if (*p == '-' || *p == '#')
			p++;
		if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)*p))
				p++;
			while (*p == ' ')
				p++;
			ok = *p == ']' && p[1] == '\0';
		}
	}
	free(s);
	return ok;
}

char *
route_strip_tickets(const char *subject, const char *prefix)
{
	struct buf b = BUF_INIT;
	const char *p = subject != NULL ? subject : "", *close, *end;
	size_t open;
	char *inner, *out;

	while (*p != '\0') {
		open = bracket_open(p, &close);
		end = open > 0 ? strstr(p + open, close) : NULL;
		if (end != NULL) {
			inner = xstrndup(p, (size_t)(end - p) + strlen(close));
			if (tag_only(inner, prefix)) {
				free(inner);
				p = end + strlen(close);
				while (*p == ' ')
					p++;
				continue;
			}
			free(inner);
		}
		buf_addc(&b, *p++);
	}
	out = route_strip_prefixes(buf_str(&b));
	buf_release(&b);
	return out;
}

/* Parse "1".."4" or a level word; 0 when none. */
static int
parse_level(const char *p)
{
	static const struct {
		const char *word;
		int v;
	} words[] = {
		{ "critical", 1 }, { "high", 2 }, { "medium", 3 }, { "low", 4 },
		{ "kritisch", 1 }, { "hoch", 2 }, { "mittel", 3 }, { "niedrig", 4 },
		{ "crítica", 1 }, { "critica", 1 }, { "alta", 2 }, { "media", 3 }, { "baja", 4 },
		{ "critique", 1 }, { "haute", 2 }, { "élevée", 2 }, { "moyenne", 3 }, { "basse", 4 },
		{ "faible", 4 },
		{ "kriittinen", 1 }, { "korkea", 2 }, { "keskitaso", 3 }, { "matala", 4 },
		{ "緊急", 1 }, { "重大", 1 }, { "高", 2 }, { "中", 3 }, { "低", 4 },
		{ "严重", 1 }, { "嚴重", 1 },
	};
	size_t i;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "sev", 3) == 0)
		p += 3;
	else if ((*p == 's' || *p == 'S' || *p == 'p' || *p == 'P') && isdigit((unsigned char)p[1]))
		p++;
	while (*p == ' ')
		p++;
	if (*p >= '1' && *p <= '4' && !isdigit((unsigned char)p[1]))
		return *p - '0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (prefix_ci(p, words[i].word) != 0)
			return words[i].v;
	return 0;
}

static const char *const severity_labels[] = {
	"severity", "sev", "schweregrad", "gravedad", "severidad", "gravité", "gravite",
	"sévérité", "severite", "vakavuus", "vakavuusaste", "深刻度", "重大度", "重要度",
	"严重性", "严重程度", "嚴重性", "严重级别", NULL,
};

static const char *const priority_labels[] = {
	"priority", "prio", "priorität", "prioritat", "dringlichkeit", "prioridad", "priorité",
	"priorite", "prioriteetti", "kiireellisyys", "優先度", "优先级", "優先級", "优先度", NULL,
};

/* "Label: value" at the start of line (every space and colon folded already). */
static int
labelled(const char *line, const char *const *labels)
{
	size_t i, len;
	const char *p;

	while (*line == ' ' || *line == '\t' || *line == '*' || *line == '-')
		line++;
	for (i = 0; labels[i] != NULL; i++) {
		/*
		 * The first byte rules out nearly every label, and most lines
		 * (the labels are lowercase; a Latin-1 capital and its small
		 * letter share their first byte).
		 */
		if (tolower((unsigned char)*line) != (unsigned char)labels[i][0])
			continue;
		len = prefix_ci(line, labels[i]);
		if (len == 0)
			continue;
		p = line + len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':' && *p != '=')
			continue;
		return parse_level(p + 1);
	}
	return 0;
}

/* Subject tags: [Sev1] [S1] [Severity 1] [P2] [Prio 2] [Priority: 2] */
static void
subject_tags(const char *s, int *sev, int *pri)
{
	const char *p, *e;
	char tag[32];
	size_t len;

	for (p = strchr(s, '['); p != NULL; p = strchr(p + 1, '[')) {
		e = strchr(p, ']');
		if (e == NULL)
			break;
		len = (size_t)(e - p - 1);
		if (len == 0 || len >= sizeof(tag))
			continue;
		memcpy(tag, p + 1, len);
		tag[len] = '\0';
		if (*sev == 0 && (tag[0] == 's' || tag[0] == 'S')) {
			const char *v = tag + 1;

			if (strncasecmp(tag, "severity", 8) == 0)
				v = tag + 8;
			else if (strncasecmp(tag, "sev", 3) == 0)
				v = tag + 3;
			while (*v == ' ' || *v == ':' || *v == '-')
				v++;
			if (*v >= '1' && *v <= '4' && v[1] == '\0')
				*sev = *v - '0';
		} else if (*pri == 0 && (tag[0] == 'p' || tag[0] == 'P')) {
			const char *v = tag + 1;

			if (strncasecmp(tag, "priority", 8) == 0)
				v = tag + 8;
			else if (strncasecmp(tag, "prio", 4) == 0)
				v = tag + 4;
			while (*v == ' ' || *v == ':' || *v == '-')
				v++;
			if (*v >= '1' && *v <= '4' && v[1] == '\0')
				*pri = *v - '0';
		}
	}
}

#define ROUTE_FIELD_LINES 40

void
route_fields(const char *subject, const char *body, int *severity_r, int *priority_r)
{
	const char *end;
	char *s, *line, *next, *head;
	int sev = 0, pri = 0, n = 0, v;

	if (subject != NULL) {
		s = route_normalize(subject);
		subject_tags(s, &sev, &pri);
		free(s);
	}
	if (body != NULL && (sev == 0 || pri == 0)) {
		/* Only the lines looked at are folded (folding keeps the line ends). */
		for (end = body; end != NULL && n < ROUTE_FIELD_LINES; n++) {
			end = strchr(end, '\n');
			if (end != NULL)
				end++;
		}
		head = xstrndup(body, end != NULL ? (size_t)(end - body) : strlen(body));
		s = route_normalize(head);
		free(head);
		n = 0;
		for (line = s; line != NULL && n < ROUTE_FIELD_LINES; line = next, n++) {
			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			if (line[0] == '>')
				continue;
			v = sev == 0 ? labelled(line, severity_labels) : 0;
			if (v != 0)
				sev = v;
			else if (pri == 0)
				pri = labelled(line, priority_labels);
		}
		free(s);
	}
	*severity_r = sev;
	*priority_r = pri;
}

static const struct {
	const char *word;
	enum route_cmd_type type;
	int takes_value;
} commands[] = {
	/* README lists these words; t/unit/test-commands-i18n.c tries each in each charset */
	{ "escalate", ROUTE_CMD_ESCALATE, 0 }, { "eskalieren", ROUTE_CMD_ESCALATE, 0 },
	{ "escalar", ROUTE_CMD_ESCALATE, 0 }, { "escalader", ROUTE_CMD_ESCALATE, 0 },
	{ "eskaloi", ROUTE_CMD_ESCALATE, 0 }, { "エスカレーション", ROUTE_CMD_ESCALATE, 0 },
	{ "升级", ROUTE_CMD_ESCALATE, 0 }, { "升級", ROUTE_CMD_ESCALATE, 0 },
	{ "close", ROUTE_CMD_CLOSE, 0 }, { "schließen", ROUTE_CMD_CLOSE, 0 },
	{ "schliessen", ROUTE_CMD_CLOSE, 0 }, { "cerrar", ROUTE_CMD_CLOSE, 0 },
	{ "fermer", ROUTE_CMD_CLOSE, 0 }, { "sulje", ROUTE_CMD_CLOSE, 0 },
	{ "クローズ", ROUTE_CMD_CLOSE, 0 }, { "关闭", ROUTE_CMD_CLOSE, 0 },
	{ "關閉", ROUTE_CMD_CLOSE, 0 },
	{ "reopen", ROUTE_CMD_REOPEN, 0 }, { "wiedereröffnen", ROUTE_CMD_REOPEN, 0 },
	{ "wiedereroeffnen", ROUTE_CMD_REOPEN, 0 },
	{ "reabrir", ROUTE_CMD_REOPEN, 0 }, { "rouvrir", ROUTE_CMD_REOPEN, 0 },
	{ "avaa", ROUTE_CMD_REOPEN, 0 }, { "再開", ROUTE_CMD_REOPEN, 0 },
	{ "重新打开", ROUTE_CMD_REOPEN, 0 }, { "重新打開", ROUTE_CMD_REOPEN, 0 },
	{ "severity", ROUTE_CMD_SEVERITY, 1 }, { "schweregrad", ROUTE_CMD_SEVERITY, 1 },
	{ "gravedad", ROUTE_CMD_SEVERITY, 1 }, { "gravité", ROUTE_CMD_SEVERITY, 1 },
	{ "gravite", ROUTE_CMD_SEVERITY, 1 },
	{ "vakavuus", ROUTE_CMD_SEVERITY, 1 }, { "深刻度", ROUTE_CMD_SEVERITY, 1 },
	{ "严重性", ROUTE_CMD_SEVERITY, 1 }, { "嚴重性", ROUTE_CMD_SEVERITY, 1 },
	{ "priority", ROUTE_CMD_PRIORITY, 1 }, { "priorität", ROUTE_CMD_PRIORITY, 1 },
	{ "prioritaet", ROUTE_CMD_PRIORITY, 1 },
	{ "prioridad", ROUTE_CMD_PRIORITY, 1 }, { "priorité", ROUTE_CMD_PRIORITY, 1 },
	{ "priorite", ROUTE_CMD_PRIORITY, 1 },
	{ "prioriteetti", ROUTE_CMD_PRIORITY, 1 }, { "優先度", ROUTE_CMD_PRIORITY, 1 },
	{ "优先级", ROUTE_CMD_PRIORITY, 1 }, { "優先級", ROUTE_CMD_PRIORITY, 1 },
	{ "internal", ROUTE_CMD_INTERNAL, 0 }, { "intern", ROUTE_CMD_INTERNAL, 0 },
	{ "interno", ROUTE_CMD_INTERNAL, 0 }, { "interne", ROUTE_CMD_INTERNAL, 0 },
	{ "sisäinen", ROUTE_CMD_INTERNAL, 0 }, { "sisainen", ROUTE_CMD_INTERNAL, 0 },
	{ "内部", ROUTE_CMD_INTERNAL, 0 }, { "內部", ROUTE_CMD_INTERNAL, 0 },
};

const char *
route_cmd_name(enum route_cmd_type type)
{
	switch (type) {
	case ROUTE_CMD_ESCALATE: return "escalate";
	case ROUTE_CMD_CLOSE: return "close";
	case ROUTE_CMD_REOPEN: return "reopen";
	case ROUTE_CMD_SEVERITY: return "severity";
	case ROUTE_CMD_PRIORITY: return "priority";
	case ROUTE_CMD_INTERNAL: return "internal";
	}
	return "unknown";
}

/* Parse one "#word [value]" line; 1 with *cmd when it is a known command. */
static int
parse_command(const char *line, struct route_cmd *cmd)
{
	size_t i, len;
	const char *p;
	int v;

	if (line[0] != '#')
		return 0;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		len = prefix_ci(line + 1, commands[i].word);
		if (len == 0)
			continue;
		p = line + 1 + len;
		if (!commands[i].takes_value) {
			while (*p == ' ' || *p == '\t' || *p == '\r')
				p++;
			if (*p != '\0')
				continue;
			cmd->type = commands[i].type;
			cmd->value = 0;
			return 1;
		}
		while (*p == ' ' || *p == ':' || *p == '=')
			p++;
		v = parse_level(p);
		if (v == 0)
			continue;
		cmd->type = commands[i].type;
		cmd->value = v;
		return 1;
	}
	return 0;
}

#define ROUTE_CMD_LINES 10

size_t
route_commands(const char *subject, const char *text, struct route_cmd *cmds, size_t max,
	       char **rest_r)
{
	struct buf rest = BUF_INIT;
	char *s = xstrdup(text != NULL ? text : ""), *line, *next, *norm, *lead;
	size_t n = 0;
	int lines = 0, in_head = 1, is_cmd;

	if (subject != NULL && max > 0) {
		char *subj = route_normalize(subject);

		if (strcasestr(subj, "[escalate]") != NULL) {
			cmds[n].type = ROUTE_CMD_ESCALATE;
			cmds[n].value = 0;
			n++;
		}
		free(subj);
	}
	for (line = s; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* Match on the folded form (＃ｃｌｏｓｅ), keep the original text. */
		norm = route_normalize(line);
		lead = norm;
		while (*lead == ' ' || *lead == '\t')
			lead++;
		is_cmd = 0;
		if (in_head && *lead == '\0' && rest.len == 0) {
			free(norm);
			continue;
		}
		if (in_head && lines < ROUTE_CMD_LINES && n < max && parse_command(lead, &cmds[n])) {
			n++;
			is_cmd = 1;
		} else if (*lead != '\0' && *lead != '#') {
			in_head = 0;
		}
		free(norm);
		lines++;
		if (is_cmd)
			continue;
		buf_adds(&rest, line);
		if (next != NULL)
			buf_addc(&rest, '\n');
	}
	free(s);
	if (rest_r != NULL)
		*rest_r = buf_detach(&rest, NULL);
	else
		buf_release(&rest);
	return n;
}
