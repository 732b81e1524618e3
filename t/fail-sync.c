/*
 * fail-sync: an LD_PRELOAD shim for t7007.  While the file named by
 * TICKETD_TEST_FAIL_SYNC exists, fdatasync() and fsync() of a file whose
 * name ends in "-wal" fail with EIO: a disk that stops taking the
 * store's log while everything else (the probe beside the store, the
 * network) still works.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
failing(int fd)
{
	const char *flag = getenv("TICKETD_TEST_FAIL_SYNC");
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (flag == NULL || access(flag, F_OK) != 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 4)
		return 0;
	path[n] = '\0';
	return strcmp(path + n - 4, "-wal") == 0;
}

static int
call_real(const char *name, int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);

	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real != NULL ? real(fd) : 0;
}

int
fdatasync(int fd)
{
	return call_real("fdatasync", fd);
}

int
fsync(int fd)
{
	return call_real("fsync", fd);
}
