// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "dhcp-event.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"

int dhcp_event_parse(int argc, char *const *argv, const char *env_mac, struct dhcp_event *ev,
		     char *why, size_t why_size)
{
	char safe[QNET_IFNAME_PRINTABLE_SIZE];
	int r;

	*ev = (struct dhcp_event){ .action = DHCP_EVENT_IGNORE };
	if (argc < 2)
		return qnet_because(why, why_size, -EINVAL, "no action (dnsmasq runs this as --dhcp-script)");
	if (streq(argv[1], "add") || streq(argv[1], "old"))
		ev->action = DHCP_EVENT_ALLOW;
	else if (streq(argv[1], "del"))
		ev->action = DHCP_EVENT_REMOVE;
	else
		return 0; /* dnsmasq(8): "scripts should be written to ignore unknown actions" */
	/* The host name, the fifth, is dnsmasq's to check and not ours to use. */
	if (argc < 4 || argc > 5)
		return qnet_because(why, why_size, -EINVAL, "%s: %d arguments, not MAC IP [HOSTNAME]",
				    argv[1], argc - 2);
	if (qnet_addr_parse_ipv4(argv[3], &ev->ip) == 0) {
		ev->family = AF_INET;
		/* A client of another hardware type comes as "TT-xx:..." and
		 * cannot be one of our Ethernet guests. */
		r = qnet_addr_parse_mac(argv[2], ev->mac);
		if (r < 0)
			return qnet_because(why, why_size, -EINVAL, "'%s' is not a unicast Ethernet MAC",
					    qnet_ifname_printable(argv[2], safe));
		ev->mac_known = true;
		return 0;
	}
	if (qnet_addr_parse_ipv6(argv[3], &ev->ip6) == 0) {
		ev->family = AF_INET6;
		if (env_mac) {
			r = qnet_addr_parse_mac(env_mac, ev->mac);
			if (r < 0)
				return qnet_because(why, why_size, -EINVAL,
						    "DNSMASQ_MAC '%s' is not a unicast Ethernet MAC",
						    qnet_ifname_printable(env_mac, safe));
			ev->mac_known = true;
			return 0;
		}
		r = qnet_addr_duid_mac(argv[2], ev->mac);
		if (r == -EINVAL)
			return qnet_because(why, why_size, -EINVAL, "'%s' is not a DUID",
					    qnet_ifname_printable(argv[2], safe));
		ev->mac_known = r == 0;
		return 0;
	}
	return qnet_because(why, why_size, -EINVAL, "'%s' is not an IPv4 or IPv6 address",
			    qnet_ifname_printable(argv[3], safe));
}
