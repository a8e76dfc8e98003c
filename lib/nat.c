// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. A NAT network NAME is "up" when RUNDIR/NAME.state
 * exists; that file is written before anything else is created and
 * removed after everything else is gone, so whatever a kill -9 interrupts,
 * the state says what is ours to repair or remove. It records the bridge,
 * because teardown must remove what was created even if qnet.conf changed
 * since. What we did not create (a bridge of that name without our state,
 * other tables, other processes) we never touch.
 *
 * Locking: RUNDIR/NAME.lock (lock.c) serialises every operation on one
 * network, so 32 VMs starting at once create one bridge, one table and one
 * dnsmasq. Whether the network is still needed is the kernel's answer (the
 * bridge's port count), never a counter of ours: a kill -9'd QEMU leaves no
 * count behind to go wrong.
 *
 * ip_forward: the first network that needs it records the previous value
 * in RUNDIR/ip_forward.saved; the last network to go down (no other state
 * file left) writes it back. Both happen under a lock on RUNDIR itself
 * (taken after the network's own), or a network coming up could see
 * ip_forward still 1 while the last one going down is about to restore 0.
 * net.ipv6.conf.all.forwarding is kept the same way beside it
 * (RUNDIR/ipv6_forward.saved), by the first dual-stack network.
 *
 * accept_ra: with IPv6 forwarding on, Linux ignores router advertisements
 * on every link whose accept_ra is 1, so a host that has its own IPv6
 * from RAs (SLAAC, a default route "proto ra") keeps it only until those
 * expire, then silently loses it. Before turning forwarding on we set
 * accept_ra to 2 ("accept even when forwarding") on exactly those links,
 * recorded in RUNDIR/accept_ra.saved and put back after forwarding, and
 * say so in one line. That, not refusing IPv6, is the default because the
 * default network is dual stack: refusing would take IPv6 from every VM
 * on the laptops and desktops that get their own IPv6 by SLAAC, the most
 * common host there is, while accept_ra = 2 leaves the host's own IPv6
 * exactly as it was (Incus does the same). A link whose accept_ra is
 * anything else (0, or 2 already) is left alone.
 *
 * Repair, on every entry: bridge gone -> remove the rest; our table gone
 * (nft flush ruleset, nftables.service restart) -> put it back; dnsmasq
 * dead -> restart it; Docker's FORWARD drop -> our rules in DOCKER-USER,
 * put back where they went (lib/docker.c). A drop we may not make room
 * in (no DOCKER-USER, [firewall] docker = no) is said in one line on
 * every entry, with its fix: the network comes up, and the admin hears
 * why its guests reach nothing. Failing to make room is said too, not
 * fatal: the guests still get their leases and the host.
 *
 * Anti-spoofing (lib/portfilter.h): the bridge's allow-list gets the
 * host = entries on every entry (qnet.conf may have gained one) and every
 * lease of the lease file whenever the list is empty: qnet-dhcp-event
 * keeps it as leases come and go, but dnsmasq only tells of changes, so
 * after nft flush ruleset nothing else would put the leases back. Failing
 * to allow fails the bring-up: a port must never come up with a list
 * we could not write (fail closed). Teardown removes the bridge's part
 * of the table before the bridge goes.
 *
 * Overlays (vxlan =, lib/vxlan.h): the same network on several hosts,
 * each running this file against its own qnet.conf; nothing is agreed
 * between them at run time. The VXLAN device is named from the network's
 * name, so teardown finds it with the bridge gone; it is not counted as a
 * guest. It comes up only after our table, whose input chain drops VXLAN
 * of the network's VNI from anyone but a peer, so there is no moment a
 * stranger's frames reach the bridge; every port property (master, MTU,
 * flood entries) is set while it is down. A host without the gateway
 * (gateway = no, nat = no) gets no address, dnsmasq, forwarding or NAT,
 * and its table drops what the bridge sends the host. The repair path is
 * the bring-up path here too: a deleted VXLAN device, a lost flood entry
 * or a bridge MTU reset is put back on the next entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnsmasq.h"
#include "docker.h"
#include "firewalld.h"
#include "fault.h"
#include "ifname.h"
#include "file.h"
#include "firewall.h"
#include "guestaddr.h"
#include "leases.h"
#include "link.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "nat.h"
#include "portfilter.h"
#include "rate.h"
#include "paths.h"
#include "port.h"
#include "route.h"
#include "state.h"
#include "sysctl.h"
#include "vxlan.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define IPV6_FORWARD "/proc/sys/net/ipv6/conf/all/forwarding"

static void (*notice_fn)(const char *line, void *userdata);
static void *notice_userdata;

void qnet_nat_set_notice(void (*fn)(const char *line, void *userdata), void *userdata)
{
	notice_fn = fn;
	notice_userdata = userdata;
}

static void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void notice(const char *fmt, ...)
{
	char line[QNET_REASON_MAX];
	va_list ap;

	if (!notice_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	notice_fn(line, notice_userdata);
}

const char *qnet_nat_network_name(const char *argv0, const struct qnet_config *cfg)
{
	const char *name = qnet_paths_program_instance(argv0);

	if (!name)
		name = secure_getenv("QNET_NETWORK");
	if (!name || !*name)
		name = cfg && cfg->script_network[0] ? cfg->script_network : QNET_DEFAULT_NETWORK;
	return name;
}

static int count_other(const char *network, void *userdata)
{
	const char *leaving = ((const char **)userdata)[0];

	if (!streq(network, leaving))
		(*(int *)((const char **)userdata)[1])++;
	return 0;
}

/* Turn the forwarding sysctl PATH on, its old value recorded first in
 * SAVED unless that is there already (from an earlier network). */
static int forwarding_on(const char *path, const char *saved, const char *now)
{
	int r;

	if (access(saved, F_OK) != 0) {
		char value[20];

		snprintf(value, sizeof(value), "%s\n", now);
		r = qnet_file_write_atomic(saved, value);
		if (r < 0)
			return r;
	}
	return qnet_sysctl_write(path, "1");
}

/* Is IFNAME a line of the accept_ra.saved text LIST? */
static bool accept_ra_listed(const char *list, const char *ifname)
{
	size_t n = strlen(ifname);

	for (const char *p = list; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, ifname, n) && p[n] == ' ')
			return true;
	return false;
}

/*
 * Before IPv6 forwarding goes on: accept_ra = 2 on each link that has
 * RA-learned IPv6 and accept_ra 1 (see the top of this file), each
 * recorded in RUNDIR/accept_ra.saved before it is changed.
 */
static int accept_ra_keep(struct qnet_nl *nl)
{
	char saved[PATH_MAX], list[4096] = "", path[PATH_MAX], value[16], name[IFNAMSIZ + 32];
	_cleanup_free_ int *links = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, size = 0, changed = 0;
	struct qnet_link *l = NULL;
	FILE *f;
	int r;

	r = qnet_route_ipv6_ra_links(nl, &links, &n);
	if (r < 0 || n == 0)
		return r;
	r = qnet_state_accept_ra_path(saved, sizeof(saved));
	if (r < 0)
		return r;
	(void)qnet_file_read_small(saved, list, sizeof(list));
	l = calloc(n, sizeof(*l));
	f = l ? open_memstream(&buf, &size) : NULL;
	if (!f) {
		free(l);
		return -ENOMEM;
	}
	fputs(list, f);
	for (size_t i = 0; i < n; i++) {
		if (qnet_link_get_by_index(nl, links[i], &l[i]) < 0 || qnet_sysctl_ipv6_conf_path(path, sizeof(path), l[i].name, "accept_ra") < 0 ||
		    qnet_sysctl_read(path, value, sizeof(value)) < 0 || !streq(value, "1") ||
		    accept_ra_listed(list, l[i].name)) {
			l[i].name[0] = '\0';
			continue;
		}
		fprintf(f, "%s 1\n", l[i].name);
		changed++;
	}
	if (fclose(f) != 0) {
		free(l);
		return -ENOMEM;
	}
	r = changed ? qnet_file_write_atomic(saved, buf) : 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!l[i].name[0])
			continue;
		(void)qnet_sysctl_ipv6_conf_path(path, sizeof(path), l[i].name, "accept_ra");
		r = qnet_sysctl_write(path, "2");
		if (r == 0 && qnet_sysctl_ipv6_conf_name(name, sizeof(name), l[i].name, "accept_ra") == 0)
			notice("%s: accept_ra set to 2 while NAT networks forward IPv6, so this host keeps the IPv6 "
			       "it learns from router advertisements; to keep it so, set %s = 2 in /etc/sysctl.d, "
			       "or set subnet6 = none", l[i].name, name);
	}
	free(l);
	return r;
}

