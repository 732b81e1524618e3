/*
 * ticketd: the email-to-ticket gateway daemon.
 *
 * Foreground only.  Threads, each with its own store connection (the
 * store is the only state they share):
 *   - one per mailbox: IMAP intake, IDLE where the server has it, so a
 *     hung or dead server delays nobody else;
 *   - one sender: drains the outbox, so a slow SMTP server never stalls
 *     intake; a pipe wakes it when intake has queued mail;
 *   - the main thread: signals, reloads, the SLA monitor, and the
 *     supervisor: a mailbox or sender thread that dies (its store cannot
 *     be opened, its pipeline cannot start) is logged and started again
 *     with backoff.
 * Signals are blocked in every thread but the main one; their handler
 * only sets flags and writes to a pipe.  The configuration and the
 * templates are read and checked at start and on SIGHUP, never per mail.
 *
 * Under systemd (Type=notify) the main thread says READY=1 once the store
 * is open and the threads run, RELOADING=1 / STOPPING=1 around a reload
 * and at shutdown, STATUS= lines on what it is doing (the supervisor's
 * line: threads restarting, the store unavailable), and feeds the
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
#include "backoff.h"
#include "clock.h"
#include "conf.h"
#include "escalate.h"
#include "health.h"
#include "ingest.h"
#include "intake.h"
#include "log.h"
#include "outbox.h"
#include "sla.h"
#include "store.h"
#include "tmpl.h"
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

static void main_wake(void);

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

#define SUPERVISE_INTERVAL_MS 1000 /* how often the main thread looks at its threads */
#define RESTART_BACKOFF_MAX 60    /* seconds between restarts of a thread that keeps dying */
#define STORE_OPEN_BACKOFF_MAX 30 /* seconds between tries to open a locked store */

/* Sleep up to ms, waking early when fd is readable (drained) or *stop is set. */
static void
nap(int fd, int ms, const atomic_int *stop)
{
	struct pollfd pfd;

	if (stop != NULL && *stop)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, fd >= 0 ? 1 : 0, ms) > 0 && (pfd.revents & POLLIN))
		drain_fd(fd);
}

/*
 * Open the store, waiting while another process holds its lock (a
 * backup, a migration, ticketctl in a long transaction): logged once,
 * retried with backoff until it opens or stop is set.  Any other failure
 * is logged (event=open_failed) and returns -1 with *why_r (caller frees).
 */
static int
open_store_waiting(const struct conf *conf, struct store **st_r, const char *who, int wake_fd,
		   const atomic_int *stop, char **why_r)
{
	struct store_options o = { conf->lock_timeout * 1000, 0 };
	enum store_fault fault = STORE_FAULT_NONE;
	char *error = NULL;
	time_t since = clock_now();
	int waited = 0, tries = 0;

	*why_r = NULL;
	for (;;) {
		if (store_open_with(conf->database, &o, st_r, &fault, &error) == 0) {
			if (waited)
				log_info("store", "event=opened by=%s waited=%lds", who,
					 (long)(clock_now() - since));
			return 0;
		}
		if (fault != STORE_FAULT_LOCKED || (stop != NULL && *stop)) {
			log_error("store", "event=open_failed file=%s error=\"%s\" by=%s",
				  conf->database, error, who);
			*why_r = error;
			return -1;
		}
		if (!waited)
			log_warn("store", "event=locked by=%s error=\"%s\" action=\"waiting for the "
				 "other process, retrying with backoff\"", who, error);
		free(error);
		error = NULL;
		waited = 1;
		nap(wake_fd, (int)backoff_delay(++tries, 1, STORE_OPEN_BACKOFF_MAX) * 1000, stop);
		if (stop != NULL && *stop) {
			*why_r = xstrdup("stopped while waiting for the store lock");
			return -1;
		}
	}
}

/* Thread states (atomic): running, returned, left behind by the main thread. */
enum {
	THREAD_RUNNING = 0,
	THREAD_DONE,
	THREAD_ABANDONED,
};

/* Restart bookkeeping of a supervised thread. */
struct supervision {
	int restarts;              /* deaths in a row */
	time_t restart_at;         /* 0: running, else when to start it again */
	time_t since;              /* when it last started */
	char *why;                 /* why it last died (set by the thread before it returns) */
};

