/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qnet-dhcp-event's reading of what dnsmasq hands its --dhcp-script,
 * apart from its main so that the unit test (tests/unit/test-dhcp-event.c)
 * runs it without a kernel. dnsmasq(8), --dhcp-script, and its
 * src/helper.c:
 *   argv   ACTION MAC IPV4 [HOSTNAME]        a DHCP lease
 *          ACTION DUID IPV6 [HOSTNAME]       a DHCPv6 lease (DUID: the client's,
 *                                            "xx:xx:...")
 *          ACTION ...                        other actions ("init", "tftp",
 *                                            "arp-add", "arp-del", "relay-snoop",
 *                                            more in the future): not ours
 *   ACTION "add" (a new lease), "old" (a lease found at start, changed, or
 *          renewed with --script-on-renewal), "del" (expired or released).
 *   DNSMASQ_MAC        DHCPv6 only, the client's MAC when dnsmasq knows it;
 *                      "TT-xx:..." (TT the hardware type) when not Ethernet,
 *                      as MAC is for a DHCP client of another hardware type
 *   DNSMASQ_INTERFACE  the interface the request came on; unset for the
 *                      "old" events at dnsmasq's start
 * All of it comes from guests by way of dnsmasq: every field is checked,
 * and what does not parse is refused whole, before anything is changed.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dhcp_event_action {
	DHCP_EVENT_IGNORE,   /* not a lease event: nothing to do, success */
	DHCP_EVENT_ALLOW,    /* add, old */
	DHCP_EVENT_REMOVE,   /* del */
};

struct dhcp_event {
	enum dhcp_event_action action;
	int family;          /* AF_INET or AF_INET6 */
	bool mac_known;      /* always for IPv4; for IPv6 from DNSMASQ_MAC or the DUID */
	uint8_t mac[6];
	struct in_addr ip;   /* IPv4 */
	struct in6_addr ip6; /* IPv6 */
};

/*
 * Read ARGV (ARGC entries, ARGV[0] the program) and DNSMASQ_MAC (ENV_MAC,
 * NULL if unset) into EV. 0 (EV->action IGNORE for what is not ours), or
 * -EINVAL with WHY saying which field is wrong. A DHCPv6 lease whose MAC
 * is known neither way is not an error here (mac_known false): whether it
 * can be acted on is the caller's to say.
 */
int dhcp_event_parse(int argc, char *const *argv, const char *env_mac, struct dhcp_event *ev,
		     char *why, size_t why_size);
