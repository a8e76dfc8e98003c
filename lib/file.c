// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

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
