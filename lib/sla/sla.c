#include "sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bizhours.h"
#include "clock.h"
#include "conf.h"
#include "store.h"
#include "xmalloc.h"

struct sla_region {
	const struct conf_region *conf;
	struct bizhours *hours;     /* weekly hours and holidays */
	struct bizhours *always;    /* 24x7 in the same zone */
};

struct sla {
	const struct conf *conf;
	struct sla_region *regions;
	size_t n_regions;
	struct bizhours *utc;       /* tickets of a region no longer configured */
};

struct sla *
sla_new(const struct conf *conf, char **error_r)
{
	const struct conf_region *r;
	struct sla *sla = xcalloc(1, sizeof(*sla));
	struct sla_region *sr;
	char *error = NULL;

	sla->conf = conf;
	sla->utc = bizhours_new("UTC", "24x7", &error);
	if (sla->utc == NULL)
		goto fail;
	for (r = conf->regions; r != NULL; r = r->next) {
		sla->regions = xrealloc(sla->regions, (sla->n_regions + 1) * sizeof(*sla->regions));
		sr = &sla->regions[sla->n_regions++];
		memset(sr, 0, sizeof(*sr));
		sr->conf = r;
		sr->hours = bizhours_new(r->timezone, r->hours, &error);
		if (sr->hours == NULL)
			goto fail_region;
		if (r->holidays != NULL && bizhours_load_holidays(sr->hours, r->holidays, &error) < 0)
			goto fail_region;
		sr->always = bizhours_new(r->timezone, "24x7", &error);
		if (sr->always == NULL)
			goto fail_region;
	}
	return sla;

fail_region:
	*error_r = xasprintf("[region %s]: %s", r->name, error);
	free(error);
	sla_free(&sla);
	return NULL;
fail:
	*error_r = error;
	sla_free(&sla);
	return NULL;
}

void
sla_free(struct sla **slap)
{
	struct sla *sla = *slap;
	size_t i;

	if (sla == NULL)
		return;
	for (i = 0; i < sla->n_regions; i++) {
		bizhours_free(&sla->regions[i].hours);
		bizhours_free(&sla->regions[i].always);
	}
	free(sla->regions);
	bizhours_free(&sla->utc);
	free(sla);
	*slap = NULL;
}

static const struct sla_region *
find_region(const struct sla *sla, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sla->n_regions; i++)
		if (strcasecmp(sla->regions[i].conf->name, name) == 0)
			return &sla->regions[i];
	return NULL;
}

/* The calendar a target counts in; NULL for an unknown region. */
static const struct bizhours *
calendar(const struct sla *sla, const struct conf_plan *plan, const char *region, int severity)
{
	const struct sla_region *r = find_region(sla, region);

	if (r == NULL)
		return NULL;
	if (severity == 1 && plan != NULL && plan->sev1_24x7)
		return r->always;
	return r->hours;
}

time_t
sla_due(const struct sla *sla, const struct conf_plan *plan, const char *region, int severity,
	time_t created_at)
{
	const struct bizhours *bh = calendar(sla, plan, region, severity);
	time_t due;

	if (bh == NULL || plan == NULL || severity < 1 || severity > 4 ||
	    plan->target[severity - 1] <= 0)
		return 0;
	due = bizhours_add(bh, created_at, plan->target[severity - 1]);
	return due < 0 ? 0 : due;
}

int
sla_plan(const struct conf *conf, struct store *st, long long org_id,
	 const struct conf_plan **plan_r)
{
	const struct conf_plan *plan = NULL;
	struct org o;
	int rc;

	if (org_id != 0) {
		rc = store_org_get_id(st, org_id, &o);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			plan = conf_plan(conf, o.plan);
			org_release(&o);
		}
	}
	if (plan == NULL)
		plan = conf_plan(conf, conf->default_plan);
	*plan_r = plan;
	return 0;
}

