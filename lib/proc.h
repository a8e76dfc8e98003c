/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is a process from a pid file still running? kill(pid, 0) is not enough:
 * a daemon killed with SIGKILL stays a zombie until its reaper waits for it
 * (containers without an init never do), and a pid can be recycled.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* PID exists and is not a zombie; if COMM is not NULL, its name (as in
 * /proc/PID/comm, at most 15 bytes) is COMM. */
bool qnet_proc_alive(pid_t pid, const char *comm);

/* The pid in the pid file PATH (its first line: a decimal 1 to INT_MAX)
 * into *PID; -EBADMSG if the file holds none, -errno if it cannot be read. */
int qnet_proc_read_pid_file(const char *path, pid_t *pid);
