// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "log.h"
#include "macro.h"
#include "port.h"
#include "tap.h"

static const char *hint(int r)
{
	return r == -EPERM || r == -EACCES ? " (needs CAP_NET_ADMIN)" : "";
}

static int get_bridge(struct qnet_nl *nl, const char *bridge, struct qnet_link *b,
		      char *why, size_t why_size)
{
	int r = qnet_link_get(nl, bridge, b);

	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "bridge %s does not exist", bridge);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up bridge %s: %s", bridge, strerror(-r));
	if (!b->is_bridge)
		return qnet_because(why, why_size, -EMEDIUMTYPE, "%s is not a bridge (it is a %s link)",
				    bridge, b->kind[0] ? b->kind : "plain");
	return 0;
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

int qnet_port_attach(struct qnet_nl *nl, const char *tap, const char *bridge, bool isolated,
		     char *why, size_t why_size)
{
	struct qnet_link t, b;
	struct qnet_link_change c;
	int r;

	r = get_bridge(nl, bridge, &b, why, why_size);
	if (r < 0)
		return r;
	r = qnet_link_get(nl, tap, &t);
	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "interface does not exist");
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up interface: %s", strerror(-r));
	if (t.ifindex == b.ifindex)
		return qnet_because(why, why_size, -EINVAL, "cannot attach a bridge to itself");
	if (t.master && t.master != b.ifindex)
		return qnet_because(why, why_size, -EBUSY, "already attached to another master (ifindex %d)",
			       t.master);

	c = qnet_link_change_init(t.ifindex);
	if (t.mtu != b.mtu)
		c.mtu = b.mtu;
	if (t.master != b.ifindex)
		c.master = b.ifindex;
	c.up = 1;
	r = qnet_link_change(nl, &c);
	if (r < 0) {
		restore(nl, &t);
		return qnet_because(why, why_size, r, "cannot attach to bridge %s: %s%s", bridge,
			       strerror(-r), hint(r));
	}
	if (isolated) {
		r = qnet_bridge_port_set_isolated(nl, t.ifindex, true);
		if (r < 0) {
			restore(nl, &t);
			return qnet_because(why, why_size, r, "cannot isolate port on %s: %s", bridge,
				       strerror(-r));
		}
	}
	return 0;
}

int qnet_port_new_tap(struct qnet_nl *nl, const char *bridge, bool vnet_hdr, bool isolated,
		      char tap[IFNAMSIZ], char *why, size_t why_size)
{
	_cleanup_close_ int fd = -1;
	struct qnet_link b, t;
	int r;

	/* Check the bridge first: no TAP is created for a bridge that is not one. */
	r = get_bridge(nl, bridge, &b, why, why_size);
	if (r < 0)
		return r;
	memcpy(tap, "tap%d", sizeof("tap%d"));
	fd = qnet_tap_open(tap, vnet_hdr);
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
	r = qnet_port_attach(nl, tap, bridge, isolated, why, why_size);
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
