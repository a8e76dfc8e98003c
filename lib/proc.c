// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "macro.h"
#include "parse.h"
#include "proc.h"

bool qnet_proc_alive(pid_t pid, const char *comm)
{
	char path[64], buf[512], *open_paren, *close_paren;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything, ')' included, so
	 * it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
		return false;
	if (close_paren[2] == 'Z' || close_paren[2] == 'X' || close_paren[2] == 'x')
		return false;
	if (!comm)
		return true;
	*close_paren = '\0';
	return streq(open_paren + 1, comm);
}

int qnet_proc_read_pid_file(const char *path, pid_t *pid)
{
	char buf[32];
	unsigned long v;
	int r;

	r = qnet_file_read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	if (qnet_parse_uint(buf, INT_MAX, &v) < 0 || v == 0)
		return -EBADMSG;
	*pid = (pid_t)v;
	return 0;
}
