/*
 * ctl-attach.c: attachment list SUP-N, attachment get SUP-N ID.
 *
 * get writes the exact bytes (checked against their SHA-256) to -o FILE,
 * "-" for stdout, else to the attachment's safe name in the current
 * folder (or in -o FOLDER): the name a mail gave is never a path (it is made safe when the
 * mail arrives, and again here).  An existing file is never replaced
 * without -f; the bytes go to a temporary file beside it first, so a
 * failed write leaves nothing half-written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "filename.h"
#include "json.h"
#include "notify.h"
#include "sha256.h"
#include "store.h"
#include "xmalloc.h"

void
ctl_attachment_json(struct json *j, const struct attachment *a)
{
	json_obj_begin(j);
	json_kint(j, "id", a->number);
	json_kstr(j, "filename", a->filename);
	json_kstr(j, "sent_name", a->sent_name);
	json_kstr(j, "content_type", a->content_type);
	json_kint(j, "size", a->size);
	json_kstr(j, "sha256", a->sha256);
	json_kstr(j, "role", a->role);
	json_key(j, "kept");
	json_bool(j, a->dropped == NULL);
	json_kstr(j, "dropped", a->dropped);
	json_kint_or_null(j, "event", a->event);
	json_ktime(j, "at", a->at);
	json_obj_end(j);
}

void
ctl_attachment_line(struct buf *out, const char *indent, const struct attachment *a)
{
	char size[ATTACH_SIZE_TEXT_MAX];

	attach_size_text((size_t)a->size, size, sizeof(size));
	buf_addf(out, "%sattachment %lld: %s  %s  %s", indent, a->number, a->filename,
		 a->content_type, size);
	if (a->dropped != NULL)
		buf_addf(out, "  (dropped: %s)", a->dropped);
	else if (strcmp(a->role, "inline") == 0)
		buf_adds(out, "  (inline image of the mail, not forwarded)");
	else if (strcmp(a->role, "history") == 0)
		buf_adds(out, "  (already on the ticket, not forwarded)");
	if (a->sent_name != NULL)
		buf_adds(out, "  (name made safe: see sent_name in --json)");
	buf_addc(out, '\n');
}

/* The ticket operand; 0 (after the usage message) when it is not one. */
static long long
ticket_operand(struct ctl *c, const char *s)
{
	long long n = ctl_parse_ticket(c->conf, s);

	if (n == 0)
		ctl_die_usage("'%s' is not a ticket number, e.g. %s-12", s, c->conf->ticket_prefix);
	return n;
}

/* 1 when the ticket exists; else the message is printed: 0 (none), -1 (store error). */
static int
ticket_exists(struct ctl *c, long long number)
{
	struct ticket t;
	char name[NOTIFY_TICKET_NAME_MAX];
	int rc = store_ticket_get(c->st, number, &t);

	if (rc == 1) {
		ticket_release(&t);
		return 1;
	}
	notify_ticket_name(c->conf, number, name, sizeof(name));
	if (rc == 0)
		ctl_fail("no ticket %s", name);
	else
		ctl_fail("%s", store_error(c->st));
	return rc;
}

static int
attachment_list(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct attachment *list = NULL;
	struct buf out = BUF_INIT;
	struct json j;
	long long number;
	char ts[CLOCK_TEXT_MAX];
	size_t n = 0, i;
	int first;

	first = ctl_parse_opts(argc, argv, &o, "j");
	if (first < 0)
		return EX_USAGE_;
	if (first + 1 != argc)
		return ctl_die_usage("usage: attachment list SUP-N [--json]");
	if (ctl_open_store(c) < 0)
		return 1;
	number = ticket_operand(c, argv[first]);
	if (number == 0)
		return EX_USAGE_;
	if (ticket_exists(c, number) != 1)
		return 1;
	if (store_attachment_list(c->st, number, &list, &n) < 0)
		return ctl_fail("%s", store_error(c->st));
	if (o.json) {
		json_init(&j, &out);
		json_arr_begin(&j);
		for (i = 0; i < n; i++)
			ctl_attachment_json(&j, &list[i]);
		json_arr_end(&j);
		buf_addc(&out, '\n');
	} else {
		if (n > 0)
			buf_addf(&out, "%-3s %10s  %-24s %-20s  %-16s  %s\n", "ID", "BYTES", "TYPE",
				 "ADDED", "SHA-256", "NAME");
		for (i = 0; i < n; i++) {
			clock_format(list[i].at, ts, sizeof(ts));
			buf_addf(&out, "%-3lld %10lld  %-24s %-20s  %-16.16s  %s%s%s%s\n",
				 list[i].number, list[i].size, list[i].content_type, ts,
				 list[i].sha256, list[i].filename,
				 list[i].dropped != NULL ? "  (dropped: " : "",
				 list[i].dropped != NULL ? list[i].dropped : "",
				 list[i].dropped != NULL ? ")" : "");
		}
	}
	ctl_print(&out);
	buf_release(&out);
	attachment_list_free(&list, n);
	return 0;
}

/* All of data to fd; -1 with errno. */
static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Write data to path: a temporary file (0600) beside it, then renamed
 * over it (force) or linked to it (never replacing anything).  0, or -1
 * with *error_r (caller frees).
 */