int
sla_ticket_due(const struct sla *sla, struct store *st, const struct ticket *t, time_t *due_r)
{
	const struct conf_plan *plan;

	if (sla_plan(sla->conf, st, t->org_id, &plan) < 0)
		return -1;
	*due_r = sla_due(sla, plan, t->region, t->severity, t->created_at);
	return 0;
}

/* The calendar of t's target (UTC around the clock for a vanished region). */
static int
ticket_calendar(const struct sla *sla, struct store *st, const struct ticket *t,
		const struct bizhours **bh_r)
{
	const struct conf_plan *plan;

	if (sla_plan(sla->conf, st, t->org_id, &plan) < 0)
		return -1;
	*bh_r = calendar(sla, plan, t->region, t->severity);
	if (*bh_r == NULL)
		*bh_r = sla->utc;
	return 0;
}

/* The warning point: sla_warning_percent of the business time from creation to due. */
static time_t
warn_point(const struct sla *sla, const struct bizhours *bh, time_t created_at, time_t due_at)
{
	long long budget = bizhours_between(bh, created_at, due_at);
	time_t at;

	at = bizhours_add(bh, created_at, (long)(budget * sla->conf->sla_warning_percent / 100));
	return at < 0 || at > due_at ? due_at : at;
}

int
sla_recompute(const struct sla *sla, struct store *st, struct ticket *t, time_t now)
{
	const struct bizhours *bh;
	time_t due;

	if (t->first_response_at != 0)
		return 0;
	if (sla_ticket_due(sla, st, t, &due) < 0 || ticket_calendar(sla, st, t, &bh) < 0)
		return -1;
	t->due_at = due;
	if (due == 0)
		return 0;
	if (now < warn_point(sla, bh, t->created_at, due))
		t->sla_warned = 0;
	if (now < due)
		t->sla_breached = 0;
	return 0;
}

int
sla_is_business_time(const struct sla *sla, const char *region, time_t t)
{
	const struct sla_region *r = find_region(sla, region);

	return r != NULL && bizhours_is_open(r->hours, t);
}

/* ---- showing times ---- */

