/*
 * tmpl: parse and render the mail templates; localised labels.
 *
 * A file is read, parsed into a flat list of tokens that point into its
 * bytes, and rendered.  Sections know the index of their closing tag, so
 * rendering is one pass that jumps over sections whose condition fails.
 * The parser keeps going after an error so that tmpl_check reports every
 * problem of a file at once.
 */
#include "tmpl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "utf8.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const known_vars[] = {
	"ticket", "subject", "requester", "requester_name",
	"severity", "severity_name", "priority", "priority_name",
	"status", "status_name", "old_status_name",
	"region", "hours", "due", "phone", "previous",
	"author", "comment", "level", "level_name", "sharer",
	"limit", "plan", "support_name", "support_address",
	"attachments", "withheld", "outgoing_limit", "dropped", "quota",
};

static const char *const template_names[] = {
	"autoresponse", "comment", "status", "escalation", "shared",
	"refusal", "too_large", "sla_warning", "sla_breach", "escalation_staff",
	"dropped",
};

const char *const *
tmpl_known_vars(size_t *n_r)
{
	*n_r = N_ELEMENTS(known_vars);
	return known_vars;
}

const char *const *
tmpl_names(size_t *n_r)
{
	*n_r = N_ELEMENTS(template_names);
	return template_names;
}

const char *const *
tmpl_langs(size_t *n_r)
{
	return lang_codes(n_r);
}

/* ---- parsing ---- */

enum tok_type {
	TOK_TEXT,	/* literal text */
	TOK_VAR,	/* {{name}} */
	TOK_IF,		/* {{#name}} */
	TOK_UNLESS,	/* {{^name}} */
	TOK_END,	/* {{/name}} */
};

