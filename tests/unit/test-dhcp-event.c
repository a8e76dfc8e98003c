// SPDX-License-Identifier: GPL-2.0-or-later
/* What qnet-dhcp-event makes of dnsmasq's --dhcp-script arguments
 * (helpers/dhcp-event.h): the lease events it acts on, the actions it
 * leaves alone, and every malformed field refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dhcp-event.h"
#include "log.h"
#include "macro.h"
#include "../tap.h"

static int parse(struct dhcp_event *ev, const char *env_mac, char *why, const char *a1, const char *a2,
		 const char *a3, const char *a4)
{
	char *argv[] = { "qnet-dhcp-event", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int argc = 1;

	while (argc < 5 && argv[argc])
		argc++;
	why[0] = '\0';
	return dhcp_event_parse(argc, argv, env_mac, ev, why, QNET_REASON_MAX);
}

int main(void)
{
	char why[QNET_REASON_MAX], a[INET6_ADDRSTRLEN];
	struct dhcp_event ev;

	is_int(parse(&ev, NULL, why, "add", "52:54:00:12:34:56", "10.0.76.10", "web1"), 0, "add MAC IPv4 HOSTNAME");
	ok(ev.action == DHCP_EVENT_ALLOW && ev.family == AF_INET && ev.mac_known && ev.mac[0] == 0x52 &&
	   ev.mac[5] == 0x56 && streq(inet_ntop(AF_INET, &ev.ip, a, sizeof(a)), "10.0.76.10"),
	   "... allows that MAC that address");
	is_int(parse(&ev, NULL, why, "old", "52:54:00:12:34:56", "10.0.76.10", NULL), 0, "old without a host name");
	ok(ev.action == DHCP_EVENT_ALLOW, "... allows, as add does (a lease found at dnsmasq's start)");
	is_int(parse(&ev, NULL, why, "del", "52:54:00:12:34:56", "10.0.76.10", "web1"), 0, "del");
	ok(ev.action == DHCP_EVENT_REMOVE && ev.family == AF_INET, "... removes");

	is_int(parse(&ev, "52:54:00:12:34:57", why, "add", "00:02:00:00:ab:11:01:02", "fd00::1000", NULL), 0,
	       "DHCPv6: DUID, address, the MAC in DNSMASQ_MAC");
	ok(ev.family == AF_INET6 && ev.mac_known && ev.mac[5] == 0x57 &&
	   streq(inet_ntop(AF_INET6, &ev.ip6, a, sizeof(a)), "fd00::1000"), "... that MAC, that address");
	is_int(parse(&ev, NULL, why, "old", "00:03:00:01:52:54:00:12:34:58", "fd00::1001", NULL), 0,
	       "DHCPv6 without DNSMASQ_MAC (a lease read at dnsmasq's start)");
	ok(ev.mac_known && ev.mac[5] == 0x58, "... the MAC its DUID-LL names");
	is_int(parse(&ev, NULL, why, "del", "00:01:00:01:2c:1f:aa:bb:52:54:00:12:34:59", "fd00::1002", NULL), 0,
	       "DHCPv6, DUID-LLT");
	ok(ev.mac_known && ev.mac[5] == 0x59 && ev.action == DHCP_EVENT_REMOVE, "... the MAC it names");
	is_int(parse(&ev, NULL, why, "del", "00:02:00:00:ab:11:01:02", "fd00::1003", NULL), 0,
	       "DHCPv6, a DUID-EN and no DNSMASQ_MAC: not an error to parse");
	ok(!ev.mac_known, "... but the MAC is unknown");

	for (const char *const *act = (const char *const[]){ "init", "tftp", "arp-add", "arp-del", "relay-snoop",
							       "future", NULL };
	     *act; act++) {
		is_int(parse(&ev, NULL, why, *act, "x", NULL, NULL), 0, "action %s is not ours: success", *act);
		ok(ev.action == DHCP_EVENT_IGNORE, "... and nothing to do");
	}

	is_int(parse(&ev, NULL, why, NULL, NULL, NULL, NULL), -EINVAL, "no action at all: refused");
	is_int(parse(&ev, NULL, why, "add", "52:54:00:12:34:56", NULL, NULL), -EINVAL, "add without an address");
	is_int(parse(&ev, NULL, why, "add", "06-52:54:00:12:34:56", "10.0.76.10", NULL), -EINVAL,
	       "a MAC of another hardware type (dnsmasq's TT- prefix)");
	ok(strstr(why, "06-52:54:00:12:34:56") && strstr(why, "Ethernet"), "... WHY names it: %s", why);
	is_int(parse(&ev, NULL, why, "add", "53:54:00:12:34:56", "10.0.76.10", NULL), -EINVAL, "a multicast MAC");
	is_int(parse(&ev, NULL, why, "add", "52:54:00:12:34:56", "10.0.76", NULL), -EINVAL,
	       "an IPv4 shorthand (10.0.76)");
	ok(strstr(why, "10.0.76") != NULL, "... WHY names it: %s", why);
	is_int(parse(&ev, NULL, why, "add", "52:54:00:12:34:56", "fd00::1%eth0", NULL), -EINVAL,
	       "an IPv6 address with a zone");
	is_int(parse(&ev, "52:54:00:12:34:5", why, "add", "00:02:00:00:ab:11:01:02", "fd00::1000", NULL), -EINVAL,
	       "a malformed DNSMASQ_MAC");
	ok(strstr(why, "DNSMASQ_MAC") != NULL, "... WHY says which: %s", why);
	is_int(parse(&ev, NULL, why, "add", "00:0", "fd00::1000", NULL), -EINVAL, "a malformed DUID");
	{
		char *argv[] = { "qnet-dhcp-event", "add", "52:54:00:12:34:56", "10.0.76.10", "h", "extra", NULL };

		is_int(dhcp_event_parse(6, argv, NULL, &ev, why, sizeof(why)), -EINVAL, "a sixth argument");
	}
	return tap_done();
}
