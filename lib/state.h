/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names a NAT network leaves on the host, each built in one place: its
 * files under RUNDIR and STATEDIR and its nftables table. What one program
 * writes under a name is what the next one looks for, and `qnet doctor` and
 * `qnet gc` recognise exactly our names, not ones that merely look alike.
 * The state file's format ("bridge=NAME\n") is kept here too. See state.c.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The files of network NAME. */
enum qnet_state_file {
	QNET_STATE_UP,          /* RUNDIR/NAME.state: the network is up, on this bridge */
	QNET_STATE_LOCK,        /* RUNDIR/NAME.lock: the network's flock (lock.c) */
	QNET_STATE_DNSMASQ_PID, /* RUNDIR/NAME.dnsmasq.pid: written by its dnsmasq */
	QNET_STATE_HOSTS,       /* RUNDIR/NAME.hosts: dnsmasq's --dhcp-hostsfile */
	QNET_STATE_LEASES,      /* STATEDIR/NAME.leases: dnsmasq's lease file */
	QNET_STATE_CONF,        /* RUNDIR/NAME.conf: the qnet.conf it runs with */
};

/* Where file WHAT of NETWORK is, into BUF; -ENAMETOOLONG if it does not fit. */
int qnet_state_path(char *buf, size_t size, const char *network, enum qnet_state_file what);
/* RUNDIR/ip_forward.saved: ip_forward as it was before the first network
 * turned it on, shared by all networks. */
int qnet_state_ip_forward_path(char *buf, size_t size);
/* The same for IPv6: RUNDIR/ipv6_forward.saved, net.ipv6.conf.all.forwarding
 * before the first dual-stack network turned it on; and RUNDIR/accept_ra.saved,
 * "IFNAME VALUE" lines: the links whose accept_ra qnet set to 2 at the same
 * time (see nat.c), to be put back with it. */
int qnet_state_ipv6_forward_path(char *buf, size_t size);
int qnet_state_accept_ra_path(char *buf, size_t size);
/* Is NAME, an entry of RUNDIR or STATEDIR, one of our files? Then which
 * (*WHAT) of which network (NETWORK); either may be NULL. */
bool qnet_state_file_of(const char *name, enum qnet_state_file *what, char network[QNET_NAME_MAX + 1]);

/* Record NETWORK as up on BRIDGE (atomically: a reader sees all or
 * nothing); PERSISTENT: brought up by qnet up, it stays without guests. */
int qnet_state_write(const char *network, const char *bridge, bool persistent);
/* The bridge recorded for NETWORK: -ENOENT if it is not up, -EBADMSG if
 * the state does not name a valid interface. */
int qnet_state_bridge(const char *network, char bridge[IFNAMSIZ]);
/* The same, and whether it is persistent (*PERSISTENT, may be NULL). */
int qnet_state_read(const char *network, char bridge[IFNAMSIZ], bool *persistent);

/* The running configuration of NETWORK: TEXT, the qnet.conf it was
 * brought up or last reloaded with, written atomically. Reading it back
 * is qnet_config_load() of QNET_STATE_CONF's path. */
int qnet_state_write_conf(const char *network, const char *text, size_t len);
/* Call FN for each network that is up by its state file, until FN returns
 * non-zero (which is returned). No RUNDIR is no network. */
int qnet_state_foreach(int (*fn)(const char *network, void *userdata), void *userdata);

/* nftables table names: "qnet-NAME", in family inet (firewall.c). */
#define QNET_STATE_TABLE_SIZE (sizeof("qnet-") + QNET_NAME_MAX)
int qnet_state_table_name(char *buf, size_t size, const char *network);
/* Is TABLE the table of a network of ours? Then which (NETWORK, may be NULL). */
bool qnet_state_network_of_table(const char *table, char network[QNET_NAME_MAX + 1]);
