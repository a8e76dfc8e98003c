/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

/* Why qnet_file_open_trusted() refused a file. */
struct qnet_file_refusal {
	char where[PATH_MAX];   /* the path itself, or the directory on its way at fault */
	bool dir;               /* WHERE is a directory above the file */
	const char *why;        /* the rule it breaks ("is not owned by root", ...);
				 * NULL when the errno alone says it (ENOENT, EACCES) */
};

/*
 * Open a configuration file that decides who may do what (lib/file.c says
 * how). Refused (negative errno, *WHY says where and which rule) unless
 * PATH is absolute, every directory from / down to it is a directory (not
 * a symbolic link), owned by root and not writable by group or others
 * (unless it is sticky), and the file is a regular file, not a symbolic
 * link, owned by root and not writable by group or others; nothing on the
 * way may be on a FUSE file system (-EMEDIUMTYPE). -ENOENT (of the file or
 * of a directory on its way) is returned as is so callers can treat
 * "absent" apart.
 */
int qnet_file_open_trusted(const char *path, FILE **ret, struct qnet_file_refusal *why);

/* WHY's rule, or the text of the errno R it came with. */
const char *qnet_file_refusal_reason(const struct qnet_file_refusal *why, int r);

/* Write CONTENT to PATH atomically (a temporary file renamed over it), mode 0644. */
int qnet_file_write_atomic(const char *path, const char *content);
/* Read a small file into BUF (NUL-terminated, cut at SIZE-1). */
int qnet_file_read_small(const char *path, char *buf, size_t size);