/* ip_forward, and IPv6 forwarding too if IPV6, on (see the top of this
 * file). -EAFNOSUPPORT: the kernel has no IPv6 (ipv6.disable=1). */
static int forwarding_enable(struct qnet_nl *nl, bool ipv6)
{
	char saved[PATH_MAX], now[16];
	_cleanup_close_ int lock = qnet_lock_rundir();
	int r;

	if (lock < 0)
		return lock;
	r = qnet_sysctl_read(IP_FORWARD, now, sizeof(now));
	if (r == 0 && !streq(now, "1")) {
		r = qnet_state_ip_forward_path(saved, sizeof(saved));
		if (r == 0)
			r = forwarding_on(IP_FORWARD, saved, now);
	}
	if (r < 0 || !ipv6)
		return r;
	r = qnet_sysctl_read(IPV6_FORWARD, now, sizeof(now));
	if (r == -ENOENT)
		return -EAFNOSUPPORT;
	if (r < 0 || streq(now, "1"))
		return r;
	r = accept_ra_keep(nl);
	if (r == 0)
		r = qnet_state_ipv6_forward_path(saved, sizeof(saved));
	if (r == 0)
		r = forwarding_on(IPV6_FORWARD, saved, now);
	return r;
}

/* Write back the value saved in SAVED to the sysctl PATH, then drop SAVED. */
static void forwarding_restore_one(const char *path, const char *saved)
{
	char value[16];

	if (qnet_sysctl_read(saved, value, sizeof(value)) < 0)
		return;
	if (streq(value, "0") || streq(value, "1") || streq(value, "2"))
		(void)qnet_sysctl_write(path, value);
	(void)unlink(saved);
}

/* accept_ra back as it was on each link we set it on, unless someone has
 * changed it since (then it is theirs). */
static void accept_ra_restore(void)
{
	char saved[PATH_MAX], list[4096], path[PATH_MAX], now[16];
	char *save = NULL;

	if (qnet_state_accept_ra_path(saved, sizeof(saved)) < 0 || qnet_file_read_small(saved, list, sizeof(list)) < 0)
		return;
	for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifname[IFNAMSIZ + 1], old[4];

		if (sscanf(line, "%16s %3s", ifname, old) != 2 || qnet_ifname_invalid(ifname) ||
		    (!streq(old, "0") && !streq(old, "1")) || qnet_sysctl_ipv6_conf_path(path, sizeof(path), ifname, "accept_ra") < 0)
			continue;
		if (qnet_sysctl_read(path, now, sizeof(now)) == 0 && streq(now, "2"))
			(void)qnet_sysctl_write(path, old);
	}
	(void)unlink(saved);
}

/* Put ip_forward (and IPv6 forwarding, accept_ra) back if we changed it
 * and no network but LEAVING is up. */
static void forwarding_restore(const char *leaving)
{
	char saved[PATH_MAX];
	int others = 0;
	const void *args[2] = { leaving, &others };
	/* Under the shared lock, so that another network's forwarding_enable()
	 * cannot read our "1" between our count and our write. */
	_cleanup_close_ int lock = qnet_lock_rundir();

	if (lock < 0)
		return;
	if (qnet_state_foreach(count_other, args) < 0 || others > 0)
		return;
	if (qnet_state_ip_forward_path(saved, sizeof(saved)) == 0)
		forwarding_restore_one(IP_FORWARD, saved);
	/* Forwarding off before accept_ra goes back to 1, or the link would
	 * ignore RAs for the moment between. */
	if (qnet_state_ipv6_forward_path(saved, sizeof(saved)) == 0)
		forwarding_restore_one(IPV6_FORWARD, saved);
	accept_ra_restore();
}

/* Remove everything of NETWORK (bridge BRIDGE); idempotent. */
static void teardown(struct qnet_nl *nl, const char *network, const char *bridge)
{
	char path[PATH_MAX], vx[IFNAMSIZ];
	struct qnet_link b;
	uint32_t vni;
	uint16_t port;
	bool ours;

	/* The VXLAN port first, while the table that keeps strangers' VXLAN
	 * off the bridge is still there; by its name, which only this network
	 * has (a bridge's ports outlive it), if its alias says it is ours. */
	qnet_vxlan_ifname(network, vx);
	if (qnet_link_get(nl, vx, &b) == 0 && streq(b.kind, "vxlan") &&
	    qnet_vxlan_get(nl, b.ifindex, network, &vni, &port, &ours) == 0 && ours)
		(void)qnet_link_delete(nl, b.ifindex);
	(void)qnet_dnsmasq_stop(network);
	qnet_fault_point("nat-down-dnsmasq-stopped");
	(void)qnet_firewall_remove(network);
	/* Whatever [firewall] docker says now: rules with our comment are ours. */
	(void)qnet_docker_remove(network);
	/* And the bridge is ours: firewalld forgets it in our zone. */
	if (bridge[0] && qnet_firewalld_table() > 0)
		(void)qnet_firewalld_zone_release(bridge, (char[QNET_REASON_MAX]){ 0 }, QNET_REASON_MAX);
	qnet_fault_point("nat-down-firewall-removed");
	if (bridge[0] && qnet_link_get(nl, bridge, &b) == 0 && b.is_bridge) {
		/* By ifindex, which only this bridge ever has: after it is gone,
		 * only qnet gc's sweep could find what it left. */
		(void)qnet_portfilter_remove_bridge(b.ifindex);
		(void)qnet_link_delete(nl, b.ifindex);
	}
	qnet_fault_point("nat-down-bridge-deleted");
	if (qnet_state_path(path, sizeof(path), network, QNET_STATE_HOSTS) == 0)
		(void)unlink(path);
	if (qnet_state_path(path, sizeof(path), network, QNET_STATE_CONF) == 0)
		(void)unlink(path);
	forwarding_restore(network);
	if (qnet_state_path(path, sizeof(path), network, QNET_STATE_UP) == 0)
		(void)unlink(path);
}

static int route_localnet(const char *bridge)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);

	if (n < 0 || n >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return qnet_sysctl_write(path, "1");
}

/* The IPv6 gateway address on bridge B. A bridge made while
 * net.ipv6.conf.default.disable_ipv6 is 1 has IPv6 off (-EACCES): it is
 * ours, so it gets IPv6 on. */
static int gateway6(struct qnet_nl *nl, const struct qnet_network *n, const struct qnet_link *b)
{
	char path[PATH_MAX];
	int r = qnet_link_add_ipv6(nl, b->ifindex, &n->gateway6, 64);

	if (r == -EACCES && qnet_sysctl_ipv6_conf_path(path, sizeof(path), b->name, "disable_ipv6") == 0 &&
	    qnet_sysctl_write(path, "0") == 0)
		r = qnet_link_add_ipv6(nl, b->ifindex, &n->gateway6, 64);
	if (r == -EOPNOTSUPP)
		r = -EAFNOSUPPORT;
	return r == -EEXIST ? 0 : r;
}

/* The host never takes router advertisements from guests: a guest's RA
 * on the bridge would otherwise give the host an address and a default
 * route through that guest whenever IPv6 forwarding is off (subnet6 =
 * none) or the default accept_ra is 2. Before the bridge is up, so before
 * any RA can arrive; no IPv6 in the kernel is nothing to do. */
static int bridge_no_ra(const struct qnet_link *b)
{
	char path[PATH_MAX];
	int r = qnet_sysctl_ipv6_conf_path(path, sizeof(path), b->name, "accept_ra");

	if (r == 0)
		r = qnet_sysctl_write(path, "0");
	return r == -ENOENT ? 0 : r;
}

static int any_allowed(const uint8_t mac[6], int family, const void *addr, void *userdata)
{
	*(bool *)userdata = true;
	return 1; /* one is enough */
}

/* What a repair put back, for qnet gc and qnet watch to say, one line each. */
struct repaired {
	bool up, table, dnsmasq, zone, rebuilt, overlay;
	size_t ports, leases, docker_rules;
};

/*
 * After nft flush ruleset the ports attached before have no filter: each
 * gets one again before the lists are refilled. Its MAC is the one
 * [port IFNAME] mac = names, else the one MAC the bridge learned on that
 * port (the forwarding database survives a flush), claimed at once, so
 * that no neighbour can make it its own first; only a port with no such
 * single MAC learns anew.
 */