static int
write_file(const char *path, int force, const char *data, size_t len, char **error_r)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	int fd, rc = -1, saved;

	if (slash != NULL)
		tmp = xasprintf("%.*s/.ticketctl-XXXXXX", (int)(slash - path), path);
	else
		tmp = xstrdup(".ticketctl-XXXXXX");
	fd = mkstemp(tmp);
	if (fd < 0) {
		*error_r = xasprintf("unable to write '%s': %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		*error_r = xasprintf("unable to write '%s': %s", path, strerror(saved));
		goto out;
	}
	if (close(fd) < 0) {
		*error_r = xasprintf("unable to write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (force) {
		/* rename replaces a symbolic link itself, never what it points to */
		if (rename(tmp, path) < 0)
			*error_r = xasprintf("unable to write '%s': %s", path, strerror(errno));
		else
			rc = 0;
	} else if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			*error_r = xasprintf("'%s' exists (-f overwrites it)", path);
		else
			*error_r = xasprintf("unable to write '%s': %s", path, strerror(errno));
	} else {
		rc = 0;
	}
out:
	unlink(tmp);
	free(tmp);
	return rc;
}

static int
attachment_get(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	struct attachment a;
	struct buf out = BUF_INIT;
	struct json j;
	char *data = NULL, *error = NULL, *path = NULL, *safe = NULL, *end;
	char hash[SHA256_HEX_SIZE];
	struct stat sb;
	char name[NOTIFY_TICKET_NAME_MAX];
	long long number, id;
	size_t len = 0;
	int first, rc, status = 1;

	first = ctl_parse_opts(argc, argv, &o, "OYj");
	if (first < 0)
		return EX_USAGE_;
	if (first + 2 != argc)
		return ctl_die_usage("usage: attachment get SUP-N ID [-o FILE|-] [-f]");
	if (ctl_open_store(c) < 0)
		return 1;
	number = ticket_operand(c, argv[first]);
	if (number == 0)
		return EX_USAGE_;
	errno = 0;
	id = strtoll(argv[first + 1], &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0 || argv[first + 1][0] == '+')
		return ctl_die_usage("'%s' is not an attachment ID (see: attachment list %s)",
				     argv[first + 1], argv[first]);
	if (o.json && o.output != NULL && strcmp(o.output, "-") == 0)
		return ctl_die_usage("--json prints to stdout: it does not go with -o -");
	if (ticket_exists(c, number) != 1)
		return 1;
	notify_ticket_name(c->conf, number, name, sizeof(name));
	rc = store_attachment_get(c->st, number, id, &a);
	if (rc < 0)
		return ctl_fail("%s", store_error(c->st));
	if (rc == 0)
		return ctl_fail("%s has no attachment %lld (see: attachment list %s)", name, id, name);
	if (a.dropped != NULL) {
		ctl_fail("%s attachment %lld '%s' was dropped (%s): its bytes were not kept", name,
			 id, a.filename, a.dropped);
		goto out;
	}
	rc = store_blob_get(c->st, a.sha256, &data, &len);
	if (rc <= 0) {
		ctl_fail("%s attachment %lld: %s", name, id,
			 rc < 0 ? store_error(c->st) : "its bytes are missing from the store");
		goto out;
	}
	sha256_hex(data, len, hash);
	if ((long long)len != a.size || strcmp(hash, a.sha256) != 0) {
		ctl_fail("%s attachment %lld: the stored bytes do not match their SHA-256 "
			 "(the store is damaged)", name, id);
		goto out;
	}
	if (o.output != NULL && strcmp(o.output, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			ctl_fail("unable to write to stdout: %s", strerror(errno));
			goto out;
		}
		status = 0;
		goto out;
	}
	/*
	 * The stored name is safe already; made safe again, it is still one
	 * component.  -o FOLDER: that name inside FOLDER.
	 */
	safe = filename_safe(a.filename, a.content_type);
	if (o.output == NULL)
		path = xstrdup(safe);
	else if (stat(o.output, &sb) == 0 && S_ISDIR(sb.st_mode))
		path = xasprintf("%s%s%s", o.output,
				 o.output[strlen(o.output) - 1] == '/' ? "" : "/", safe);
	else
		path = xstrdup(o.output);
	if (write_file(path, o.force, data, len, &error) < 0) {
		ctl_fail("%s", error);
		goto out;
	}
	if (o.json) {
		json_init(&j, &out);
		json_obj_begin(&j);
		ctl_kticket(&j, c->conf, "ticket", number);
		json_kint(&j, "id", id);
		json_kstr(&j, "filename", a.filename);
		json_kstr(&j, "path", path);
		json_kint(&j, "size", (long long)len);
		json_kstr(&j, "sha256", hash);
		json_obj_end(&j);
		buf_addc(&out, '\n');
	} else {
		buf_addf(&out, "%s attachment %lld: wrote '%s' (%zu bytes, sha256 %s)\n", name, id,
			 path, len, hash);
	}
	ctl_print(&out);
	status = 0;
out:
	buf_release(&out);
	attachment_release(&a);
	free(data);
	free(error);
	free(path);
	free(safe);
	return status;
}

int
cmd_attachment(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return attachment_list(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "get") == 0)
		return attachment_get(c, argc - 1, argv + 1);
	return ctl_die_usage("usage: attachment list SUP-N [--json] | "
			     "attachment get SUP-N ID [-o FILE|-] [-f] [--json]");
}
