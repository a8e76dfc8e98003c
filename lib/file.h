/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

/*
 * Open a configuration file that decides who may do what. Refused (negative
 * errno, *why says which rule) unless it is a regular file reached without
 * following a final symlink, owned by root and not writable by group or
 * others. -ENOENT is returned as is so callers can treat "absent" apart.
 */
int qnet_file_open_trusted(const char *path, FILE **ret, const char **why);

/* Write CONTENT to PATH atomically (a temporary file renamed over it), mode 0644. */
int qnet_file_write_atomic(const char *path, const char *content);
/* Read a small file into BUF (NUL-terminated, cut at SIZE-1). */
int qnet_file_read_small(const char *path, char *buf, size_t size);
