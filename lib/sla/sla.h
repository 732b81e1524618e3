/*
 * sla: the SLA clock (SPEC section 8).
 *
 * The initial-response target of a ticket comes from its plan (the
 * organisation's, else [general] default_plan) and its severity, counted
 * in the business hours of its region (time zone, weekly hours,
 * holidays); severity 1 on a plan with sev1_24x7 counts around the clock.
 * The due time is fixed when the ticket is created and recomputed when
 * its severity changes; the first public comment by an agent stops the
 * clock (action_first_response in lib/desk/actions writes that).
 *
 * A clock only: it computes and shows due times and where a ticket
 * stands, and mails nobody.  The alerts it implies (warning, breach) and
 * escalation are raised by lib/desk/escalate.
 *
 * The clock is injectable for tests: every function takes `now`;
 * programs pass clock_now() (env TICKETD_NOW, see clock.h).
 */
#ifndef TICKETD_SLA_H
#define TICKETD_SLA_H

#include <stddef.h>
#include <time.h>

struct bizhours;
struct conf;
struct conf_plan;
struct store;
struct ticket;

#define SLA_MAX_LEVEL 4           /* escalation 0 Analyst … 4 VP */

struct sla;

/*
 * One calendar per configured region (and a 24x7 one in the region's
 * zone for severity 1 on sev1_24x7 plans), built once from conf, which
 * must outlive the sla.  NULL with *error_r (caller frees) when a time
 * zone, hours or holiday file does not load.  Free with sla_free().
 */
struct sla *sla_new(const struct conf *conf, char **error_r);
void sla_free(struct sla **sla);

/*
 * The due time for a ticket of plan/region/severity created at
 * created_at: target business seconds after it (a ticket created outside
 * business hours starts at the next opening).  0 when there is no target
 * (no such plan or region, no target for the severity).
 */
time_t sla_due(const struct sla *sla, const struct conf_plan *plan, const char *region,
	       int severity, time_t created_at);

/*
 * The plan of organisation org_id (0: none), else default_plan, into
 * *plan_r; NULL if neither is configured.  The one place the plan of a
 * ticket is looked up (due times, the phone offer in mails).  -1 on a
 * store error (store_error()).
 */
int sla_plan(const struct conf *conf, struct store *st, long long org_id,
	     const struct conf_plan **plan_r);

/* sla_due() for t (its org_id, region, severity, created_at) into *due_r.
 * -1 on a store error. */
int sla_ticket_due(const struct sla *sla, struct store *st, const struct ticket *t,
		   time_t *due_r);

/*
 * After t->severity changed (call before store_ticket_update): set
 * t->due_at again from created_at.  An alert whose point now lies in the
 * future under the new due time is cleared so it can fire for the new
 * target (the alerts follow the current target).  Nothing changes once
 * the first response was given: its verdict is final.  -1 on a store
 * error (store_error()).
 */
int sla_recompute(const struct sla *sla, struct store *st, struct ticket *t, time_t now);

/*
 * The due time for people, in the region's time zone and the language
 * lang (en when unknown):
 *   en  Fri 27 Nov 2026 13:00 (Asia/Tokyo)
 *   de  Fr. 27.11.2026 13:00 (Asia/Tokyo)
 *   ja  2026年11月27日(金) 13:00 (Asia/Tokyo)
 * An unknown region gives UTC.  Allocated: the caller frees it.
 */
char *sla_format_due(const struct sla *sla, const char *region, const char *lang, time_t due_at);

/* 1 when t lies in the business hours of region (its weekly hours and
 * holidays), else 0 (also for an unknown region). */
int sla_is_business_time(const struct sla *sla, const char *region, time_t t);

/*
 * The holiday horizon.  A region's holiday list covers the years it
 * names; after its last year no day is a holiday and due times silently
 * count them as working days.  ticketd -n and the daemon at start warn
 * when a list runs out within SLA_HOLIDAYS_NOTICE_DAYS, and the daemon
 * says so daily once it has run out.
 */
#define SLA_HOLIDAYS_NOTICE_DAYS 90

enum sla_horizon {
	SLA_HORIZON_FAR,      /* no list, or it reaches past the notice period */
	SLA_HORIZON_ENDING,   /* runs out within SLA_HOLIDAYS_NOTICE_DAYS */
	SLA_HORIZON_ENDED,    /* has run out */
};

/*
 * Where calendar bh's holidays stand at now: the last year listed in
 * *year_r and the days until it runs out in *days_r (both set unless
 * SLA_HORIZON_FAR for a calendar without holidays).
 */
enum sla_horizon sla_holidays_horizon(const struct bizhours *bh, time_t now,
				      int *year_r, long *days_r);

/* The calendar (hours and holidays) of region; NULL for an unknown one. */
const struct bizhours *sla_region_calendar(const struct sla *sla, const char *region);

/* Business seconds as "3h 05m" ("-1h 20m" when negative) into out. */
void sla_format_duration(long seconds, char *out, size_t outlen);

enum sla_state {
	SLA_NONE,       /* no target */
	SLA_RUNNING,    /* waiting for the first response, before the warning point */
	SLA_WARNING,    /* past the warning point */
	SLA_OVERDUE,    /* past due, no response yet */
	SLA_MET,        /* first response on or before the due time */
	SLA_MISSED,     /* first response after the due time */
	SLA_STOPPED,    /* resolved or closed before the due time without a response */
};

struct sla_status {
	enum sla_state state;
	time_t due_at;
	time_t warn_at;     /* the warning point; 0 with SLA_NONE */
	/*
	 * Business seconds: RUNNING/WARNING left until due; OVERDUE minus
	 * the time past due; MET to spare; MISSED minus the lateness.
	 */
	long remaining;
};

/* "none", "running", "warning", "overdue", "met", "missed", "stopped". */
const char *sla_state_name(enum sla_state state);

/* Where t stands at now.  -1 on a store error. */
int sla_ticket_status(const struct sla *sla, struct store *st, const struct ticket *t,
		      time_t now, struct sla_status *status_r);

#endif
