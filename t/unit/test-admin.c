/* Unit tests for lib/util/csv.c and lib/desk/admin.c: the CSV reader, the input
 * checks, the plan's contact limit and the all-or-nothing import. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "csv.h"
#include "store.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test-admin.XXXXXX";

/* Read all of text; the records joined as "a|b;c|d;" (or "!error;"). */
static char *
csv_dump(const char *text, size_t len)
{
	struct csv c;
	struct buf out = BUF_INIT;
	char **f;
	const char *error;
	size_t n, line, i;
	int rc;

	csv_init(&c, text, len);
	while ((rc = csv_next(&c, &f, &n, &line, &error)) != 0) {
		if (rc < 0) {
			buf_addf(&out, "%zu!%s;", line, error);
			continue;
		}
		buf_addf(&out, "%zu:", line);
		for (i = 0; i < n; i++)
			buf_addf(&out, "%s%s", i > 0 ? "|" : "", f[i]);
		buf_addc(&out, ';');
		csv_fields_free(&f, n);
	}
	return buf_detach(&out, NULL);
}

static void
test_csv(void)
{
	const char *text;
	char *s;

	test_begin("csv: plain, quoted, CRLF, BOM, empty fields and lines");
	text = "\xef\xbb\xbf" "a,b\r\n\"c,d\",\"e \"\"q\"\"\"\n\n,x,\n";
	s = csv_dump(text, strlen(text));
	test_assert_streq(s, "1:a|b;2:c,d|e \"q\";3:;4:|x|;");
	free(s);
	text = "a,\"multi\nline\"\nb,c";
	s = csv_dump(text, strlen(text));
	test_assert_streq(s, "1:a|multi\nline;3:b|c;");
	free(s);
	test_end();

	test_begin("csv: errors name their line, and reading goes on");
	text = "a,\"b\"x\nc,d\ne\"f,g\nh,i\n\"open";
	s = csv_dump(text, strlen(text));
	test_assert_streq(s, "1!text after a closing quote;2:c|d;3!quote inside an unquoted field;"
			  "4:h|i;5!unterminated quoted field;");
	free(s);
	s = csv_dump("a,b\0c,d\n", 8);
	test_assert_streq(s, "1!NUL byte in a field;");
	free(s);
	test_end();
}

static void
test_checks(void)
{
	test_begin("names: text without control characters, valid UTF-8");
	test_assert(admin_name_valid("Yamada Trading 山田商事"));
	test_assert(!admin_name_valid(""));
	test_assert(!admin_name_valid("   "));
	test_assert(!admin_name_valid("Evil\r\nBcc: x@example.com"));
	test_assert(!admin_name_valid("tab\there"));
	test_assert(!admin_name_valid("\xc2\x85next line"));
	test_assert(!admin_name_valid("bad \xff utf-8"));
	test_end();

	test_begin("domains and addresses");
	test_assert(admin_domain_valid("acme.example"));
	test_assert(admin_domain_valid("mail-1.acme.example"));
	test_assert(!admin_domain_valid("-acme.example"));
	test_assert(!admin_domain_valid("acme..example"));
	test_assert(!admin_domain_valid("acme.example."));
	test_assert(!admin_domain_valid("ac me.example"));
	test_assert(admin_address_valid("alice@acme.example"));
	test_assert(admin_address_valid("alice+tag@acme.example"));
	test_assert(!admin_address_valid("alice@localhost"));
	test_assert(!admin_address_valid("alice"));
	test_assert(!admin_address_valid("a@b@acme.example"));
	test_assert(!admin_address_valid(".alice@acme.example"));
	test_assert(!admin_address_valid("alice@acme.example\r\nBcc: v@example.com"));
	test_assert(!admin_address_valid("<alice@acme.example>"));
	test_end();
}

static struct conf *
load_conf(void)
{
	struct buf errors = BUF_INIT;
	struct conf *conf;
	char *path = xasprintf("%s/ticketd.conf", tmpdir);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		exit(1);
	fprintf(f, "[general]\ndatabase = %s/ticketd.db\nsupport_address = support@example.com\n"
		"default_plan = Tiny\n"
		"[plan Tiny]\ntarget_sev1 = 1h\ntarget_sev2 = 1h\ntarget_sev3 = 1h\n"
		"target_sev4 = 1h\nmax_contacts = 2\n"
		"[plan Open]\ntarget_sev1 = 1h\ntarget_sev2 = 1h\ntarget_sev3 = 1h\n"
		"target_sev4 = 1h\nmax_contacts = 0\n", tmpdir);
	fclose(f);
	if (conf_load(path, &conf, &errors) < 0) {
		printf("Bail out! conf_load: %s\n", buf_str(&errors));
		exit(1);
	}
	buf_release(&errors);
	free(path);
	return conf;
}