struct tok {
	enum tok_type type;
	const char *s;		/* the text, or the variable name */
	size_t len;
	unsigned int line;
	size_t end;		/* TOK_IF, TOK_UNLESS: index of the TOK_END */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

/* One template file; the tokens point into data. */
struct tmpl {
	struct buf data;
	struct toks subject;
	struct toks body;
};

/* Where problems go, and which variable names are allowed. */
struct parser {
	const char *path;
	const char *const *known;
	size_t n_known;
	struct buf *errors;
	int n_errors;
};

static void parser_error(struct parser *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
parser_error(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	buf_addf(p->errors, "%s:%u: ", p->path, line);
	va_start(ap, fmt);
	buf_vaddf(p->errors, fmt, ap);
	va_end(ap);
	buf_addc(p->errors, '\n');
	p->n_errors++;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

static int
name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TMPL_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++)
		if (!name_char(s[i]))
			return 0;
	return 1;
}

/* A language code usable as a directory name: "en", "zh-Hans", "pt_BR". */
static int
lang_valid(const char *lang)
{
	size_t i, len = strlen(lang);

	if (len == 0 || len > 16 || lang[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!name_char(lang[i]) && lang[i] != '-')
			return 0;
	return 1;
}

static int
known(const char *const *list, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

static size_t
toks_add(struct toks *t, enum tok_type type, const char *s, size_t len,
	 unsigned int line)
{
	struct tok *k;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	k = &t->v[t->n];
	k->type = type;
	k->s = s;
	k->len = len;
	k->line = line;
	k->end = 0;
	return t->n++;
}

/* Open sections while parsing one piece of text. */
struct sections {
	size_t idx[TMPL_MAX_DEPTH];
	size_t depth;
};

/* The tag between "{{" and "}}": [s, e). */
static void
parse_tag(struct parser *p, struct toks *t, struct sections *st,
	  const char *s, const char *e, unsigned int line)
{
	const char *tag = s, *tag_end = e;
	enum tok_type type = TOK_VAR;
	struct tok *open;
	size_t i, len, k;

	while (s < e && is_blank(*s))
		s++;
	if (s < e && (*s == '#' || *s == '^' || *s == '/')) {
		type = *s == '#' ? TOK_IF : *s == '^' ? TOK_UNLESS : TOK_END;
		s++;
		while (s < e && is_blank(*s))
			s++;
	}
	while (e > s && is_blank(e[-1]))
		e--;
	len = (size_t)(e - s);
	if (!name_valid(s, len)) {
		parser_error(p, line, "bad tag '{{%.*s}}'", (int)(tag_end - tag), tag);
		return;
	}
	if (type != TOK_END && !known(p->known, p->n_known, s, len))
		parser_error(p, line, "unknown variable '%.*s'", (int)len, s);

	switch (type) {
	case TOK_TEXT:
	case TOK_VAR:
		toks_add(t, type, s, len, line);
		break;
	case TOK_IF:
	case TOK_UNLESS:
		if (st->depth == TMPL_MAX_DEPTH) {
			parser_error(p, line, "sections nested too deeply");
			return;
		}
		st->idx[st->depth++] = toks_add(t, type, s, len, line);
		break;
	case TOK_END:
		/* Find the section it closes; those above it were left open. */
		for (k = st->depth; k > 0; k--) {
			open = &t->v[st->idx[k - 1]];
			if (open->len == len && memcmp(open->s, s, len) == 0)
				break;
		}
		if (k == 0) {
			if (st->depth == 0) {
				parser_error(p, line, "'{{/%.*s}}' without an open section",
					     (int)len, s);
			} else {
				open = &t->v[st->idx[st->depth - 1]];
				parser_error(p, line, "section '%.*s' closed by '{{/%.*s}}'",
					     (int)open->len, open->s, (int)len, s);
			}
			return;
		}
		for (i = st->depth; i > k; i--) {
			open = &t->v[st->idx[i - 1]];
			parser_error(p, open->line, "unclosed section '%.*s'",
				     (int)open->len, open->s);
		}
		st->depth = k - 1;
		i = toks_add(t, TOK_END, s, len, line);	/* may move t->v */
		t->v[st->idx[k - 1]].end = i;
		break;
	}
}

/*
 * When [s, e) holds only one section tag and blanks, return 1 and the tag's
 * inside in *tag_r / *tag_end_r.
 */
static int
standalone_tag(const char *s, const char *e, const char **tag_r,
	       const char **tag_end_r)
{
	const char *in;

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (e - s < 5 || memcmp(s, "{{", 2) != 0 || memcmp(e - 2, "}}", 2) != 0)
		return 0;
	in = s + 2;
	if (memmem(in, (size_t)(e - 2 - in), "{{", 2) != NULL ||
	    memmem(in, (size_t)(e - 2 - in), "}}", 2) != NULL)
		return 0;
	while (in < e - 2 && is_blank(*in))
		in++;
	if (*in != '#' && *in != '^' && *in != '/')
		return 0;
	*tag_r = s + 2;
	*tag_end_r = e - 2;
	return 1;
}

/* Tokenise [s, s + len), which starts on line `line`, into t. */
static void
parse_text(struct parser *p, const char *s, size_t len, unsigned int line,
	   struct toks *t)
{
	const char *end = s + len, *eol, *lend, *next, *q, *open, *close;
	const char *tag, *tag_end;
	struct sections st = { .depth = 0 };
	size_t i;

	for (; s < end; s = next, line++) {
		eol = memchr(s, '\n', (size_t)(end - s));
		lend = eol != NULL ? eol : end;
		next = eol != NULL ? eol + 1 : end;

		if (standalone_tag(s, lend, &tag, &tag_end)) {
			parse_tag(p, t, &st, tag, tag_end, line);
			continue;
		}
		q = s;
		while (q < lend) {
			open = memmem(q, (size_t)(lend - q), "{{", 2);
			if (open == NULL)
				break;
			close = memmem(open + 2, (size_t)(lend - open - 2), "}}", 2);
			if (close == NULL) {
				parser_error(p, line, "'{{' without '}}'");
				break;
			}
			if (open > q)
				toks_add(t, TOK_TEXT, q, (size_t)(open - q), line);
			parse_tag(p, t, &st, open + 2, close, line);
			q = close + 2;
		}
		if (next > q)
			toks_add(t, TOK_TEXT, q, (size_t)(next - q), line);
	}
	for (i = 0; i < st.depth; i++) {
		const struct tok *k = &t->v[st.idx[i]];

		parser_error(p, k->line, "unclosed section '%.*s'", (int)k->len, k->s);
	}
}

/* 0 when [s, s + len) is valid UTF-8 without NUL; else the bad offset + 1. */
static size_t
utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t ok = utf8_valid_prefix(s, len);
	const unsigned char *nul = memchr(s, '\0', ok);

	if (nul != NULL)
		return (size_t)(nul - s) + 1;
	return ok < len ? ok + 1 : 0;
}

static unsigned int
line_of(const char *s, size_t off)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Split t->data into headers and body and tokenise both. */
static void
tmpl_parse(struct parser *p, struct tmpl *t)
{
	const char *s, *eol, *colon, *name, *name_end, *v, *v_end, *q;
	unsigned int line = 1;
	int have_subject = 0, blank_seen = 0;
	size_t bad;

	bad = utf8_invalid_at((const unsigned char *)t->data.data, t->data.len);
	if (bad != 0) {
		parser_error(p, line_of(t->data.data, bad - 1), "not valid UTF-8");
		return;
	}
	s = buf_str(&t->data);
	while (*s != '\0') {
		eol = strchr(s, '\n');
		if (eol == NULL)
			eol = s + strlen(s);
		for (q = s; q < eol && is_blank(*q); q++)
			;
		if (q == eol) {
			blank_seen = 1;
			s = *eol != '\0' ? eol + 1 : eol;
			line++;
			break;
		}
		colon = memchr(s, ':', (size_t)(eol - s));
		if (colon == NULL) {
			parser_error(p, line, "header line without ':' (a blank line must end the headers)");
		} else {
			name = s;
			name_end = colon;
			while (name_end > name && is_blank(name_end[-1]))
				name_end--;
			if ((size_t)(name_end - name) == 7 && strncasecmp(name, "Subject", 7) == 0) {
				if (have_subject)
					parser_error(p, line, "duplicate header 'Subject'");
				v = colon + 1;
				v_end = eol;
				while (v < v_end && is_blank(*v))
					v++;
				while (v_end > v && is_blank(v_end[-1]))
					v_end--;
				if (!have_subject)
					parse_text(p, v, (size_t)(v_end - v), line, &t->subject);
				have_subject = 1;
			} else {
				parser_error(p, line, "unknown header '%.*s'",
					     (int)(name_end - name), name);
			}
		}
		s = *eol != '\0' ? eol + 1 : eol;
		line++;
	}
	if (!blank_seen) {
		parser_error(p, line > 1 ? line - 1 : 1, "missing blank line after the headers");
		return;
	}
	if (!have_subject)
		parser_error(p, 1, "missing 'Subject' header");
	parse_text(p, s, strlen(s), line, &t->body);
}

static void
tmpl_release(struct tmpl *t)
{
	buf_release(&t->data);
	free(t->subject.v);
	free(t->body.v);
	memset(t, 0, sizeof(*t));
}

/*
 * Read and parse p->path into t.  Returns -1 with errno set when the file
 * cannot be read (nothing recorded: the caller decides), else 0; parse
 * problems are in p.
 */
static int
tmpl_load(struct parser *p, struct tmpl *t)
{
	char chunk[4096];
	size_t n;
	FILE *f;
	char *r, *w, *end;
	int err;

	memset(t, 0, sizeof(*t));
	f = fopen(p->path, "rb");
	if (f == NULL)
		return -1;
	for (;;) {
		n = fread(chunk, 1, sizeof(chunk), f);
		if (n == 0)
			break;
		if (t->data.len + n > TMPL_MAX_SIZE) {
			fclose(f);
			parser_error(p, 1, "file larger than %d bytes", TMPL_MAX_SIZE);
			return 0;
		}
		buf_add(&t->data, chunk, n);
	}
	if (ferror(f)) {
		err = errno != 0 ? errno : EIO;
		fclose(f);
		tmpl_release(t);
		errno = err;
		return -1;
	}
	fclose(f);

	/* Drop a byte order mark and the CR of CRLF line ends. */
	r = buf_detach(&t->data, &n);
	end = r + n;
	w = r;
	n = 0;
	if (end - r >= 3 && memcmp(r, "\xEF\xBB\xBF", 3) == 0)
		n = 3;
	for (; r + n < end; n++) {
		if (r[n] == '\r' && r + n + 1 < end && r[n + 1] == '\n')
			continue;
		*w++ = r[n];
	}
	buf_add(&t->data, r, (size_t)(w - r));
	free(r);

	tmpl_parse(p, t);
	return 0;
}

/* ---- rendering ---- */

static const char *
var_value(const struct tmpl_var *vars, size_t n_vars, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n_vars; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value;
	return NULL;
}

static void
render_toks(const struct toks *t, const struct tmpl_var *vars, size_t n_vars,
	    int one_line, struct buf *out)
{
	const struct tok *k;
	const char *v;
	size_t i;

	for (i = 0; i < t->n; i++) {
		k = &t->v[i];
		v = k->type == TOK_TEXT ? NULL : var_value(vars, n_vars, k->s, k->len);
		switch (k->type) {
		case TOK_TEXT:
			buf_add(out, k->s, k->len);
			break;
		case TOK_VAR:
			if (v == NULL)
				break;
			if (!one_line) {
				buf_adds(out, v);
				break;
			}
			for (; *v != '\0'; v++) {
				unsigned char c = (unsigned char)*v;

				buf_addc(out, c < 0x20 || c == 0x7F ? ' ' : (char)c);
			}
			break;
		case TOK_IF:
			if (v == NULL || *v == '\0')
				i = k->end;
			break;
		case TOK_UNLESS:
			if (v != NULL && *v != '\0')
				i = k->end;
			break;
		case TOK_END:
			break;
		}
	}
}

/* The first line of a non-empty error list, without its newline. */
static char *
first_line(const struct buf *errors)
{
	const char *nl = memchr(errors->data, '\n', errors->len);

	return xstrndup(errors->data, nl != NULL ? (size_t)(nl - errors->data) : errors->len);
}

/* Variables given to a render must all be known names. */
static int
check_vars(const char *name, const struct tmpl_var *vars, size_t n_vars, char **error_r)
{
	size_t i;

	if (name == NULL || !name_valid(name, strlen(name))) {
		*error_r = xasprintf("invalid template name '%s'", name != NULL ? name : "");
		return -1;
	}
	for (i = 0; i < n_vars; i++) {
		if (vars[i].name == NULL ||
		    !known(known_vars, N_ELEMENTS(known_vars), vars[i].name, strlen(vars[i].name))) {
			*error_r = xasprintf("unknown variable '%s' given to template '%s'",
					     vars[i].name != NULL ? vars[i].name : "", name);
			return -1;
		}
	}
	return 0;
}

/* A parsed template with vars into one subject line and a body. */
static void
render(const struct tmpl *t, const struct tmpl_var *vars, size_t n_vars, char **subject_r,
       char **body_r)
{
	struct buf subject = BUF_INIT, body = BUF_INIT;
	const char *s, *e;

	render_toks(&t->subject, vars, n_vars, 1, &subject);
	render_toks(&t->body, vars, n_vars, 0, &body);
	/* The subject is one line without blanks at either end. */
	s = buf_str(&subject);
	e = s + subject.len;
	while (*s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	*subject_r = xstrndup(s, (size_t)(e - s));
	buf_release(&subject);
	*body_r = buf_detach(&body, NULL);
}

int
tmpl_render(const char *dir, const char *lang, const char *name,
	    const struct tmpl_var *vars, size_t n_vars,
	    char **subject_r, char **body_r, char **error_r)
{
	struct buf errors = BUF_INIT;
	struct parser p;
	struct tmpl t;
	char *path = NULL;
	int ret;

	*subject_r = NULL;
	*body_r = NULL;
	*error_r = NULL;
	if (check_vars(name, vars, n_vars, error_r) < 0)
		return -1;
	if (lang == NULL || !lang_valid(lang))
		lang = "en";

	memset(&p, 0, sizeof(p));
	p.known = known_vars;
	p.n_known = N_ELEMENTS(known_vars);
	p.errors = &errors;
	path = xasprintf("%s/%s/%s.txt", dir, lang, name);
	p.path = path;
	ret = tmpl_load(&p, &t);
	if (ret < 0 && errno == ENOENT && strcmp(lang, "en") != 0) {
		free(path);
		path = xasprintf("%s/en/%s.txt", dir, name);
		p.path = path;
		ret = tmpl_load(&p, &t);
	}
	if (ret < 0) {
		*error_r = xasprintf("unable to read '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (p.n_errors > 0) {
		*error_r = first_line(&errors);
		buf_release(&errors);
		tmpl_release(&t);
		free(path);
		return -1;
	}
	render(&t, vars, n_vars, subject_r, body_r);
	tmpl_release(&t);
	free(path);
	return 0;
}

/* ---- a set loaded once ---- */

struct tmpl_entry {
	char lang[17];             /* lang_valid: at most 16 */
	char name[TMPL_MAX_NAME + 1];
	struct tmpl t;
};

struct tmpl_set {
	struct tmpl_entry *v;
	size_t n;
};

static const struct tmpl *
set_find(const struct tmpl_set *set, const char *lang, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].lang, lang) == 0 && strcmp(set->v[i].name, name) == 0)
			return &set->v[i].t;
	return NULL;
}

void
tmpl_set_free(struct tmpl_set **setp)
{
	struct tmpl_set *set = *setp;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_release(&set->v[i].t);
	free(set->v);
	free(set);
	*setp = NULL;
}

int
tmpl_set_render(const struct tmpl_set *set, const char *lang, const char *name,
		const struct tmpl_var *vars, size_t n_vars,
		char **subject_r, char **body_r, char **error_r)
{
	const struct tmpl *t;

	*subject_r = NULL;
	*body_r = NULL;
	*error_r = NULL;
	if (check_vars(name, vars, n_vars, error_r) < 0)
		return -1;
	if (lang == NULL || !lang_valid(lang))
		lang = "en";
	t = set_find(set, lang, name);
	if (t == NULL)
		t = set_find(set, "en", name);
	if (t == NULL) {
		*error_r = xasprintf("no template '%s' was loaded", name);
		return -1;
	}
	render(t, vars, n_vars, subject_r, body_r);
	return 0;
}

/* Load one file into set; a missing one is a problem only when required. */
static void
load_one(struct parser *p, struct tmpl_set *set, const char *dir, const char *lang,
	 const char *name, int required)
{
	struct tmpl t;
	char *path = xasprintf("%s/%s/%s.txt", dir, lang, name);
	int before = p->n_errors;

	p->path = path;
	if (tmpl_load(p, &t) < 0) {
		if (errno != ENOENT || required) {
			buf_addf(p->errors, "unable to read '%s': %s\n", path, strerror(errno));
			p->n_errors++;
		}
	} else if (set == NULL || p->n_errors > before) {
		tmpl_release(&t);
	} else {
		set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
		snprintf(set->v[set->n].lang, sizeof(set->v[set->n].lang), "%s", lang);
		snprintf(set->v[set->n].name, sizeof(set->v[set->n].name), "%s", name);
		set->v[set->n].t = t;
		set->n++;
	}
	p->path = NULL;
	free(path);
}

/* Every file of langs x names into set (NULL: only check); the number of problems. */
static int
load_all(const char *dir, const char *const *langs, size_t n_langs,
	 const char *const *names, size_t n_names,
	 const char *const *known_list, size_t n_known, struct tmpl_set *set, struct buf *errors)
{
	struct parser p;
	size_t i, j;

	memset(&p, 0, sizeof(p));
	p.known = known_list;
	p.n_known = n_known;
	p.errors = errors;
	for (j = 0; j < n_langs; j++) {
		if (!lang_valid(langs[j])) {
			buf_addf(errors, "%s: invalid language code '%s'\n", dir, langs[j]);
			p.n_errors++;
		}
	}
	for (i = 0; i < n_names; i++) {
		if (!name_valid(names[i], strlen(names[i]))) {
			buf_addf(errors, "%s: invalid template name '%s'\n", dir, names[i]);
			p.n_errors++;
			continue;
		}
		load_one(&p, set, dir, "en", names[i], 1);
		for (j = 0; j < n_langs; j++)
			if (strcmp(langs[j], "en") != 0 && lang_valid(langs[j]))
				load_one(&p, set, dir, langs[j], names[i], 0);
	}
	return p.n_errors;
}

int
tmpl_check(const char *dir, const char *const *langs, size_t n_langs,
	   const char *const *names, size_t n_names,
	   const char *const *known_list, size_t n_known, struct buf *errors)
{
	return load_all(dir, langs, n_langs, names, n_names, known_list, n_known, NULL, errors);
}

int
tmpl_set_load(const char *dir, const char *const *langs, size_t n_langs,
	      const char *const *names, size_t n_names,
	      const char *const *known_list, size_t n_known,
	      struct tmpl_set **set_r, struct buf *errors)
{
	struct tmpl_set *set = xcalloc(1, sizeof(*set));
	int n = load_all(dir, langs, n_langs, names, n_names, known_list, n_known, set, errors);

