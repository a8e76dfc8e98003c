/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the programs QEMU runs do (DESIGN §3): qemu-ifup and qemu-ifdown
 * (script.c), qemu-ifup-nat and qemu-ifdown-nat (script-nat.c). Program
 * code, not library: each prints its own one-line error and returns the
 * process exit status.
 */
#pragma once

#include <stdbool.h>

/* argv[0] may carry an instance: "qemu-ifup@br1" picks bridge br1. */
int script_ifup(int argc, char **argv);
int script_ifdown(int argc, char **argv);

/* qemu-ifup-nat / qemu-ifdown-nat (script-nat.c); argv[0] may carry a
 * network: "qemu-ifup-nat@lab". */
int script_ifup_nat(int argc, char **argv);
int script_ifdown_nat(int argc, char **argv);

/* --help, --version, unknown options and the argument count of a program
 * QEMU runs: 0 or 1 is the exit status (help printed, or a one-line error),
 * -1 means go on. */
int script_options(const char *synopsis, int argc, char **argv);
