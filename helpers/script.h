/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the programs QEMU runs do (see docs/design.md, *What each program
 * does*): qemu-ifup and qemu-ifdown
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

/*
 * What each of them does first: messages under its own name (argv[0]),
 * --help, --version, unknown options, 1 to MAX_OPERANDS operands (the TAP,
 * then the bridge where one may follow) and the TAP's name. 0 or 1 is the
 * exit status (help printed, or a one-line error); -1 means go on, with
 * argv[1] a valid interface name.
 */
int script_start(const char *synopsis, int max_operands, int argc, char **argv);