static int refilter_ports(struct qnet_nl *nl, const char *network, const struct qnet_link *b, char *why,
			  size_t why_size)
{
	char vx[IFNAMSIZ];
	_cleanup_config_ struct qnet_config *cfg = NULL;
	_cleanup_free_ int *ports = NULL;
	size_t n = 0;
	int r;

	qnet_vxlan_ifname(network, vx);
	r = qnet_portfilter_unfiltered(nl, b->ifindex, &ports, &n);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot read the filters of bridge %s: %s", b->name,
				    strerror(-r));
	if (n && qnet_config_load(NULL, &cfg, NULL, NULL) < 0)
		cfg = NULL; /* unreadable now: learn, as a new port would */
	for (size_t i = 0; i < n; i++) {
		struct qnet_portfilter_props f = { .mac_set = false };
		struct qnet_config_props cp = { .mac_set = false };
		uint8_t learned[2][6];
		struct qnet_link port;
		size_t k = 0;

		if (qnet_link_get_by_index(nl, ports[i], &port) < 0)
			continue; /* gone meanwhile */
		/* An overlay's VXLAN port carries every other host's guests:
		 * no guest's filter (each host filters its own). */
		if (streq(port.kind, "vxlan") && streq(port.name, vx))
			continue;
		if (cfg)
			qnet_config_port_props(cfg, b->name, port.name, &cp);
		if (cp.mac_set) {
			f.mac_set = true;
			memcpy(f.mac, cp.mac, sizeof(f.mac));
		} else if (qnet_link_fdb_learned(nl, b->ifindex, port.ifindex, learned, 2, &k) == 0 && k == 1) {
			f.mac_set = true;
			memcpy(f.mac, learned[0], sizeof(f.mac));
		}
		r = qnet_portfilter_attach(nl, b->ifindex, port.ifindex, &f, why, why_size);
		if (r == -EADDRINUSE && !cp.mac_set) /* another port's already: learn */
			r = qnet_portfilter_attach(nl, b->ifindex, port.ifindex, NULL, why, why_size);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Anti-spoofing's allow-list of bridge B for network N (see the top of
 * this file): its host = entries, and its leases unless the list has
 * something in it already. */
static int allow_guests(struct qnet_nl *nl, const struct qnet_network *n, const struct qnet_link *b,
			struct repaired *did, char *why, size_t why_size)
{
	_cleanup_free_ struct qnet_lease *leases = NULL;
	size_t n_leases = 0;
	time_t now = time(NULL);
	bool filled = false;
	int r;

	/* Unreadable is empty: the leases are allowed again, which is safe. */
	(void)qnet_portfilter_foreach_allowed(b->ifindex, any_allowed, &filled);
	/* An empty list is a new network, or a table flushed away. */
	if (!filled && n->filter) {
		r = refilter_ports(nl, n->name, b, why, why_size);
		if (r < 0)
			return r;
		did->ports = (size_t)r;
	}

	for (size_t i = 0; i < n->n_hosts; i++) {
		r = qnet_guestaddr_allow_host(nl, b->ifindex, &n->hosts[i], n->ipv6, why, why_size);
		if (r < 0)
			return r;
	}
	if (filled)
		return 0;
	r = qnet_leases_load(n->name, &leases, &n_leases);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot read the leases of network %s: %s", n->name, strerror(-r));
	for (size_t i = 0; i < n_leases; i++) {
		const struct qnet_lease *l = &leases[i];

		/* An expired lease is dnsmasq's to remove (a del event), and a
		 * DHCPv6 lease whose DUID names no MAC waits for its renewal. */
		if (!l->has_mac || (l->expiry && l->expiry < now))
			continue;
		r = qnet_guestaddr_lease(nl, b->ifindex, l->mac, l->family,
					 l->family == AF_INET ? (const void *)&l->ip : (const void *)&l->ip6, true,
					 why, why_size);
		if (r < 0)
			return r;
		did->leases++;
	}
	return 0;
}

/*
 * Everything of network N after its state file and bridge B: the gateway
 * addresses, the bridge up, route_localnet, our table, forwarding, dnsmasq.
 * Each step is done only if it is missing, so bring-up and repair after a
 * kill -9 at any step are this one path. FRESH: the network is being
 * created, so the table is written even if one of that name is there.
 * DID (may be NULL) hears what was missing and put back.
 */
/* Room for N's bridge in other tables' forward drops, where we may make
 * it (DOCKER: [firewall] docker = auto); one line for each we may not.
 * Returns how many rules it put in DOCKER-USER. */
static size_t beside_other_firewalls(const struct qnet_network *n, bool docker)
{
	char finding[QNET_REASON_MAX], fix[QNET_REASON_MAX], why[QNET_REASON_MAX] = "";
	struct qnet_docker_scan s;
	int r;

	/* Cannot be asked: nothing can be done, and qnet doctor says why. */
	if (qnet_docker_scan(&s) < 0)
		return 0;
	for (size_t i = 0; i < s.n_blocks; i++) {
		if (docker && s.block[i].docker)
			continue;
		qnet_docker_describe(&s.block[i], n->bridge, !docker, finding, sizeof(finding), fix, sizeof(fix));
		notice("network %s: %s; fix: %s", n->name, finding, fix);
	}
	if (!docker)
		return 0;
	r = qnet_docker_allow(&s, n->name, n->bridge, why, sizeof(why));
	if (r < 0)
		notice("network %s: Docker's FORWARD policy drops its traffic and qnet cannot make room in "
		       "DOCKER-USER: %s", n->name, why);
	return r < 0 ? 0 : (size_t)r;
}

/*
 * Where firewalld runs, N's bridge in its zone qnet (lib/firewalld.h); true
 * if it was put there. Asked only where firewalld's nftables table exists:
 * one netlink round trip on every warm attach instead of loading
 * libsystemd and asking the bus. A failure is one line, and the network
 * still comes up: the guests then go without DHCP and the outside, as
 * they would have without qnet's zone, and qnet doctor says why.
 */
static bool in_firewalld_zone(const struct qnet_network *n)
{
	char why[QNET_REASON_MAX] = "";
	int r;

	if (qnet_firewalld_table() <= 0)
		return false;
	r = qnet_firewalld_zone_ensure(n->bridge, why, sizeof(why));
	if (r < 0)
		notice("network %s: firewalld rejects its guests' traffic, and bridge %s is not in firewalld's zone %s: %s",
		       n->name, n->bridge, QNET_FIREWALLD_ZONE, why);
	return r > 0;
}

static const char *peer_str(const struct qnet_peer *p, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(p->family, p->family == AF_INET6 ? (const void *)&p->ip6 : (const void *)&p->ip, buf,
			 INET6_ADDRSTRLEN);
}

/*
 * The MTU of N's bridge: mtu = if given; for an overlay, its underlay's
 * (underlay =, else the device the route to the first routable peer
 * leaves by, else Ethernet's 1500) less the encapsulation; otherwise 0,
 * the bridge's own. Also refuses, naming the line, what only this host
 * can tell is wrong: an underlay that does not exist, a peer that is
 * one of our own addresses.
 */
static int overlay_mtu(struct qnet_nl *nl, const struct qnet_config *cfg, const struct qnet_network *n,
		       int *underlay, unsigned *mtu, char *why, size_t why_size)
{
	unsigned under = 0;
	struct qnet_link l;
	char a[INET6_ADDRSTRLEN];
	int r;

	*underlay = 0;
	*mtu = n->mtu;
	if (!n->vxlan)
		return 0;
	if (n->underlay[0]) {
		r = qnet_link_get(nl, n->underlay, &l);
		if (r < 0)
			return qnet_because(why, why_size, r == -ENODEV ? -ENODEV : r, "%s:%u: underlay %s: %s",
					    cfg->path, n->underlay_line, n->underlay,
					    r == -ENODEV ? "no such interface" : strerror(-r));
		*underlay = l.ifindex;
		under = l.mtu;
	}
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct qnet_peer *p = &n->peers[i];
		bool local = false;
		int oif = 0;

		/* No route (a peer not reachable yet) is only a peer that
		 * gets no copies until it is. */
		if (qnet_route_get(nl, p->family, p->family == AF_INET6 ? (const void *)&p->ip6 : (const void *)&p->ip,
				   &oif, &local) < 0)
			continue;
		if (local)
			return qnet_because(why, why_size, -EINVAL, "%s:%u: peer %s is an address of this host: "
					    "peers = lists the other hosts", cfg->path, n->peers_line, peer_str(p, a));
		if (!under && oif > 0 && qnet_link_get_by_index(nl, oif, &l) == 0)
			under = l.mtu;
	}
	if (!n->mtu) {
		unsigned overhead = n->peers[0].family == AF_INET6 ? QNET_VXLAN_OVERHEAD6 : QNET_VXLAN_OVERHEAD4;

		under = under ? under : 1500;
		if (under < overhead + 576)
			return qnet_because(why, why_size, -EMSGSIZE, "%s:%u: the underlay's MTU %u leaves less than 576 "
					    "for guests: set mtu = or another underlay", cfg->path, n->vxlan_line, under);
		*mtu = under - overhead;
	}
	return 0;
}

