/*
 * test-corpus-mime4j: the MIME structure of Apache mime4j's test messages.
 *
 * For each X.msg under corpus/mime4j/{testmsgs,mimetools-testmsgs}, the
 * tree from mime_tree_parse() is written in mime4j's X_decoded.xml form
 * (header fields as written, multipart / message / body-part nesting,
 * text-body or binary-body) and compared with that file, preamble and
 * epilogue left out (ticketd has no use for them); then every decoded body
 * is compared with its X_decoded_N.txt/.bin file.  Prints the files that
 * differ and fails when fewer than MIN_MATCH_PERCENT match.
 *
 * TICKETD_SRC is the repository root; the corpus is ../shared/corpus.
 * MIME4J_VERBOSE=1 prints the expected and actual skeletons of failures.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "test.h"
#include "xmalloc.h"

#define MIN_MATCH_PERCENT 95

/*
 * Cases where mime4j's answer depends on a parser setting: the same input
 * appears with both settings' answers.  ticketd keeps going after a
 * malformed header line (as "malformedHeader-nocrlfcrlf" expects).  With
 * no header at all ticketd reads everything as body; mime4j keeps nothing
 * or only the first line there (the "-noheader" pair), which is no use
 * for mail.
 */
static const char *const other_setting[] = {
	"malformedHeaderStartsBody-nocrlfcrlf",
	"malformedHeaderStartsBody-noheader",
	"malformedHeader-noheader",
};

static void
xml_escape(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			buf_adds(out, "&lt;");
		else if (*s == '>')
			buf_adds(out, "&gt;");
		else if (*s == '&')
			buf_adds(out, "&amp;");
		else
			buf_addc(out, *s);
	}
}

struct bodies {
	const struct mime_node **v;
	size_t n;
};

static void
emit(struct buf *out, const struct mime_node *n, const char *tag, struct bodies *bodies)
{
	size_t i;

	buf_addf(out, "<%s>\n<header>\n", tag);
	for (i = 0; i < n->n_fields; i++) {
		buf_adds(out, "<field>\n");
		xml_escape(out, n->fields[i]);
		buf_adds(out, "</field>\n");
	}
	buf_adds(out, "</header>\n");
	switch (n->type) {
	case MIME_NODE_MULTIPART:
		buf_adds(out, "<multipart>\n");
		for (i = 0; i < n->n_children; i++)
			emit(out, &n->children[i], "body-part", bodies);
		buf_adds(out, "</multipart>\n");
		break;
	case MIME_NODE_MESSAGE:
		emit(out, &n->children[0], "message", bodies);
		break;
	default:
		buf_addf(out, "<%s name=\"\"/>\n",
			 strncmp(n->content_type, "text/", 5) == 0 ? "text-body" : "binary-body");
		bodies->v = xrealloc(bodies->v, (bodies->n + 1) * sizeof(*bodies->v));
		bodies->v[bodies->n++] = n;
		break;
	}
	buf_addf(out, "</%s>\n", tag);
}

/* CRLF to LF, in place. */
static void
to_lf(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (!(s[0] == '\r' && s[1] == '\n'))
			*w++ = *s;
	}
	*w = '\0';
}

/* Remove <tag>...</tag> and its line end, everywhere. */
static void
drop_element(char *s, const char *tag)
{
	char open[32], close[32];
	char *p;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>\n", tag);
	while ((p = strstr(s, open)) != NULL) {
		char *e = strstr(p, close);

		if (e == NULL)
			break;
		e += strlen(close);
		memmove(p, e, strlen(e) + 1);
	}
}

/* Blank the name="..." attributes; collect the names. */
static void
take_names(char *s, char ***names, size_t *n)
{
	char *p = s;

	while ((p = strstr(p, "-body name=\"")) != NULL) {
		char *start = p + 12, *end = strchr(start, '"');

		if (end == NULL)
			break;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrndup(start, (size_t)(end - start));
		memmove(start, end, strlen(end) + 1);
		p = start;
	}
}

/*
 * Compare X.msg: *tree_ok_r when the structure matches, *bodies_ok_r when
 * every decoded body does (compared in order whenever there are as many
 * bodies as mime4j wrote, even when the structure differs).  -1 when the
 * files cannot be read; prints what differs.
 */
