/*
 * ticketd: the email-to-ticket gateway daemon.
 *
 * Foreground only.  Threads, each with its own store connection (the
 * store is the only state they share):
 *   - one per mailbox: IMAP intake, IDLE where the server has it, so a
 *     hung or dead server delays nobody else;
 *   - one sender: drains the outbox, so a slow SMTP server never stalls
 *     intake; a pipe wakes it when intake has queued mail;
 *   - the main thread: signals, reloads, and the SLA monitor.
 * Signals are blocked in every thread but the main one; their handler
 * only sets flags and writes to a pipe.
 *
 * Under systemd (Type=notify) the main thread says READY=1 once the store
 * is open and the threads run, RELOADING=1 / STOPPING=1 around a reload
 * and at shutdown, STATUS= lines on what it is doing, and feeds the
 * watchdog (WatchdogSec=) at half its interval.  Without $NOTIFY_SOCKET
 * all of that is a no-op.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "app.h"
#include "clock.h"
#include "conf.h"
#include "escalate.h"
#include "ingest.h"
#include "intake.h"
#include "log.h"
#include "outbox.h"
#include "sla.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Seconds the sender sleeps with nothing due.  Intake wakes it at once;
 * mail queued by ticketctl (another process) waits at most this long.
 */
#define SENDER_IDLE_MAX 1          /* seconds before the sender looks at the outbox again */
#define WATCHDOG_MIN_MS 1000       /* never feed the watchdog more often than this */
#define HOLIDAYS_CHECK_INTERVAL 86400  /* seconds between looks at the holiday horizon */

/* C11 atomics: set by the signal handler, read by every thread. */
static atomic_int got_term, got_hup, got_usr1;
static int sig_pipe[2] = { -1, -1 };

/* Flags only; the loop does the work. */
static void
on_signal(int sig)
{
	int saved = errno;
	char c = 0;

	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a wakeup is already pending */
	}
	errno = saved;
}

static void
drain_fd(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* The store of conf; a failure is logged (every thread opens its own). */
static int
open_store(const struct conf *conf, struct store **st_r)
{
	char *error = NULL;

	if (app_open_store(conf, st_r, &error) < 0) {
		log_error("store", "event=open_failed file=%s error=\"%s\"", conf->database, error);
		free(error);
		return -1;
	}
	return 0;
}

static int
make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "ticketd: unable to make a pipe: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Start a thread with every signal blocked: only the main thread takes them. */
static int
start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct sender {
	const struct conf *conf;
	pthread_t thread;
	int running;
	int wake[2];
	atomic_int stop;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct store *st = NULL;
	struct outbox ob;
	struct pollfd pfd;
	time_t next, now;
	int timeout;

	if (open_store(s->conf, &st) < 0)
		return NULL;
	if (outbox_init(&ob, s->conf, st, &s->stop) < 0) {
		log_error("send", "error=\"unable to start libcurl\"");
		store_close(&st);
		return NULL;
	}
	while (!s->stop) {
		if (outbox_run(&ob, &next) < 0)
			next = clock_now() + 5;
		now = clock_now();
		timeout = next == 0 ? SENDER_IDLE_MAX : (int)(next - now);
		if (timeout > SENDER_IDLE_MAX)
			timeout = SENDER_IDLE_MAX;
		if (timeout < 0)
			timeout = 0;
		pfd.fd = s->wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout * 1000) > 0)
			drain_fd(s->wake[0]);
	}
	outbox_release(&ob);
	store_close(&st);
	return NULL;
}

static int
sender_start(struct sender *s, const struct conf *conf)
{
	s->conf = conf;
	s->stop = 0;
	if (make_pipe(s->wake) < 0)
		return -1;
	if (start_thread(&s->thread, sender_main, s) != 0) {
		fprintf(stderr, "ticketd: unable to start the sender thread\n");
		return -1;
	}
	s->running = 1;
	return 0;
}

static void
sender_wake(struct sender *s)
{
	char c = 0;

	if (s->running && write(s->wake[1], &c, 1) < 0) {
		/* already woken */
	}
}

static void
sender_stop(struct sender *s)
{
	if (!s->running)
		return;
	s->stop = 1;
	sender_wake(s);
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	s->running = 0;
}

#define WORKER_GRACE 5   /* seconds a mailbox thread gets to finish when stopped */

