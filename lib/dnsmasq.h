/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DHCP and DNS server of a NAT network: one dnsmasq per network,
 * started from its absolute path (never a PATH lookup) with no host
 * configuration, answering only on the network's bridge.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Start it and wait until it is serving (dnsmasq's parent exits only once
 * its daemon has bound its sockets). On failure WHY says why. */
int qnet_dnsmasq_start(const struct qnet_network *n, char *why, size_t why_size);
/* The pid of the network's running dnsmasq, 0 if none is running, -errno. */
pid_t qnet_dnsmasq_pid(const char *network);
/* Stop it (SIGTERM, bounded wait, then SIGKILL) and remove its pid file. */
int qnet_dnsmasq_stop(const char *network);
/* Rewrite the static hosts file; SIGHUP a running dnsmasq if it changed. */
int qnet_dnsmasq_write_hosts(const struct qnet_network *n, bool *changed);