/*
 * N's VXLAN device on bridge B, down until it floods to every peer, then
 * up; made again if it is missing or belongs to another bridge (one that
 * was deleted and rebuilt). A device of our name that is not N's VNI is
 * not ours to touch.
 */
static int overlay_port(struct qnet_nl *nl, const struct qnet_network *n, const struct qnet_link *b, int underlay,
			unsigned mtu, bool *made, char *why, size_t why_size)
{
	char name[IFNAMSIZ], a[INET6_ADDRSTRLEN];
	struct qnet_link l = { .master = 0 };
	struct qnet_vxlan v = { .name = name, .network = n->name, .vni = n->vxlan, .port = n->vxlan_port,
				.family = n->peers[0].family, .underlay = underlay, .mtu = mtu, .master = b->ifindex };
	uint32_t vni = 0;
	uint16_t port = 0;
	int r;

	qnet_vxlan_ifname(n->name, name);
	if (qnet_link_get(nl, name, &l) == 0) {
		bool ours = false;

		if (qnet_vxlan_get(nl, l.ifindex, n->name, &vni, &port, &ours) < 0 || !ours || vni != n->vxlan ||
		    port != n->vxlan_port)
			return qnet_because(why, why_size, -EEXIST, "%s exists but is not the VXLAN device of network %s "
					    "(VNI %u, port %u): remove it", name, n->name, n->vxlan, n->vxlan_port);
		/* The underlay's MTU changed since (repair): the device's. */
		if (l.master == b->ifindex && l.mtu != mtu && (r = qnet_link_set_mtu(nl, l.ifindex, mtu)) < 0)
			return qnet_because(why, why_size, r, "cannot set the MTU of %s to %u: %s", name, mtu,
					    strerror(-r));
		if (l.master != b->ifindex) {
			r = qnet_link_delete(nl, l.ifindex);
			if (r < 0)
				return qnet_because(why, why_size, r, "cannot delete %s of an earlier bridge: %s", name,
						    strerror(-r));
		}
	}
	if (l.master != b->ifindex || !vni) {
		r = qnet_vxlan_create(nl, &v, &l.ifindex);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot create VXLAN device %s (VNI %u, port %u): %s", name,
					    n->vxlan, n->vxlan_port, strerror(-r));
		l.flags = 0;
		*made = true;
	}
	for (size_t i = 0; i < n->n_peers; i++) {
		r = qnet_vxlan_flood_add(nl, l.ifindex, &n->peers[i]);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot add peer %s to %s: %s",
					    peer_str(&n->peers[i], a), name, strerror(-r));
	}
	if (!(l.flags & IFF_UP)) {
		r = qnet_link_set_up(nl, l.ifindex, true);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot set %s up: %s", name, strerror(-r));
	}
	return 0;
}

/* N as dnsmasq is to tell guests of it: with its bridge's MTU where that
 * is not Ethernet's (an overlay's, or mtu =). */
static struct qnet_network with_mtu(const struct qnet_network *n, unsigned mtu)
{
	struct qnet_network m = *n;

	if (n->vxlan || n->mtu)
		m.mtu = mtu;
	return m;
}

static int complete(struct qnet_nl *nl, const struct qnet_config *cfg, const struct qnet_network *n,
		    const struct qnet_link *b, bool fresh, struct repaired *did, char *why, size_t why_size)
{
	char nft_why[QNET_REASON_MAX] = "", table[QNET_STATE_TABLE_SIZE];
	struct qnet_network ipv4_only, told;
	struct repaired ignored;
	unsigned mtu;
	bool changed;
	int underlay, r;

	if (!did)
		did = &ignored;
	*did = (struct repaired){ 0 };

	r = overlay_mtu(nl, cfg, n, &underlay, &mtu, why, why_size);
	if (r < 0)
		return r;
	/* Set on the bridge, the MTU stays whatever ports come (the kernel
	 * otherwise takes the smallest port's), and each TAP gets it as it
	 * is attached (lib/port.c). */
	if (mtu && b->mtu != mtu) {
		r = qnet_link_set_mtu(nl, b->ifindex, mtu);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot set the MTU of bridge %s to %u: %s", n->bridge,
					    mtu, strerror(-r));
	}
	r = n->gateway_here ? qnet_link_add_ipv4(nl, b->ifindex, n->gateway, n->prefix) : 0;
	if (r == -EEXIST)
		r = 0;
	if (r == 0 && n->ipv6 && n->gateway_here) {
		r = gateway6(nl, n, b);
		if (r == -EAFNOSUPPORT && n->subnet6_from == QNET_SUBNET6_DERIVED) {
			/* A kernel without IPv6 (ipv6.disable=1) still gets the
			 * default network, IPv4 only; qnet doctor says why. */
			ipv4_only = *n;
			ipv4_only.ipv6 = false;
			n = &ipv4_only;
			r = 0;
		} else if (r == -EAFNOSUPPORT) {
			return qnet_because(why, why_size, r, "this kernel has no IPv6 (ipv6.disable=1?): "
					    "set subnet6 = none in [network %s]", n->name);
		}
	}
	if (r == 0)
		r = bridge_no_ra(b);
	if (r == 0 && !(b->flags & IFF_UP)) {
		r = qnet_link_set_up(nl, b->ifindex, true);
		did->up = true;
	}
	if (r == 0 && n->n_forwards && n->gateway_here)
		r = route_localnet(n->bridge);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot configure bridge %s: %s", n->bridge, strerror(-r));
	qnet_fault_point("nat-up-bridge-configured");
	r = fresh ? 0 : qnet_firewall_present(n->name);
	if (r == 0) {
		r = qnet_firewall_apply(n, nft_why, sizeof(nft_why));
		did->table = true;
	}
	if (r < 0) {
		(void)qnet_state_table_name(table, sizeof(table), n->name);
		return qnet_because(why, why_size, r, "cannot install nftables table %s: %s%s%s", table,
				    strerror(-r), nft_why[0] ? ": " : "", nft_why);
	}
	qnet_fault_point("nat-up-firewall-applied");
	did->docker_rules = beside_other_firewalls(n, cfg->firewall_docker == QNET_FIREWALL_DOCKER_AUTO);
	did->zone = !cfg->firewalld_no && in_firewalld_zone(n);
	r = allow_guests(nl, n, b, did, nft_why, sizeof(nft_why));
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot fill the allow-list of bridge %s in nftables table bridge %s: %s",
				    n->bridge, QNET_PORTFILTER_TABLE, nft_why);
	qnet_fault_point("nat-up-guests-allowed");
	/* After the table: no moment with the port up and VXLAN from
	 * anyone let in. */
	if (n->vxlan) {
		r = overlay_port(nl, n, b, underlay, mtu, &did->overlay, why, why_size);
		if (r < 0)
			return r;
	}
	if (!n->gateway_here)
		return 0;
	r = forwarding_enable(nl, n->ipv6);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot enable %s: %s", n->ipv6 ? "IPv4 and IPv6 forwarding" : "ip_forward",
				    strerror(-r));
	qnet_fault_point("nat-up-ip-forward-set");
	if (qnet_dnsmasq_pid(n->name) <= 0) {
		told = with_mtu(n, mtu);
		r = qnet_dnsmasq_start(&told, why, why_size);
		if (r < 0)
			return r;
		did->dnsmasq = true;
	} else {
		(void)qnet_dnsmasq_write_hosts(n, &changed);
	}
	qnet_fault_point("nat-up-dnsmasq-started");
	return 0;
}