/*
 * One thread per mailbox.  Every network wait of its IMAP connection also
 * watches wake[0] (lib/net/conn.h), so stop ends it at once.  Heap-
 * allocated all the same: a thread still busy past WORKER_GRACE (a store
 * lock, a token endpoint slow to answer) is left behind (it holds no
 * message: nothing is committed or flagged while it waits), and its struct
 * and configuration must outlive it.
 */
struct worker {
	const struct conf *conf;
	const struct conf_mailbox *mb;
	struct sender *sender;
	pthread_t thread;
	int wake[2];
	atomic_int stop;       /* finish the message in hand, then leave */
	atomic_int done;       /* set by the thread as it returns */
};

/* Intake committed fates: their mail is in the outbox. */
static void
worker_committed(void *arg)
{
	sender_wake(arg);
}

static void
worker_run(struct worker *w)
{
	struct store *st = NULL;
	struct ingest in;
	struct intake it;
	struct pollfd pfd[2];
	char *error = NULL;
	int n, tempfail, fd, ready, timeout;

	if (open_store(w->conf, &st) < 0)
		return;
	if (ingest_init(&in, w->conf, st, &error) < 0) {
		log_error("imap", "mailbox=%s error=\"%s\"", w->mb->name, error);
		free(error);
		store_close(&st);
		return;
	}
	intake_init(&it, w->mb, &in, &w->stop, w->wake[0]);
	intake_on_commit(&it, worker_committed, w->sender);
	while (!w->stop) {
		n = intake_poll(&it, &tempfail);
		if (w->stop)
			break;
		/* Disconnected: come back soon to see whether the backoff is over. */
		timeout = n < 0 || tempfail ? 1 : w->conf->poll_interval;
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = w->wake[0];
		pfd[0].events = POLLIN;
		fd = intake_idle_start(&it, &ready);
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		if (!ready && !w->stop)
			poll(pfd, fd >= 0 ? 2 : 1, timeout * 1000);
		if (pfd[0].revents & POLLIN)
			drain_fd(w->wake[0]);
		intake_idle_done(&it);
	}
	intake_release(&it);
	ingest_release(&in);
	store_close(&st);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	worker_run(w);
	atomic_store(&w->done, 1);
	return NULL;
}

struct daemon {
	struct conf *conf;
	struct store *st;
	struct ingest in;
	struct intake intakes[CONF_MAX_MAILBOXES];   /* --once: all on the main thread */
	size_t n_intakes;
	struct worker *workers[CONF_MAX_MAILBOXES];  /* the loop: a thread each */
	size_t n_workers;
	int abandoned;                              /* workers left behind: keep conf */
	struct sender sender;
};

static int
workers_start(struct daemon *d)
{
	const struct conf_mailbox *mb;
	struct worker *w;

	d->n_workers = 0;
	for (mb = d->conf->mailboxes; mb != NULL && d->n_workers < CONF_MAX_MAILBOXES; mb = mb->next) {
		w = xcalloc(1, sizeof(*w));
		w->conf = d->conf;
		w->mb = mb;
		w->sender = &d->sender;
		if (make_pipe(w->wake) < 0) {
			free(w);
			return -1;
		}
		if (start_thread(&w->thread, worker_main, w) != 0) {
			log_error("daemon", "mailbox=%s error=\"unable to start its thread\"", mb->name);
			close(w->wake[0]);
			close(w->wake[1]);
			free(w);
			return -1;
		}
		d->workers[d->n_workers++] = w;
	}
	return 0;
}

/*
 * Stop every mailbox thread; each finishes the message in hand first.  A
 * thread still blocked in network I/O after WORKER_GRACE seconds is left
 * behind (logged); it stops by itself when its I/O times out.
 */
static int
workers_all_done(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->n_workers; i++)
		if (!atomic_load(&d->workers[i]->done))
			return 0;
	return 1;
}

