/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qnet.conf, parsed with inih. Sections:
 *   [script]          bridge=, network=        (qemu-ifup, qemu-ifup-nat)
 *   [firewall]        docker=                  (NAT networks beside Docker)
 *   [network NAME]    bridge, subnet, subnet6, dhcp-range, dns, lease-max, host, forward,
 *                     filter, isolated, rate, rate-in, rate-out, autostart,
 *                     allow-users, allow-groups (a grant of its bridge, as
 *                     in [bridge]: merged into that grant after parsing),
 *                     nat, mtu, and for a network that spans hosts vxlan,
 *                     peers, underlay, port, gateway
 *   [bridge NAME]     allow-users, allow-groups, deny-users, deny-groups, isolated,
 *                     filter, filter-users, filter-groups, rate, rate-in, rate-out, host
 *   [port IFNAME]     mac
 * An absent file is an empty configuration; the network "default" always
 * exists (qnetbr0, 10.0.76.0/24) unless qnet.conf defines it differently.
 * Every network is dual stack unless subnet6 = none: without subnet6 its
 * /64 is a ULA derived from its name and the host's machine-id.
 * Every problem is reported through the diagnostic callback with file:line.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define QNET_DEFAULT_NETWORK "default"
#define QNET_DEFAULT_NAT_BRIDGE "qnetbr0"
#define QNET_DEFAULT_SUBNET "10.0.76.0/24"
#define QNET_NAME_MAX 32 /* network names: [A-Za-z0-9_-], used in file and table names */

#define QNET_VXLAN_PORT 4789  /* IANA's VXLAN port, port = when not given */
#define QNET_VXLAN_VNI_MAX 16777215u /* 24 bits */
#define QNET_PEERS_MAX 64     /* peers = of one overlay: head-end replication copies each flood to all */

#define QNET_DUID_MAX 32 /* bytes of a DHCPv6 client's DUID we accept in host = */

struct qnet_host {
	uint8_t mac[6];
	struct in_addr ip;       /* 0.0.0.0: no IPv4 address */
	struct in6_addr ip6;     /* ::, no IPv6 address */
	char duid[3 * QNET_DUID_MAX]; /* "00:01:...", lower case, "" if none */
	char name[64]; /* may be empty */
	unsigned line;
};

/* rate =, rate-in =, rate-out = of a section, in bytes per second, 0 none. */
struct qnet_rate {
	uint64_t in;    /* toward the guest: rate-in =, else rate = */
	uint64_t out;   /* from the guest: rate-out =, else rate = */
};

/* Where a network's IPv6 /64 comes from. */
enum qnet_subnet6 {
	QNET_SUBNET6_DERIVED,     /* no subnet6 =: a ULA from the name and the machine-id */
	QNET_SUBNET6_SET,         /* subnet6 = PREFIX/64 */
	QNET_SUBNET6_NONE,        /* subnet6 = none: IPv4 only */
	QNET_SUBNET6_NO_MACHINE_ID, /* would be derived, but the machine-id is unreadable:
				     * IPv4 only (qnet check and qnet doctor say so) */
	QNET_SUBNET6_UNDERIVED,   /* would be derived, but was loaded with
				   * QNET_CONFIG_PORTS_ONLY and no check needed it:
				   * the IPv6 half is unset (ipv6 false), never to act on */
};

/* One of peers =: another host's underlay address. */
struct qnet_peer {
	int family;              /* AF_INET or AF_INET6 */
	struct in_addr ip;
	struct in6_addr ip6;
};