/* Create network N from nothing; on failure nothing of it is left. */
static int bring_up(struct qnet_nl *nl, const struct qnet_config *cfg, const struct qnet_network *n,
		    bool persistent, char *why, size_t why_size)
{
	char state[PATH_MAX], dev[IFNAMSIZ] = "?", net[INET6_ADDRSTRLEN];
	struct qnet_link existing, l;
	int ifindex, family, r;

	/* Resolved as a user's name would be: a link that merely has our
	 * bridge's name as an alternative name blocks it as much. */
	r = qnet_link_resolve(nl, n->bridge, &existing);
	if (r == 0 && !streq(existing.name, n->bridge))
		return qnet_because(why, why_size, -EEXIST,
			    "%s is an alternative name of %s; remove it or set bridge= in [network %s]",
			    n->bridge, existing.name, n->name);
	if (r == 0)
		return qnet_because(why, why_size, -EEXIST,
			    "bridge %s exists but qnet did not create it; remove it or set bridge= in [network %s]",
			    n->bridge, n->name);
	r = qnet_route_find_overlap_dual(nl, n->subnet, n->prefix, n->ipv6 ? &n->subnet6 : NULL, 64, 0,
					 &ifindex, &family);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot read the routing table: %s", strerror(-r));
	if (r > 0) {
		if (ifindex && qnet_link_get_by_index(nl, ifindex, &l) == 0)
			memcpy(dev, l.name, sizeof(dev));
		if (family == AF_INET6)
			return qnet_because(why, why_size, -EADDRINUSE,
				    "subnet6 %s/64 overlaps a route on %s; choose another subnet6= (or subnet6 = none)",
				    inet_ntop(AF_INET6, &n->subnet6, net, sizeof(net)), dev);
		return qnet_because(why, why_size, -EADDRINUSE, "subnet %s/%u overlaps a route on %s; choose another subnet=",
			    inet_ntop(AF_INET, &n->subnet, net, sizeof(net)), n->prefix, dev);
	}
	r = qnet_state_write(n->name, n->bridge, persistent);
	if (r < 0) {
		(void)qnet_state_path(state, sizeof(state), n->name, QNET_STATE_UP);
		return qnet_because(why, why_size, r, "cannot write %s: %s", state, strerror(-r));
	}
	qnet_fault_point("nat-up-state-written");
	r = qnet_state_write_conf(n->name, cfg->text, cfg->text_len);
	if (r < 0) {
		(void)qnet_state_path(state, sizeof(state), n->name, QNET_STATE_CONF);
		qnet_because(why, why_size, r, "cannot write %s: %s", state, strerror(-r));
		teardown(nl, n->name, "");
		return r;
	}

	r = qnet_link_bridge_create(nl, n->bridge, &ifindex);
	if (r == 0)
		r = qnet_link_get_by_index(nl, ifindex, &l);
	/* A bridge whose address nobody set takes the lowest of its ports',
	 * so a guest's TAP with a low MAC would change the gateway's MAC
	 * under every other guest (their ARP entries then point nowhere until
	 * they expire). Set once, to what it is, it stays (NET_ADDR_SET).
	 * Only here, before it has a port: setting it flushes the bridge's
	 * neighbour table even when the address stays the same. */
	if (r == 0)
		r = qnet_link_set_mac(nl, l.ifindex, l.mac);
	if (r < 0)
		qnet_because(why, why_size, r, "cannot create bridge %s: %s", n->bridge, strerror(-r));
	else
		qnet_fault_point("nat-up-bridge-created");
	if (r == 0)
		r = complete(nl, cfg, n, &l, true, NULL, why, why_size);
	if (r < 0)
		teardown(nl, n->name, n->bridge);
	return r;
}

/* The network is up by our state: make it whole again after whatever
 * happened to it (N, its configuration, may be unknown: then only a
 * network whose bridge is gone is dealt with; with N comes CFG, whose
 * [firewall] it obeys). Returns 1 if it had to be removed (bridge gone;
 * a persistent network is built again instead). DID (may be NULL) hears
 * what was put back. */
static int repair(struct qnet_nl *nl, const char *network, const struct qnet_config *cfg,
		  const struct qnet_network *n, const char *bridge, struct repaired *did, char *why, size_t why_size)
{
	struct qnet_link b;
	bool persistent = false;
	int r;

	if (qnet_link_get(nl, bridge, &b) < 0 || !b.is_bridge) {
		(void)qnet_state_read(network, (char[IFNAMSIZ]){ 0 }, &persistent);
		teardown(nl, network, bridge);
		/* A persistent network stays up until qnet down, so it is
		 * built again, with the configuration it ran with. */
		if (!persistent || !n || !cfg)
			return 1;
		r = bring_up(nl, cfg, n, true, why, why_size);
		if (r == 0 && did)
			did->rebuilt = true;
		return r;
	}
	return n && cfg ? complete(nl, cfg, n, &b, false, did, why, why_size) : 0;
}

struct port_names {
	char (*name)[IFNAMSIZ];
	size_t n;
	char vxlan[IFNAMSIZ]; /* the network's VXLAN device, not counted */
};

static int collect_port(const struct qnet_link *port, void *userdata)
{
	struct port_names *p = userdata;
	char (*names)[IFNAMSIZ];

	/* The overlay's own port is no guest: it goes with the network. */
	if (streq(port->kind, "vxlan") && streq(port->name, p->vxlan))
		return 0;
	names = reallocarray(p->name, p->n + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	p->name = names;
	memcpy(p->name[p->n++], port->name, IFNAMSIZ);
	return 0;
}

static const struct qnet_network *find(const struct qnet_config *cfg, const char *network,
				       char *why, size_t why_size)
{
	const struct qnet_network *n = qnet_config_network(cfg, network);

	if (!n)
		qnet_because(why, why_size, -ENOENT, "unknown network '%s' (no [network %s] in %s)", network,
		     network, cfg->path ? cfg->path : "qnet.conf");
	return n;
}

/* NETWORK's lock, or -errno with the cause in WHY. */
static int lock_network(const char *network, char *why, size_t why_size)
{
	int lock = qnet_lock_network(network);

	if (lock < 0)
		return qnet_because(why, why_size, lock, "cannot lock network %s in %s: %s", network,
				    qnet_paths_rundir(), strerror(-lock));
	return lock;
}

/*
 * The configuration NETWORK runs with (RUNDIR/NAME.conf, see the top of
 * this file) into *RET, and its network in it; -ENOENT if none was
 * recorded or it has no such network. It is replaced whole (rename), so
 * a reader without the lock (qnet status) sees the old file or the new.
 */
int qnet_nat_running(const char *network, struct qnet_config **ret, const struct qnet_network **n)
{
	_cleanup_config_ struct qnet_config *c = NULL;
	char path[PATH_MAX];
	int r = qnet_state_path(path, sizeof(path), network, QNET_STATE_CONF);

	*n = NULL;
	if (r < 0)
		return r;
	/* qnet_config_load() takes a missing file for an empty one. */
	if (access(path, F_OK) < 0)
		return -errno;
	r = qnet_config_load(path, &c, NULL, NULL);
	if (r < 0)
		return r;
	*n = qnet_config_network(c, network);
	if (!*n)
		return -ENOENT;
	*ret = TAKE_PTR(c);
	return 0;
}

/* What NETWORK runs with, into *RUN and *RN, else CFG and N (may be NULL):
 * a network brought up before its configuration was recorded runs with
 * what qnet.conf says, and records it now if it is up (CFG given), so
 * that later repairs and reloads know what runs. Under the lock. */
/* Is NETWORK's running configuration the text CFG was parsed from? Then
 * it need not be parsed again: with many networks in qnet.conf, that
 * second parse was a third of a warm attach. */
static bool running_is(const char *network, const struct qnet_config *cfg)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[PATH_MAX], chunk[4096];
	size_t at = 0, len;

	if (!cfg || qnet_state_path(path, sizeof(path), network, QNET_STATE_CONF) < 0)
		return false;
	/* Equal bytes mean what qnet.conf means; anything else is read and
	 * judged as the running configuration always is. */
	f = fopen(path, "re");
	if (!f)
		return false;
	while ((len = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len > cfg->text_len - at || memcmp(chunk, cfg->text + at, len) != 0)
			return false;
		at += len;
	}
	return !ferror(f) && at == cfg->text_len;
}

static void running_or(const char *network, const struct qnet_config *cfg, const struct qnet_network *n,
		       struct qnet_config **run, const struct qnet_network **rn)
{
	char bridge[IFNAMSIZ];
	int r;

	if (n && running_is(network, cfg)) {
		*run = NULL;
		*rn = n;
		return;
	}
	r = qnet_nat_running(network, run, rn);
	if (r == 0)
		return;
	*run = NULL;
	*rn = n;
	/* Recorded but unreadable, or recorded by no qnet for a bridge that
	 * qnet.conf no longer names: what runs is unknown, so nothing is
	 * rebuilt from qnet.conf, which may say another subnet (only a
	 * bridge that is gone is dealt with). */
	if (r != -ENOENT || !n || qnet_state_bridge(network, bridge) < 0 || !streq(bridge, n->bridge)) {
		if (n)
			notice("network %s: its running configuration (%s/%s.conf) cannot be read: %s; "
			       "only `qnet down %s` and `qnet up %s` can repair it", network, qnet_paths_rundir(),
			       network, strerror(-r), network, network);
		*rn = NULL;
		return;
	}
	if (cfg)
		(void)qnet_state_write_conf(network, cfg->text, cfg->text_len);
}

