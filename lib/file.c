// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "macro.h"

int qnet_file_open_trusted(const char *path, FILE **ret, const char **why)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	FILE *f;

	*why = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP) {
			*why = "is a symbolic link";
			return -ELOOP;
		}
		return qnet_negerrno();
	}
	if (fstat(fd, &st) < 0)
		return qnet_negerrno();
	if (!S_ISREG(st.st_mode)) {
		*why = "is not a regular file";
		return -EINVAL;
	}
	if (st.st_uid != 0) {
		*why = "is not owned by root";
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "is writable by group or others";
		return -EPERM;
	}
	f = fdopen(fd, "re");
	if (!f)
		return qnet_negerrno();
	TAKE_FD(fd);
	*ret = f;
	return 0;
}

int qnet_file_write_atomic(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int n, r = 0;
	_cleanup_close_ int fd = -1;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	if (n < 0 || n >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return qnet_negerrno();
	if (write(fd, content, len) != (ssize_t)len)
		r = errno ? -errno : -ENOSPC;
	else if (fsync(fd) < 0)
		r = qnet_negerrno();
	if (r == 0 && rename(tmp, path) < 0)
		r = qnet_negerrno();
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int qnet_file_read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return qnet_negerrno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return qnet_negerrno();
	buf[n] = '\0';
	return 0;
}
