/*
 * authres: the trusted Authentication-Results fields of a message
 * (RFC 8601) and the verdict on its From (see authres.h for the rules).
 */
#include "authres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imf.h"
#include "str.h"
#include "xmalloc.h"

#define AUTHRES_WORD_MAX 256      /* longer words (ids, domains) are cut, never trusted */

/* One result of one field: "spf=pass smtp.mailfrom=a@example.com". */
struct ar_result {
	char method[16];          /* lowercase, version dropped: dmarc, spf, dkim, … */
	char result[16];          /* lowercase: pass, fail, softfail, none, … */
	char domain[AUTHRES_WORD_MAX];  /* the domain it speaks for, lowercase, or "" */
};

struct ar_field {
	char id[AUTHRES_WORD_MAX];
	struct ar_result res[AUTHRES_MAX_RESULTS];
	size_t n;
};

/* ---- reading one field ---- */

struct ar_lex {
	const char *p;
	size_t len, i;
	struct buf word;
};

enum ar_tok { AR_END = 0, AR_SEMI, AR_EQ, AR_WORD };

/* The next item: ';', '=', or a word (a quoted string or a run of other bytes). */
static enum ar_tok
ar_next(struct ar_lex *l)
{
	char c;

	l->i = imf_skip_cfws(l->p, l->len, l->i);
	if (l->i >= l->len)
		return AR_END;
	c = l->p[l->i];
	if (c == ';' || c == '=') {
		l->i++;
		return c == ';' ? AR_SEMI : AR_EQ;
	}
	buf_reset(&l->word);
	if (c == '"') {
		l->i = imf_read_quoted(l->p, l->len, l->i, &l->word);
		return AR_WORD;
	}
	while (l->i < l->len) {
		c = l->p[l->i];
		if (str_is_space((unsigned char)c) || c == '(' || c == ';' || c == '=' || c == '"')
			break;
		buf_addc(&l->word, c);
		l->i++;
	}
	return AR_WORD;
}

/* Copy the current word, lowercase, cut to size; 0 when it did not fit. */
static int
ar_take(struct ar_lex *l, char *out, size_t size)
{
	const char *w = buf_str(&l->word);
	size_t n = strlen(w);

	snprintf(out, size, "%s", w);
	str_lower(out);
	return n < size;
}

/* The domain of a property value: "user@example.com", "@example.com" or "example.com". */
static void
ar_domain_of(const char *value, char *out, size_t size)
{
	const char *at = strrchr(value, '@');

	snprintf(out, size, "%s", at != NULL ? at + 1 : value);
	str_lower(out);
}

/*
 * One property of the current result ("smtp.mailfrom" = value): keep the
 * domain the method speaks for.  SPF: smtp.mailfrom, else smtp.helo;
 * DKIM: header.d, else the domain of header.i; DMARC: header.from.
 */
static void
ar_property(struct ar_result *r, const char *name, const char *value, int *have_strong)
{
	int strong = 0, weak = 0;

	if (strcmp(r->method, "spf") == 0) {
		strong = strcmp(name, "smtp.mailfrom") == 0;
		weak = strcmp(name, "smtp.helo") == 0;
	} else if (strcmp(r->method, "dkim") == 0) {
		strong = strcmp(name, "header.d") == 0;
		weak = strcmp(name, "header.i") == 0;
	} else if (strcmp(r->method, "dmarc") == 0) {
		strong = strcmp(name, "header.from") == 0;
	}
	if (strong || (weak && !*have_strong && r->domain[0] == '\0'))
		ar_domain_of(value, r->domain, sizeof(r->domain));
	if (strong)
		*have_strong = 1;
}

/*
 * Parse one field value: authserv-id [version] then "; method=result
 * [reason=…] [ptype.property=value]…" for each result ("; none" has
 * none).  Returns 0, or -1 when there is no authserv-id to read.
 */