/*
 * Lock NETWORK, make sure it is up and healthy; PERSISTENT: and make it
 * stay without guests. Returns the lock fd. *RUN is the configuration it
 * runs with when that is not CFG (an earlier qnet.conf: a difference is
 * said, never applied; qnet reload is for that), else NULL.
 */
static int ensure_up(struct qnet_nl *nl, const struct qnet_config *cfg, const struct qnet_network *n,
		     bool persistent, struct qnet_config **run, char *why, size_t why_size)
{
	_cleanup_close_ int lock = -1;
	char bridge[IFNAMSIZ], diff[128];
	const struct qnet_network *rn = NULL;
	bool was_persistent = false;
	unsigned d;
	int r;

	*run = NULL;
	lock = lock_network(n->name, why, why_size);
	if (lock < 0)
		return lock;
	if (qnet_state_read(n->name, bridge, &was_persistent) == 0) {
		running_or(n->name, cfg, n, run, &rn);
		if (!rn)
			return qnet_because(why, why_size, -EBADMSG, "what it runs with is unknown (see above): "
					    "nothing is attached to it");
		d = qnet_config_network_diff(rn, n);
		if (d)
			notice("network %s: qnet.conf differs from what runs (%s): not applied; `qnet reload %s` applies it",
			       n->name, qnet_config_diff_names(d, diff, sizeof(diff)), n->name);
		r = repair(nl, n->name, *run ? *run : cfg, rn, bridge, NULL, why, why_size);
		if (r < 0)
			return r;
		if (r == 0 && persistent && !was_persistent) {
			r = qnet_state_write(n->name, bridge, true);
			if (r < 0)
				return qnet_because(why, why_size, r, "cannot make it persistent: %s", strerror(-r));
		}
		if (r == 0)
			return TAKE_FD(lock);
		qnet_config_free(*run);
		*run = NULL;
	}
	r = bring_up(nl, cfg, n, persistent, why, why_size);
	if (r < 0) {
		/* Rolled back: no network, so no lock file either. */
		qnet_lock_release_unlink(TAKE_FD(lock), n->name);
		return r;
	}
	return TAKE_FD(lock);
}

/* Why a network is to go down, which decides whether it does. */
enum down_how {
	DOWN_UNUSED,  /* its last guest went (qemu-ifdown-nat, qnet gc): unless persistent */
	DOWN_ADMIN,   /* qnet down: unless ports are attached */
	DOWN_FORCE,   /* qnet down --force: ports detached */
	DOWN_RELEASE, /* qnet down --autostart: with ports attached, it becomes on-demand */
};

/*
 * With the lock held: take the network down as HOW says; where it stays,
 * repair it (when N, its configuration in CFG, is known). Releases the
 * lock. Returns 0 if it went down, 1 if it stays (*PORTS, may be NULL:
 * how many ports it has), or -errno.
 */
/*
 * Guests behind the VXLAN port of an overlay whose gateway is here, as the
 * bridge learned them (MACs seen within its ageing time, 300 s): another
 * host's guests need this one's DHCP and NAT after the last guest here
 * is gone. Counted only when the network goes with its last guest or by
 * qnet gc, which takes it down once they have been silent that long; an
 * administrator's qnet down does not wait for them.
 */
static int remote_guests(struct qnet_nl *nl, const char *network, const struct qnet_network *n,
			 const struct qnet_link *b, enum down_how how)
{
	char name[IFNAMSIZ];
	struct qnet_link l;
	size_t k = 0;

	if (how != DOWN_UNUSED || !n || !n->vxlan || !n->gateway_here)
		return 0;
	qnet_vxlan_ifname(network, name);
	if (qnet_link_get(nl, name, &l) < 0 || qnet_link_fdb_learned(nl, b->ifindex, l.ifindex, NULL, 0, &k) < 0)
		return 0;
	return k > 0;
}

static int down_if_unused(struct qnet_nl *nl, const char *network, const struct qnet_config *cfg,
			  const struct qnet_network *n, int lock, enum down_how how, int *ports_left,
			  char *why, size_t why_size)
{
	char bridge[IFNAMSIZ];
	struct qnet_link b;
	bool persistent;
	int ports, r;

	if (qnet_state_read(network, bridge, &persistent) < 0) {
		qnet_lock_release_unlink(lock, network);
		return 0;
	}
	if (qnet_link_get(nl, bridge, &b) == 0 && b.is_bridge) {
		struct port_names p = { NULL, 0, "" };

		qnet_vxlan_ifname(network, p.vxlan);
		/* Names first, detach after: a request made inside the dump's
		 * callback would interleave with the dump on the same socket. */
		r = qnet_link_bridge_foreach_port(nl, b.ifindex, collect_port, &p);
		if (r < 0) {
			free(p.name);
			qnet_lock_release(lock);
			return qnet_because(why, why_size, r, "cannot read ports of %s: %s", bridge, strerror(-r));
		}
		ports = (int)p.n + remote_guests(nl, network, n, &b, how);
		if (ports_left)
			*ports_left = ports;
		if ((ports > 0 && how != DOWN_FORCE) || (persistent && how == DOWN_UNUSED)) {
			r = n ? repair(nl, network, cfg, n, bridge, NULL, why, why_size) : 0;
			if (r == 0 && how == DOWN_RELEASE && persistent) {
				r = qnet_state_write(network, bridge, false);
				if (r < 0)
					qnet_because(why, why_size, r, "cannot make it on-demand: %s", strerror(-r));
			}
			free(p.name);
			qnet_lock_release(lock);
			return r < 0 ? r : 1;
		}
		for (size_t i = 0; i < p.n; i++)
			(void)qnet_port_detach(nl, p.name[i], NULL);
		free(p.name);
	}
	teardown(nl, network, bridge);
	qnet_lock_release_unlink(lock, network);
	return 0;
}

/* Bring NETWORK up (or repair it) under its lock, then attach TAP if any. */
static int up(const struct qnet_config *cfg, const char *network, const char *tap,
	      char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *n = find(cfg, network, why, why_size);
	int lock, r;

	if (!n)
		return -ENOENT;
	r = qnet_nl_open(&nl);
	if (r < 0)
		return qnet_because(why, why_size, r, "netlink: %s", strerror(-r));
	if (tap) {
		struct qnet_link t;

		/* No network is built for a TAP that is not there. */
		r = qnet_link_get(&nl, tap, &t);
		if (r == -ENODEV)
			return qnet_because(why, why_size, r, "interface does not exist");
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot look up interface: %s", strerror(-r));
	}
	lock = ensure_up(&nl, cfg, n, !tap, &run, why, why_size);
	if (lock < 0)
		return lock;
	if (run)
		n = qnet_config_network(run, network);
	if (tap) {
		const struct qnet_config_port *port = qnet_config_port(cfg, tap);
		struct qnet_config_props cp;
		struct qnet_port_props props;
		struct qnet_link b;

		/* The network's part of what a port gets is what the network
		 * runs with; [port TAP] is the TAP's own, as qnet.conf says. */
		qnet_config_port_props(run ? run : cfg, n->bridge, tap, &cp);
		cp.mac_set = port && port->mac_set;
		if (cp.mac_set)
			memcpy(cp.mac, port->mac, sizeof(cp.mac));
		qnet_port_props_from_config(&cp, &props);
		r = qnet_port_find_bridge(&nl, n->bridge, false, &b, why, why_size);
		if (r == 0)
			r = qnet_port_attach(&nl, tap, &b, &props, why, why_size);
		if (r < 0) {
			char ignored[QNET_REASON_MAX];

			/* A network we brought up only for this TAP must not stay. */
			(void)down_if_unused(&nl, n->name, NULL, NULL, lock, DOWN_UNUSED, NULL, ignored, sizeof(ignored));
			return r;
		}
		qnet_fault_point("nat-up-tap-attached");
	}
	qnet_lock_release(lock);
	return 0;
}

int qnet_nat_ifup(const struct qnet_config *cfg, const char *network, const char *tap,
		  char *why, size_t why_size)
{
	return up(cfg, network, tap, why, why_size);
}

int qnet_nat_up(const struct qnet_config *cfg, const char *network, char *why, size_t why_size)
{
	return up(cfg, network, NULL, why, why_size);
}

/* Open NL and take NETWORK's lock: the start of every way down. */
static int open_locked(struct qnet_nl *nl, const char *network, char *why, size_t why_size)
{
	int r = qnet_nl_open(nl);

	if (r < 0)
		return qnet_because(why, why_size, r, "netlink: %s", strerror(-r));
	return lock_network(network, why, why_size);
}

