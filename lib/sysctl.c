// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "macro.h"
#include "sysctl.h"

int qnet_sysctl_read(const char *path, char *buf, size_t size)
{
	int r = qnet_file_read_small(path, buf, size);
	size_t n;

	if (r < 0)
		return r;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int qnet_sysctl_write(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return qnet_negerrno();
	if (write(fd, value, len) != (ssize_t)len)
		return qnet_negerrno();
	return 0;
}

int qnet_sysctl_ipv6_conf_path(char *buf, size_t size, const char *ifname, const char *key)
{
	int n = snprintf(buf, size, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int qnet_sysctl_ipv6_conf_name(char *buf, size_t size, const char *ifname, const char *key)
{
	int n = snprintf(buf, size, "net.ipv6.conf.%s.%s", ifname, key);
	size_t start = strlen("net.ipv6.conf."), len = strlen(ifname);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (size_t i = start; i < start + len; i++)
		if (buf[i] == '.')
			buf[i] = '/';
	return 0;
}
