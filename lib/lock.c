// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "macro.h"
#include "paths.h"
#include "state.h"

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s", path);

	if (n < 0 || n >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return qnet_negerrno();
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return qnet_negerrno();
	return 0;
}

/* RUNDIR and STATEDIR, created if missing (0755): the lock files' home. */
static int make_dirs(void)
{
	int r = mkdir_p(qnet_paths_rundir());

	return r < 0 ? r : mkdir_p(qnet_paths_statedir());
}

/* flock(FD, LOCK_EX), giving up 60 s after START: a holder's work takes
 * milliseconds, and a blocking flock would wait forever on a hung one. */
static int flock_bounded(int fd, const struct timespec *start)
{
	struct timespec now;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return qnet_negerrno();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start->tv_sec > 60)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
	}
}

int qnet_lock_network(const char *network)
{
	char path[PATH_MAX];
	struct timespec start;
	int r;

	r = qnet_state_path(path, sizeof(path), network, QNET_STATE_LOCK);
	if (r < 0)
		return r;
	r = make_dirs();
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		struct stat held, named;

		if (fd < 0)
			return qnet_negerrno();
		r = flock_bounded(fd, &start);
		if (r < 0)
			return r;
		/* Still the file of that name? Else its network was torn down
		 * while we waited: lock the new one. */
		if (fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
		    held.st_ino == named.st_ino && held.st_dev == named.st_dev)
			return TAKE_FD(fd);
	}
}

int qnet_lock_rundir(void)
{
	_cleanup_close_ int fd = -1;
	struct timespec start;
	int r;

	r = make_dirs();
	if (r < 0)
		return r;
	fd = open(qnet_paths_rundir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return qnet_negerrno();
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = flock_bounded(fd, &start);
	return r < 0 ? r : TAKE_FD(fd);
}

void qnet_lock_release_unlink(int fd, const char *network)
{
	char path[PATH_MAX];

	if (qnet_state_path(path, sizeof(path), network, QNET_STATE_LOCK) == 0)
		(void)unlink(path);
	qnet_lock_release(fd);
}

void qnet_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