static long
restart_delay(int restarts)
{
	return backoff_delay(restarts, 1, RESTART_BACKOFF_MAX);
}

struct sender {
	const struct conf *conf;
	struct health_board *board;
	pthread_t thread;
	int running;               /* the thread was started and not joined yet */
	int wake[2];               /* made once for the daemon's life: workers write to it */
	atomic_int stop;
	atomic_int state;
	atomic_int ready;          /* its store is open and it works (status line) */
	atomic_size_t unrecorded;  /* results held in memory (status line) */
	struct supervision sup;
};

static void
sender_loop(struct sender *s, struct store *st)
{
	struct outbox ob;
	time_t next, now;
	int timeout;

	if (outbox_init(&ob, s->conf, st, &s->stop) < 0) {
		s->sup.why = xstrdup("unable to start libcurl");
		return;
	}
	outbox_set_board(&ob, s->board);
	atomic_store(&s->ready, 1);
	while (!s->stop) {
		if (outbox_run(&ob, &next) < 0 && next == 0)
			next = clock_now() + 5;
		atomic_store(&s->unrecorded, outbox_unrecorded(&ob));
		now = clock_now();
		timeout = next == 0 ? SENDER_IDLE_MAX : (int)(next - now);
		if (timeout > SENDER_IDLE_MAX)
			timeout = SENDER_IDLE_MAX;
		if (timeout < 0)
			timeout = 0;
		nap(s->wake[0], timeout * 1000, &s->stop);
	}
	atomic_store(&s->ready, 0);
	outbox_release(&ob);
}

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct store *st = NULL;
	char *why = NULL;

	if (open_store_waiting(s->conf, &st, "sender", s->wake[0], &s->stop, &why) < 0)
		s->sup.why = why;
	else
		sender_loop(s, st);
	store_close(&st);
	atomic_store(&s->state, THREAD_DONE);
	main_wake();
	return NULL;
}

static int
sender_start(struct sender *s, const struct conf *conf)
{
	s->conf = conf;
	s->stop = 0;
	atomic_store(&s->state, THREAD_RUNNING);
	free(s->sup.why);
	s->sup.why = NULL;
	s->sup.since = clock_now();
	s->sup.restart_at = 0;
	if (start_thread(&s->thread, sender_main, s) != 0) {
		log_error("daemon", "event=thread_failed thread=sender error=\"unable to start it\"");
		return -1;
	}
	s->running = 1;
	return 0;
}

