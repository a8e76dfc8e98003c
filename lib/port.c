// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "guestaddr.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "port.h"
#include "portfilter.h"
#include "rate.h"
#include "tap.h"

static const char *hint(int r)
{
	return r == -EPERM || r == -EACCES ? " (needs CAP_NET_ADMIN)" : "";
}

int qnet_port_find_bridge(struct qnet_nl *nl, const char *name, bool by_altname, struct qnet_link *b,
			  char *why, size_t why_size)
{
	int r = by_altname ? qnet_link_resolve(nl, name, b) : qnet_link_get(nl, name, b);

	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "bridge %s does not exist", name);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up bridge %s: %s", name, strerror(-r));
	if (!b->is_bridge)
		return qnet_because(why, why_size, -EMEDIUMTYPE, "%s is not a bridge (it is a %s link)",
				    b->name, b->kind[0] ? b->kind : "plain");
	return 0;
}

void qnet_port_props_from_config(const struct qnet_config_props *c, struct qnet_port_props *ret)
{
	*ret = (struct qnet_port_props){
		.isolated = c->isolated,
		.filter = c->filter,
		.f = { .mac_set = c->mac_set },
		.rate_in = c->rate_in,
		.rate_out = c->rate_out,
	};
	memcpy(ret->f.mac, c->mac, sizeof(ret->f.mac));
}

/* Undo whatever part of a failed change the kernel applied. */
static void restore(struct qnet_nl *nl, const struct qnet_link *before)
{
	struct qnet_link now;

	if (qnet_link_get_by_index(nl, before->ifindex, &now) < 0)
		return;
	if (now.master != before->master)
		(void)qnet_link_set_master(nl, now.ifindex, before->master);
	if (now.mtu != before->mtu)
		(void)qnet_link_set_mtu(nl, now.ifindex, before->mtu);
	if ((now.flags & IFF_UP) != (before->flags & IFF_UP))
		(void)qnet_link_set_up(nl, now.ifindex, before->flags & IFF_UP);
}

/* A failed attach with properties: back as it was, its shaping and
 * filter gone. */
static void unconfigure(struct qnet_nl *nl, const struct qnet_link *before, const struct qnet_link *bridge,
			const struct qnet_port_props *props)
{
	restore(nl, before);
	if (props->rate_in || props->rate_out)
		(void)qnet_rate_remove(nl, before->ifindex);
	if (props->filter) {
		(void)qnet_portfilter_detach(bridge->ifindex, before->ifindex);
		/* A port that was up on this bridge (a re-attach) would be back
		 * up with its filter gone: fail closed, it stays down. */
		(void)qnet_link_set_up(nl, before->ifindex, false);
	}
}

/*
 * The order is the security property: a port carries frames only once it is
 * up on its bridge, so it joins the bridge down, gets every property it is
 * to have (isolation, shaping, then its filter), and only then comes up. The caller
 * of the bridge helper owns our process and may freeze it between any two
 * requests (tests/integration/bridge-helper-isolation.sh does, at each
 * fault point below): no state in between may be up without its
 * properties. A port with no properties to set needs no down phase, and
 * joins and comes up in one request.
 */
