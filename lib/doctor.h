/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `qnet doctor`: the host checks people otherwise do by hand before a VM
 * gets a network (lsmod | grep tun, ls -l /dev/net/tun, brctl show,
 * iptables -L, sysctl net.ipv4.ip_forward), each with the fix.
 */
#pragma once

#include <stdio.h>

struct qnet_doctor_counts {
	unsigned ok, warn, fail;
};

/*
 * Run every check; one line each to OUT:
 *   "ok    CHECK: FINDING"
 *   "warn  CHECK: FINDING; fix: WHAT TO DO"
 *   "fail  CHECK: FINDING; fix: WHAT TO DO"
 * Returns 0 (the counts say what was found) or -ENOMEM.
 */
int qnet_doctor_run(FILE *out, struct qnet_doctor_counts *counts);
