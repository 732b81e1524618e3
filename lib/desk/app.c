#include "app.h"

#include <stdio.h>
#include <stdlib.h>

#include "bizhours.h"
#include "conf.h"
#include "notify.h"
#include "store.h"

const char *
app_default_config(void)
{
	const char *env = getenv("TICKETD_CONFIG");

	return env != NULL && *env != '\0' ? env : TICKETD_SYSCONFDIR "/ticketd.conf";
}

static int
check_regions(const struct conf *conf, struct buf *errors)
{
	const struct conf_region *r;
	struct bizhours *bh;
	char *error = NULL;
	int n = 0;

	for (r = conf->regions; r != NULL; r = r->next) {
		bh = bizhours_new(r->timezone, r->hours, &error);
		if (bh == NULL) {
			buf_addf(errors, "%s: [region %s]: %s\n", conf->path, r->name, error);
			free(error);
			error = NULL;
			n++;
			continue;
		}
		if (r->holidays != NULL && bizhours_load_holidays(bh, r->holidays, &error) < 0) {
			buf_addf(errors, "%s\n", error);
			free(error);
			error = NULL;
			n++;
		}
		bizhours_free(&bh);
	}
	return n;
}

int
app_load_config(const char *path, struct conf **conf_r, struct buf *errors)
{
	struct conf *conf;
	int n;

	if (conf_load(path, &conf, errors) < 0)
		return -1;
	n = notify_check_templates(conf, errors);
	n += check_regions(conf, errors);
	if (n > 0) {
		conf_free(&conf);
		return -1;
	}
	*conf_r = conf;
	return 0;
}

int
app_open_store(const struct conf *conf, struct store **st_r)
{
	char *error = NULL;

	if (store_open(conf->database, st_r, &error) < 0) {
		fprintf(stderr, "ticketd: %s\n", error);
		free(error);
		return -1;
	}
	return 0;
}