/* The pipe lives as long as the daemon: a thread left behind may still write to it. */
static void
sender_wake(struct sender *s)
{
	char c = 0;

	if (write(s->wake[1], &c, 1) < 0) {
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
	s->running = 0;
}

#define WORKER_GRACE 5   /* seconds a mailbox thread gets to finish when stopped */

/*
 * One thread per mailbox.  Every network wait of its IMAP connection also
 * watches wake[0] (lib/net/conn.h), so stop ends it at once.  Heap-
 * allocated all the same: a thread still busy past WORKER_GRACE (a store
 * lock, a token endpoint slow to answer) is left behind (it holds no
 * message: nothing is committed or flagged while it waits), and its
 * struct, configuration and templates must outlive it; such a thread
 * frees its own struct and descriptors when it finally returns.
 */
struct worker {
	const struct conf *conf;
	const struct tmpl_set *tmpls;
	const struct conf_mailbox *mb;
	struct sender *sender;
	struct health_board *board;
	pthread_t thread;
	int wake[2];
	atomic_int stop;       /* finish the message in hand, then leave */
	atomic_int state;      /* THREAD_RUNNING, _DONE (returned), _ABANDONED */
	atomic_int ready;      /* its store and pipeline are up (status line) */
	struct supervision sup;
};

/* Intake committed fates: their mail is in the outbox. */
static void
worker_committed(void *arg)
{
	sender_wake(arg);
}

static void
worker_loop(struct worker *w, struct ingest *in)
{
	struct intake it;
	struct pollfd pfd[2];
	int n, tempfail, fd, ready, timeout;

	intake_init(&it, w->mb, in, &w->stop, w->wake[0]);
	intake_set_board(&it, w->board);
	intake_on_commit(&it, worker_committed, w->sender);
	while (!w->stop) {
		n = intake_poll(&it, &tempfail);
		if (w->stop)
			break;
		/* More mail than one listing, or mail that landed mid-round. */
		if (intake_more(&it))
			continue;
		/* Disconnected or the store down: come back soon to see whether the backoff is over. */
		timeout = n < 0 || tempfail ? 1 : w->conf->poll_interval;
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = w->wake[0];
		pfd[0].events = POLLIN;
		fd = it.health.down ? -1 : intake_idle_start(&it, &ready);
		if (fd < 0)
			ready = 0;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		if (!ready && !w->stop)
			poll(pfd, fd >= 0 ? 2 : 1, timeout * 1000);
		if (pfd[0].revents & POLLIN)
			drain_fd(w->wake[0]);
		intake_idle_done(&it);
	}
	intake_release(&it);
}

static void
worker_run(struct worker *w)
{
	struct store *st = NULL;
	struct ingest in;
	char *error = NULL, who[96];

	snprintf(who, sizeof(who), "mailbox:%s", w->mb->name);
	if (open_store_waiting(w->conf, &st, who, w->wake[0], &w->stop, &error) < 0) {
		w->sup.why = error;
		return;
	}
	if (ingest_init(&in, w->conf, st, &error) < 0) {
		w->sup.why = error;
		store_close(&st);
		return;
	}
	in.notify.tmpls = w->tmpls;
	atomic_store(&w->ready, 1);
	worker_loop(w, &in);
	atomic_store(&w->ready, 0);
	ingest_release(&in);
	store_close(&st);
}

static void
worker_free(struct worker *w)
{
	close(w->wake[0]);
	close(w->wake[1]);
	free(w->sup.why);
	free(w);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int expected = THREAD_RUNNING;

	worker_run(w);
	/* Left behind by the main thread: nobody else will free what is ours. */
	if (!atomic_compare_exchange_strong(&w->state, &expected, THREAD_DONE))
		worker_free(w);
	else
		main_wake();
	return NULL;
}

static int
worker_start(struct worker *w)
{
	atomic_store(&w->state, THREAD_RUNNING);
	w->stop = 0;
	free(w->sup.why);
	w->sup.why = NULL;
	w->sup.since = clock_now();
	w->sup.restart_at = 0;
	if (start_thread(&w->thread, worker_main, w) != 0) {
		log_error("daemon", "event=thread_failed thread=mailbox mailbox=%s error=\"unable to "
			  "start it\"", w->mb->name);
		return -1;
	}
	return 0;
}

struct daemon {
	struct conf *conf;
	struct tmpl_set *tmpls;                     /* loaded with conf */
	struct store *st;
	struct ingest in;
	struct health health;                       /* the main thread's store (SLA monitor) */
	struct health_board board;                  /* one line per store outage */
	struct intake intakes[CONF_MAX_MAILBOXES];   /* --once: all on the main thread */
	size_t n_intakes;
	struct worker *workers[CONF_MAX_MAILBOXES];  /* the loop: a thread each */
	size_t n_workers;
	int abandoned;                              /* workers left behind: keep conf */
	struct sender sender;
	char status[256];                           /* the last status line */
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
		w->tmpls = d->tmpls;
		w->mb = mb;
		w->sender = &d->sender;
		w->board = &d->board;
		if (make_pipe(w->wake) < 0) {
			free(w);
			return -1;
		}
		if (worker_start(w) < 0) {
			worker_free(w);
			return -1;
		}
		d->workers[d->n_workers++] = w;
	}
	return 0;
}

/*
 * Stop every mailbox thread; each finishes the message in hand first.  A
 * thread still blocked in network I/O after WORKER_GRACE seconds is left
 * behind (logged); it stops by itself when its I/O times out, and frees
 * its own struct and descriptors then.
 */
static int
workers_all_done(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->n_workers; i++)
		if (d->workers[i]->sup.restart_at == 0 &&
		    atomic_load(&d->workers[i]->state) == THREAD_RUNNING)
			return 0;
	return 1;
}