struct qnet_network {
	char name[QNET_NAME_MAX + 1];
	char bridge[IFNAMSIZ];
	struct in_addr subnet;   /* network address, host byte order never */
	unsigned prefix;         /* 8..30 */
	struct in_addr gateway;  /* subnet + 1 */
	struct in_addr range_start, range_end;
	enum qnet_subnet6 subnet6_from;
	bool ipv6;               /* dual stack: the four below are set */
	struct in6_addr subnet6; /* the /64's network address */
	struct in6_addr gateway6; /* subnet6::1, the bridge's */
	struct in6_addr range6_start, range6_end; /* DHCPv6: subnet6::1000 to subnet6::ffff */
	unsigned subnet6_line;   /* the line of subnet6 =, 0 if not written */
	bool dns;
	unsigned lease_max;
	struct qnet_host *hosts;
	size_t n_hosts;
	struct qnet_forward *forwards;
	size_t n_forwards;
	bool filter;             /* filter =, default yes: anti-spoofing on every port */
	bool isolated;           /* isolated =, default no: ports reach the gateway only */
	struct qnet_rate rate;
	bool autostart;          /* autostart =, default no: qnet up --autostart brings it up */
	bool nat;                /* nat =, default yes; no: no gateway on any host (guests reach each other only) */
	unsigned mtu;            /* mtu =, 0: the bridge's own (an overlay's: its underlay's less the overhead) */
	/* An overlay (vxlan = set): the bridge has a VXLAN port that floods
	 * to every peer. On exactly one host gateway = yes: that host has
	 * the address, DHCP, DNS and NAT; the others only bridge. */
	uint32_t vxlan;          /* vxlan = VNI, 1-16777215; 0: one host only */
	struct qnet_peer *peers; /* peers =, all of one family */
	size_t n_peers;
	char underlay[IFNAMSIZ]; /* underlay =, "" to go where the route to the first peer goes */
	uint16_t vxlan_port;     /* port =, default 4789 */
	bool gateway_set;        /* gateway = yes */
	bool gateway_here;       /* this host runs the gateway: not an overlay or gateway = yes; and nat */
	unsigned vxlan_line, peers_line, underlay_line, port_line, gateway_line, nat_line;
	/* allow-users =, allow-groups =: only while parsing; then they are
	 * the grant of the bridge's (NULL here). */
	char **allow_users, **allow_groups;
	unsigned *allow_users_line, *allow_groups_line;
	unsigned line;           /* where it was defined, 0 if built in */
	bool invalid;            /* had errors: no follow-up checks */
};

struct qnet_grant {
	char bridge[IFNAMSIZ];
	char **allow_users, **allow_groups, **deny_users, **deny_groups; /* NULL-terminated */
	/* The line of qnet.conf each entry above came from, in the same order
	 * (qnet check names it when a name does not resolve). */
	unsigned *allow_users_line, *allow_groups_line, *deny_users_line, *deny_groups_line;
	bool isolated;
	bool filter;             /* filter =, default no */
	/* Helper callers whose ports are filtered whatever filter says, and
	 * the lines they came from, as above. */
	char **filter_users, **filter_groups;
	unsigned *filter_users_line, *filter_groups_line;
	struct qnet_rate rate;
	/* host =: what a guest with that MAC may use on this bridge. Not
	 * checked against a subnet (a plain bridge has none); IPv6 in full. */
	struct qnet_host *hosts;
	size_t n_hosts;
	unsigned line;
};

/* [port IFNAME]: a TAP with a chosen name (QEMU's ifname=). */
struct qnet_config_port {
	char ifname[IFNAMSIZ];
	bool mac_set;            /* mac = given: the guest's MAC, not learned */
	uint8_t mac[6];
	unsigned line;
};

/*
 * What a port of a bridge gets from qnet.conf, decided by
 * qnet_config_port_props(); the bridge helper's decision adds the
 * per-caller part (lib/acl.h).
 */
struct qnet_config_props {
	bool filter;             /* anti-spoofing (lib/portfilter.h) */
	bool isolated;           /* IFLA_BRPORT_ISOLATED */
	uint64_t rate_in;        /* bytes/s toward the guest, 0 none */
	uint64_t rate_out;       /* bytes/s from the guest, 0 none */
	bool mac_set;            /* [port TAP] mac =: the filter allows MAC only */
	uint8_t mac[6];
};

/* [firewall] docker =: may a NAT network make room for its bridge in
 * Docker's DOCKER-USER chain when Docker's FORWARD policy drops? */