static int
ar_parse(const char *value, struct ar_field *f)
{
	struct ar_lex l = { value, strlen(value), 0, BUF_INIT };
	struct ar_result *r = NULL;
	char name[64];
	enum ar_tok t;
	int have_strong = 0, rc = 0;

	memset(f, 0, sizeof(*f));
	if (ar_next(&l) != AR_WORD || !ar_take(&l, f->id, sizeof(f->id)) || f->id[0] == '\0') {
		rc = -1;
		goto out;
	}
	/* An optional version number, then results. */
	t = ar_next(&l);
	if (t == AR_WORD)
		t = ar_next(&l);
	while (t == AR_SEMI) {
		t = ar_next(&l);
		if (t != AR_WORD)
			continue;
		ar_take(&l, name, sizeof(name));
		t = ar_next(&l);
		if (t != AR_EQ) {
			/* "none" (no results), or junk up to the next ';' */
			while (t != AR_SEMI && t != AR_END)
				t = ar_next(&l);
			continue;
		}
		if (ar_next(&l) != AR_WORD) {
			t = ar_next(&l);
			continue;
		}
		r = NULL;
		if (f->n < AUTHRES_MAX_RESULTS) {
			r = &f->res[f->n++];
			memset(r, 0, sizeof(*r));
			name[strcspn(name, "/")] = '\0';        /* dkim/1 */
			snprintf(r->method, sizeof(r->method), "%.15s", name);
			ar_take(&l, r->result, sizeof(r->result));
			have_strong = 0;
		}
		/* reason=… and ptype.property=value pairs, up to the next ';' */
		for (t = ar_next(&l); t == AR_WORD; t = ar_next(&l)) {
			ar_take(&l, name, sizeof(name));
			t = ar_next(&l);
			if (t != AR_EQ)
				break;
			if (ar_next(&l) != AR_WORD)
				break;
			if (r != NULL && strcmp(name, "reason") != 0)
				ar_property(r, name, buf_str(&l.word), &have_strong);
		}
		while (t != AR_SEMI && t != AR_END)
			t = ar_next(&l);
	}
out:
	buf_release(&l.word);
	return rc;
}

/* ---- the verdict ---- */

/* The same domain, or one a subdomain of the other. */
static int
aligned(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == 0 || lb == 0)
		return 0;
	if (la == lb)
		return strcasecmp(a, b) == 0;
	if (la > lb)
		return a[la - lb - 1] == '.' && strcasecmp(a + la - lb, b) == 0;
	return b[lb - la - 1] == '.' && strcasecmp(b + lb - la, a) == 0;
}

static int
is_trusted(const char *id, const char *const *trusted, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (trusted[i] != NULL && strcasecmp(id, trusted[i]) == 0)
			return 1;
	return 0;
}

/* What one method says across the block: the topmost field's results, and any fail. */
struct ar_method {
	int seen;                 /* some field reported it */
	int field;                /* the topmost field that did (index), -1: none */
	int pass_aligned;         /* a pass for the From domain in that field */
	int pass_other;           /* a pass for some other domain there */
	int fail;                 /* a failing result (per method, below) anywhere */
	int negative;             /* DKIM: none, neutral, policy, permerror (no usable signature) */
	int other_from;           /* DMARC judged another From domain than the one we read */
	char shown[48];           /* for why: "dkim=none" */
};

static void
method_note(struct ar_method *m, int field, const struct ar_result *r, const char *from_domain)
{
	int pass = strcmp(r->result, "pass") == 0;

	if (m->field < 0)
		m->field = field;
	m->seen = 1;
	/*
	 * header.from is the From domain the MTA read.  When it is not the one
	 * we read, the two parsers disagree on who sent the mail (a malformed
	 * From such as "<a@victim.example>@attacker.example"): the verdict is
	 * about somebody else.
	 */
	if (strcmp(r->method, "dmarc") == 0 && r->domain[0] != '\0' &&
	    strcasecmp(r->domain, from_domain) != 0) {
		m->other_from = 1;
		snprintf(m->shown, sizeof(m->shown), "dmarc:header.from=%.16s", r->domain);
	}
	if (strcmp(r->result, "fail") == 0 ||
	    (strcmp(r->method, "spf") == 0 && strcmp(r->result, "softfail") == 0)) {
		/* A fail counts wherever it stands in the block, and is what the log shows. */
		m->fail = 1;
		if (!m->other_from)
			snprintf(m->shown, sizeof(m->shown), "%s=%s", r->method, r->result);
	}
	if (m->field != field)
		return;
	if (pass && (strcmp(r->method, "dmarc") == 0 || aligned(r->domain, from_domain))) {
		/* DMARC speaks for the From domain by definition. */
		m->pass_aligned = 1;
		if (!m->fail && !m->other_from)
			snprintf(m->shown, sizeof(m->shown), "%s=pass", r->method);
	} else if (pass) {
		m->pass_other = 1;
		if (!m->fail && !m->pass_aligned && !m->other_from)
			snprintf(m->shown, sizeof(m->shown), "%s=pass(unaligned)", r->method);
	} else if (strcmp(r->result, "none") == 0 || strcmp(r->result, "neutral") == 0 ||
		   strcmp(r->result, "policy") == 0 || strcmp(r->result, "permerror") == 0) {
		m->negative = 1;
	}
	if (m->shown[0] == '\0')
		snprintf(m->shown, sizeof(m->shown), "%s=%s", r->method, r->result);
}