static int
check_one(const char *dir, const char *base, int verbose, int *tree_ok_r, int *bodies_ok_r)
{
	char *path, *raw, *want;
	size_t raw_len, want_len, i, n_names = 0;
	char **names = NULL;
	struct buf got = BUF_INIT;
	struct bodies bodies = { NULL, 0 };
	struct mime_node *tree;
	int bad = 0, bodies_bad = 0;

	path = xasprintf("%s/%s.msg", dir, base);
	raw = test_slurp(path, &raw_len);
	free(path);
	path = xasprintf("%s/%s_decoded.xml", dir, base);
	want = test_slurp(path, &want_len);
	free(path);
	if (raw == NULL || want == NULL) {
		free(raw);
		free(want);
		return -1;
	}
	tree = mime_tree_parse(raw, raw_len, NULL);
	emit(&got, tree, "message", &bodies);
	to_lf(want);
	to_lf(got.data);
	drop_element(want, "preamble");
	drop_element(want, "epilogue");
	take_names(want, &names, &n_names);
	if (strcmp(want, got.data) != 0) {
		printf("# %s/%s: tree differs\n", dir, base);
		if (verbose)
			printf("# want:\n%s\n# got:\n%s\n", want, got.data);
		bad = 1;
	}
	if (n_names != bodies.n) {
		printf("# %s/%s: %zu bodies, want %zu\n", dir, base, bodies.n, n_names);
		bodies_bad = 1;
	}
	for (i = 0; !bodies_bad && i < n_names && i < bodies.n; i++) {
		size_t len;
		char *data;

		path = xasprintf("%s/%s", dir, names[i]);
		data = test_slurp(path, &len);
		free(path);
		if (data == NULL) {
			/* mime4j writes no file for an empty body */
			data = xstrdup("");
			len = 0;
		}
		if (len != bodies.v[i]->size || memcmp(data, bodies.v[i]->data, len) != 0) {
			printf("# %s/%s: body %zu (%s) differs: %zu bytes, want %zu\n",
			       dir, base, i + 1, names[i], bodies.v[i]->size, len);
			if (verbose)
				printf("# want:\n%s\n# got:\n%s\n", data, bodies.v[i]->data);
			bodies_bad = 1;
		}
		free(data);
	}
	for (i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	free(bodies.v);
	buf_release(&got);
	mime_tree_free(&tree);
	free(raw);
	free(want);
	*tree_ok_r = !bad;
	*bodies_ok_r = !bodies_bad;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_other_setting(const char *base)
{
	size_t i;

	for (i = 0; i < sizeof(other_setting) / sizeof(other_setting[0]); i++) {
		if (strcmp(base, other_setting[i]) == 0)
			return 1;
	}
	return 0;
}

struct tally {
	size_t total;
	size_t tree_ok;
	size_t bodies_ok;
	size_t ok;            /* both */
	size_t skipped;
};

static void
run_dir(const char *dir, int verbose, struct tally *t)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (d == NULL) {
		printf("# cannot open '%s': %s\n", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".msg") == 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrndup(e->d_name, len - 4);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		int tree_ok, bodies_ok;

		if (is_other_setting(names[i])) {
			t->skipped++;
			free(names[i]);
			continue;
		}
		if (check_one(dir, names[i], verbose, &tree_ok, &bodies_ok) == 0) {
			t->total++;
			t->tree_ok += tree_ok;
			t->bodies_ok += bodies_ok;
			t->ok += tree_ok && bodies_ok;
		}
		free(names[i]);
	}
	free(names);
}

int
main(void)
{
	const char *src = getenv("TICKETD_SRC");
	const char *verbose = getenv("MIME4J_VERBOSE");
	char *dir;
	struct tally t = { 0, 0, 0, 0, 0 };
	DIR *d;

	if (src == NULL)
		src = ".";
	dir = xasprintf("%s/../shared/corpus/mime4j", src);
	d = opendir(dir);
	if (d == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		free(dir);
		return 77;
	}
	closedir(d);
	test_begin("mime4j corpus structure and bodies");
	{
		char *a = xasprintf("%s/testmsgs", dir), *b = xasprintf("%s/mimetools-testmsgs", dir);

		run_dir(a, verbose != NULL, &t);
		run_dir(b, verbose != NULL, &t);
		free(a);
		free(b);
	}
	printf("# mime4j: %zu of %zu match (%.1f %%); %zu left out (other parser setting)\n",
	       t.ok, t.total, t.total ? 100.0 * (double)t.ok / (double)t.total : 0.0, t.skipped);
	printf("# mime4j parts (the tree): %zu of %zu; bodies (decoded, in order): %zu of %zu\n",
	       t.tree_ok, t.total, t.bodies_ok, t.total);
	test_assert(t.total > 0);
	test_assert(t.ok * 100 >= t.total * MIN_MATCH_PERCENT);
	test_end();
	free(dir);
	return test_done();
}
