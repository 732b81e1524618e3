/*
 * Unit tests for lib/desk/outbox.c: the sender loop against a real SMTP
 * server on loopback (t/fake-smtp.py, scripted replies): 250 sent, 4xx
 * retried later, 5xx failed with an event on the ticket, a 421 that
 * pauses the whole outbox; the backoff with its jitter; at most once:
 * rows left in flight by a dead sender (sent again once, then failed),
 * a live sender's claim left alone, a result the store refuses held and
 * recorded later without a second send.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "proc.h"
#include "smtp.h"
#include "test.h"
#include "test-desk.h"

struct server {
	pid_t pid;
	char dir[128];
	int port;
};

/* t/fake-smtp.py on a free port answering DATA with codes; 77 without python3. */
static void
server_start(struct server *s, const char *codes)
{
	char *script = xasprintf("%s/t/fake-smtp.py", desk_src()), *path;
	FILE *f;
	int i;

	if (access("/usr/bin/python3", X_OK) != 0) {
		printf("1..0 # skip no /usr/bin/python3\n");
		exit(77);
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-outbox-smtp.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		exit(1);
	s->pid = fork();
	if (s->pid == 0) {
		execl("/usr/bin/python3", "python3", script, "--port", "0", "--dir", s->dir,
		      "--codes", codes, (char *)NULL);
		_exit(127);
	}
	free(script);
	path = xasprintf("%s/port", s->dir);
	s->port = 0;
	for (i = 0; i < 200 && s->port == 0; i++) {
		f = fopen(path, "r");
		if (f != NULL) {
			if (fscanf(f, "%d", &s->port) != 1)
				s->port = 0;
			fclose(f);
		}
		if (s->port == 0)
			usleep(50 * 1000);
	}
	free(path);
	if (s->port == 0) {
		printf("Bail out! fake-smtp.py did not start\n");
		exit(1);
	}
}

static void
server_stop(struct server *s)
{
	char *cmd;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	cmd = xasprintf("rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		printf("# unable to remove %s\n", s->dir);
	free(cmd);
}

static long long
queue_mail(struct desk *d, long long ticket, const char *rcpt)
{
	static const char raw[] = "From: support@example.com\r\nSubject: x\r\n\r\nhello\r\n";
	long long id = 0;

	store_outbox_add(d->st, ticket, "comment", "support@example.com", rcpt, NULL, raw,
			 sizeof(raw) - 1, clock_now(), &id);
	return id;
}

/* A server answering codes, a desk sending to it, its outbox. */
struct rig {
	struct server s;
	struct desk d;
	struct outbox o;
	atomic_int stop;
};

static void
rig_open(struct rig *r, const char *codes)
{
	char *smtp;

	memset(r, 0, sizeof(*r));
	server_start(&r->s, codes);
	smtp = xasprintf("[smtp]\nurl = smtp://127.0.0.1:%d\ntimeout = 5s\nmax_retry = 2d\n",
			 r->s.port);
	desk_open(&r->d, "test-outbox", NULL, smtp);
	free(smtp);
	if (outbox_init(&r->o, r->d.conf, r->d.st, &r->stop) < 0) {
		printf("Bail out! outbox_init\n");
		exit(1);
	}
}

static void
rig_close(struct rig *r)
{
	outbox_release(&r->o);
	desk_close(&r->d);
	server_stop(&r->s);
}

static void
test_results(void)
{
	struct rig g;
	struct outbox_row r;
	struct event *ev;
	time_t next = 0, before;
	long long t, a, b, c;
	size_t n;

	rig_open(&g, "250,451,550");
	t = desk_ticket(&g.d, "anna@acme.example", 0, "open", clock_now());
	a = queue_mail(&g.d, t, "a@acme.example");
	b = queue_mail(&g.d, t, "b@acme.example");
	c = queue_mail(&g.d, t, "c@acme.example");

	test_begin("run: 250 is sent, 451 deferred with a backoff, 550 failed");
	before = clock_now();
	test_assert_inteq(outbox_run(&g.o, &next), 3);
	test_assert_inteq(store_outbox_get(g.d.st, a, &r), 1);
	test_assert_streq(r.status, "sent");
	test_assert(r.sent_at >= before);
	outbox_row_release(&r);
	test_assert_inteq(store_outbox_get(g.d.st, b, &r), 1);
	test_assert_streq(r.status, "queued");
	test_assert_inteq(r.attempts, 1);
	test_assert(r.next_attempt_at >= before + OUTBOX_BACKOFF_MIN * 4 / 5);
	test_assert(r.last_error != NULL);
	outbox_row_release(&r);
	test_assert_inteq(store_outbox_get(g.d.st, c, &r), 1);
	test_assert_streq(r.status, "failed");
	outbox_row_release(&r);
	test_assert(next >= before + OUTBOX_BACKOFF_MIN * 4 / 5);
	test_end();

	test_begin("run: a failed mail leaves an event on its ticket; nothing is due now");
	test_assert_inteq(store_event_list(g.d.st, t, &ev, &n), 0);
	test_assert_inteq(n, 1);
	if (n == 1) {
		test_assert_streq(ev[0].type, "mail_failed");
		test_assert(strstr(ev[0].body, "c@acme.example") != NULL);
	}
	event_list_free(&ev, n);
	test_assert_inteq(outbox_run(&g.o, &next), 0);
	test_end();

	rig_close(&g);
}

static void
test_pause(void)
{
	struct rig g;
	struct outbox_row r;
	time_t next = 0, before;
	long long a, b;

	rig_open(&g, "421");
	a = queue_mail(&g.d, 0, "a@acme.example");
	b = queue_mail(&g.d, 0, "b@acme.example");

	test_begin("pause: a 421 holds every mail back; the one in hand retries later");
	before = clock_now();
	test_assert_inteq(outbox_run(&g.o, &next), 1);
	test_assert(g.o.paused_until >= before + OUTBOX_PAUSE_MIN * 4 / 5);
	test_assert_inteq(g.o.pauses, 1);
	test_assert_inteq(store_outbox_get(g.d.st, a, &r), 1);
	test_assert_streq(r.status, "queued");
	test_assert_inteq(r.attempts, 1);
	outbox_row_release(&r);
	test_assert_inteq(store_outbox_get(g.d.st, b, &r), 1);
	test_assert_inteq(r.attempts, 0);
	outbox_row_release(&r);
	test_assert(next >= g.o.paused_until);
	test_assert_inteq(outbox_run(&g.o, &next), 0);
	test_end();

	rig_close(&g);
}

/* Row id is in the store with status, and doubt and attempts unless -1. */
static void
check_row(struct rig *g, long long id, const char *status, int doubt, int attempts)
{
	struct outbox_row r;

	test_assert_inteq(store_outbox_get(g->d.st, id, &r), 1);
	test_assert_streq(r.status, status);
	if (doubt >= 0)
		test_assert_inteq(r.doubt, doubt);
	if (attempts >= 0)
		test_assert_inteq(r.attempts, attempts);
	outbox_row_release(&r);
}

/* Mails the server accepted so far. */
static int
server_saved(const struct server *s)
{
	char *path;
	int n, count = 0;

	for (n = 1; n < 1000; n++) {
		path = xasprintf("%s/%06d.eml", s->dir, n);
		if (access(path, F_OK) == 0)
			count++;
		free(path);
	}
	return count;
}

/* SQL straight on the desk's store file (a second connection, like another process). */
static void
raw_sql(struct desk *d, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	sqlite3_open(d->conf->database, &db);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		printf("# sql: %s\n", err);
	sqlite3_free(err);
	sqlite3_close(db);
}

/* The identity of a process of this host that no longer runs. */
static void
dead_owner(char *out, size_t outlen)
{
	char self[PROC_ID_MAX], host[256];
	long pid;
	unsigned long long start;

	proc_self_id(self, sizeof(self));
	if (sscanf(self, "%255s %ld %llu", host, &pid, &start) != 3)
		snprintf(host, sizeof(host), "localhost");
	/* A pid that is alive has another start time: it is not the same process. */
	snprintf(out, outlen, "%s %ld %llu", host, (long)getpid(), start + 1);
}

static void
test_in_flight(void)
{
	struct rig g;
	struct outbox_row r;
	char dead[PROC_ID_MAX], live[PROC_ID_MAX];
	time_t next = 0;
	long long a, b, c;
	int p[2];
	pid_t child;

	rig_open(&g, "");
	dead_owner(dead, sizeof(dead));
	a = queue_mail(&g.d, 0, "a@acme.example");
	b = queue_mail(&g.d, 0, "b@acme.example");
	c = queue_mail(&g.d, 0, "c@acme.example");
	test_assert_inteq(store_outbox_claim(g.d.st, a, dead, clock_now()), 1);
	test_assert_inteq(store_outbox_claim(g.d.st, b, dead, clock_now()), 1);
	raw_sql(&g.d, "UPDATE outbox SET doubt = 1 WHERE id = 2");
	/* A live process's claim: a child that says who it is and waits. */
	if (pipe(p) < 0)
		exit(1);
	child = fork();
	if (child == 0) {
		char id[PROC_ID_MAX];

		proc_self_id(id, sizeof(id));
		if (write(p[1], id, sizeof(id)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], live, sizeof(live)) != (ssize_t)sizeof(live))
		exit(1);
	test_assert_inteq(store_outbox_claim(g.d.st, c, live, clock_now()), 1);

	test_begin("in flight at a crash: sent again once, flagged; found so twice: failed, not sent");
	test_assert_inteq(outbox_run(&g.o, &next), 1);
	check_row(&g, a, "sent", 1, 2);
	test_assert_inteq(store_outbox_get(g.d.st, b, &r), 1);
	test_assert_streq(r.status, "failed");
	test_assert(r.last_error != NULL && strstr(r.last_error, "second time") != NULL);
	test_assert(r.claimed_by == NULL);
	outbox_row_release(&r);
	test_assert_inteq(server_saved(&g.s), 1);
	test_end();

	test_begin("a live sender's claim is left alone; once it is gone, the row goes out");
	check_row(&g, c, "sending", -1, -1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(p[0]);
	close(p[1]);
	g.o.recover_at = 0;
	test_assert_inteq(outbox_run(&g.o, &next), 1);
	check_row(&g, c, "sent", 1, -1);
	test_assert_inteq(server_saved(&g.s), 2);
	test_end();

	rig_close(&g);
}

static void
test_held(void)
{
	struct rig g;
	time_t next = 0;
	long long a, b;

	rig_open(&g, "");
	a = queue_mail(&g.d, 0, "a@acme.example");
	b = queue_mail(&g.d, 0, "b@acme.example");
	/* The store takes the claim but refuses to record a mail as sent. */
	raw_sql(&g.d, "CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON outbox "
		"WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END");

	test_begin("sent, unrecorded: held in memory, not sent again, the other mail goes on");
	outbox_run(&g.o, &next);
	test_assert_inteq(server_saved(&g.s), 2);
	test_assert_inteq(outbox_unrecorded(&g.o), 2);
	check_row(&g, a, "sending", -1, -1);
	outbox_run(&g.o, &next);
	outbox_run(&g.o, &next);
	test_assert_inteq(server_saved(&g.s), 2);
	test_assert_inteq(outbox_unrecorded(&g.o), 2);
	test_end();

	test_begin("held results are recorded once the store takes them, still sent once");
	raw_sql(&g.d, "DROP TRIGGER refuse_sent");
	test_assert_inteq(outbox_run(&g.o, &next), 0);
	test_assert_inteq(outbox_unrecorded(&g.o), 0);
	check_row(&g, a, "sent", 0, 1);
	check_row(&g, b, "sent", -1, -1);
	test_assert_inteq(server_saved(&g.s), 2);
	test_end();

	rig_close(&g);
}

static unsigned int
be32(const unsigned char *p)
{
	return (unsigned int)p[0] << 24 | (unsigned int)p[1] << 16 | (unsigned int)p[2] << 8 | p[3];
}

/*
 * Transactions committed to the store since its write-ahead log was last
 * emptied: the log's frames that end one (a database size in the frame
 * header) and carry the log's current salt.
 */
static int
wal_commits(struct desk *d)
{
	char *path = xasprintf("%s-wal", d->conf->database);
	unsigned char hdr[32], fh[24];
	unsigned int page;
	FILE *f = fopen(path, "rb");
	int n = 0;

	free(path);
	if (f == NULL)
		return 0;
	if (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr)) {
		page = be32(hdr + 8);
		while (page > 0 && fread(fh, 1, sizeof(fh), f) == sizeof(fh) &&
		       memcmp(fh + 8, hdr + 16, 8) == 0) {
			if (be32(fh + 4) != 0)
				n++;
			if (fseek(f, (long)page, SEEK_CUR) != 0)
				break;
		}
	}
	fclose(f);
	return n;
}

static void
test_commits(void)
{
	struct rig g;
	time_t next = 0;
	long long id[5];
	int i;

	rig_open(&g, "");
	for (i = 0; i < 5; i++)
		id[i] = queue_mail(&g.d, 0, "a@acme.example");
	raw_sql(&g.d, "PRAGMA wal_checkpoint(TRUNCATE)");

	test_begin("five mails, six commits: each 250 is recorded with the next claim");
	test_assert_inteq(wal_commits(&g.d), 0);
	test_assert_inteq(outbox_run(&g.o, &next), 5);
	test_assert_inteq(server_saved(&g.s), 5);
	test_assert_inteq(wal_commits(&g.d), 6);
	for (i = 0; i < 5; i++)
		check_row(&g, id[i], "sent", 0, 1);
	test_assert_inteq(outbox_unrecorded(&g.o), 0);
	test_end();

	rig_close(&g);
}

/* The gate of smtp_send_gated: counts its calls, checks the server took DATA, answers *arg. */
struct gate {
	const struct server *s;
	int answer, calls, after_data;
};

static int
gate_cb(void *arg)
{
	struct gate *g = arg;
	char *path = xasprintf("%s/log", g->s->dir), line[512];
	FILE *f = fopen(path, "r");

	g->calls++;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "C: DATA") != NULL)
			g->after_data = 1;
	if (f != NULL)
		fclose(f);
	free(path);
	return g->answer;
}