static void
workers_join(struct daemon *d)
{
	struct worker *w;
	char c = 0;
	size_t i;
	int waited, expected;

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
		if (w->sup.restart_at != 0) {
			/* Dead and joined already, waiting for its restart. */
			worker_free(w);
			continue;
		}
		expected = THREAD_RUNNING;
		if (atomic_compare_exchange_strong(&w->state, &expected, THREAD_ABANDONED)) {
			log_warn("daemon", "mailbox=%s event=thread_abandoned "
				 "reason=\"blocked in network I/O for over %ds; nothing in hand\"",
				 w->mb->name, WORKER_GRACE);
			pthread_detach(w->thread);
			d->abandoned = 1;
			continue;
		}
		pthread_join(w->thread, NULL);
		worker_free(w);
	}
	d->n_workers = 0;
}

/*
 * The supervisor: a thread that returned while it should run has died;
 * log it (with why) and start it again after a backoff.  A thread that
 * ran long enough before dying starts its count again.
 */
static int
supervise_death(struct supervision *sup, const char *thread, const char *mailbox, time_t now)
{
	long delay;

	if (now - sup->since > RESTART_BACKOFF_MAX * 2)
		sup->restarts = 0;
	sup->restarts++;
	delay = restart_delay(sup->restarts);
	sup->restart_at = now + delay;
	log_error("daemon", "event=thread_died thread=%s%s%s error=\"%s\" restarts=%d restart_in=%lds",
		  thread, mailbox != NULL ? " mailbox=" : "", mailbox != NULL ? mailbox : "",
		  sup->why != NULL ? sup->why : "it returned", sup->restarts, delay);
	return 1;
}

static void
supervise(struct daemon *d)
{
	struct worker *w;
	time_t now = clock_now();
	size_t i;

	for (i = 0; i < d->n_workers; i++) {
		w = d->workers[i];
		if (w->sup.restart_at == 0 && atomic_load(&w->state) == THREAD_DONE && !w->stop) {
			pthread_join(w->thread, NULL);
			supervise_death(&w->sup, "mailbox", w->mb->name, now);
		}
		if (w->sup.restart_at != 0 && now >= w->sup.restart_at) {
			log_info("daemon", "event=thread_restarted thread=mailbox mailbox=%s restarts=%d",
				 w->mb->name, w->sup.restarts);
			if (worker_start(w) < 0)
				w->sup.restart_at = now + restart_delay(++w->sup.restarts);
		}
	}
	if (d->sender.running && atomic_load(&d->sender.state) == THREAD_DONE && !d->sender.stop) {
		pthread_join(d->sender.thread, NULL);
		d->sender.running = 0;
		supervise_death(&d->sender.sup, "sender", NULL, now);
	}
	if (!d->sender.running && d->sender.sup.restart_at != 0 && now >= d->sender.sup.restart_at) {
		log_info("daemon", "event=thread_restarted thread=sender restarts=%d",
			 d->sender.sup.restarts);
		if (sender_start(&d->sender, d->conf) < 0)
			d->sender.sup.restart_at = now + restart_delay(++d->sender.sup.restarts);
	}
}

/*
 * What the daemon is doing, in one line: for people (logged when it
 * changes) and for the service manager (STATUS=, when it changes).
 */
#define STATUS_GRACE 2   /* seconds a thread may take to start before it counts as not running */

/*
 * A thread counts as running once it is up, or while it first starts (a
 * restarted one has to prove itself: no flapping status while it dies).
 */
static int
thread_up(int ready, const struct supervision *sup, time_t now)
{
	return ready || (sup->restarts == 0 && sup->restart_at == 0 && now - sup->since < STATUS_GRACE);
}