enum qnet_firewall_docker {
	QNET_FIREWALL_DOCKER_AUTO,   /* yes, where that chain exists (the default) */
	QNET_FIREWALL_DOCKER_NO,     /* never touch another table; warn instead */
};

struct qnet_config {
	char *path;
	/* The bytes it was parsed from: what a network brought up with it
	 * records as its running configuration (lib/state.h). */
	char *text;
	size_t text_len;
	unsigned n_errors;                     /* errors found; then it must not be acted on */
	char script_bridge[IFNAMSIZ];          /* [script] bridge=, "" if unset */
	char script_network[QNET_NAME_MAX + 1]; /* [script] network=, default "default" */
	enum qnet_firewall_docker firewall_docker; /* [firewall] docker=, default auto */
	bool firewalld_no;                     /* [firewall] firewalld = no (default auto) */
	struct qnet_network *networks;
	size_t n_networks;
	struct qnet_grant *grants;
	size_t n_grants;
	struct qnet_config_port *ports;
	size_t n_ports;
};

/* error or warning, with the file and line it was found at */
typedef void (*qnet_diag_fn)(void *userdata, const char *file, unsigned line,
			     bool is_error, const char *msg);

/*
 * Load PATH (NULL: QNET_CONFDIR/qnet.conf). A missing file is an empty
 * configuration. Every problem goes to DIAG first (all of them, not only
 * the first, each with file:line); DIAG may be NULL. Returns:
 *   0        *RET is the configuration;
 *   -EINVAL  the file has errors: *RET is set all the same, as
 *            qnet_acl_load() (lib/acl.h) sets its ACL, to a configuration
 *            that records them (n_errors); free it as on success;
 *   -errno   the file cannot be trusted (DIAG got one finding about the
 *            whole file) or read, or -ENOMEM: *RET is not set.
 * Where qnet_acl_load() differs: it returns -EINVAL, not the -errno, for a
 * file it cannot trust or read, and then sets *RET too. A qnet.conf with
 * errors has no safe partial meaning: what *RET holds on -EINVAL is for
 * reporting, never for acting on. A caller that must go on (qnet status,
 * qnet doctor) parses "" for the built-in defaults, explicitly.
 */
int qnet_config_load(const char *path, struct qnet_config **ret, qnet_diag_fn diag, void *userdata);

/* What a caller of qnet_config_load_flags() reads of the configuration. */
enum {
	/*
	 * Ports only: what qnet_config_port_props(), qnet_config_bridge_hosts()
	 * and the grants say, never a network's IPv6 half. A /64 that would be
	 * derived from the machine-id is derived only where a check of the
	 * file needs it, else left QNET_SUBNET6_UNDERIVED: the programs that
	 * attach a port (qemu-ifup, qemu-ifdown, qemu-bridge-helper) do not
	 * pay for a NAT network's prefix on every VM start. The errors, and
	 * everything a port gets, are the same as without the flag.
	 */
	QNET_CONFIG_PORTS_ONLY = 1 << 0,
	/*
	 * The same for the NAT programs, which then need the IPv6 half of
	 * one network only: qnet_config_network_derive() gives it that. A
	 * qnet.conf with 64 networks cost every attach 64 HMACs otherwise.
	 */
	QNET_CONFIG_ONE_NETWORK = QNET_CONFIG_PORTS_ONLY,
};
/* qnet_config_load() with FLAGS, a set of QNET_CONFIG_*. */
int qnet_config_load_flags(const char *path, unsigned flags, struct qnet_config **ret, qnet_diag_fn diag,
			   void *userdata);
/* The same for a buffer (the fuzzer, the built-in defaults), *RET set on
 * -EINVAL as above; NAME is for messages. */
int qnet_config_parse_buffer(const char *name, const char *buf, size_t len,
			     struct qnet_config **ret, qnet_diag_fn diag, void *userdata);
