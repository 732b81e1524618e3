/* Unit tests for lib/desk/tmpl.c: the template engine, the shipped templates
 * and the label functions. */
#include "test.h"
#include "tmpl.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/test-tmpl.XXXXXX";
static char *created[64];
static size_t n_created;

/* Write dir/lang/name.txt under tmpdir, remembering it for cleanup. */
static void
write_template(const char *lang, const char *name, const char *text)
{
	char *dir = xasprintf("%s/%s", tmpdir, lang);
	char *path = xasprintf("%s/%s.txt", dir, name);
	FILE *f;

	if (mkdir(dir, 0700) == 0 && n_created < N_ELEMENTS(created))
		created[n_created++] = xstrdup(dir);
	f = fopen(path, "w");
	if (f == NULL) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	if (n_created < N_ELEMENTS(created))
		created[n_created++] = path;
	else
		free(path);
	free(dir);
}

static void
cleanup(void)
{
	size_t i;

	/* Files were added after their directory: remove in reverse. */
	for (i = n_created; i > 0; i--) {
		if (unlink(created[i - 1]) != 0)
			rmdir(created[i - 1]);
		free(created[i - 1]);
	}
	rmdir(tmpdir);
}

static const char *
src_dir(void)
{
	static char buf[4096];
	const char *env = getenv("TICKETD_SRC");
	const char *cut;

	if (env != NULL && *env != '\0')
		return env;
	/* Built from the source tree: __FILE__ is .../t/unit/test-tmpl.c. */
	cut = strstr(__FILE__, "/t/unit/");
	if (cut == NULL)
		return ".";
	snprintf(buf, sizeof(buf), "%.*s", (int)(cut - __FILE__), __FILE__);
	return buf;
}

/* Render from tmpdir; returns the body or the error, *subject_r set on success. */
static char *
render(const char *lang, const char *name, const struct tmpl_var *vars, size_t n,
       char **subject_r, int *ret_r)
{
	char *subject = NULL, *body = NULL, *error = NULL;

	*ret_r = tmpl_render(tmpdir, lang, name, vars, n, &subject, &body, &error);
	if (*ret_r != 0) {
		*subject_r = NULL;
		return error;
	}
	*subject_r = subject;
	return body;
}

static void
test_substitution(void)
{
	struct tmpl_var vars[] = {
		{ "ticket", "SUP-42" },
		{ "subject", "Printer on fire" },
		{ "requester_name", "Ann" },
		{ "comment", "line one\nline two" },
	};
	char *subject, *body;
	int ret;

	test_begin("tmpl substitution");
	write_template("en", "subst",
		       "Subject: [{{ticket}}] {{subject}}\n"
		       "\n"
		       "Hello {{requester_name}}, ticket {{ ticket }}.\n"
		       "{{comment}}\n"
		       "Unset: <{{phone}}>\n");
	body = render("en", "subst", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "[SUP-42] Printer on fire");
	test_assert_streq(body, "Hello Ann, ticket SUP-42.\nline one\nline two\nUnset: <>\n");
	free(subject);
	free(body);
	test_end();
}

static void
test_subject_one_line(void)
{
	struct tmpl_var vars[] = {
		{ "ticket", "SUP-1" },
		{ "subject", "hi\r\nBcc: victim@example.com\n" },
	};
	char *subject, *body;
	int ret;

	test_begin("tmpl subject: CR/LF in values become spaces");
	write_template("en", "subj", "Subject: [{{ticket}}] {{subject}}\n\n{{subject}}\n");
	body = render("en", "subj", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "[SUP-1] hi  Bcc: victim@example.com");
	test_assert(strchr(subject, '\r') == NULL && strchr(subject, '\n') == NULL);
	/* The body takes values as they are. */
	test_assert_streq(body, "hi\r\nBcc: victim@example.com\n\n");
	free(subject);
	free(body);
	test_end();
}