static void
status_report(struct daemon *d)
{
	char text[sizeof(d->status)], down[128];
	size_t i, running = 0, len = 0;
	int store_down = atomic_load(&d->board.down) > 0 || d->health.down;
	int sender_up = d->sender.running &&
		thread_up(atomic_load(&d->sender.ready), &d->sender.sup, clock_now());
	size_t held = atomic_load(&d->sender.unrecorded);
	time_t now = clock_now();

	down[0] = '\0';
	for (i = 0; i < d->n_workers; i++) {
		if (thread_up(atomic_load(&d->workers[i]->ready), &d->workers[i]->sup, now)) {
			running++;
		} else if (len < sizeof(down)) {
			int k = snprintf(down + len, sizeof(down) - len, "%s%s", len > 0 ? "," : "",
					 d->workers[i]->mb->name);

			len += k > 0 ? (size_t)k : 0;
		}
	}
	snprintf(text, sizeof(text), "%s: %zu/%zu mailbox(es) running%s%s; sender %s; store %s%s",
		 store_down || running < d->n_workers || !sender_up ? "degraded" : "running",
		 running, d->n_workers, down[0] != '\0' ? ", not running: " : "", down,
		 sender_up ? "running" : "not running", store_down ? "unavailable" : "ok",
		 held > 0 ? "; results unrecorded" : "");
	if (strcmp(text, d->status) == 0)
		return;
	/* Quiet while all is well; every change from or to trouble is logged. */
	log_line(strncmp(text, "running", 7) == 0 && strncmp(d->status, "degraded", 8) != 0 ?
		 LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "daemon", "event=status status=\"%s\"", text);
	snprintf(d->status, sizeof(d->status), "%s", text);
	sd_notifyf(0, "STATUS=%s", text);
}

static void
intakes_setup(struct daemon *d)
{
	const struct conf_mailbox *mb;
	struct intake *it;

	d->n_intakes = 0;
	for (mb = d->conf->mailboxes; mb != NULL && d->n_intakes < CONF_MAX_MAILBOXES; mb = mb->next) {
		it = &d->intakes[d->n_intakes++];
		intake_init(it, mb, &d->in, &got_term, sig_pipe[0]);
		intake_set_board(it, &d->board);
	}
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
		do {
			n = intake_poll(&d->intakes[i], &tempfail);
			if (n < 0 || tempfail)
				*trouble_r = 1;
			if (n > 0)
				total += n;
		} while (n >= 0 && !tempfail && !got_term && intake_more(&d->intakes[i]));
	}
	return total;
}

/* Sleep until a signal arrives (or a thread ends) or ms milliseconds pass. */
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

/* The main thread's store and pipeline (SLA monitor, --once). */
static int
main_open(const struct conf *conf, const struct tmpl_set *tmpls, struct store **st_r,
	  struct ingest *in, char **error_r)
{
	if (open_store_waiting(conf, st_r, "main", sig_pipe[0], &got_term, error_r) < 0)
		return -1;
	if (ingest_init(in, conf, *st_r, error_r) < 0) {
		store_close(st_r);
		return -1;
	}
	in->notify.tmpls = tmpls;
	return 0;
}

/* A reload that failed: logged, and systemd told the old configuration runs on. */
static void
reload_refused(const struct daemon *d, const char *path, const char *error)
{
	log_error("config", "event=reload_failed file=%s error=\"%s\" action=\"keeping the old configuration\"",
		  path, error);
	sd_notifyf(0, "READY=1\nSTATUS=running: %zu mailbox(es), store %s; "
		   "the reload of %s failed, kept the old configuration",
		   d->n_workers, d->conf->database, path);
}

/*
 * SIGHUP: the new configuration and templates are read and checked, and
 * the new store opened and tried, before anything of the old is
 * stopped: when any of it fails, the old configuration stays.
 */