static void
workers_join(struct daemon *d)
{
	struct worker *w;
	char c = 0;
	size_t i;
	int waited;

	for (i = 0; i < d->n_workers; i++) {
		atomic_store(&d->workers[i]->stop, 1);
		if (write(d->workers[i]->wake[1], &c, 1) < 0) {
			/* already woken */
		}
	}
	/*
	 * Relative sleeps, not an absolute deadline: a wall clock that jumps
	 * (or libfaketime, which fakes clock_gettime but not the futex a
	 * timed join waits on) must not stretch the grace period.
	 */
	for (waited = 0; waited < WORKER_GRACE * 1000 && !workers_all_done(d); waited += 50)
		poll(NULL, 0, 50);
	for (i = 0; i < d->n_workers; i++) {
		w = d->workers[i];
		if (!atomic_load(&w->done)) {
			log_warn("daemon", "mailbox=%s event=thread_abandoned "
				 "reason=\"blocked in network I/O for over %ds; nothing in hand\"",
				 w->mb->name, WORKER_GRACE);
			pthread_detach(w->thread);
			d->abandoned = 1;
			continue;
		}
		pthread_join(w->thread, NULL);
		close(w->wake[0]);
		close(w->wake[1]);
		free(w);
	}
	d->n_workers = 0;
}

static void
intakes_setup(struct daemon *d)
{
	const struct conf_mailbox *mb;

	d->n_intakes = 0;
	for (mb = d->conf->mailboxes; mb != NULL && d->n_intakes < CONF_MAX_MAILBOXES; mb = mb->next)
		intake_init(&d->intakes[d->n_intakes++], mb, &d->in, &got_term, sig_pipe[0]);
}

static void
intakes_release(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->n_intakes; i++)
		intake_release(&d->intakes[i]);
	d->n_intakes = 0;
}

/* One round over every mailbox.  Returns messages committed; *trouble_r on problems. */
static int
intake_round(struct daemon *d, int *trouble_r)
{
	size_t i;
	int n, total = 0, tempfail;

	*trouble_r = 0;
	for (i = 0; i < d->n_intakes && !got_term; i++) {
		n = intake_poll(&d->intakes[i], &tempfail);
		if (n < 0 || tempfail)
			*trouble_r = 1;
		if (n > 0)
			total += n;
	}
	return total;
}

/* Sleep until a signal arrives or ms milliseconds pass. */
static void
wait_for_signal(long long ms)
{
	struct pollfd pfd;

	pfd.fd = sig_pipe[0];
	pfd.events = POLLIN;
	if (!got_term && !got_hup && !got_usr1 && poll(&pfd, 1, (int)ms) > 0)
		drain_fd(sig_pipe[0]);
}

/*
 * The systemd watchdog: 0 when the unit has no WatchdogSec= (or we are
 * not under systemd), else the interval at which to feed it (half of
 * WatchdogSec=, in milliseconds).
 */
static long long
watchdog_interval_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	if (usec / 2000 < WATCHDOG_MIN_MS)
		return WATCHDOG_MIN_MS;
	return (long long)(usec / 2000);
}

/* app_check_modes() into the log. */
static void
log_mode_warning(void *ctx, const char *what, const char *path, mode_t mode,
		 const char *problem, const char *fix)
{
	struct logkv kv;
	char m[16];

	snprintf(m, sizeof(m), "%04o", (unsigned)mode);
	logkv_init(&kv);
	logkv_str(&kv, "event", "file_mode");
	logkv_str(&kv, "file", path);
	logkv_str(&kv, "what", what);
	logkv_str(&kv, "mode", m);
	logkv_str(&kv, "problem", problem);
	logkv_str(&kv, "fix", fix);
	log_kv(LOG_LEVEL_WARN, "daemon", &kv);
}

/*
 * The holiday horizon of every region, from the calendars the daemon
 * uses: at start, a list that runs out within SLA_HOLIDAYS_NOTICE_DAYS or
 * has run out; daily after that, one that has run out.
 */
static void
holidays_check(const struct daemon *d, time_t now, int at_start)
{
	const struct conf_region *r;
	enum sla_horizon h;
	struct logkv kv;
	long days;
	int year;

	for (r = d->conf->regions; r != NULL; r = r->next) {
		h = sla_holidays_horizon(sla_region_calendar(d->in.sla, r->name), now, &year, &days);
		if (h == SLA_HORIZON_FAR || (h == SLA_HORIZON_ENDING && !at_start))
			continue;
		logkv_init(&kv);
		logkv_str(&kv, "region", r->name);
		logkv_str(&kv, "event", h == SLA_HORIZON_ENDED ? "holidays_ended" : "holidays_ending");
		logkv_str(&kv, "file", r->holidays);
		logkv_int(&kv, "last_year", year);
		logkv_int(&kv, h == SLA_HORIZON_ENDED ? "days_ago" : "days_left",
			  h == SLA_HORIZON_ENDED ? -days : days);
		logkv_str(&kv, "note", "after the list, holidays count as working days: extend it");
		log_kv(LOG_LEVEL_WARN, "sla", &kv);
	}
}