	if (n > 0) {
		tmpl_set_free(&set);
		return n;
	}
	*set_r = set;
	return 0;
}

/* ---- labels ---- */

struct labels {
	const char *lang;
	const char *severity[4];	/* 1..4; priorities use the same words */
	const char *level[5];		/* 0..4 */
	const char *status[5];		/* in the order of statuses[] */
};

static const char *const statuses[] = {
	"new", "open", "pending", "resolved", "closed",
};

static const struct labels label_table[] = {
	{ "en",
	  { "Critical", "High", "Medium", "Low" },
	  { "Support Analyst", "Support Engineer", "Senior Support Engineer",
	    "Team Lead / Manager", "VP of Support" },
	  { "New", "Open", "Pending", "Resolved", "Closed" } },
	{ "de",
	  { "Kritisch", "Hoch", "Mittel", "Niedrig" },
	  { "Support-Analyst", "Support-Engineer", "Senior Support-Engineer",
	    "Teamleitung / Management", "VP Support" },
	  { "Neu", "Offen", "Wartend", "Gelöst", "Geschlossen" } },
	{ "es",
	  { "Crítica", "Alta", "Media", "Baja" },
	  { "Analista de soporte", "Ingeniero de soporte",
	    "Ingeniero de soporte sénior", "Jefe de equipo / Responsable",
	    "Vicepresidente de soporte" },
	  { "Nuevo", "Abierto", "Pendiente", "Resuelto", "Cerrado" } },
	{ "fr",
	  { "Critique", "Élevée", "Moyenne", "Faible" },
	  { "Analyste support", "Ingénieur support", "Ingénieur support senior",
	    "Chef d'équipe / Manager", "Vice-président support" },
	  { "Nouveau", "Ouvert", "En attente", "Résolu", "Clos" } },
	{ "fi",
	  { "Kriittinen", "Korkea", "Keskitaso", "Matala" },
	  { "Tukianalyytikko", "Tuki-insinööri", "Vanhempi tuki-insinööri",
	    "Tiiminvetäjä / esihenkilö", "Asiakastuen johtaja (VP)" },
	  { "Uusi", "Avoin", "Odottaa vastaustasi", "Ratkaistu", "Suljettu" } },
	{ "ja",
	  { "緊急", "高", "中", "低" },
	  { "テクニカルサポートアナリスト", "テクニカルサポートエンジニア",
	    "シニアテクニカルサポートエンジニア", "チームリーダーまたはマネージャー",
	    "VP" },
	  { "新規", "対応中", "お客様の回答待ち", "解決済み", "クローズ" } },
	{ "zh",
	  { "紧急", "高", "中", "低" },
	  { "技术支持分析师", "技术支持工程师", "高级技术支持工程师",
	    "团队负责人/经理", "副总裁 (VP)" },
	  { "新建", "处理中", "等待您的回复", "已解决", "已关闭" } },
};

static const struct labels *
labels_for(const char *lang)
{
	size_t i;

	for (i = 0; lang != NULL && i < N_ELEMENTS(label_table); i++) {
		if (strncmp(lang, label_table[i].lang, 2) == 0 &&
		    (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'))
			return &label_table[i];
	}
	return &label_table[0];
}

const char *
tmpl_label(const char *lang, const char *kind, int value)
{
	const struct labels *l = labels_for(lang);

	if (kind == NULL)
		return NULL;
	if (strcmp(kind, "severity") == 0 || strcmp(kind, "priority") == 0)
		return value >= 1 && value <= 4 ? l->severity[value - 1] : NULL;
	if (strcmp(kind, "level") == 0)
		return value >= 0 && value <= 4 ? l->level[value] : NULL;
	return NULL;
}

const char *
tmpl_status_label(const char *lang, const char *status)
{
	const struct labels *l = labels_for(lang);
	size_t i;

	for (i = 0; status != NULL && i < N_ELEMENTS(statuses); i++)
		if (strcmp(status, statuses[i]) == 0)
			return l->status[i];
	return NULL;
}
