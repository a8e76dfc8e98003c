// SPDX-License-Identifier: GPL-2.0-or-later
/* qnet.conf as an attacker-controlled buffer: every byte sequence must be
 * parsed or refused without a crash, a leak or undefined behaviour; and
 * parsed for ports only (the programs that attach one), with the same
 * result, the same number of errors and the same properties for every
 * port of every bridge it names. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_props(const struct qnet_config *a, const struct qnet_config *b, const char *bridge)
{
	struct qnet_config_props pa, pb;
	const struct qnet_host *ha, *hb;
	size_t na, nb;

	qnet_config_port_props(a, bridge, NULL, &pa);
	qnet_config_port_props(b, bridge, NULL, &pb);
	ha = qnet_config_bridge_hosts(a, bridge, &na);
	hb = qnet_config_bridge_hosts(b, bridge, &nb);
	if (pa.filter != pb.filter || pa.isolated != pb.isolated || pa.rate_in != pb.rate_in ||
	    pa.rate_out != pb.rate_out || na != nb)
		abort();
	for (size_t i = 0; i < na; i++)
		if (memcmp(ha[i].mac, hb[i].mac, 6) || ha[i].ip.s_addr != hb[i].ip.s_addr ||
		    memcmp(&ha[i].ip6, &hb[i].ip6, sizeof(ha[i].ip6)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnet_config *c = NULL, *p = NULL;
	/* Set on success and on -EINVAL (the errors it records). */
	int r = qnet_config_parse_buffer("fuzz", (const char *)data, size, &c, NULL, NULL);
	int rp = qnet_config_parse_buffer_flags("fuzz", (const char *)data, size, QNET_CONFIG_PORTS_ONLY, &p,
						NULL, NULL);

	/* Out of memory in one parse only is no disagreement. */
	if (r != -ENOMEM && rp != -ENOMEM) {
		if (r != rp || !c != !p || (c && (c->n_errors != p->n_errors || c->n_networks != p->n_networks ||
						  c->n_grants != p->n_grants)))
			abort();
		for (size_t i = 0; c && i < c->n_networks; i++)
			same_props(c, p, c->networks[i].bridge);
		for (size_t i = 0; c && i < c->n_grants; i++)
			same_props(c, p, c->grants[i].bridge);
	}
	qnet_config_free(c);
	qnet_config_free(p);
	return 0;
}