int qnet_port_attach(struct qnet_nl *nl, const char *tap, const struct qnet_link *bridge,
		     const struct qnet_port_props *props, char *why, size_t why_size)
{
	static const struct qnet_port_props none = { .isolated = false };
	struct qnet_link_change c;
	struct qnet_link t;
	bool configure;
	int r;

	if (!props)
		props = &none;
	configure = props->isolated || props->filter || props->rate_in || props->rate_out;
	r = qnet_link_get(nl, tap, &t);
	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "interface does not exist");
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up interface: %s", strerror(-r));
	if (t.ifindex == bridge->ifindex)
		return qnet_because(why, why_size, -EINVAL, "cannot attach a bridge to itself");
	if (t.master && t.master != bridge->ifindex)
		return qnet_because(why, why_size, -EBUSY, "already attached to another master (ifindex %d)",
			       t.master);

	c = qnet_link_change_init(t.ifindex);
	if (t.mtu != bridge->mtu)
		c.mtu = bridge->mtu;
	if (t.master != bridge->ifindex)
		c.master = bridge->ifindex;
	/* The kernel applies IFF_UP before IFLA_MASTER in one request: a TAP
	 * that was up goes down first and never joins while up. A port with
	 * properties goes down even if it was up on this bridge already: its
	 * properties are set anew, and never while it carries frames. */
	c.up = configure ? 0 : 1;
	r = qnet_link_change(nl, &c);
	if (r < 0) {
		restore(nl, &t);
		return qnet_because(why, why_size, r, "cannot attach to bridge %s: %s%s", bridge->name,
			       strerror(-r), hint(r));
	}
	if (!configure) {
		qnet_fault_point("port-up");
		return 0;
	}
	qnet_fault_point("port-attached-down");
	if (props->isolated) {
		r = qnet_link_bridge_port_set_isolated(nl, t.ifindex, true);
		if (r < 0) {
			restore(nl, &t);
			return qnet_because(why, why_size, r, "cannot isolate port on %s: %s", bridge->name,
				       strerror(-r));
		}
		qnet_fault_point("port-isolated");
	}
	if (props->rate_in || props->rate_out) {
		/* A helper's port has no downscript to remove its ifb: the
		 * next shaped attach does, beside qnet gc. */
		(void)qnet_rate_sweep(nl, NULL, NULL);
		r = qnet_rate_apply(nl, t.ifindex, props->rate_in, props->rate_out, why, why_size);
		if (r < 0) {
			restore(nl, &t);
			return r;
		}
	}
	if (props->filter) {
		r = qnet_portfilter_attach(nl, bridge->ifindex, t.ifindex, &props->f, why, why_size);
		for (size_t i = 0; r == 0 && i < props->n_hosts; i++)
			r = qnet_guestaddr_allow_host(nl, bridge->ifindex, &props->hosts[i], true, why, why_size);
		if (r < 0) {
			unconfigure(nl, &t, bridge, props);
			return r;
		}
		qnet_fault_point("port-filtered");
	}
	r = qnet_link_set_up(nl, t.ifindex, true);
	if (r < 0) {
		unconfigure(nl, &t, bridge, props);
		return qnet_because(why, why_size, r, "cannot bring up on %s: %s", bridge->name, strerror(-r));
	}
	qnet_fault_point("port-up");
	return 0;
}

int qnet_port_new_tap(struct qnet_nl *nl, const struct qnet_link *bridge, bool vnet_hdr,
		      const struct qnet_port_props *props, uid_t owner, char tap[IFNAMSIZ], char *why,
		      size_t why_size)
{
	_cleanup_close_ int fd = -1;
	struct qnet_link t;
	int r;

	memcpy(tap, "tap%d", sizeof("tap%d"));
	fd = qnet_tap_open(tap, vnet_hdr, owner);
	if (fd < 0)
		return qnet_because(why, why_size, fd, "cannot create a TAP with /dev/net/tun: %s%s",
			       strerror(-fd), hint(fd));
	/* A bridge takes the lowest port MAC as its own; 0xFE keeps a guest's
	 * TAP from changing the bridge's address. */
	r = qnet_link_get(nl, tap, &t);
	if (r >= 0) {
		t.mac[0] = 0xFE;
		r = qnet_link_set_mac(nl, t.ifindex, t.mac);
	}
	if (r < 0)
		return qnet_because(why, why_size, r, "%s: cannot set MAC address: %s", tap, strerror(-r));
	r = qnet_port_attach(nl, tap, bridge, props, why, why_size);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int qnet_port_detach(struct qnet_nl *nl, const char *tap, int *was_master)
{
	struct qnet_link t;
	struct qnet_link_change c;
	int r;

	r = qnet_link_get(nl, tap, &t);
	if (r < 0)
		return r;
	if (was_master)
		*was_master = t.master;
	if (!t.master && !(t.flags & IFF_UP))
		return 0;
	c = qnet_link_change_init(t.ifindex);
	if (t.master)
		c.master = 0;
	c.up = 0;
	return qnet_link_change(nl, &c);
}