static void
set_why(struct authres *r, const struct ar_method *a, const struct ar_method *b)
{
	snprintf(r->why, sizeof(r->why), "%s%s%s", a->shown, b != NULL && b->shown[0] != '\0' ? " " : "",
		 b != NULL ? b->shown : "");
}

void
authres_check(const struct mime_msg *m, const char *const *trusted, size_t n_trusted,
	      struct authres *r)
{
	struct ar_method dmarc, spf, dkim, *mm;
	struct ar_field *f;
	const char *at, *from_domain;
	size_t i, k;
	int fields = 0, in_block = 0, ended = 0, spf_failed, dkim_failed;

	memset(r, 0, sizeof(*r));
	if (n_trusted == 0) {
		r->verdict = AUTHRES_OFF;
		return;
	}
	r->verdict = AUTHRES_NONE;
	memset(&dmarc, 0, sizeof(dmarc));
	memset(&spf, 0, sizeof(spf));
	memset(&dkim, 0, sizeof(dkim));
	dmarc.field = spf.field = dkim.field = -1;
	at = m->from.address != NULL ? strrchr(m->from.address, '@') : NULL;
	from_domain = at != NULL ? at + 1 : "";
	f = xmalloc(sizeof(*f));
	for (i = 0; i < m->n_headers; i++) {
		const struct mime_header *h = &m->headers[i];

		if (strcasecmp(h->name, "Received") == 0 && in_block) {
			/* Below this hop the sender wrote the header, not our MTA. */
			in_block = 0;
			ended = 1;
			continue;
		}
		if (strcasecmp(h->name, "Authentication-Results") != 0)
			continue;
		if (ended || fields >= AUTHRES_MAX_FIELDS || ar_parse(h->value, f) < 0 ||
		    !is_trusted(f->id, trusted, n_trusted)) {
			r->ignored++;
			continue;
		}
		in_block = 1;
		for (k = 0; k < f->n; k++) {
			mm = strcmp(f->res[k].method, "dmarc") == 0 ? &dmarc :
			     strcmp(f->res[k].method, "spf") == 0 ? &spf :
			     strcmp(f->res[k].method, "dkim") == 0 ? &dkim : NULL;
			if (mm != NULL)
				method_note(mm, fields, &f->res[k], from_domain);
		}
		fields++;
	}
	free(f);
	r->fields = fields;
	if (dmarc.other_from) {
		r->verdict = AUTHRES_FAIL;
		set_why(r, &dmarc, NULL);
		return;
	}
	if (dmarc.fail) {
		r->verdict = AUTHRES_FAIL;
		snprintf(r->why, sizeof(r->why), "dmarc=fail");
		return;
	}
	if (dmarc.pass_aligned) {
		r->verdict = AUTHRES_PASS;
		snprintf(r->why, sizeof(r->why), "dmarc=pass");
		return;
	}
	spf_failed = spf.fail || (spf.pass_other && !spf.pass_aligned);
	dkim_failed = dkim.seen && !dkim.pass_aligned &&
		(dkim.fail || dkim.negative || dkim.pass_other);
	if (spf_failed && dkim_failed) {
		r->verdict = AUTHRES_FAIL;
		set_why(r, &spf, &dkim);
		return;
	}
	if (spf.pass_aligned || dkim.pass_aligned) {
		r->verdict = AUTHRES_PASS;
		snprintf(r->why, sizeof(r->why), "%s=pass", spf.pass_aligned ? "spf" : "dkim");
		return;
	}
	if (dmarc.seen || spf.seen || dkim.seen)
		set_why(r, dmarc.seen ? &dmarc : &spf, dmarc.seen ? NULL : &dkim);
}

const char *
authres_verdict_name(enum authres_verdict v)
{
	switch (v) {
	case AUTHRES_OFF: return "off";
	case AUTHRES_NONE: return "none";
	case AUTHRES_PASS: return "pass";
	case AUTHRES_FAIL: return "fail";
	}
	return "none";
}
