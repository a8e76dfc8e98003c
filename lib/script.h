/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What qemu-ifup and qemu-ifdown do (DESIGN §3). Both print their own
 * one-line error and return the process exit status.
 */
#pragma once

/* argv[0] may carry an instance: "qemu-ifup@br1" picks bridge br1. */
int qnet_script_ifup(int argc, char **argv);
int qnet_script_ifdown(int argc, char **argv);

/* qemu-ifup-nat / qemu-ifdown-nat (lib/script-nat.c); argv[0] may carry a
 * network: "qemu-ifup-nat@lab". */
int qnet_script_ifup_nat(int argc, char **argv);
int qnet_script_ifdown_nat(int argc, char **argv);

/* The part after '@' in the program's own name, or NULL. */
const char *qnet_program_instance(const char *argv0);
