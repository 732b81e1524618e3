#include "fileperm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

int
fileperm_mkdirs(const char *dir, char **error_r)
{
	struct stat sb;
	char *path, *slash;
	int rc = 0;

	if (*dir == '\0' || stat(dir, &sb) == 0)
		return 0;
	path = xstrdup(dir);
	/* Each missing component, from the top: "/var/lib/ticketd" makes what is not there. */
	for (slash = path + 1; rc == 0; slash++) {
		slash = strchr(slash, '/');
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(path, FILEPERM_DIR) == 0) {
			/* The umask narrowed what mkdir made: set the mode itself. */
			if (chmod(path, FILEPERM_DIR) < 0) {
				*error_r = xasprintf("unable to set the mode of folder '%s': %s",
						     path, strerror(errno));
				rc = -1;
			}
		} else if (errno != EEXIST) {
			*error_r = xasprintf("unable to create folder '%s': %s", path, strerror(errno));
			rc = -1;
		}
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(path);
	return rc;
}

int
fileperm_create(const char *path, char **error_r)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash != NULL && slash != path) {
		dir = xstrndup(path, (size_t)(slash - path));
		if (fileperm_mkdirs(dir, error_r) < 0) {
			free(dir);
			return -1;
		}
		free(dir);
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILEPERM_FILE);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0) {
		*error_r = xasprintf("unable to create '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, FILEPERM_FILE) < 0) {
		*error_r = xasprintf("unable to set the mode of '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

int
fileperm_open_to_others(const char *path, mode_t *mode_r)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	*mode_r = sb.st_mode & 07777;
	return (sb.st_mode & 006) != 0;
}