static int
reload(struct daemon *d, const char *path)
{
	struct buf errors = BUF_INIT;
	struct conf *conf;
	struct tmpl_set *tmpls = NULL;
	struct store *st = NULL;
	struct ingest trial;
	char *error = NULL;

	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s", path);
	if (app_load(path, 0, clock_now(), &conf, &tmpls, &errors) < 0) {
		reload_refused(d, path, buf_str(&errors));
		buf_release(&errors);
		return -1;
	}
	buf_release(&errors);
	if (main_open(conf, tmpls, &st, &trial, &error) < 0) {
		reload_refused(d, path, error != NULL ? error : "store");
		free(error);
		tmpl_set_free(&tmpls);
		conf_free(&conf);
		return -1;
	}
	ingest_release(&trial);
	workers_join(d);
	sender_stop(&d->sender);
	health_release(&d->health);
	ingest_release(&d->in);
	store_close(&d->st);
	/* A thread left behind still reads the old configuration: let it be. */
	if (!d->abandoned) {
		conf_free(&d->conf);
		tmpl_set_free(&d->tmpls);
	}
	d->conf = conf;
	d->tmpls = tmpls;
	d->st = st;
	if (ingest_init(&d->in, d->conf, d->st, &error) < 0) {
		log_error("config", "event=reload_failed file=%s error=\"%s\"", path, error);
		free(error);
		return -2;
	}
	d->in.notify.tmpls = d->tmpls;
	health_init(&d->health, d->st, &d->board, "sla");
	free(d->sender.sup.why);
	memset(&d->sender.sup, 0, sizeof(d->sender.sup));
	if (sender_start(&d->sender, d->conf) < 0 || workers_start(d) < 0)
		return -2;
	log_info("config", "event=reloaded file=%s mailboxes=%zu", path, d->n_workers);
	app_check_modes(d->conf, log_mode_warning, NULL);
	holidays_check(d, clock_now(), 1);
	notify_running(d);
	return 0;
}

/* One SLA monitor pass on the main thread's store, unless it is down. */
static void
sla_pass(struct daemon *d, time_t now)
{
	int rc;

	if (!health_ok(&d->health) || health_check(&d->health) < 0)
		return;
	rc = escalate_monitor_run(d->in.sla, &d->in.notify, now);
	if (rc < 0) {
		health_failed(&d->health);
		return;
	}
	health_succeeded(&d->health);
	if (rc > 0)
		sender_wake(&d->sender);
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
	outbox_set_board(&ob, &d->board);
	if (outbox_run(&ob, &next) < 0 || outbox_unrecorded(&ob) > 0)
		trouble = 1;
	outbox_release(&ob);
	return trouble ? 75 : 0;
}

/* Ask the main loop to look at the threads (a thread ended). */
static void
main_wake(void)
{
	char c = 0;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* a wakeup is already pending */
	}
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
	if (app_load(path, 0, clock_now(), &d.conf, &d.tmpls, &errors) < 0) {
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
		tmpl_set_free(&d.tmpls);
		conf_free(&d.conf);
		return 1;
	}
	if (make_pipe(sig_pipe) < 0 || make_pipe(d.sender.wake) < 0)
		return 1;
	install_signals();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	(void)clock_now();  /* fix the injected clock before any thread starts */
	sd_notifyf(0, "STATUS=opening the store %s", d.conf->database);
	/* Another process holding the store's lock is waited for, not a reason to exit. */
	if (main_open(d.conf, d.tmpls, &d.st, &d.in, &error) < 0) {
		sd_notifyf(0, "STATUS=unable to open the store %s", d.conf->database);
		fprintf(stderr, "ticketd: %s\n", error != NULL ? error : "unable to open the store");
		log_error("daemon", "event=start_failed error=\"%s\"", error != NULL ? error : "store");
		free(error);
		tmpl_set_free(&d.tmpls);
		conf_free(&d.conf);
		log_close();
		return got_term ? 0 : 1;
	}
	health_init(&d.health, d.st, &d.board, "sla");
	d.sender.board = &d.board;
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
				sla_pass(&d, now);
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
			supervise(&d);
			status_report(&d);
			/* Each second: the supervisor restarts threads on time. */
			wait_ms = SUPERVISE_INTERVAL_MS;
			if (watchdog_ms > 0 && watchdog_ms < wait_ms)
				wait_ms = watchdog_ms;
			wait_for_signal(wait_ms);
		}
	}
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the message in hand");
	workers_join(&d);
	sender_stop(&d.sender);
	log_info("daemon", "event=stopped status=%d", rc);
	health_release(&d.health);
	ingest_release(&d.in);
	store_close(&d.st);
	if (!d.abandoned) {
		tmpl_set_free(&d.tmpls);
		conf_free(&d.conf);
		curl_global_cleanup();
	}
	log_close();
	return rc;
}