/* Take TAP off NETWORK's bridge. A TAP on another master is not ours: a
 * downscript= that names another network must not detach it. */
static int detach_own_port(struct qnet_nl *nl, const char *network, const char *tap)
{
	char bridge[IFNAMSIZ];
	struct qnet_link t, b;
	int r;

	r = qnet_link_get(nl, tap, &t);
	if (r < 0)
		return r;
	if (t.master && (qnet_state_bridge(network, bridge) < 0 ||
			 qnet_link_get(nl, bridge, &b) < 0 || b.ifindex != t.master))
		return 0;
	r = qnet_port_detach(nl, tap, NULL);
	/* Its filter and shaping, if it had them: a NAT network's bridge is
	 * ours, and so is everything of its ports. */
	if (r == 0 && t.master) {
		(void)qnet_portfilter_detach(t.master, t.ifindex);
		(void)qnet_rate_remove(nl, t.ifindex);
	}
	return r;
}

int qnet_nat_ifdown(const struct qnet_config *cfg, const char *network, const char *tap,
		    char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *rn = NULL;
	int lock, r;

	lock = open_locked(&nl, network, why, why_size);
	if (lock < 0)
		return lock;
	r = detach_own_port(&nl, network, tap);
	if (r < 0 && r != -ENODEV) {
		qnet_lock_release(lock);
		return qnet_because(why, why_size, r, "cannot detach: %s", strerror(-r));
	}
	qnet_fault_point("nat-down-tap-detached");
	running_or(network, cfg, qnet_config_network(cfg, network), &run, &rn);
	r = down_if_unused(&nl, network, run ? run : cfg, rn, lock, DOWN_UNUSED, NULL, why, why_size);
	return r < 0 ? r : 0;
}

int qnet_nat_down(const char *network, bool force, char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	int lock, ports = 0, r;

	lock = open_locked(&nl, network, why, why_size);
	if (lock < 0)
		return lock;
	r = down_if_unused(&nl, network, NULL, NULL, lock, force ? DOWN_FORCE : DOWN_ADMIN, &ports, why, why_size);
	if (r > 0)
		return qnet_because(why, why_size, -EBUSY, "%d port%s still attached (use --force to detach them)",
			    ports, ports == 1 ? "" : "s");
	return r;
}

int qnet_nat_release(const char *network, char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	int lock, ports = 0, r;

	lock = open_locked(&nl, network, why, why_size);
	if (lock < 0)
		return lock;
	r = down_if_unused(&nl, network, NULL, NULL, lock, DOWN_RELEASE, &ports, why, why_size);
	return r > 0 ? ports : r;
}

unsigned qnet_nat_pending(const struct qnet_network *n)
{
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *rn = NULL;

	return qnet_nat_running(n->name, &run, &rn) == 0 ? qnet_config_network_diff(rn, n) : 0;
}

int qnet_nat_kind(const char *network)
{
	char bridge[IFNAMSIZ];
	bool persistent;
	int r = qnet_state_read(network, bridge, &persistent);

	if (r == -ENOENT)
		return QNET_NAT_DOWN;
	if (r < 0)
		return r;
	return persistent ? QNET_NAT_PERSISTENT : QNET_NAT_ON_DEMAND;
}

/* Has host = entry H of a network lost nothing a guest uses? Its addresses
 * are in the allow-list as long as a live lease in LEASES has them. */
static bool host_leased(const struct qnet_host *h, int family, const struct qnet_lease *leases, size_t n,
			time_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct qnet_lease *l = &leases[i];

		if (!l->has_mac || memcmp(l->mac, h->mac, 6) || l->family != family ||
		    (l->expiry && l->expiry < now))
			continue;
		if (family == AF_INET ? l->ip.s_addr == h->ip.s_addr : IN6_ARE_ADDR_EQUAL(&l->ip6, &h->ip6))
			return true;
	}
	return false;
}

static bool host_kept(const struct qnet_host *h, const struct qnet_network *n, int family)
{
	for (size_t i = 0; i < n->n_hosts; i++)
		if (!memcmp(n->hosts[i].mac, h->mac, 6) &&
		    (family == AF_INET ? n->hosts[i].ip.s_addr == h->ip.s_addr
				       : IN6_ARE_ADDR_EQUAL(&n->hosts[i].ip6, &h->ip6)))
			return true;
	return false;
}

/* The addresses of OLD's host = entries that NEW no longer has, taken
 * from the allow-list of BRIDGE, unless a live lease still gives them
 * (that guest keeps its address until the lease ends). */
static void withdraw_hosts(const struct qnet_network *old, const struct qnet_network *new, int bridge)
{
	_cleanup_free_ struct qnet_lease *leases = NULL;
	size_t n_leases = 0;
	time_t now = time(NULL);
	char ignored[QNET_REASON_MAX];

	if (!old || qnet_leases_load(old->name, &leases, &n_leases) < 0)
		return; /* unknown: keep them all */
	for (size_t i = 0; i < old->n_hosts; i++) {
		const struct qnet_host *h = &old->hosts[i];

		if (h->ip.s_addr && !host_kept(h, new, AF_INET) && !host_leased(h, AF_INET, leases, n_leases, now))
			(void)qnet_portfilter_allow(bridge, h->mac, AF_INET, &h->ip, false, ignored, sizeof(ignored));
		if (old->ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&h->ip6) && !host_kept(h, new, AF_INET6) &&
		    !host_leased(h, AF_INET6, leases, n_leases, now))
			(void)qnet_portfilter_allow(bridge, h->mac, AF_INET6, &h->ip6, false, ignored, sizeof(ignored));
	}
}

/* dnsmasq of NETWORK restarted with N, or with OLD again if N's fails. */
static int dnsmasq_restart(const struct qnet_network *n, const struct qnet_network *old, char *why, size_t why_size)
{
	char ignored[QNET_REASON_MAX];
	int r;

	(void)qnet_dnsmasq_stop(n->name);
	r = qnet_dnsmasq_start(n, why, why_size);
	if (r < 0 && old)
		(void)qnet_dnsmasq_start(old, ignored, sizeof(ignored));
	return r;
}

/* The flood list of N's VXLAN device made its peers = (qnet reload). */
static int reload_peers(struct qnet_nl *nl, const struct qnet_network *n, char *why, size_t why_size)
{
	char name[IFNAMSIZ];
	struct qnet_link l;
	int r;

	qnet_vxlan_ifname(n->name, name);
	r = qnet_link_get(nl, name, &l);
	if (r == 0)
		r = qnet_vxlan_flood_set(nl, l.ifindex, n->peers, n->n_peers);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot change the peers of VXLAN device %s: %s", name,
				    strerror(-r));
	return 0;
}

/*
 * Reload, under the lock: the steps go from what can only widen to what
 * swaps, so that a failure leaves the network running as it was. New
 * host = addresses are allowed first (a guest gets one only from the
 * dnsmasq told of it afterwards); then the one table swap; then dnsmasq;
 * then what the old hosts had is withdrawn, and the configuration is
 * recorded as running.
 */