/* READY=1 and what the daemon is doing; again after a reload. */
static void
notify_running(const struct daemon *d)
{
	sd_notifyf(0, "READY=1\nSTATUS=running: %zu mailbox(es), store %s",
		   d->n_workers, d->conf->database);
}

static size_t
conf_mailbox_count(const struct conf *conf)
{
	const struct conf_mailbox *mb;
	size_t n = 0;

	for (mb = conf->mailboxes; mb != NULL; mb = mb->next)
		n++;
	return n;
}

static int
reload(struct daemon *d, const char *path)
{
	struct buf errors = BUF_INIT;
	struct conf *conf;
	char *error = NULL;

	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s", path);
	if (app_load_config(path, 0, clock_now(), &conf, &errors) < 0) {
		log_error("config", "event=reload_failed file=%s error=\"%s\" action=\"keeping the old configuration\"",
			  path, buf_str(&errors));
		buf_release(&errors);
		sd_notifyf(0, "READY=1\nSTATUS=running: %zu mailbox(es), store %s; "
			   "the reload of %s failed, kept the old configuration",
			   d->n_workers, d->conf->database, path);
		return -1;
	}
	buf_release(&errors);
	workers_join(d);
	sender_stop(&d->sender);
	ingest_release(&d->in);
	store_close(&d->st);
	/* A thread left behind still reads the old configuration: let it be. */
	if (!d->abandoned)
		conf_free(&d->conf);
	d->conf = conf;
	if (open_store(d->conf, &d->st) < 0 ||
	    ingest_init(&d->in, d->conf, d->st, &error) < 0) {
		log_error("config", "event=reload_failed error=\"%s\"", error != NULL ? error : "store");
		free(error);
		return -2;
	}
	if (sender_start(&d->sender, d->conf) < 0 || workers_start(d) < 0)
		return -2;
	log_info("config", "event=reloaded file=%s mailboxes=%zu", path, d->n_workers);
	app_check_modes(d->conf, log_mode_warning, NULL);
	holidays_check(d, clock_now(), 1);
	notify_running(d);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ticketd [-c FILE] [-n] [-d] [--once]\n"
		"\n"
		"  -c, --config FILE  configuration (default: $TICKETD_CONFIG, else %s/ticketd.conf)\n"
		"  -n, --check        check the configuration, print 'configuration OK' and exit\n"
		"  -d, --debug        log debug lines too, to stderr (whatever log_file says)\n"
		"      --once         drain the mailboxes, check the SLA clocks once, send the\n"
		"                     outbox, then exit (cron, tests)\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this help\n"
		"\n"
		"Signals: TERM/INT finish the message in hand and exit 0; HUP reloads the\n"
		"configuration (the old one stays when the new one is invalid); USR1\n"
		"reopens the log file.\n", TICKETD_SYSCONFDIR);
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* --once: every mailbox once, one SLA monitor pass, then the outbox until nothing is due now. */
static int
run_once(struct daemon *d)
{
	struct outbox ob;
	time_t next;
	int trouble;

	intake_round(d, &trouble);
	if (escalate_monitor_run(d->in.sla, &d->in.notify, clock_now()) < 0)
		trouble = 1;
	if (outbox_init(&ob, d->conf, d->st, &got_term) < 0) {
		log_error("send", "error=\"unable to start libcurl\"");
		return 1;
	}
	if (outbox_run(&ob, &next) < 0)
		trouble = 1;
	outbox_release(&ob);
	return trouble ? 75 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'O' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct buf errors = BUF_INIT;
	const char *path = NULL;
	char *error = NULL;
	int ch, check = 0, debug = 0, once = 0, rc = 0;
	time_t sla_last = 0, holidays_last, now;
	long long watchdog_ms, watchdog_last = 0, wait_ms;

	for (;;) {
		ch = getopt_long(argc, argv, "c:ndVh", longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'd': debug = 1; break;
		case 'O': once = 1; break;
		case 'V': printf("ticketd %s\n", TICKETD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (path == NULL)
		path = app_default_config();
	memset(&d, 0, sizeof(d));
	if (check) {
		/* Every problem of every phase, warnings too, then the verdict. */
		rc = app_load_config(path, APP_LOAD_CHECK, clock_now(), &d.conf, &errors);
		fputs(buf_str(&errors), stderr);
		buf_release(&errors);
		if (rc < 0)
			return 1;
		printf("configuration OK\n");
		conf_free(&d.conf);
		return 0;
	}
	if (app_load_config(path, 0, clock_now(), &d.conf, &errors) < 0) {
		fputs(buf_str(&errors), stderr);
		buf_release(&errors);
		return 1;
	}
	buf_release(&errors);
	if (!debug && d.conf->log_syslog)
		log_open_syslog("ticketd", LOG_LEVEL_INFO);
	else if (log_open(debug ? NULL : d.conf->log_file, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO,
			  &error) < 0) {
		fprintf(stderr, "ticketd: %s\n", error);
		free(error);
		conf_free(&d.conf);
		return 1;
	}
	if (make_pipe(sig_pipe) < 0)
		return 1;
	install_signals();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	(void)clock_now();  /* fix the injected clock before any thread starts */
	sd_notifyf(0, "STATUS=opening the store %s", d.conf->database);
	if (open_store(d.conf, &d.st) < 0) {
		sd_notifyf(0, "STATUS=unable to open the store %s", d.conf->database);
		conf_free(&d.conf);
		log_close();
		return 1;
	}
	if (ingest_init(&d.in, d.conf, d.st, &error) < 0) {
		log_error("daemon", "event=start_failed error=\"%s\"", error);
		free(error);
		store_close(&d.st);
		conf_free(&d.conf);
		return 1;
	}
	log_info("daemon", "event=started version=%s config=%s mailboxes=%zu mode=%s",
		 TICKETD_VERSION, path, conf_mailbox_count(d.conf), once ? "once" : "loop");
	app_check_modes(d.conf, log_mode_warning, NULL);
	holidays_check(&d, clock_now(), 1);
	holidays_last = clock_now();
	watchdog_ms = watchdog_interval_ms();
	if (once) {
		sd_notify(0, "READY=1\nSTATUS=draining the mailboxes and the outbox once");
		intakes_setup(&d);
		rc = run_once(&d);
		intakes_release(&d);
	} else if (sender_start(&d.sender, d.conf) < 0 || workers_start(&d) < 0) {
		rc = 1;
	} else {
		notify_running(&d);
		while (!got_term) {
			/* Fed from this loop: a main thread stuck in the store starves it. */
			if (watchdog_ms > 0 && clock_mono_ms() - watchdog_last >= WATCHDOG_MIN_MS) {
				watchdog_last = clock_mono_ms();
				sd_notify(0, "WATCHDOG=1");
			}
			now = clock_now();
			if (now - holidays_last >= HOLIDAYS_CHECK_INTERVAL) {
				holidays_last = now;
				holidays_check(&d, now, 0);
			}
			if (!got_term && now - sla_last >= ESCALATE_MONITOR_INTERVAL) {
				sla_last = now;
				if (escalate_monitor_run(d.in.sla, &d.in.notify, now) > 0)
					sender_wake(&d.sender);
			}
			if (got_term)
				break;
			if (got_usr1) {
				got_usr1 = 0;
				log_reopen();
				log_info("daemon", "event=log_reopened");
			}
			if (got_hup) {
				got_hup = 0;
				if (reload(&d, path) == -2) {
					rc = 1;
					break;
				}
				continue;
			}
			wait_ms = ESCALATE_MONITOR_INTERVAL * 1000LL;
			if (watchdog_ms > 0 && watchdog_ms < wait_ms)
				wait_ms = watchdog_ms;
			wait_for_signal(wait_ms);
		}
	}
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the message in hand");
	workers_join(&d);
	sender_stop(&d.sender);
	log_info("daemon", "event=stopped status=%d", rc);
	ingest_release(&d.in);
	store_close(&d.st);
	if (!d.abandoned) {
		conf_free(&d.conf);
		curl_global_cleanup();
	}
	log_close();
	return rc;
}