static void
test_gate(void)
{
	static const char raw[] = "From: support@example.com\r\nSubject: x\r\n\r\nhello\r\n";
	struct rig r;
	struct smtp *smtp;
	struct gate g;
	const char *error = NULL;
	long code = 0;

	rig_open(&r, "");
	smtp = smtp_new(r.d.conf, &r.stop);
	memset(&g, 0, sizeof(g));
	g.s = &r.s;
	test_begin("the gate is asked once, after DATA and before the first byte; refused, nothing is saved");
	g.answer = EIO;
	test_assert(smtp_send_gated(smtp, "support@example.com", "a@acme.example", raw,
				    sizeof(raw) - 1, gate_cb, &g, &code, &error) != SMTP_SENT);
	test_assert_inteq(g.calls, 1);
	test_assert(g.after_data);
	test_assert_inteq(server_saved(&r.s), 0);
	test_end();

	test_begin("the gate passing, the mail goes out whole, over a new connection");
	memset(&g, 0, sizeof(g));
	g.s = &r.s;
	test_assert(smtp_send_gated(smtp, "support@example.com", "a@acme.example", raw,
				    sizeof(raw) - 1, gate_cb, &g, &code, &error) == SMTP_SENT);
	test_assert_inteq(g.calls, 1);
	test_assert_inteq(server_saved(&r.s), 1);
	test_end();
	smtp_free(&smtp);
	rig_close(&r);
}

static void
test_backoff(void)
{
	long d;
	int i, a;

	test_begin("backoff: doubling from 30 s, capped at an hour, always within ±20 %");
	for (a = 1; a <= 12; a++) {
		long base = OUTBOX_BACKOFF_MIN << (a - 1);

		if (base > OUTBOX_BACKOFF_MAX || a > 8)
			base = OUTBOX_BACKOFF_MAX;
		for (i = 0; i < 50; i++) {
			d = outbox_backoff(a);
			test_assert(d >= base - base / 5 && d <= base + base / 5);
		}
	}
	test_end();
}

int
main(void)
{
	log_open("/dev/null", LOG_LEVEL_ERROR, NULL);
	test_backoff();
	test_results();
	test_pause();
	test_in_flight();
	test_held();
	test_commits();
	test_gate();
	return test_done();
}
