#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Field 22 of /proc/PID/stat (starttime), or 0 when the process is not there. */
static unsigned long long
start_time(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	size_t n;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": comm may hold spaces and ')' itself. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	p++;                    /* the space before field 3 (state) */
	/* A zombie is gone for our purposes. */
	if (p[0] == ' ' && (p[1] == 'Z' || p[1] == 'X'))
		return 0;
	for (field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	v = strtoull(p + 1, NULL, 10);
	return v;
}

static void
host_name(char *out, size_t outlen)
{
	if (gethostname(out, outlen) < 0 || *out == '\0')
		snprintf(out, outlen, "localhost");
	out[outlen - 1] = '\0';
	/* The identity is space-separated. */
	for (; *out != '\0'; out++)
		if (*out == ' ')
			*out = '_';
}

void
proc_self_id(char *out, size_t outlen)
{
	char host[256];
	long pid = (long)getpid();

	host_name(host, sizeof(host));
	snprintf(out, outlen, "%s %ld %llu", host, pid, start_time(pid));
}

enum proc_state
proc_id_state(const char *id)
{
	char host[256], theirs[256];
	unsigned long long start;
	long pid;

	if (id == NULL || sscanf(id, "%255s %ld %llu", theirs, &pid, &start) != 3 || pid <= 0)
		return PROC_ELSEWHERE;
	host_name(host, sizeof(host));
	if (strcmp(host, theirs) != 0)
		return PROC_ELSEWHERE;
	if (start == 0) {
		/* No /proc when it was made: all we have is the pid. */
		return kill((pid_t)pid, 0) == 0 || errno == EPERM ? PROC_ALIVE : PROC_GONE;
	}
	return start_time(pid) == start ? PROC_ALIVE : PROC_GONE;
}
