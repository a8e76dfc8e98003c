// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "macro.h"
#include "../tap.h"

struct diags {
	unsigned n, errors;
	unsigned last_line;
	char last[512];
};

static void collect(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	struct diags *d = userdata;

	d->n++;
	d->errors += is_error;
	d->last_line = line;
	snprintf(d->last, sizeof(d->last), "%s", msg);
	printf("# %s:%u: %s\n", file, line, msg);
}

static int parse(const char *text, struct qnet_config **c, struct diags *d)
{
	memset(d, 0, sizeof(*d));
	*c = NULL;
	return qnet_config_parse_buffer("test.conf", text, strlen(text), c, collect, d);
}

/* A bad file fails, reports exactly one error at LINE, mentioning WORD. */
static void bad(const char *text, unsigned line, const char *word, const char *what)
{
	struct qnet_config *c;
	struct diags d;
	int r = parse(text, &c, &d);

	ok(r == -EINVAL && c && c->n_errors == d.errors && d.errors >= 1 && d.last_line == line &&
	   strstr(d.last, word), "refused: %s (line %u)", what, line);
	qnet_config_free(c);
}

static const char *ip(struct in_addr a)
{
	return inet_ntoa(a);
}

int main(void)
{
	struct qnet_config *c;
	const struct qnet_network *n;
	const struct qnet_grant *g;
	struct diags d;
	char big[4096];

	is_int(parse("", &c, &d), 0, "empty file is a valid configuration");
	n = qnet_config_network(c, "default");
	ok(n != NULL, "default network exists without being configured");
	is_str(n->bridge, "qnetbr0", "default bridge is qnetbr0");
	is_str(ip(n->subnet), "10.0.76.0", "default subnet 10.0.76.0");
	is_int(n->prefix, 24, "default prefix /24");
	is_str(ip(n->gateway), "10.0.76.1", "gateway is .1");
	is_str(ip(n->range_start), "10.0.76.2", "range starts at .2");
	is_str(ip(n->range_end), "10.0.76.254", "range ends at .254");
	ok(n->dns, "dns on by default");
	is_str(c->script_network, "default", "[script] network defaults to default");
	is_str(c->script_bridge, "", "[script] bridge unset");
	qnet_config_free(c);

	is_int(parse("; comment\n# comment\n[script]\nbridge = br1 ; inline\nnetwork=lab\n"
		     "[network lab]\nsubnet = 192.168.50.0/24\ndhcp-range = 192.168.50.100 192.168.50.150\n"
		     "dns = no\nlease-max = 20\nhost = 52:54:00:12:34:56 192.168.50.10 web1\n"
		     "host = 52:54:00:12:34:57 192.168.50.11\n"
		     "forward = tcp 2222 192.168.50.10:22\nforward = udp 5353 192.168.50.11:53\n"
		     "[bridge br1]\nallow-users = alice, bob\nallow-users = carol\nallow-groups = kvm\n"
		     "deny-users = mallory\nisolated = yes\n", &c, &d), 0, "full example parses");
	is_int(d.n, 0, "no diagnostics on a good file");
	is_str(c->script_bridge, "br1", "[script] bridge");
	is_str(c->script_network, "lab", "[script] network");
	n = qnet_config_network(c, "lab");
	ok(n && streq(n->bridge, "qnet-lab"), "default bridge name for a named network is qnet-NAME");
	ok(n && !n->dns && n->lease_max == 20, "dns = no and lease-max");
	ok(n && streq(ip(n->range_start), "192.168.50.100") && streq(ip(n->range_end), "192.168.50.150"),
	   "dhcp-range");
	ok(n && n->n_hosts == 2 && n->hosts[0].mac[5] == 0x56 && streq(n->hosts[0].name, "web1") &&
	   n->hosts[1].name[0] == '\0', "static hosts");
	ok(n && n->n_forwards == 2 && n->forwards[0].proto == IPPROTO_TCP && n->forwards[0].host_port == 2222 &&
	   n->forwards[0].guest_port == 22 && n->forwards[1].proto == IPPROTO_UDP, "forwards");
	ok(qnet_config_network(c, "default") != NULL, "default still exists next to lab");
	g = qnet_config_grant(c, "br1");
	ok(g && g->allow_users && streq(g->allow_users[0], "alice") && streq(g->allow_users[1], "bob") &&
	   streq(g->allow_users[2], "carol") && !g->allow_users[3], "allow-users accumulate, comma or space");
	ok(g && g->allow_groups && streq(g->allow_groups[0], "kvm") && g->deny_users &&
	   streq(g->deny_users[0], "mallory") && !g->deny_groups && g->isolated, "grants and isolated");
	ok(g && g->allow_users_line && g->allow_users_line[0] == 16 && g->allow_users_line[1] == 16 &&
	   g->allow_users_line[2] == 17 && g->deny_users_line && g->deny_users_line[0] == 19 &&
	   !g->deny_groups_line, "each grant entry knows its line (for qnet check)");
	ok(qnet_config_grant(c, "br0") == NULL, "no grant for an unconfigured bridge");
	qnet_config_free(c);

	bad("[script]\nbrige = br0\n", 2, "unknown key", "misspelt key");
	bad("\n[scripts]\nbridge = br0\n", 2, "unknown section", "unknown section");
	bad("bridge = br0\n", 1, "outside", "key outside a section");
	bad("[script]\nbridge = abcdefghijklmnop\n", 2, "15 bytes", "bridge name of 16 bytes");
	bad("[script]\nbridge = br/0\n", 2, "'/'", "bridge name with /");
	bad("[script]\nthis line has no equals sign\n", 2, "syntax", "syntax error");
	bad("[network lab]\nsubnet = 10.0.0.0\n", 2, "CIDR", "subnet without prefix");
	bad("[network lab]\nsubnet = 10.0.0.0/33\n", 2, "CIDR", "prefix /33");
	bad("[network lab]\nsubnet = 10.0.0.1/24\n", 2, "host bits", "subnet with host bits");
	bad("[network lab]\nsubnet = 10.1/16\n", 2, "CIDR", "shorthand address");
	bad("[network lab]\nsubnet = 10.0.0.0/31\n", 2, "out of range", "prefix /31");
	bad("[network lab]\nsubnet = 10.9.0.0/24\ndhcp-range = 10.9.1.2 10.9.1.50\n", 1, "dhcp-range",
	    "range outside the subnet");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34 10.9.0.5\n", 3, "MAC", "short MAC");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 53:54:00:12:34:56 10.9.0.5\n", 3, "MAC", "multicast MAC");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nhost = 52:54:00:12:34:56 10.9.0.5\n"
	    "host = 52:54:00:12:34:57 10.9.0.5\n", 1, "twice", "duplicate static IP");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.9.0.5\n", 3, "forward", "forward without port");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = sctp 2222 10.9.0.5:22\n", 3, "forward", "forward sctp");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 70000 10.9.0.5:22\n", 3, "forward", "port 70000");
	bad("[network lab]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.8.0.5:22\n", 1, "not a guest", "forward outside");
	bad("[network a]\nsubnet = 10.9.0.0/24\nforward = tcp 2222 10.9.0.5:22\n"
	    "[network b]\nsubnet = 10.8.0.0/24\nforward = tcp 2222 10.8.0.5:22\n", 4, "already forwarded",
	    "host port forwarded by two networks");
	bad("[network a]\nsubnet = 10.9.0.0/16\n[network b]\nsubnet = 10.9.5.0/24\n", 3, "overlaps",
	    "overlapping networks");
	bad("[network lab]\nbridge = qnetbr0\nsubnet = 10.9.0.0/24\n", 1, "already used", "bridge used twice");
	bad("[network lab]\ndns = maybe\nsubnet = 10.9.0.0/24\n", 2, "yes or no", "bad boolean");
	bad("[network lab]\nsubnet = 10.9.0.0/24\n[network lab]\nsubnet = 10.8.0.0/24\n", 3, "twice",
	    "network defined twice");
	bad("[network bad/name]\nsubnet = 10.9.0.0/24\n", 1, "invalid network name", "network name with /");
	bad("[network lab]\ndns = yes\n", 1, "required", "named network without subnet");
	bad("[bridge br0]\nallow-user = alice\n", 2, "unknown key", "misspelt grant key");
	bad("[bridge abcdefghijklmnop]\nallow-users = alice\n", 1, "15 bytes", "grant for a 16-byte name");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "[script]\nbridge=", 16);
	bad(big, 2, "longer", "line longer than inih's buffer");
	{
		static const char nul[] = "[script]\nbridge=br0\0x\n";
		/* Outside ok(), which evaluates its condition twice. */
		int r = qnet_config_parse_buffer("t", nul, sizeof(nul) - 1, &c, NULL, NULL);

		ok(r == -EINVAL, "NUL byte in a line is refused");
		qnet_config_free(c);
	}

	is_int(qnet_config_load("/nonexistent/qnet.conf", &c, NULL, NULL), 0, "missing file is empty config");
	qnet_config_free(c);
	return tap_done();
}
