/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAT networks: created on first use, removed after the last VM (see
 * docs/design.md, *State and locking*). Every entry point takes the
 * network's lock, repairs what a kill -9 or a flushed ruleset left behind,
 * then does its work. WHY receives a cause for a one-line message;
 * functions return 0 or -errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The network a program works on: instance in its name (qemu-ifup-nat@lab),
 * else QNET_NETWORK, else [script] network= of CFG, else "default". */
const char *qnet_nat_network_name(const char *argv0, const struct qnet_config *cfg);

/* Where bring-up says what it changed on the host that its user should
 * hear of (accept_ra set to 2, see nat.c): one line each, without the
 * program's name. Without it (NULL) nobody hears. */
void qnet_nat_set_notice(void (*fn)(const char *line, void *userdata), void *userdata);

/* qemu-ifup-nat: bring NETWORK up if it is not, then attach TAP. */
int qnet_nat_ifup(const struct qnet_config *cfg, const char *network, const char *tap,
		  char *why, size_t why_size);
/* qemu-ifdown-nat: detach TAP (gone is fine); when the bridge has no port
 * left, take the network down. */
int qnet_nat_ifdown(const struct qnet_config *cfg, const char *network, const char *tap,
		    char *why, size_t why_size);
/* qnet up / qnet down: without a TAP. Up makes the network persistent: it
 * stays when its last guest goes, until qnet down. Down refuses while
 * ports are attached unless FORCE (which detaches them). */
int qnet_nat_up(const struct qnet_config *cfg, const char *network, char *why, size_t why_size);
int qnet_nat_down(const char *network, bool force, char *why, size_t why_size);
/* qnet down --autostart: down if no port is attached, else on-demand from
 * now on (it goes with its last guest). Returns 0 if it went down, else
 * the number of ports it keeps. */
int qnet_nat_release(const char *network, char *why, size_t why_size);

/* What NETWORK is now: */
enum {
	QNET_NAT_DOWN,
	QNET_NAT_ON_DEMAND,  /* up for its guests: it goes with the last */
	QNET_NAT_PERSISTENT, /* up by qnet up (or autostart): until qnet down */
};
/* One of those, or -errno if its state cannot be read. */
int qnet_nat_kind(const char *network);
/* The configuration NETWORK runs with (what it came up or was last
 * reloaded with) into *RET, and its network in it (*N, borrowed from
 * *RET); -ENOENT if none is recorded. */
int qnet_nat_running(const char *network, struct qnet_config **ret, const struct qnet_network **n);
/* What differs between N, as qnet.conf says now, and what its network
 * runs with (QNET_CONFIG_DIFF_*): 0 if nothing or it is not up. */
unsigned qnet_nat_pending(const struct qnet_network *n);

/*
 * qnet reload: take what CFG says of NETWORK to it while it runs, without
 * dropping its guests: hosts and forwards by one table swap, a new
 * allow-list and dnsmasq's hosts file (SIGHUP); DHCP range, lease-max or
 * dns by a dnsmasq restart that keeps its lease file. A changed bridge,
 * subnet or subnet6 is refused (-EXDEV): only down and up take those.
 * *APPLIED gets what changed (QNET_CONFIG_DIFF_*; the PORTS part applies
 * to ports attached from now on). Returns 0, 1 if NETWORK is not up, or
 * -errno with nothing of CFG applied.
 */
int qnet_nat_reload(const struct qnet_config *cfg, const char *network, unsigned *applied,
		    char *why, size_t why_size);

/* qnet gc: for every network with state, repair it or remove it when no
 * port is left; REPORT (may be NULL) hears one line per action, what was
 * put back included. */
int qnet_nat_gc(void (*report)(const char *network, const char *what, void *userdata),
		void *userdata);
/* qnet watch: the same repair, each network under its lock, but a network
 * without ports stays (qnet up made it, or its last VM was killed): taking
 * it down is a decision of qnet gc's user, not of a firewall event. */
int qnet_nat_repair(void (*report)(const char *network, const char *what, void *userdata),
		    void *userdata);