static const char *const en_wday[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const en_mon[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const de_wday[7] = { "So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa." };
static const char *const fr_wday[7] = { "dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam." };
static const char *const fr_mon[12] = {
	"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
	"nov.", "déc.",
};
static const char *const es_wday[7] = { "dom", "lun", "mar", "mié", "jue", "vie", "sáb" };
static const char *const fi_wday[7] = { "su", "ma", "ti", "ke", "to", "pe", "la" };
static const char *const ja_wday[7] = { "日", "月", "火", "水", "木", "金", "土" };
static const char *const zh_wday[7] = { "日", "一", "二", "三", "四", "五", "六" };

char *
sla_format_due(const struct sla *sla, const char *region, const char *lang, time_t due_at)
{
	const struct sla_region *r = find_region(sla, region);
	const struct bizhours *bh = r != NULL ? r->hours : sla->utc;
	struct tm tm;
	int y, mo, d, h, mi, wd;

	if (bizhours_localtime(bh, due_at, &tm) < 0) {
		bh = sla->utc;
		memset(&tm, 0, sizeof(tm));
		gmtime_r(&due_at, &tm);
	}
	y = tm.tm_year + 1900;
	mo = tm.tm_mon;
	d = tm.tm_mday;
	h = tm.tm_hour;
	mi = tm.tm_min;
	wd = tm.tm_wday;
	if (lang == NULL)
		lang = "en";
	if (strncmp(lang, "de", 2) == 0)
		return xasprintf("%s %02d.%02d.%d %02d:%02d (%s)", de_wday[wd], d, mo + 1, y, h, mi,
				 bizhours_tz(bh));
	if (strncmp(lang, "fr", 2) == 0)
		return xasprintf("%s %d %s %d %02d:%02d (%s)", fr_wday[wd], d, fr_mon[mo], y, h, mi,
				 bizhours_tz(bh));
	if (strncmp(lang, "es", 2) == 0)
		return xasprintf("%s %02d/%02d/%d %02d:%02d (%s)", es_wday[wd], d, mo + 1, y, h, mi,
				 bizhours_tz(bh));
	if (strncmp(lang, "fi", 2) == 0)
		return xasprintf("%s %d.%d.%d klo %d.%02d (%s)", fi_wday[wd], d, mo + 1, y, h, mi,
				 bizhours_tz(bh));
	if (strncmp(lang, "ja", 2) == 0)
		return xasprintf("%d年%d月%d日(%s) %02d:%02d (%s)", y, mo + 1, d, ja_wday[wd], h, mi,
				 bizhours_tz(bh));
	if (strncmp(lang, "zh", 2) == 0)
		return xasprintf("%d年%d月%d日 星期%s %02d:%02d (%s)", y, mo + 1, d, zh_wday[wd], h, mi,
				 bizhours_tz(bh));
	return xasprintf("%s %d %s %d %02d:%02d (%s)", en_wday[wd], d, en_mon[mo], y, h, mi,
			 bizhours_tz(bh));
}

enum sla_horizon
sla_holidays_horizon(const struct bizhours *bh, time_t now, int *year_r, long *days_r)
{
	if (bh == NULL || bizhours_holidays_left(bh, now, year_r, days_r) < 0)
		return SLA_HORIZON_FAR;
	if (*days_r <= 0)
		return SLA_HORIZON_ENDED;
	if (*days_r <= SLA_HOLIDAYS_NOTICE_DAYS)
		return SLA_HORIZON_ENDING;
	return SLA_HORIZON_FAR;
}

const struct bizhours *
sla_region_calendar(const struct sla *sla, const char *region)
{
	const struct sla_region *r = find_region(sla, region);

	return r != NULL ? r->hours : NULL;
}

void
sla_format_duration(long seconds, char *out, size_t outlen)
{
	long s = seconds < 0 ? -seconds : seconds;

	snprintf(out, outlen, "%s%ldh %02ldm", seconds < 0 ? "-" : "", s / 3600, s % 3600 / 60);
}

/* ---- where a ticket stands ---- */

const char *
sla_state_name(enum sla_state state)
{
	switch (state) {
	case SLA_NONE: return "none";
	case SLA_RUNNING: return "running";
	case SLA_WARNING: return "warning";
	case SLA_OVERDUE: return "overdue";
	case SLA_MET: return "met";
	case SLA_MISSED: return "missed";
	case SLA_STOPPED: return "stopped";
	}
	return "none";
}

static int
is_open(const struct ticket *t)
{
	return strcmp(t->status, "new") == 0 || strcmp(t->status, "open") == 0 ||
		strcmp(t->status, "pending") == 0;
}

int
sla_ticket_status(const struct sla *sla, struct store *st, const struct ticket *t, time_t now,
		  struct sla_status *s)
{
	const struct bizhours *bh;
	time_t fr = t->first_response_at, due = t->due_at;

	memset(s, 0, sizeof(*s));
	s->state = SLA_NONE;
	if (due == 0)
		return 0;
	if (ticket_calendar(sla, st, t, &bh) < 0)
		return -1;
	s->due_at = due;
	s->warn_at = warn_point(sla, bh, t->created_at, due);
	if (fr != 0) {
		s->state = fr <= due ? SLA_MET : SLA_MISSED;
		s->remaining = fr <= due ? bizhours_between(bh, fr, due) : -bizhours_between(bh, due, fr);
	} else if (!is_open(t)) {
		/* Resolved or closed without a response: missed only if it breached first. */
		s->state = t->sla_breached ? SLA_MISSED : SLA_STOPPED;
	} else if (now >= due) {
		s->state = SLA_OVERDUE;
		s->remaining = -bizhours_between(bh, due, now);
	} else {
		s->state = now >= s->warn_at ? SLA_WARNING : SLA_RUNNING;
		s->remaining = bizhours_between(bh, now, due);
	}
	return 0;
}