static void
test_registry(const struct conf *conf, struct store *st)
{
	struct org o, got;
	struct buf errors = BUF_INIT;
	char *error = NULL, *domains[] = { "Acme.Example" };
	const char *csv;
	size_t n = 0;

	test_begin("org add: plan and region from the configuration, canonical");
	memset(&o, 0, sizeof(o));
	o.name = "Acme";
	o.plan = "tiny";
	o.region = "emea";
	o.domains = domains;
	o.n_domains = 1;
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_OK);
	test_assert(store_org_get(st, "acme", &got) == 1);
	test_assert_streq(got.plan, "Tiny");
	test_assert_streq(got.region, "EMEA");
	test_assert(got.n_domains == 1 && strcmp(got.domains[0], "acme.example") == 0);
	org_release(&got);
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_REFUSED);
	xfree(&error);
	o.name = "Other";
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_REFUSED);
	test_assert(error != NULL && strstr(error, "already belongs") != NULL);
	xfree(&error);
	o.n_domains = 0;
	o.plan = "Gold";
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_INVALID);
	test_assert_streq(error, "no plan 'Gold' in the configuration");
	xfree(&error);
	o.plan = "Open";
	o.region = "MARS";
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_INVALID);
	xfree(&error);
	o.region = "APAC";
	test_assert_inteq(admin_org_add(conf, st, &o, &error), ADMIN_OK);
	test_end();

	test_begin("contact add: checks, and the plan's limit");
	test_assert_inteq(admin_contact_add(conf, st, "a1@acme.example", "Acme", "A One", "ja", 0,
					    &error), ADMIN_OK);
	test_assert_inteq(admin_contact_add(conf, st, "a1@acme.example", "Acme", NULL, NULL, 0,
					    &error), ADMIN_REFUSED);
	xfree(&error);
	test_assert_inteq(admin_contact_add(conf, st, "a2@acme.example", "Acme", NULL, "xx", 0,
					    &error), ADMIN_INVALID);
	xfree(&error);
	test_assert_inteq(admin_contact_add(conf, st, "a2@acme.example", "Nope", NULL, NULL, 0,
					    &error), ADMIN_REFUSED);
	xfree(&error);
	test_assert_inteq(admin_contact_add(conf, st, "support@example.com", "Acme", NULL, NULL, 0,
					    &error), ADMIN_INVALID);
	xfree(&error);
	test_assert_inteq(admin_contact_add(conf, st, "a2@acme.example", "Acme", NULL, NULL, 0,
					    &error), ADMIN_OK);
	test_assert_inteq(admin_contact_add(conf, st, "a3@acme.example", "Acme", NULL, NULL, 0,
					    &error), ADMIN_REFUSED);
	test_assert_streq(error, "organisation 'Acme' already has 2 contacts, the most its plan "
			  "Tiny allows");
	xfree(&error);
	test_end();

	test_begin("agent add: name, level, region; not a contact");
	test_assert_inteq(admin_agent_add(conf, st, "dana@example.com", "Dana", 2, "apac", &error),
			  ADMIN_OK);
	test_assert_inteq(admin_agent_add(conf, st, "dana@example.com", "Dana", 2, NULL, &error),
			  ADMIN_REFUSED);
	xfree(&error);
	test_assert_inteq(admin_agent_add(conf, st, "x@example.com", "X", 5, NULL, &error),
			  ADMIN_INVALID);
	xfree(&error);
	test_assert_inteq(admin_agent_add(conf, st, "a1@acme.example", "A", 0, NULL, &error),
			  ADMIN_REFUSED);
	xfree(&error);
	test_assert_inteq(admin_contact_add(conf, st, "dana@example.com", "Other", NULL, NULL, 0,
					    &error), ADMIN_REFUSED);
	xfree(&error);
	test_end();

	test_begin("org remove: refused while it has contacts");
	test_assert_inteq(admin_org_remove(st, "Acme", &error), ADMIN_REFUSED);
	xfree(&error);
	test_assert_inteq(admin_org_remove(st, "Nope", &error), ADMIN_REFUSED);
	xfree(&error);
	test_end();

	test_begin("import: every problem as file:line, and nothing imported");
	csv = "email,name,org,lang\n"
		"o1@other.example,\"Doe, Jane\",Other,fr\n"
		"o2@other.example,,Other,xx\n"
		"o1@other.example,,Other,\n"
		"a3@acme.example,,Acme,\n"
		"bad,,Other,\n"
		"o3@other.example,too,many,fields,here\n";
	test_assert_inteq(admin_import_contacts(conf, st, "c.csv", csv, strlen(csv), &n, &errors),
			  ADMIN_REFUSED);
	test_assert_streq(buf_str(&errors),
			  "c.csv:3: 'xx' is not a language: use en, de, es, fr, fi, ja or zh\n"
			  "c.csv:4: 'o1@other.example' is already on line 2\n"
			  "c.csv:5: organisation 'Acme' already has 2 contacts, the most its plan Tiny allows\n"
			  "c.csv:6: 'bad' is not a valid mail address\n"
			  "c.csv:7: expected 4 fields, found 5\n");
	{
		struct contact c;

		test_assert_inteq(store_contact_get(st, "o1@other.example", &c), 0);
	}
	buf_release(&errors);
	test_end();

	test_begin("import: columns in any order, all in");
	csv = "org, email\r\nOther,o1@other.example\r\n\r\nOther,o2@other.example\r\n";
	test_assert_inteq(admin_import_contacts(conf, st, "d.csv", csv, strlen(csv), &n, &errors),
			  ADMIN_OK);
	test_assert_inteq(n, 2);
	test_assert_streq(buf_str(&errors), "");
	csv = "email,name\nx@other.example,X\n";
	test_assert_inteq(admin_import_contacts(conf, st, "e.csv", csv, strlen(csv), &n, &errors),
			  ADMIN_REFUSED);
	test_assert_streq(buf_str(&errors), "e.csv:1: the header needs the columns email and org "
			  "(email,name,org,lang)\n");
	buf_release(&errors);
	test_end();
}

int
main(void)
{
	struct conf *conf;
	struct store *st;
	char *error = NULL, *db, *cmd;

	test_csv();
	test_checks();
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	conf = load_conf();
	db = xasprintf("%s/ticketd.db", tmpdir);
	if (store_open(db, &st, &error) < 0) {
		printf("Bail out! %s\n", error);
		return 1;
	}
	test_registry(conf, st);
	store_close(&st);
	conf_free(&conf);
	free(db);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return test_done();
}
