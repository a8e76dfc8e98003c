// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet doctor`: the host checks people otherwise do by hand before a VM
 * gets a network (lsmod | grep tun, ls -l /dev/net/tun, brctl show,
 * iptables -L, sysctl net.ipv4.ip_forward), one line each on stdout:
 *   "ok    CHECK: FINDING"
 *   "warn  CHECK: FINDING; fix: WHAT TO DO"
 *   "fail  CHECK: FINDING; fix: WHAT TO DO"
 * then the totals. Each check reads the state itself (kernel through
 * netlink and libnftables, files through stat and open, with lib/'s
 * readers) and never changes anything: `qnet doctor` is safe to run on a
 * host that is in trouble.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "caps.h"
#include "config.h"
#include "docker.h"
#include "firewalld.h"
#include "file.h"
#include "firewall.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "nat.h"
#include "netlink.h"
#include "nft.h"
#include "parse.h"
#include "paths.h"
#include "proc.h"
#include "qnet.h"
#include "route.h"
#include "state.h"
#include "sysctl.h"
#include "tap.h"
#include "vxlan.h"

#define HELPER "qemu-bridge-helper"

enum level { OK, WARN, FAIL };

struct doctor {
	unsigned ok, warn, fail;
	struct qnet_nl nl;
	struct qnet_config *cfg; /* the built-in defaults if qnet.conf cannot be used */
	struct qnet_acl *acl;    /* bridge.conf's rules (those that parse), NULL if absent */
};