static int reload_locked(struct qnet_nl *nl, const struct qnet_config *cfg, const struct qnet_network *n,
			 unsigned *applied, char *why, size_t why_size)
{
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *old = NULL;
	char bridge[IFNAMSIZ], diff[128], nft_why[QNET_REASON_MAX] = "";
	struct qnet_link b;
	bool changed;
	unsigned d;
	int r;

	if (qnet_state_bridge(n->name, bridge) < 0)
		return 1;
	if (qnet_link_get(nl, bridge, &b) < 0 || !b.is_bridge)
		return qnet_because(why, why_size, -ENODEV, "its bridge %s is gone (qnet gc removes the rest)", bridge);
	r = qnet_nat_running(n->name, &run, &old);
	if (r >= 0 && !old) /* it names the network when it succeeds */
		r = -ENOENT;
	if (r < 0 || !old)
		return qnet_because(why, why_size, r, "its running configuration (%s/%s.conf) cannot be read: %s; "
				    "`qnet down %s` and `qnet up %s` apply qnet.conf (nothing was applied)",
				    qnet_paths_rundir(), n->name, strerror(-r), n->name, n->name);
	d = qnet_config_network_diff(old, n);
	if (d & QNET_CONFIG_DIFF_REBUILD)
		return qnet_because(why, why_size, -EXDEV, "%s changed, which a running network cannot take: "
				    "`qnet down %s` and `qnet up %s` apply it (nothing was applied)",
				    qnet_config_diff_names(d & QNET_CONFIG_DIFF_REBUILD, diff, sizeof(diff)),
				    n->name, n->name);
	for (size_t i = 0; d & QNET_CONFIG_DIFF_HOSTS && i < n->n_hosts; i++) {
		r = qnet_guestaddr_allow_host(nl, b.ifindex, &n->hosts[i], n->ipv6, nft_why, sizeof(nft_why));
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot allow host %s in nftables table bridge %s: %s "
					    "(hosts before it may be allowed already; nothing else was applied)",
					    n->hosts[i].name[0] ? n->hosts[i].name : "entry", QNET_PORTFILTER_TABLE, nft_why);
	}
	/* The new peers are judged as at bring-up (none of ours) before
	 * anything is swapped. */
	if (d & QNET_CONFIG_DIFF_PEERS) {
		int underlay;
		unsigned mtu;

		r = overlay_mtu(nl, cfg, n, &underlay, &mtu, why, why_size);
		if (r < 0)
			return r;
	}
	if (d & (QNET_CONFIG_DIFF_FORWARDS | QNET_CONFIG_DIFF_PEERS)) {
		/* A first forward: 127.0.0.1 reaches it only with this. */
		r = n->n_forwards && n->gateway_here ? route_localnet(n->bridge) : 0;
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot set route_localnet on %s: %s (nothing was applied)",
					    n->bridge, strerror(-r));
		r = qnet_firewall_apply(n, nft_why, sizeof(nft_why));
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot swap in its new nftables table: %s%s%s "
					    "(nothing was applied)", strerror(-r), nft_why[0] ? ": " : "", nft_why);
	}
	/* After the table: a peer that goes is refused before it stops
	 * getting copies, one that comes gets copies and then is let in
	 * by the table already swapped. */
	if (d & QNET_CONFIG_DIFF_PEERS) {
		r = reload_peers(nl, n, why, why_size);
		if (r < 0) {
			/* Back to the old peers: none of the new keeps getting
			 * copies of the guests' frames. */
			(void)reload_peers(nl, old, (char[QNET_REASON_MAX]){ 0 }, QNET_REASON_MAX);
			(void)qnet_firewall_apply(old, nft_why, sizeof(nft_why));
			return r;
		}
	}
	if (d & QNET_CONFIG_DIFF_DHCP && n->gateway_here) {
		struct qnet_network told = with_mtu(n, b.mtu), was = with_mtu(old, b.mtu);

		r = dnsmasq_restart(&told, &was, why, why_size);
		if (r < 0) {
			/* Back to the table that runs with the dnsmasq that runs. */
			if (d & (QNET_CONFIG_DIFF_FORWARDS | QNET_CONFIG_DIFF_PEERS))
				(void)qnet_firewall_apply(old, nft_why, sizeof(nft_why));
			if (d & QNET_CONFIG_DIFF_PEERS)
				(void)reload_peers(nl, old, (char[QNET_REASON_MAX]){ 0 }, QNET_REASON_MAX);
			return r;
		}
	} else if (d & QNET_CONFIG_DIFF_HOSTS && n->gateway_here) {
		r = qnet_dnsmasq_write_hosts(n, &changed);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot write its dnsmasq hosts file: %s", strerror(-r));
	}
	if (d & QNET_CONFIG_DIFF_HOSTS)
		withdraw_hosts(old, n, b.ifindex);
	r = qnet_state_write_conf(n->name, cfg->text, cfg->text_len);
	if (r < 0)
		return qnet_because(why, why_size, r, "applied, but cannot record it as running: %s", strerror(-r));
	*applied = d;
	return 0;
}

int qnet_nat_reload(const struct qnet_config *cfg, const char *network, unsigned *applied,
		    char *why, size_t why_size)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	const struct qnet_network *n = find(cfg, network, why, why_size);
	int lock, r;

	*applied = 0;
	if (!n)
		return -ENOENT;
	lock = open_locked(&nl, network, why, why_size);
	if (lock < 0)
		return lock;
	r = reload_locked(&nl, cfg, n, applied, why, why_size);
	if (r == 1)
		qnet_lock_release_unlink(lock, network);
	else
		qnet_lock_release(lock);
	return r;
}

struct gc {
	struct qnet_nl *nl;
	const struct qnet_config *cfg;
	bool collect;
	void (*report)(const char *network, const char *what, void *userdata);
	void *userdata;
};

static void gc_say(const struct gc *g, const char *network, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void gc_say(const struct gc *g, const char *network, const char *fmt, ...)
{
	char line[QNET_REASON_MAX];
	va_list ap;

	if (!g->report)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g->report(network, line, g->userdata);
}

/* One line per thing the repair of NETWORK (bridge BRIDGE) put back. */
static void gc_say_repaired(const struct gc *g, const char *network, const char *bridge, const struct repaired *did)
{
	char table[QNET_STATE_TABLE_SIZE] = "";

	(void)qnet_state_table_name(table, sizeof(table), network);
	if (did->rebuilt)
		gc_say(g, network, "bridge %s was gone: the network is persistent, so it was built again", bridge);
	if (did->up)
		gc_say(g, network, "bridge %s: brought up again", bridge);
	if (did->table)
		gc_say(g, network, "nftables table inet %s: put back", table);
	if (did->ports)
		gc_say(g, network, "port filters of bridge %s: put back on %zu port%s", bridge, did->ports,
		       did->ports == 1 ? "" : "s");
	if (did->leases)
		gc_say(g, network, "allow-list of bridge %s: %zu lease%s put back", bridge, did->leases,
		       did->leases == 1 ? "" : "s");
	if (did->docker_rules)
		gc_say(g, network, "Docker's DOCKER-USER: %zu rule%s for bridge %s put back", did->docker_rules,
		       did->docker_rules == 1 ? "" : "s", bridge);
	if (did->zone)
		gc_say(g, network, "firewalld: bridge %s put back in zone %s", bridge, QNET_FIREWALLD_ZONE);
	if (did->dnsmasq)
		gc_say(g, network, "dnsmasq: restarted (none was running)");
}

static int gc_one(const char *network, void *userdata)
{
	struct gc *g = userdata;
	char why[QNET_REASON_MAX] = "", bridge[IFNAMSIZ];
	_cleanup_config_ struct qnet_config *run = NULL;
	const struct qnet_network *n = NULL;
	struct repaired did = { 0 };
	int lock, r;

	lock = qnet_lock_network(network);
	if (lock < 0) {
		gc_say(g, network, "cannot lock it in %s: %s", qnet_paths_rundir(), strerror(-lock));
		return 0;
	}
	if (qnet_state_bridge(network, bridge) < 0) {
		qnet_lock_release(lock);
		return 0;
	}
	running_or(network, g->cfg, g->cfg ? qnet_config_network(g->cfg, network) : NULL, &run, &n);
	r = repair(g->nl, network, run ? run : g->cfg, n, bridge, &did, why, sizeof(why));
	if (r == 1) {
		qnet_lock_release_unlink(lock, network);
		gc_say(g, network, "removed: its bridge was gone");
		return 0;
	}
	/* What was put back before a later step failed is said too. */
	gc_say_repaired(g, network, bridge, &did);
	if (r < 0)
		gc_say(g, network, "%s", why);
	if (!g->collect) {
		qnet_lock_release(lock);
		return 0;
	}
	/* With its configuration: an overlay's gateway stays while other
	 * hosts' guests are seen (remote_guests()). */
	r = down_if_unused(g->nl, network, run ? run : g->cfg, n, lock, DOWN_UNUSED, NULL, why, sizeof(why));
	if (r == 0)
		gc_say(g, network, "removed: no port left");
	return 0;
}

/* qnet gc and qnet watch: every network with state, repaired; COLLECT:
 * and removed when it has no port left. */
static int gc(bool collect, void (*report)(const char *network, const char *what, void *userdata),
	      void *userdata)
{
	_cleanup_nl_ struct qnet_nl nl = { 0 };
	_cleanup_config_ struct qnet_config *cfg = NULL;
	struct gc g = { .nl = &nl, .collect = collect, .report = report, .userdata = userdata };
	int r;

	r = qnet_nl_open(&nl);
	if (r < 0)
		return r;
	/* Without a readable qnet.conf we can still remove, just not repair. */
	if (qnet_config_load(NULL, &cfg, NULL, NULL) == 0)
		g.cfg = cfg;
	return qnet_state_foreach(gc_one, &g);
}

int qnet_nat_gc(void (*report)(const char *network, const char *what, void *userdata), void *userdata)
{
	return gc(true, report, userdata);
}

int qnet_nat_repair(void (*report)(const char *network, const char *what, void *userdata), void *userdata)
{
	return gc(false, report, userdata);
}