static void
test_sections(void)
{
	static const char *text =
		"Subject: {{#ticket}}[{{ticket}}] {{/ticket}}{{subject}}\n"
		"\n"
		"A\n"
		"{{#phone}}\n"
		"Call {{phone}}.\n"
		"{{/phone}}\n"
		"  {{^phone}}  \n"
		"No phone.\n"
		"{{/phone}}\n"
		"Due{{#due}}: {{due}}{{/due}}{{^due}} unknown{{/due}}.\n"
		"{{#previous}}\n"
		"Previous {{previous}}\n"
		"{{#due}}\n"
		"and due {{due}}\n"
		"{{/due}}\n"
		"{{/previous}}\n"
		"Z\n";
	struct tmpl_var set[] = {
		{ "ticket", "SUP-7" }, { "subject", "s" }, { "phone", "+1 555" },
		{ "due", "Mon 10:00" }, { "previous", "SUP-6" },
	};
	struct tmpl_var empty[] = {
		{ "ticket", "" }, { "subject", "s" }, { "phone", "" },
		{ "due", "" }, { "previous", "SUP-6" },
	};
	struct tmpl_var unset[] = {
		{ "subject", "s" }, { "phone", NULL },
	};
	char *subject, *body;
	int ret;

	write_template("en", "sect", text);

	test_begin("tmpl sections: set");
	body = render("en", "sect", set, N_ELEMENTS(set), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "[SUP-7] s");
	test_assert_streq(body, "A\nCall +1 555.\nDue: Mon 10:00.\n"
			  "Previous SUP-6\nand due Mon 10:00\nZ\n");
	free(subject);
	free(body);
	test_end();

	test_begin("tmpl sections: empty values count as unset");
	body = render("en", "sect", empty, N_ELEMENTS(empty), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "s");
	test_assert_streq(body, "A\nNo phone.\nDue unknown.\nPrevious SUP-6\nZ\n");
	free(subject);
	free(body);
	test_end();

	test_begin("tmpl sections: unset, standalone tag lines leave no blank line");
	body = render("en", "sect", unset, N_ELEMENTS(unset), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "s");
	test_assert_streq(body, "A\nNo phone.\nDue unknown.\nZ\n");
	free(subject);
	free(body);
	test_end();

	test_begin("tmpl CRLF template file");
	write_template("en", "crlf", "Subject: x {{ticket}}\r\n\r\n{{#ticket}}\r\nT={{ticket}}\r\n{{/ticket}}\r\nend\r\n");
	body = render("en", "crlf", set, N_ELEMENTS(set), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "x SUP-7");
	test_assert_streq(body, "T=SUP-7\nend\n");
	free(subject);
	free(body);
	test_end();
}

static void
test_errors(void)
{
	struct tmpl_var vars[] = { { "ticket", "SUP-1" } };
	struct tmpl_var bad_var[] = { { "tikcet", "SUP-1" } };
	char *subject, *err;
	int ret;

	test_begin("tmpl unknown variable in template is an error");
	write_template("en", "unknown", "Subject: x\n\nok\n{{nosuchvar}}\n");
	err = render("en", "unknown", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "/en/unknown.txt:4: unknown variable 'nosuchvar'") != NULL);
	test_assert(subject == NULL);
	free(err);
	test_end();

	test_begin("tmpl unknown variable from the caller is an error");
	err = render("en", "subst", bad_var, N_ELEMENTS(bad_var), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "unknown variable 'tikcet'") != NULL);
	free(err);
	test_end();

	test_begin("tmpl unclosed section reports file:line");
	write_template("ja", "comment", "Subject: x\n\n{{#phone}}\nCall\n");
	err = render("ja", "comment", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "/ja/comment.txt:3: unclosed section 'phone'") != NULL);
	test_assert(err != NULL && strncmp(err, tmpdir, strlen(tmpdir)) == 0);
	free(err);
	test_end();

	test_begin("tmpl mismatched and stray closing tags");
	write_template("en", "mismatch", "Subject: x\n\n{{#phone}}a{{/due}}\n{{/phone}}\n{{/phone}}\n");
	err = render("en", "mismatch", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "mismatch.txt:3: section 'phone' closed by '{{/due}}'") != NULL);
	free(err);
	test_end();

	test_begin("tmpl missing template and bad names");
	err = render("en", "nosuch", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "unable to read '") != NULL &&
		    strstr(err, "/en/nosuch.txt'") != NULL);
	free(err);
	err = render("en", "../../etc/passwd", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(err != NULL && strstr(err, "invalid template name") != NULL);
	free(err);
	test_end();
}