void qnet_config_free(struct qnet_config *c);
void qnet_config_freep(struct qnet_config **c);
#define _cleanup_config_ __attribute__((cleanup(qnet_config_freep)))

const struct qnet_network *qnet_config_network(const struct qnet_config *c, const char *name);
const struct qnet_grant *qnet_config_grant(const struct qnet_config *c, const char *bridge);
const struct qnet_config_port *qnet_config_port(const struct qnet_config *c, const char *ifname);
/* Network NAME of C (loaded with QNET_CONFIG_ONE_NETWORK) with its /64
 * derived if it was left QNET_SUBNET6_UNDERIVED, as a full load would
 * have it; NULL if C has no such network. */
const struct qnet_network *qnet_config_network_derive(struct qnet_config *c, const char *name);
/* The network whose bridge is BRIDGE (the bridge's own name), or NULL. */
const struct qnet_network *qnet_config_network_of_bridge(const struct qnet_config *c, const char *bridge);

/*
 * The properties of TAP (NULL: a name no [port] may know) as a port of
 * BRIDGE (its own name), for every program that attaches one. The one
 * place the precedence lives:
 *   BRIDGE is a [network]'s bridge: that network's filter, isolated, rates;
 *     otherwise no filter, not isolated, no rates;
 *   a [bridge BRIDGE] grant adds to that: filter and isolated if either
 *     says so; its rate-in/rate-out, where set, replace the network's;
 *   [port TAP] mac = names the guest's MAC.
 * The bridge helper's decision (qnet_acl_evaluate) starts from this and
 * forces the filter for filter-users and filter-groups.
 */
void qnet_config_port_props(const struct qnet_config *c, const char *bridge, const char *tap,
			    struct qnet_config_props *ret);

/* The host = entries a filtered port of BRIDGE may use the addresses of:
 * its network's when BRIDGE is a [network]'s bridge, else its [bridge]
 * grant's. Borrowed from C; *N is 0 when there are none. */
const struct qnet_host *qnet_config_bridge_hosts(const struct qnet_config *c, const char *bridge, size_t *n);

/* 1 to QNET_NAME_MAX of A-Z a-z 0-9 - _: a network name, safe in file and table names. */
bool qnet_config_network_name_valid(const char *name);

/* What differs between two configurations of one network (qnet reload),
 * grouped by what it takes to apply. */
enum {
	QNET_CONFIG_DIFF_BRIDGE   = 1 << 0, /* bridge = */
	QNET_CONFIG_DIFF_SUBNET   = 1 << 1, /* subnet = */
	QNET_CONFIG_DIFF_SUBNET6  = 1 << 2, /* subnet6 =, or IPv6 on or off */
	QNET_CONFIG_DIFF_DHCP     = 1 << 3, /* dhcp-range =, lease-max =, dns = */
	QNET_CONFIG_DIFF_HOSTS    = 1 << 4, /* host = */
	QNET_CONFIG_DIFF_FORWARDS = 1 << 5, /* forward = */
	QNET_CONFIG_DIFF_PORTS    = 1 << 6, /* filter =, isolated =, rate*: what a port gets */
	QNET_CONFIG_DIFF_OVERLAY  = 1 << 7, /* vxlan =, port =, underlay =, mtu =, gateway =, nat = */
	QNET_CONFIG_DIFF_PEERS    = 1 << 8, /* peers = */
};
/* Taking these to a running network needs it down and up again. */
#define QNET_CONFIG_DIFF_REBUILD (QNET_CONFIG_DIFF_BRIDGE | QNET_CONFIG_DIFF_SUBNET | QNET_CONFIG_DIFF_SUBNET6 | \
				  QNET_CONFIG_DIFF_OVERLAY)
unsigned qnet_config_network_diff(const struct qnet_network *a, const struct qnet_network *b);
bool qnet_config_peer_equal(const struct qnet_peer *a, const struct qnet_peer *b);
/* DIFF's keys as "forward, host" into BUF. */
const char *qnet_config_diff_names(unsigned diff, char *buf, size_t size);