/* Always 0, so that a check can end with "return report(...);". */
static int report(struct doctor *d, enum level lv, const char *check, const char *fix,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int report(struct doctor *d, enum level lv, const char *check, const char *fix,
		  const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warn", "fail" };
	char finding[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(finding, sizeof(finding), fmt, ap);
	va_end(ap);
	if (lv == OK)
		d->ok++;
	else if (lv == WARN)
		d->warn++;
	else
		d->fail++;
	printf("%-4s  %s: %s%s%s\n", names[lv], check, finding,
		lv != OK && fix ? "; fix: " : "", lv != OK && fix ? fix : "");
	return 0;
}

/* ---- TUN ---- */

static int check_tun(struct doctor *d)
{
	struct qnet_tap_probe tun;
	int r = qnet_tap_probe(&tun);

	if (r == -ENOENT && tun.registered)
		return report(d, FAIL, "tun", "mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200",
			      "/dev/net/tun is missing although the tun driver is loaded");
	if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
		return report(d, FAIL, "tun", "modprobe tun (kernel option CONFIG_TUN)",
			      "no tun driver: /dev/net/tun: %s", strerror(-r));
	if (r == -ENOTTY)
		return report(d, FAIL, "tun", "rm /dev/net/tun && mknod -m 0666 /dev/net/tun c 10 200",
			      "/dev/net/tun is not the tun character device (10:200)");
	if (r < 0)
		return report(d, WARN, "tun", "run qnet doctor as root, or check the device's mode",
			      "/dev/net/tun cannot be opened by uid %u: %s", (unsigned)getuid(), strerror(-r));
	return report(d, OK, "tun", NULL, "/dev/net/tun opens (mode %04o; vnet header %s, multiqueue %s)",
		      tun.mode, tun.vnet_hdr ? "yes" : "no", tun.multi_queue ? "yes" : "no");
}

/* ---- the bridge helper's install mode ---- */

static int check_helper(struct doctor *d)
{
	char path[PATH_MAX], fix[PATH_MAX + 64];
	struct qnet_caps_file caps = { 0 };
	_cleanup_close_ int fd = -1;
	bool setuid_root;
	struct stat st;
	int r;

	if (qnet_paths_join(path, sizeof(path), qnet_paths_libexecdir(), HELPER) < 0)
		return report(d, FAIL, "helper", NULL, "%s/%s: path too long", qnet_paths_libexecdir(), HELPER);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return report(d, WARN, "helper", "install qnet (meson install) to use -netdev bridge",
				      "%s is not installed", path);
		return report(d, FAIL, "helper", "reinstall qnet", "%s: %s", path,
			      errno == ELOOP ? "is a symbolic link" : strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return report(d, FAIL, "helper", "reinstall qnet", "%s is not a regular file", path);
	if (st.st_uid != 0) {
		snprintf(fix, sizeof(fix), "chown root:root %s", path);
		return report(d, FAIL, "helper", fix, "%s is owned by uid %u, not root: that user can make it do anything",
			      path, (unsigned)st.st_uid);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(fix, sizeof(fix), "chmod go-w %s", path);
		return report(d, FAIL, "helper", fix, "%s (mode %04o) is writable by group or others: "
			      "they could replace a privileged program", path, (unsigned)(st.st_mode & 07777));
	}
	setuid_root = st.st_mode & S_ISUID;
	r = qnet_caps_file_read(fd, &caps);
	if (r < 0 && r != -ENODATA)
		return report(d, WARN, "helper", NULL, "%s: cannot read its file capabilities: %s", path, strerror(-r));

	snprintf(fix, sizeof(fix), "setcap cap_net_admin+ep %s", path);
	if (caps.net_admin && !caps.effective && !setuid_root)
		return report(d, FAIL, "helper", fix, "%s has cap_net_admin without the effective bit: "
			      "it starts without the capability", path);
	if (caps.others)
		return report(d, WARN, "helper", fix, "%s carries file capabilities beyond cap_net_admin", path);
	if (caps.net_admin)
		return report(d, OK, "helper", NULL, "%s has cap_net_admin+ep%s, mode %04o", path,
			      setuid_root ? " (and is setuid root)" : "", (unsigned)(st.st_mode & 07777));
	if (setuid_root)
		return report(d, OK, "helper", NULL, "%s is setuid root (it keeps only CAP_NET_ADMIN), mode %04o",
			      path, (unsigned)(st.st_mode & 07777));
	report(d, FAIL, "helper", fix, "%s has neither cap_net_admin+ep nor the setuid bit: "
	       "it fails for every user but root", path);
	return 0;
}

/* ---- configuration files ---- */

static void count_diag(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	unsigned *errors = userdata;

	*errors += is_error;
}

static int check_file_trust(struct doctor *d, const char *check, const char *path, bool read_by_users)
{
	_cleanup_fclose_ FILE *f = NULL;
	char fix[3 * PATH_MAX + 160];
	struct qnet_file_refusal why;
	struct stat st;
	int r;

	r = qnet_file_open_trusted(path, &f, &why);
	if (r == -ENOENT) {
		if (read_by_users)
			report(d, WARN, check, "list bridges users may use as 'allow NAME' lines (root:root 0644)",
			       "%s is absent: the bridge helper denies every user a [bridge] section of qnet.conf does not grant",
			       path);
		else
			report(d, OK, check, NULL, "%s is absent: built-in defaults", path);
		return 0;
	}
	if (r == -EMEDIUMTYPE) {
		/* What the FUSE server says proves nothing; what is under it may be the real problem. */
		snprintf(fix, sizeof(fix), "umount %s (whoever mounted it decides what it shows), then check "
			 "what it covered: chown root %s; chmod go-w %s", why.where, why.where, why.where);
		report(d, FAIL, check, fix, "%s %s: the bridge helper refuses %s and denies everyone",
		       why.where, qnet_file_refusal_reason(&why, r), path);
		return 0;
	}
	if (r < 0 && why.dir) {
		/* Whoever may write a directory on the way can swap the file. */
		if (r == -ELOOP || r == -ENOTDIR)
			snprintf(fix, sizeof(fix), "make %s a real root-owned directory (not a symbolic link)",
				 why.where);
		else if (r == -EPERM)
			snprintf(fix, sizeof(fix), "chown root %s; chmod go-w %s", why.where, why.where);
		else
			snprintf(fix, sizeof(fix), "make %s searchable (chmod a+x %s)", why.where, why.where);
		report(d, FAIL, check, fix, "%s: %s: the bridge helper refuses %s below it and denies everyone",
		       why.where, qnet_file_refusal_reason(&why, r), path);
		return 0;
	}
	if (r < 0) {
		snprintf(fix, sizeof(fix), "chown root:root %s && chmod go-w %s", path, path);
		report(d, FAIL, check, fix, "%s %s: the bridge helper refuses it and denies everyone", path,
		       qnet_file_refusal_reason(&why, r));
		return 0;
	}
	if (fstat(fileno(f), &st) < 0)
		return report(d, FAIL, check, NULL, "%s: %s", path, strerror(errno));
	/* The helper reads it with the caller's ids (as QEMU's does). */
	if (!(st.st_mode & S_IROTH) && st.st_gid == 0) {
		snprintf(fix, sizeof(fix), "chgrp kvm %s && chmod 0640 %s (or chmod 0644)", path, path);
		report(d, WARN, check, fix, "%s (mode %04o, group root) is readable by root only: "
		       "the bridge helper denies everyone else", path, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	report(d, OK, check, NULL, "%s: owner root, gid %u, mode %04o", path, (unsigned)st.st_gid,
	       (unsigned)(st.st_mode & 07777));
	return 0;
}

static int check_config(struct doctor *d)
{
	char qnet_conf[PATH_MAX], bridge_conf[PATH_MAX];
	unsigned errors = 0;
	int r;

	if (qnet_paths_join(qnet_conf, sizeof(qnet_conf), qnet_paths_confdir(), "qnet.conf") < 0 ||
	    qnet_paths_join(bridge_conf, sizeof(bridge_conf), qnet_paths_confdir(), "bridge.conf") < 0)
		return report(d, FAIL, "config", NULL, "%s: path too long", qnet_paths_confdir()), 0;

	check_file_trust(d, "bridge.conf", bridge_conf, true);
	check_file_trust(d, "qnet.conf", qnet_conf, false);

	r = qnet_config_load(qnet_conf, &d->cfg, count_diag, &errors);
	if (r == -ENOMEM)
		return r;
	r = qnet_acl_load(bridge_conf, &d->acl, count_diag, &errors);
	if (r == -ENOMEM)
		return r;
	if (errors)
		report(d, FAIL, "config", "run 'qnet check' for each error with file and line",
		       "%u errors in %s or %s: programs that read them refuse to work", errors, qnet_conf, bridge_conf);
	else
		report(d, OK, "config", NULL, "%s and %s parse without errors", qnet_conf, bridge_conf);
	/* Not there, or there with errors: keep going with the defaults so
	 * the host checks still run. */
	if (!d->cfg || d->cfg->n_errors) {
		qnet_config_free(TAKE_PTR(d->cfg));
		return qnet_config_parse_buffer("(defaults)", "", 0, &d->cfg, NULL, NULL);
	}
	return 0;
}

/* ---- bridges ---- */

static int check_one_bridge(struct doctor *d, const char *name, const char *role, bool must_exist)
{
	char check[IFNAMSIZ + 16], fix[128];
	struct qnet_link l;
	int r, ports;

	snprintf(check, sizeof(check), "bridge %s", name);
	r = qnet_link_get(&d->nl, name, &l);
	if (r == -ENODEV) {
		snprintf(fix, sizeof(fix), "ip link add %s type bridge && ip link set %s up (or your distribution's network config)",
			 name, name);
		report(d, must_exist ? FAIL : WARN, check, fix, "does not exist (%s)", role);
		return 0;
	}
	if (r < 0)
		return report(d, WARN, check, NULL, "cannot look it up: %s", strerror(-r));
	if (!l.is_bridge) {
		report(d, FAIL, check, "point qnet.conf at a bridge", "is a %s link, not a bridge (%s)",
		       l.kind[0] ? l.kind : "non-bridge", role);
		return 0;
	}
	ports = qnet_link_bridge_count_ports(&d->nl, l.ifindex);
	if (!(l.flags & IFF_UP)) {
		snprintf(fix, sizeof(fix), "ip link set %s up", name);
		report(d, WARN, check, fix, "is down (%s)", role);
		return 0;
	}
	report(d, OK, check, NULL, "is a bridge, up, %d ports (%s)", ports < 0 ? 0 : ports, role);
	return 0;
}

static void check_bridges(struct doctor *d)
{
	const struct qnet_config *c = d->cfg;
	struct qnet_link l;
	int ifindex, r;

	if (c->script_bridge[0]) {
		check_one_bridge(d, c->script_bridge, "[script] bridge= for qemu-ifup", true);
	} else {
		r = qnet_route_default_ifindex(&d->nl, &ifindex);
		if (r >= 0)
			r = qnet_link_get_by_index(&d->nl, ifindex, &l);
		if (r < 0)
			report(d, WARN, "script bridge", "set bridge= in [script] of qnet.conf",
			       "no [script] bridge= and no default route: qemu-ifup needs a bridge argument");
		else if (!l.is_bridge)
			report(d, WARN, "script bridge", "set bridge= in [script] of qnet.conf",
			       "no [script] bridge= and the default route goes through %s, which is not a bridge: "
			       "qemu-ifup without a bridge argument fails", l.name);
		else
			report(d, OK, "script bridge", NULL, "qemu-ifup uses %s, which carries the default route", l.name);
	}
	for (size_t i = 0; i < c->n_grants; i++)
		if (!streq(c->grants[i].bridge, c->script_bridge))
			check_one_bridge(d, c->grants[i].bridge, "[bridge] section of qnet.conf", false);

	/* NAT bridges come and go with their network; only a foreign link
	 * squatting on the name is a problem. */
	for (size_t i = 0; i < c->n_networks; i++) {
		const struct qnet_network *n = &c->networks[i];
		char check[QNET_NAME_MAX + 16];

		snprintf(check, sizeof(check), "network %s", n->name);
		r = qnet_link_get(&d->nl, n->bridge, &l);
		if (r == -ENODEV)
			report(d, OK, check, NULL, "down (bridge %s is created on first use)", n->bridge);
		else if (r < 0)
			report(d, WARN, check, NULL, "bridge %s: %s", n->bridge, strerror(-r));
		else if (!l.is_bridge)
			report(d, FAIL, check, "set another bridge= in its [network] section",
			       "%s is a %s link, not a bridge: qemu-ifup-nat cannot use it", n->bridge,
			       l.kind[0] ? l.kind : "non-bridge");
		else
			report(d, OK, check, NULL, "up on bridge %s, %d ports", n->bridge,
			       qnet_link_bridge_count_ports(&d->nl, l.ifindex));
	}
}

/* ---- MAC addresses of the bridges the helper hands out ports on ----
 *
 * The TAP fd the helper gives QEMU lets its holder set the TAP's MAC
 * (SIOCSIFHWADDR on the fd needs no capability; so do TUNSETPERSIST and
 * TUNSETOWNER). A bridge whose own address was never set takes the lowest
 * of its ports' addresses: a guest can make it take one it chose, and the
 * host's address on the bridge's network with it. Only an address set by
 * the administrator (addr_assign_type NET_ADDR_SET) stays. */

static void check_bridge_mac(struct doctor *d, const struct qnet_link *l)
{
	char check[IFNAMSIZ + 16], mac[QNET_ADDR_MAC_SIZE], fix[256];
	int type = qnet_link_addr_assign_type(l);

	snprintf(check, sizeof(check), "bridge %s address", l->name);
	qnet_addr_format_mac(l->mac, mac);
	if (type == -ESTALE) {
		report(d, WARN, check, "mount -t sysfs sysfs /sys in this network namespace",
		       "cannot tell whether its MAC is fixed: /sys shows another network namespace");
		return;
	}
	if (type < 0) {
		report(d, WARN, check, NULL, "cannot read /sys/class/net/%s/addr_assign_type: %s", l->name,
		       strerror(-type));
		return;
	}
	if (type == QNET_LINK_ADDR_SET) {
		report(d, OK, check, NULL, "%s, set by the administrator: no port can change it", mac);
		return;
	}
	snprintf(fix, sizeof(fix), "ip link set %s address %s (its address now), and the same in the "
		 "distribution's network config (systemd-networkd: MACAddress= in its .netdev; ifupdown: hwaddress)",
		 l->name, mac);
	report(d, WARN, check, fix, "its MAC %s is not fixed (addr_assign_type %d): the bridge helper gives "
	       "users TAPs on it, whoever holds one can give the TAP any MAC, and the bridge takes it as its "
	       "own when it is the lowest of its ports'", mac, type);
}

/* Every bridge of this network namespace that the helper may give a port on. */
static void check_bridge_macs(struct doctor *d)
{
	struct if_nameindex *all = if_nameindex();

	if (!all) {
		report(d, WARN, "bridge addresses", NULL, "cannot list the links: %s", strerror(errno));
		return;
	}
	for (struct if_nameindex *i = all; i->if_index; i++) {
		struct qnet_link l;

		if (qnet_link_get_by_index(&d->nl, (int)i->if_index, &l) < 0 || !l.is_bridge)
			continue;
		if (qnet_acl_may_allow(d->acl, d->cfg, l.name))
			check_bridge_mac(d, &l);
	}
	if_freenameindex(all);
}

/* ---- NAT prerequisites ---- */

static void check_dnsmasq(struct doctor *d)
{
	const char *path = qnet_paths_dnsmasq();
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		report(d, WARN, "dnsmasq", "apt install dnsmasq-base (or set the dnsmasq build option)",
		       "%s is missing or not executable: NAT networks cannot start", path);
	else
		report(d, OK, "dnsmasq", NULL, "%s", path);
}

static bool any_network_up(struct doctor *d, const char **name)
{
	for (size_t i = 0; i < d->cfg->n_networks; i++) {
		struct qnet_link l;

		if (qnet_link_get(&d->nl, d->cfg->networks[i].bridge, &l) == 0 && l.is_bridge) {
			*name = d->cfg->networks[i].name;
			return true;
		}
	}
	return false;
}

static int check_ip_forward(struct doctor *d)
{
	const char *up = NULL;
	unsigned long v;
	char buf[16];

	if (qnet_sysctl_read("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) < 0 ||
	    qnet_parse_uint(buf, 2, &v) < 0)
		return report(d, WARN, "ip_forward", NULL, "cannot read /proc/sys/net/ipv4/ip_forward");
	if (v == 1)
		return report(d, OK, "ip_forward", NULL, "1");
	if (any_network_up(d, &up))
		return report(d, FAIL, "ip_forward", "sysctl -w net.ipv4.ip_forward=1 (something reset it after qnet set it)",
			      "%lu while network %s is up: its guests cannot reach anything beyond the host", v, up);
	report(d, OK, "ip_forward", NULL, "%lu (qemu-ifup-nat turns it on while a NAT network is up)", v);
	return 0;
}

static void check_subnets(struct doctor *d)
{
	for (size_t i = 0; i < d->cfg->n_networks; i++) {
		const struct qnet_network *n = &d->cfg->networks[i];
		char check[QNET_NAME_MAX + 16], fix[QNET_NAME_MAX + 64], net[INET_ADDRSTRLEN];
		struct qnet_link br, dev;
		int ignore = 0, ifindex = 0, r;
		bool clash = false;

		if (!n->prefix)
			continue;
		snprintf(check, sizeof(check), "subnet %s", n->name);
		snprintf(fix, sizeof(fix), "choose another subnet= in [network %s] of qnet.conf", n->name);
		inet_ntop(AF_INET, &n->subnet, net, sizeof(net));
		if (qnet_link_get(&d->nl, n->bridge, &br) == 0)
			ignore = br.ifindex;
		r = qnet_route_find_overlap(&d->nl, n->subnet, n->prefix, ignore, &ifindex);
		if (r < 0) {
			report(d, WARN, check, NULL, "cannot read routes: %s", strerror(-r));
			continue;
		}
		if (r > 0) {
			if (qnet_link_get_by_index(&d->nl, ifindex, &dev) < 0)
				snprintf(dev.name, sizeof(dev.name), "ifindex %d", ifindex);
			report(d, FAIL, check, fix, "%s/%u overlaps a route on %s: guests could not reach that network",
			       net, n->prefix, dev.name);
			continue;
		}
		const char *cidr, *owner = qnet_addr_ipv4_clash(n->subnet, n->prefix, &cidr);

		if (owner) {
			report(d, WARN, check, fix, "%s/%u overlaps %s %s: whichever starts second breaks",
			       net, n->prefix, owner, cidr);
			clash = true;
		}
		if (!clash)
			report(d, OK, check, NULL, "%s/%u overlaps no host route", net, n->prefix);
	}
}

/* ---- nftables: forward-hook chains of other tables that drop by policy ---- */

static bool is_qnet_bridge(const struct qnet_config *c, const struct qnet_nft_object *o)
{
	if (c->script_bridge[0] && qnet_nft_object_mentions(o, c->script_bridge))
		return true;
	for (size_t i = 0; i < c->n_networks; i++)
		if (qnet_nft_object_mentions(o, c->networks[i].bridge))
			return true;
	for (size_t i = 0; i < c->n_grants; i++)
		if (qnet_nft_object_mentions(o, c->grants[i].bridge))
			return true;
	return false;
}

struct chain_rules {
	const struct qnet_config *cfg;
	const struct qnet_docker_block *chain;
};

/* 1 for a rule of the chain that names one of our bridges. */
static int names_our_bridge(const struct qnet_nft_object *o, void *userdata)
{
	const struct chain_rules *c = userdata;

	return streq(o->kind, "rule") && streq(o->family, c->chain->family) && streq(o->table, c->chain->table) &&
	       streq(o->chain, c->chain->chain) && is_qnet_bridge(c->cfg, o);
}

/* Rules of CHAIN in the ruleset that name one of our bridges: then the
 * admin has probably made room for us, and we only warn. */
static bool chain_mentions_our_bridges(const struct qnet_config *c, const char *json, size_t len,
				       const struct qnet_docker_block *chain)
{
	struct chain_rules rules = { c, chain };

	return json && qnet_nft_json_foreach(json, len, names_our_bridge, &rules) > 0;
}

/* The bridge a fix names: the default network's, or the first network's. */
static const char *fix_bridge(const struct qnet_config *c)
{
	const struct qnet_network *n = qnet_config_network(c, QNET_DEFAULT_NETWORK);

	return n ? n->bridge : c->n_networks ? c->networks[0].bridge : QNET_DEFAULT_NAT_BRIDGE;
}

struct docker_rules {
	const struct qnet_docker_scan *scan;
	const char *missing;     /* the first network up whose rules are not all there */
	char network[QNET_NAME_MAX + 1];
};

static int network_rules(const char *network, void *userdata)
{
	struct docker_rules *r = userdata;
	char bridge[IFNAMSIZ];

	if (qnet_state_bridge(network, bridge) == 0 && qnet_docker_missing(r->scan, network, bridge) > 0) {
		snprintf(r->network, sizeof(r->network), "%s", network);
		r->missing = r->network;
		return 1;
	}
	return 0;
}

/* Docker's drop, where qemu-ifup-nat makes room in DOCKER-USER: fine
 * while every network that is up has its rules there. */
static void report_docker_drop(struct doctor *d, const struct qnet_docker_scan *s, const struct qnet_docker_block *b,
			       const char *check)
{
	struct docker_rules r = { .scan = s };
	char fix[QNET_NAME_MAX + 64];

	(void)qnet_state_foreach(network_rules, &r);
	if (r.missing) {
		snprintf(fix, sizeof(fix), "qnet up %s (or the next qemu-ifup-nat) puts them back", r.missing);
		report(d, WARN, check, fix, "chain %s of table %s %s drops forwarded packets by policy (Docker's), "
		       "and network %s is up without all its rules in DOCKER-USER (did Docker recreate its chains?)",
		       b->chain, b->family, b->table, r.missing);
		return;
	}
	report(d, OK, check, NULL, "chain %s of table %s %s drops forwarded packets by policy (Docker's); "
	       "each NAT network accepts its bridge in DOCKER-USER (rules commented qnet:NAME)",
	       b->chain, b->family, b->table);
}

/* Every forward-hook chain of another table that drops by policy, and
 * legacy iptables' FORWARD policy, as qemu-ifup-nat sees them
 * (lib/docker.h), with the line it says. */
static int check_firewall(struct doctor *d)
{
	_cleanup_free_ char *json = NULL, *err = NULL;
	bool docker_no = d->cfg->firewall_docker == QNET_FIREWALL_DOCKER_NO, legacy = false;
	char check[160], finding[QNET_REASON_MAX], fix[QNET_REASON_MAX];
	struct qnet_docker_scan s;
	unsigned found = 0;
	int r;

	/* The chains come over netlink: without libnftables there is only
	 * less to say about their rules. */
	r = qnet_nft_run("list ruleset", true, &err, &json);
	if (r == -ELIBACC)
		report(d, WARN, "nftables", "apt install libnftables1", "libnftables cannot be loaded: %.200s",
		       err ?: "(no reason given)");
	else if (r < 0 || !json)
		report(d, WARN, "nftables", "run qnet doctor as root",
		       "cannot read the ruleset: %.200s", err && *err ? err : "(no reason given)");
	else
		report(d, OK, "nftables", NULL, "libnftables reads the ruleset");
	r = qnet_docker_scan(&s);
	if (r < 0)
		return report(d, WARN, "forward policy", "run qnet doctor as root",
			      "cannot list the chains of nftables: %s", strerror(-r));
	for (size_t i = 0; i < s.n_blocks; i++) {
		const struct qnet_docker_block *b = &s.block[i];

		if (!b->family[0]) {
			legacy = true;
			snprintf(check, sizeof(check), "forward policy iptables-legacy");
		} else {
			found++;
			snprintf(check, sizeof(check), "forward policy %s %s %s", b->family, b->table, b->chain);
		}
		if (b->docker && !docker_no) {
			report_docker_drop(d, &s, b, check);
			continue;
		}
		qnet_docker_describe(b, fix_bridge(d->cfg), docker_no, finding, sizeof(finding), fix, sizeof(fix));
		if (b->family[0] && chain_mentions_our_bridges(d->cfg, json, json ? strlen(json) : 0, b))
			report(d, WARN, check, fix, "%s; some of its rules name qnet's bridges: make sure they accept",
			       finding);
		else
			report(d, FAIL, check, fix, "%s", finding);
	}
	if (!found)
		report(d, OK, "forward policy", NULL, "no other table drops forwarded packets by policy");
	/* Legacy iptables, where libnftables cannot see: said when it is loaded. */
	if (legacy || !qnet_nft_legacy_filter_loaded())
		return 0;
	r = qnet_nft_legacy_forward_drops();
	if (r < 0)
		return report(d, WARN, "forward policy iptables-legacy", "run qnet doctor as root",
			      "legacy iptables filter table is loaded, but its FORWARD policy cannot be read: %s",
			      strerror(-r));
	return report(d, OK, "forward policy iptables-legacy", NULL, "legacy iptables FORWARD policy is ACCEPT");
}

/* ---- firewalld ---- */

struct zones {
	struct doctor *d;
	unsigned out;
};

static int network_zone(const char *network, void *userdata)
{
	struct zones *z = userdata;
	char bridge[IFNAMSIZ], zone[256] = "", why[QNET_REASON_MAX] = "", fix[QNET_NAME_MAX + 64];
	int r;

	if (qnet_state_bridge(network, bridge) < 0)
		return 0;
	r = qnet_firewalld_zone_of(bridge, zone, sizeof(zone), why, sizeof(why));
	if (r < 0)
		return report(z->d, WARN, "firewalld", NULL, "cannot ask which zone bridge %s is in: %s", bridge, why);
	if (streq(zone, QNET_FIREWALLD_ZONE))
		return 0;
	z->out++;
	snprintf(fix, sizeof(fix), "qnet up %s (or qnet watch, or the next qemu-ifup-nat) puts it back", network);
	return report(z->d, FAIL, "firewalld", fix,
		      "bridge %s of network %s is in %s%s%s, not in zone %s: firewalld rejects its guests' DHCP, DNS "
		      "and forwarded traffic", bridge, network, zone[0] ? "zone " : "no zone", zone,
		      zone[0] ? "" : " (firewalld's default zone applies)", QNET_FIREWALLD_ZONE);
}

/* firewalld rejects what its zones do not allow: each running NAT
 * network's bridge must be in qnet's zone (lib/firewalld.h). */
static int check_firewalld(struct doctor *d)
{
	char why[QNET_REASON_MAX] = "";
	struct zones z = { d, 0 };
	int r;

	if (qnet_firewalld_table() <= 0)
		return report(d, OK, "firewalld", NULL, "firewalld's nftables table is not there (not running)");
	r = qnet_firewalld_running(why, sizeof(why));
	if (r <= 0)
		return report(d, WARN, "firewalld", "run qnet doctor as root, with the system bus running",
			      "table inet %s exists, but firewalld cannot be asked on the system bus%s%s",
			      QNET_FIREWALLD_TABLE, why[0] ? ": " : "", why);
	if (d->cfg->firewalld_no)
		return report(d, WARN, "firewalld", "put NAT bridges in a zone that accepts them, or remove "
			      "'firewalld = no' from [firewall]", "firewalld runs and [firewall] firewalld = no: "
			      "qnet leaves its zones alone");
	(void)qnet_state_foreach(network_zone, &z);
	if (z.out)
		return 0;
	return report(d, OK, "firewalld", NULL, "firewalld runs; every running NAT network's bridge is in zone %s",
		      QNET_FIREWALLD_ZONE);
}

/* ---- stale state under the run directory ---- */

/* A pid file whose process is gone: the program that wrote it died
 * without cleaning up (kill -9, crash, reboot without tmpfs). */
static unsigned check_pid_file(struct doctor *d, const char *dir, const char *name)
{
	char path[PATH_MAX];
	pid_t pid;
	int r;

	if (qnet_paths_join(path, sizeof(path), dir, name) < 0)
		return 0;
	r = qnet_proc_read_pid_file(path, &pid);
	if (r == -EBADMSG) {
		report(d, WARN, "stale state", "qnet gc", "%s/%s does not hold a pid", dir, name);
		return 1;
	}
	if (r < 0)
		return 0;
	if (!qnet_proc_alive(pid, NULL)) {
		report(d, WARN, "stale state", "qnet gc", "%s/%s names process %ld, which is gone", dir, name,
		       (long)pid);
		return 1;
	}
	return 0;
}

/* RUNDIR/NAME.state says NETWORK is up (lib/nat.c); its bridge must be there. */
static unsigned check_state_file(struct doctor *d, const char *dir, const char *name, const char *network)
{
	char bridge[IFNAMSIZ];
	struct qnet_link l;

	if (qnet_state_bridge(network, bridge) < 0) {
		report(d, WARN, "stale state", "qnet gc", "%s/%s: unreadable state of network %s", dir, name, network);
		return 1;
	}
	if (qnet_link_get(&d->nl, bridge, &l) == -ENODEV) {
		report(d, WARN, "stale state", "qnet gc", "%s/%s: network %s is recorded up, but its bridge %s is gone",
		       dir, name, network, bridge);
		return 1;
	}
	/* `nft flush ruleset` (a restart of nftables.service) takes our table
	 * with everything else: guests keep their leases but reach nothing. */
	if (qnet_firewall_present(network) == 0) {
		char fix[QNET_NAME_MAX + 64], table[QNET_STATE_TABLE_SIZE];

		snprintf(fix, sizeof(fix), "qnet up %s (or the next qemu-ifup-nat) puts it back", network);
		(void)qnet_state_table_name(table, sizeof(table), network);
		report(d, WARN, "stale state", fix,
		       "network %s is up, but its nftables table %s is gone (was the ruleset flushed?)",
		       network, table);
		return 1;
	}
	return 0;
}

static unsigned scan_state_dir(struct doctor *d, const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	unsigned stale = 0;

	if (!dp)
		return 0;
	while ((de = readdir(dp))) {
		char network[QNET_NAME_MAX + 1];
		enum qnet_state_file what;

		if (!qnet_state_file_of(de->d_name, &what, network))
			continue;
		if (what == QNET_STATE_DNSMASQ_PID)
			stale += check_pid_file(d, dir, de->d_name);
		else if (what == QNET_STATE_UP)
			stale += check_state_file(d, dir, de->d_name, network);
	}
	closedir(dp);
	return stale;
}

static int check_stale_state(struct doctor *d)
{
	const char *dir = qnet_paths_rundir();

	if (access(dir, F_OK) < 0)
		return report(d, OK, "stale state", NULL, "%s does not exist: nothing is running", dir);
	if (scan_state_dir(d, dir) == 0)
		report(d, OK, "stale state", NULL, "nothing stale under %s", dir);
	return 0;
}

/* ---- IPv6 of the NAT networks ----
 *
 * Kept apart from the IPv4 checks above: the kernel's IPv6, the derived
 * prefixes' machine-id, IPv6 forwarding, the accept_ra of links whose own
 * IPv6 comes from router advertisements (lib/nat.c sets those to 2 while
 * it forwards), and prefixes that clash with a route. */

/* Is a network's IPv6 FROM (QNET_SUBNET6_SET), or on at all (-1)? */
static bool any_ipv6_network(const struct doctor *d, int from)
{
	for (size_t i = 0; i < d->cfg->n_networks; i++)
		if (d->cfg->networks[i].ipv6 && (from < 0 || (int)d->cfg->networks[i].subnet6_from == from))
			return true;
	return false;
}

/* A dual-stack network whose bridge is up, in *NAME; false if none. */
static bool any_ipv6_network_up(struct doctor *d, const char **name)
{
	for (size_t i = 0; i < d->cfg->n_networks; i++) {
		struct qnet_link l;

		if (d->cfg->networks[i].ipv6 && qnet_link_get(&d->nl, d->cfg->networks[i].bridge, &l) == 0 &&
		    l.is_bridge) {
			*name = d->cfg->networks[i].name;
			return true;
		}
	}
	return false;
}

static void check_ipv6_machine_id(struct doctor *d)
{
	char fix[QNET_NAME_MAX + 96];

	for (size_t i = 0; i < d->cfg->n_networks; i++) {
		const struct qnet_network *n = &d->cfg->networks[i];

		if (n->subnet6_from != QNET_SUBNET6_NO_MACHINE_ID)
			continue;
		snprintf(fix, sizeof(fix), "systemd-machine-id-setup, or set subnet6 = in [network %s]", n->name);
		report(d, WARN, "ipv6 prefix", fix, "%s cannot be read: network %s has no derived IPv6 prefix and is IPv4 only",
		       qnet_paths_machine_id(), n->name);
	}
}

/* 0 and the value of net.ipv6.conf.all.forwarding, -ENOENT without IPv6. */
static int ipv6_forwarding(unsigned long *v)
{
	char buf[16];
	int r = qnet_sysctl_read("/proc/sys/net/ipv6/conf/all/forwarding", buf, sizeof(buf));

	if (r < 0)
		return r;
	return qnet_parse_uint(buf, 2, v);
}

static void check_ipv6_forwarding(struct doctor *d, int forwarding)
{
	const char *up = NULL;

	if (forwarding == 1)
		report(d, OK, "ipv6 forwarding", NULL, "1");
	else if (any_ipv6_network_up(d, &up))
		report(d, FAIL, "ipv6 forwarding",
		       "sysctl -w net.ipv6.conf.all.forwarding=1 (something reset it after qnet set it)",
		       "%d while network %s is up: its guests reach nothing beyond the host over IPv6", forwarding, up);
	else
		report(d, OK, "ipv6 forwarding", NULL,
		       "%d (qemu-ifup-nat turns it on while a dual-stack NAT network is up)", forwarding);
}

/* Links whose own IPv6 comes from router advertisements: with forwarding
 * on and accept_ra 1, Linux ignores their RAs and the host loses that
 * IPv6 when it expires. */
static void check_ipv6_accept_ra(struct doctor *d, int forwarding)
{
	_cleanup_free_ int *links = NULL;
	char check[IFNAMSIZ + 16], path[PATH_MAX], value[16], name[IFNAMSIZ + 32], fix[IFNAMSIZ + 96];
	size_t n = 0;
	unsigned found = 0;
	int r = qnet_route_ipv6_ra_links(&d->nl, &links, &n);

	if (r < 0) {
		report(d, WARN, "accept_ra", NULL, "cannot read IPv6 routes and addresses: %s", strerror(-r));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct qnet_link l;

		if (qnet_link_get_by_index(&d->nl, links[i], &l) < 0)
			continue;
		if (qnet_sysctl_ipv6_conf_path(path, sizeof(path), l.name, "accept_ra") < 0 ||
		    qnet_sysctl_read(path, value, sizeof(value)) < 0 ||
		    qnet_sysctl_ipv6_conf_name(name, sizeof(name), l.name, "accept_ra") < 0)
			continue;
		found++;
		snprintf(check, sizeof(check), "accept_ra %s", l.name);
		snprintf(fix, sizeof(fix), "sysctl -w %s=2 (and in /etc/sysctl.d)", name);
		if (!streq(value, "1"))
			report(d, OK, check, NULL, "%s, its IPv6 from router advertisements survives forwarding", value);
		else if (forwarding == 1)
			report(d, FAIL, check, fix, "1 while IPv6 forwarding is on: this host ignores the router "
			       "advertisements on %s and loses the IPv6 it learnt from them when it expires", l.name);
		else
			report(d, OK, check, NULL, "1, IPv6 from router advertisements: qemu-ifup-nat sets it to 2 "
			       "while NAT networks forward IPv6, and back to 1 after");
	}
	if (!found)
		report(d, OK, "accept_ra", NULL, "no link has its IPv6 from router advertisements");
}

static void check_ipv6_subnets(struct doctor *d)
{
	for (size_t i = 0; i < d->cfg->n_networks; i++) {
		const struct qnet_network *n = &d->cfg->networks[i];
		char check[QNET_NAME_MAX + 16], fix[QNET_NAME_MAX + 80], net[INET6_ADDRSTRLEN];
		struct qnet_link br, dev;
		int ignore = 0, ifindex = 0, family, r;

		if (!n->ipv6)
			continue;
		snprintf(check, sizeof(check), "subnet6 %s", n->name);
		snprintf(fix, sizeof(fix), "set another subnet6 = /64 (or subnet6 = none) in [network %s]", n->name);
		inet_ntop(AF_INET6, &n->subnet6, net, sizeof(net));
		if (qnet_link_get(&d->nl, n->bridge, &br) == 0)
			ignore = br.ifindex;
		r = qnet_route_find_overlap_dual(&d->nl, (struct in_addr){ 0 }, 0, &n->subnet6, 64, ignore,
						 &ifindex, &family);
		if (r < 0) {
			report(d, WARN, check, NULL, "cannot read routes: %s", strerror(-r));
		} else if (r > 0) {
			if (qnet_link_get_by_index(&d->nl, ifindex, &dev) < 0)
				snprintf(dev.name, sizeof(dev.name), "ifindex %d", ifindex);
			report(d, FAIL, check, fix, "%s/64 overlaps a route on %s: guests could not reach that network",
			       net, dev.name);
		} else {
			report(d, OK, check, NULL, "%s/64 (%s) overlaps no host route", net,
			       n->subnet6_from == QNET_SUBNET6_DERIVED ? "derived" : "subnet6 =");
		}
	}
}

static void check_ipv6(struct doctor *d)
{
	unsigned long v = 0;
	int r;

	check_ipv6_machine_id(d);
	if (!any_ipv6_network(d, -1))
		return;
	r = ipv6_forwarding(&v);
	if (r == -ENOENT) {
		report(d, any_ipv6_network(d, QNET_SUBNET6_SET) ? FAIL : WARN, "ipv6",
		       "boot without ipv6.disable=1, or set subnet6 = none in the networks' sections",
		       "the kernel has no IPv6: networks with subnet6 = fail to start, derived ones are IPv4 only");
		return;
	}
	if (r < 0) {
		report(d, WARN, "ipv6 forwarding", NULL, "cannot read /proc/sys/net/ipv6/conf/all/forwarding");
		return;
	}
	check_ipv6_forwarding(d, (int)v);
	check_ipv6_accept_ra(d, (int)v);
	check_ipv6_subnets(d);
}


/* ---- overlays ---- */

static bool flooded(const struct qnet_peer *flood, size_t n, const struct qnet_peer *p)
{
	for (size_t i = 0; i < n; i++)
		if (qnet_config_peer_equal(&flood[i], p))
			return true;
	return false;
}

/* A running overlay (by its running configuration): its VXLAN device on
 * its bridge, up, flooding to every peer, and a route to each. */
static int check_overlay(const char *network, void *userdata)
{
	struct doctor *d = userdata;
	_cleanup_config_ struct qnet_config *run = NULL;
	_cleanup_free_ struct qnet_peer *flood = NULL;
	const struct qnet_network *n;
	char dev[IFNAMSIZ], a[INET6_ADDRSTRLEN], fix[QNET_NAME_MAX + 64];
	struct qnet_link l, b;
	size_t n_flood = 0;
	unsigned unrouted = 0;

	if (qnet_nat_running(network, &run, &n) < 0 || !n->vxlan)
		return 0;
	snprintf(fix, sizeof(fix), "qnet gc (or the next qemu-ifup-nat) puts it back");
	qnet_vxlan_ifname(network, dev);
	if (qnet_link_get(&d->nl, dev, &l) < 0 || qnet_link_get(&d->nl, n->bridge, &b) < 0 || l.master != b.ifindex ||
	    !(l.flags & IFF_UP)) {
		report(d, FAIL, "overlay", fix, "network %s: its VXLAN device %s is missing, down or not a port of %s",
		       network, dev, n->bridge);
		return 0;
	}
	if (qnet_vxlan_flood_list(&d->nl, l.ifindex, &flood, &n_flood) < 0)
		n_flood = 0;
	for (size_t i = 0; i < n->n_peers; i++) {
		const struct qnet_peer *p = &n->peers[i];
		const void *addr = p->family == AF_INET6 ? (const void *)&p->ip6 : (const void *)&p->ip;
		bool local;
		int oif;

		inet_ntop(p->family, addr, a, sizeof(a));
		if (!flooded(flood, n_flood, p))
			report(d, FAIL, "overlay", fix, "network %s: %s does not flood to peer %s", network, dev, a);
		if (qnet_route_get(&d->nl, p->family, addr, &oif, &local) < 0) {
			report(d, WARN, "overlay", "a route to the peer on the underlay",
			       "network %s: no route to peer %s: it gets no copies until there is one", network, a);
			unrouted++;
		}
	}
	if (n_flood > n->n_peers)
		report(d, WARN, "overlay", "qnet reload", "network %s: %s floods to %zu hosts, %zu of them peers",
		       network, dev, n_flood, n->n_peers);
	report(d, OK, "overlay", NULL, "network %s: VNI %u on UDP port %u, %zu peers (%u without a route), MTU %u, "
	       "gateway %s; guest frames cross the underlay unencrypted", network, n->vxlan, n->vxlan_port, n->n_peers,
	       unrouted, b.mtu, !n->nat ? "none" : n->gateway_here ? "here" : "elsewhere");
	return 0;
}

/* Every check, one line each on stdout. 0 (the counts in D say what was
 * found) or -ENOMEM. */
static int run_checks(struct doctor *d)
{
	int r;

	check_tun(d);
	check_helper(d);
	r = check_config(d);
	if (r < 0)
		return r;
	r = qnet_nl_open(&d->nl);
	if (r < 0) {
		report(d, FAIL, "netlink", NULL, "cannot open a netlink socket: %s", strerror(-r));
	} else {
		check_bridges(d);
		check_bridge_macs(d);
		check_subnets(d);
		check_ip_forward(d);
		check_ipv6(d);
	}
	check_dnsmasq(d);
	check_firewall(d);
	check_firewalld(d);
	if (r >= 0) {
		check_stale_state(d);
		(void)qnet_state_foreach(check_overlay, d);
	}
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor d = { .ok = 0 };
	int r = cli_parse_plain("doctor", argc, argv, 0, NULL, NULL);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	r = run_checks(&d);
	qnet_nl_close(&d.nl);
	qnet_config_free(d.cfg);
	qnet_acl_free(d.acl);
	if (r < 0)
		return qnet_error("doctor: %s", strerror(-r));
	printf("%u ok, %u warnings, %u failures\n", d.ok, d.warn, d.fail);
	return d.fail ? EXIT_FAILURE : EXIT_SUCCESS;
}
