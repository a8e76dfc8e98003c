/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cleanup attributes and ownership transfer, after systemd: a resource is
 * freed on every path out of its scope unless TAKE_FD()/TAKE_PTR() hands it
 * on explicitly.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void qnet_freep(void *p)
{
	free(*(void **)p);
}

static inline void qnet_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void qnet_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(qnet_freep)
#define _cleanup_close_ _cleanup_(qnet_closep)
#define _cleanup_fclose_ _cleanup_(qnet_fclosep)

#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -1; _fd_; })
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline int streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* errno as a negative return value, never 0 even if errno was not set. */
static inline int qnet_negerrno(void)
{
	return errno > 0 ? -errno : -EIO;
}
