/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiled-in paths (meson options). Tests relocate them with QNET_CONFDIR,
 * QNET_RUNDIR, QNET_STATEDIR, QNET_DNSMASQ, QNET_LIBEXECDIR and
 * QNET_MACHINE_ID, read with secure_getenv()
 * only: in a setuid or file-capability process those variables do not exist,
 * so a caller can never point a privileged program at files of its choice.
 * Also what a program's own name says (its @instance).
 */
#pragma once

#include <stddef.h>

const char *qnet_paths_confdir(void);
const char *qnet_paths_rundir(void);
const char *qnet_paths_statedir(void);
const char *qnet_paths_dnsmasq(void);
/* Where the programs QEMU runs are installed (QNET_LIBEXECDIR), for `qnet doctor`. */
const char *qnet_paths_libexecdir(void);
/* The host's machine-id file, /etc/machine-id: what a NAT network's ULA
 * prefix is derived from (QNET_MACHINE_ID). */
const char *qnet_paths_machine_id(void);

/* The part after '@' in a program's own name (ARGV0, with or without a
 * directory: "/usr/libexec/qnet/qemu-ifup@br1" is "br1"), or NULL if
 * there is none or it is empty. qemu-ifup@BRIDGE and qemu-ifup-nat@NETWORK
 * are how a symlink picks what a program works on. */
const char *qnet_paths_program_instance(const char *argv0);

/* DIR/NAME into BUF; -ENAMETOOLONG instead of truncating. */
int qnet_paths_join(char *buf, size_t size, const char *dir, const char *name);