static void
test_fallback(void)
{
	struct tmpl_var vars[] = { { "ticket", "SUP-9" } };
	char *subject, *body;
	int ret;

	test_begin("tmpl falls back to en");
	write_template("en", "fb", "Subject: en {{ticket}}\n\nenglish\n");
	write_template("de", "fb2", "Subject: de\n\ndeutsch\n");
	body = render("de", "fb", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "en SUP-9");
	test_assert_streq(body, "english\n");
	free(subject);
	free(body);
	/* A language without a directory, and a hostile one. */
	body = render("fi", "fb", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(body, "english\n");
	free(subject);
	free(body);
	body = render("../de", "fb", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(body, "english\n");
	free(subject);
	free(body);
	body = render(NULL, "fb", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	free(subject);
	free(body);
	/* The language's own file wins. */
	write_template("de", "fb", "Subject: de {{ticket}}\n\ndeutsch\n");
	body = render("de", "fb", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "de SUP-9");
	test_assert_streq(body, "deutsch\n");
	free(subject);
	free(body);
	test_end();
}

static void
test_check_real(void)
{
	struct buf errors = BUF_INIT;
	const char *const *langs, *const *names, *const *known;
	size_t n_langs, n_names, n_known, i, j;
	char *dir = xasprintf("%s/conf/templates", src_dir());
	char *path;
	int n;

	langs = tmpl_langs(&n_langs);
	names = tmpl_names(&n_names);
	known = tmpl_known_vars(&n_known);

	test_begin("tmpl_check: shipped templates, 7 languages x all names");
	test_assert_inteq(n_langs, 7);
	test_assert_inteq(n_names, 11);
	test_assert_inteq(n_known, 30);
	n = tmpl_check(dir, langs, n_langs, names, n_names, known, n_known, &errors);
	test_assert_inteq(n, 0);
	if (n != 0)
		printf("# %s", buf_str(&errors));
	/* No fallback hides a missing translation: every file is there. */
	for (i = 0; i < n_langs; i++) {
		for (j = 0; j < n_names; j++) {
			path = xasprintf("%s/%s/%s.txt", dir, langs[i], names[j]);
			if (access(path, R_OK) != 0) {
				printf("#   missing %s\n", path);
				test_assert(!"template file missing");
			}
			free(path);
		}
	}
	buf_release(&errors);
	free(dir);
	test_end();
}

static void
test_check_broken(void)
{
	static const char *const langs[] = { "en", "de", "fr", "bad/lang" };
	static const char *const names[] = { "good", "gone", "broken", "noblank", "binary" };
	static const char *const known[] = { "ticket", "subject", "phone" };
	struct buf errors = BUF_INIT;
	const char *e;
	int n;

	test_begin("tmpl_check: a broken template directory");
	write_template("en", "good", "Subject: [{{ticket}}] {{subject}}\n\n{{#phone}}{{phone}}{{/phone}}\n");
	write_template("de", "good",
		       "Subject: [{{ticket}}] {{subjekt}}\n"	/* 1: unknown variable */
		       "X-Extra: no\n"				/* 2: unknown header */
		       "\n"
		       "{{#phone}}\n"				/* 4: unclosed */
		       "{{ticket}\n"				/* 5: no }} */
		       "{{/subject}}\n");			/* 6: stray close */
	/* "gone": no en file at all (de has one, fine on its own). */
	write_template("de", "gone", "Subject: x\n\ny\n");
	write_template("en", "broken", "Subject: {{#ticket}}x\n\n{{#}}\n");
	write_template("en", "noblank", "Subject: x\n");
	write_template("en", "binary", "Subject: x\n\nbad \xC3\x28 byte\n");
	n = tmpl_check(tmpdir, langs, N_ELEMENTS(langs), names, N_ELEMENTS(names),
		       known, N_ELEMENTS(known), &errors);
	e = buf_str(&errors);
	test_assert(strstr(e, "invalid language code 'bad/lang'\n") != NULL);
	test_assert(strstr(e, "/de/good.txt:1: unknown variable 'subjekt'\n") != NULL);
	test_assert(strstr(e, "/de/good.txt:2: unknown header 'X-Extra'\n") != NULL);
	test_assert(strstr(e, "/de/good.txt:4: unclosed section 'phone'\n") != NULL);
	test_assert(strstr(e, "/de/good.txt:5: '{{' without '}}'\n") != NULL);
	test_assert(strstr(e, "/de/good.txt:6: section 'phone' closed by '{{/subject}}'\n") != NULL);
	test_assert(strstr(e, "/en/gone.txt': No such file or directory\n") != NULL);
	test_assert(strstr(e, "/en/broken.txt:1: unclosed section 'ticket'\n") != NULL);
	test_assert(strstr(e, "/en/broken.txt:3: bad tag '{{#}}'\n") != NULL);
	test_assert(strstr(e, "/en/noblank.txt:1: missing blank line after the headers\n") != NULL);
	test_assert(strstr(e, "/en/binary.txt:3: not valid UTF-8\n") != NULL);
	/* fr has no files: falling back to en is fine. */
	test_assert(strstr(e, "/fr/") == NULL);
	test_assert_inteq(n, 11);
	if (n != 11)
		printf("# %s", e);
	buf_release(&errors);
	test_end();
}

/* Render every shipped template with all variables set, then all unset. */
static void
test_render_real(void)
{
	struct tmpl_var full[] = {
		{ "ticket", "SUP-1234" }, { "subject", "Export fails" },
		{ "requester", "ann@example.com" }, { "requester_name", "Ann Smith" },
		{ "severity", "1" }, { "severity_name", "Critical" },
		{ "priority", "2" }, { "priority_name", "High" },
		{ "status", "resolved" }, { "status_name", "Resolved" },
		{ "old_status_name", "Open" }, { "region", "EMEA" },
		{ "hours", "Mon-Fri 08:00-17:00 CET" }, { "due", "2024-03-05 16:00 CET" },
		{ "phone", "+44 127-988-1543" }, { "previous", "SUP-1200" },
		{ "author", "Jane Agent" }, { "comment", "Please try version 7.2." },
		{ "level", "2" }, { "level_name", "Senior Support Engineer" },
		{ "sharer", "Bob Jones" }, { "limit", "25 MiB" }, { "plan", "SP2" },
		{ "support_name", "Example Technical Support" },
		{ "support_address", "support@example.com" },
		{ "attachments", "  fix-7.2.patch (2 KB)" },
		{ "withheld", "  hotfix-7.2.zip (45.0 MB)" }, { "outgoing_limit", "10 MB" },
		{ "dropped", "  core.dump (310.5 MB)" }, { "quota", "200 MB" },
	};
	struct tmpl_var minimal[] = {
		{ "ticket", "SUP-1" }, { "subject", "x" },
	};
	const char *const *langs, *const *names;
	size_t n_langs, n_names, i, j;
	char *dir = xasprintf("%s/conf/templates", src_dir());
	char *subject, *body, *error;
	int ok = 1, ret;

	langs = tmpl_langs(&n_langs);
	names = tmpl_names(&n_names);
	test_begin("tmpl shipped templates render cleanly (all set, all unset)");
	for (i = 0; i < n_langs; i++) {
		for (j = 0; j < n_names; j++) {
			ret = tmpl_render(dir, langs[i], names[j], full, N_ELEMENTS(full),
					  &subject, &body, &error);
			if (ret != 0) {
				printf("#   %s\n", error);
				free(error);
				ok = 0;
				continue;
			}
			if (*subject == '\0' || strstr(body, "{{") != NULL ||
			    strstr(body, "\n\n\n") != NULL || body[0] == '\n' ||
			    strstr(subject, "{{") != NULL) {
				printf("#   %s/%s: bad output\n", langs[i], names[j]);
				ok = 0;
			}
			/* The customer's ticket number is in the subject... */
			if (strcmp(names[j], "refusal") != 0 && strstr(subject, "SUP-1234") == NULL) {
				printf("#   %s/%s: no ticket in subject\n", langs[i], names[j]);
				ok = 0;
			}
			/* ...but a refusal reveals nothing about tickets. */
			if (strcmp(names[j], "refusal") == 0 &&
			    (strstr(subject, "SUP-") != NULL || strstr(body, "SUP-") != NULL)) {
				printf("#   %s/refusal mentions a ticket\n", langs[i]);
				ok = 0;
			}
			/* The files: carried, withheld (with the limit), dropped (with the limits). */
			if (strcmp(names[j], "comment") == 0 &&
			    (strstr(body, "fix-7.2.patch (2 KB)") == NULL ||
			     strstr(body, "hotfix-7.2.zip (45.0 MB)") == NULL ||
			     strstr(body, "10 MB") == NULL)) {
				printf("#   %s/comment misses attachments/withheld/outgoing_limit\n", langs[i]);
				ok = 0;
			}
			if ((strcmp(names[j], "autoresponse") == 0 || strcmp(names[j], "dropped") == 0) &&
			    (strstr(body, "core.dump (310.5 MB)") == NULL ||
			     strstr(body, "25 MiB") == NULL || strstr(body, "200 MB") == NULL)) {
				printf("#   %s/%s misses dropped/limit/quota\n", langs[i], names[j]);
				ok = 0;
			}
			if (strcmp(names[j], "autoresponse") == 0 &&
			    (strstr(body, "+44 127-988-1543") == NULL ||
			     strstr(body, "SUP-1200") == NULL ||
			     strstr(body, "2024-03-05 16:00 CET") == NULL ||
			     strstr(body, "Mon-Fri 08:00-17:00 CET") == NULL)) {
				printf("#   %s/autoresponse misses phone/previous/due/hours\n", langs[i]);
				ok = 0;
			}
			free(subject);
			free(body);

			ret = tmpl_render(dir, langs[i], names[j], minimal, N_ELEMENTS(minimal),
					  &subject, &body, &error);
			if (ret != 0) {
				printf("#   %s\n", error);
				free(error);
				ok = 0;
				continue;
			}
			if (strstr(body, "\n\n\n") != NULL || body[0] == '\n') {
				printf("#   %s/%s: stray blank lines when unset\n", langs[i], names[j]);
				ok = 0;
			}
			free(subject);
			free(body);
		}
	}
	test_assert(ok);
	free(dir);
	test_end();
}

static void
test_labels(void)
{
	test_begin("tmpl_label / tmpl_status_label");
	test_assert_streq(tmpl_label("en", "severity", 1), "Critical");
	test_assert_streq(tmpl_label("en", "severity", 4), "Low");
	test_assert_streq(tmpl_label("en", "priority", 2), "High");
	test_assert_streq(tmpl_label("de", "priority", 3), "Mittel");
	test_assert_streq(tmpl_label("ja", "severity", 1), "緊急");
	test_assert_streq(tmpl_label("zh", "severity", 4), "低");
	test_assert_streq(tmpl_label("zh-Hans", "severity", 4), "低");
	test_assert_streq(tmpl_label("en", "level", 0), "Support Analyst");
	test_assert_streq(tmpl_label("en", "level", 4), "VP of Support");
	test_assert_streq(tmpl_label("ja", "level", 2), "シニアテクニカルサポートエンジニア");
	test_assert_streq(tmpl_label("xx", "severity", 2), "High");
	test_assert_streq(tmpl_label(NULL, "severity", 3), "Medium");
	test_assert(tmpl_label("en", "severity", 0) == NULL);
	test_assert(tmpl_label("en", "severity", 5) == NULL);
	test_assert(tmpl_label("en", "level", 5) == NULL);
	test_assert(tmpl_label("en", "level", -1) == NULL);
	test_assert(tmpl_label("en", "colour", 1) == NULL);
	test_assert_streq(tmpl_status_label("en", "pending"), "Pending");
	test_assert_streq(tmpl_status_label("fr", "closed"), "Clos");
	test_assert_streq(tmpl_status_label("fi", "resolved"), "Ratkaistu");
	test_assert_streq(tmpl_status_label("es", "open"), "Abierto");
	test_assert_streq(tmpl_status_label("ja", "new"), "新規");
	test_assert(tmpl_status_label("en", "deleted") == NULL);
	test_assert(tmpl_status_label("en", NULL) == NULL);
	test_end();

	test_begin("tmpl labels exist for every language, kind and value");
	{
		static const char *const statuses[] = { "new", "open", "pending", "resolved", "closed" };
		const char *const *langs;
		size_t n_langs, i;
		int v, ok = 1;

		langs = tmpl_langs(&n_langs);
		for (i = 0; i < n_langs; i++) {
			for (v = 1; v <= 4; v++)
				ok &= tmpl_label(langs[i], "severity", v) != NULL &&
					tmpl_label(langs[i], "priority", v) != NULL;
			for (v = 0; v <= 4; v++)
				ok &= tmpl_label(langs[i], "level", v) != NULL;
			for (v = 0; v < 5; v++)
				ok &= tmpl_status_label(langs[i], statuses[v]) != NULL;
			/* Translated, not English, outside en. */
			if (i > 0)
				ok &= strcmp(tmpl_label(langs[i], "level", 1), "Support Engineer") != 0;
		}
		test_assert(ok);
	}
	test_end();
}

/* Render name in lang through c; the body or the error, the subject in *subject_r. */
static char *
render_cached(struct tmpl_cache *c, const char *lang, const char *name, const struct tmpl_var *vars,
	      size_t n, char **subject_r, int *ret_r)
{
	char *subject = NULL, *body = NULL, *error = NULL;

	*ret_r = tmpl_render_cached(c, tmpdir, lang, name, vars, n, &subject, &body, &error);
	*subject_r = subject;
	return *ret_r == 0 ? body : error;
}

static void
test_cache(void)
{
	struct tmpl_var vars[] = { { "ticket", "SUP-7" } };
	struct tmpl_cache *c = tmpl_cache_new();
	char *subject, *body;
	int ret;

	test_begin("tmpl cache: a file is read once, a missing language falls back once, a new cache reads again");
	write_template("en", "cached", "Subject: one {{ticket}}\n\nfirst {{ticket}}\n");
	body = render_cached(c, "de", "cached", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(subject, "one SUP-7");
	test_assert_streq(body, "first SUP-7\n");
	free(subject);
	free(body);
	/* Edited on disk: the cache keeps what it read (until the next reload). */
	write_template("en", "cached", "Subject: two {{ticket}}\n\nsecond {{ticket}}\n");
	body = render_cached(c, "de", "cached", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(body, "first SUP-7\n");
	free(subject);
	free(body);
	body = render_cached(NULL, "en", "cached", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, 0);
	test_assert_streq(body, "second SUP-7\n");
	free(subject);
	free(body);
	tmpl_cache_free(&c);
	test_assert(c == NULL);
	c = tmpl_cache_new();
	body = render_cached(c, "en", "cached", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_streq(body, "second SUP-7\n");
	free(subject);
	free(body);
	/* A broken file and a missing one: their errors are kept, the same each time. */
	write_template("en", "broken", "Subject: x\n\n{{#ticket}}open\n");
	body = render_cached(c, "en", "broken", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(body != NULL && strstr(body, "broken.txt:") != NULL);
	free(body);
	body = render_cached(c, "en", "broken", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(body != NULL && strstr(body, "broken.txt:") != NULL);
	free(body);
	body = render_cached(c, "fr", "absent", vars, N_ELEMENTS(vars), &subject, &ret);
	test_assert_inteq(ret, -1);
	test_assert(body != NULL && strstr(body, "en/absent.txt") != NULL &&
		    strstr(body, "No such file") != NULL);
	free(body);
	tmpl_cache_free(&c);
	test_end();
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_substitution();
	test_subject_one_line();
	test_sections();
	test_errors();
	test_fallback();
	test_labels();
	test_check_real();
	test_render_real();
	test_check_broken();
	test_cache();
	cleanup();
	return test_done();
}
