/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What qemu-ifup and qemu-ifdown do (DESIGN §3). Both print their own
 * one-line error and return the process exit status.
 */
#pragma once

#include <stdbool.h>

/* argv[0] may carry an instance: "qemu-ifup@br1" picks bridge br1. */
int qnet_script_ifup(int argc, char **argv);
int qnet_script_ifdown(int argc, char **argv);

/* qemu-ifup-nat / qemu-ifdown-nat (lib/script-nat.c); argv[0] may carry a
 * network: "qemu-ifup-nat@lab". */
int qnet_script_ifup_nat(int argc, char **argv);
int qnet_script_ifdown_nat(int argc, char **argv);

/* --help, --version, unknown options and the argument count of a program
 * QEMU runs: 0 or 1 is the exit status (help printed, or a one-line error),
 * -1 means go on. */
int qnet_script_options(const char *synopsis, int argc, char **argv);
/* Prints a qnet.conf diagnostic as one line (qnet_config_load's callback). */
void qnet_script_config_diag(void *userdata, const char *file, unsigned line, bool is_error,
			     const char *msg);
