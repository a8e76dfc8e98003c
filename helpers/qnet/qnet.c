// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qnet: the administrator's command. Subcommand dispatch, usage, and the
 * argv parsing the subcommands share; each subcommand is its own file
 * beside this one (qnet.h). Exit status: 0 fine, 1 the answer is "no" or
 * something failed, 2 usage.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qnet.h"

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*run)(int argc, char **argv);
};

static const struct command *find_command(const char *name);

int cli_usage_error(const char *cmd)
{
	const struct command *c = cmd ? find_command(cmd) : NULL;

	if (c)
		fprintf(stderr, "usage: qnet %s %s\n", c->name, c->synopsis);
	else
		fprintf(stderr, "usage: qnet [--help] [--version] COMMAND [ARGS]\n"
			"commands: check, doctor, status, up, down, gc, watch (qnet COMMAND --help)\n");
	return EXIT_USAGE;
}

int cli_show_help(const char *cmd)
{
	const struct command *c = find_command(cmd);

	printf("usage: qnet %s %s\n\n%s", c->name, c->synopsis, c->help);
	return EXIT_SUCCESS;
}

int cli_next_option(const char *cmd, int argc, char **argv, const struct option *opts)
{
	int c = getopt_long(argc, argv, "+:h", opts, NULL);

	if (c == '?' || c == ':') {
		if (c == ':')
			qnet_error("%s: option '%s' needs an argument", cmd, argv[optind - 1]);
		else if (optopt)
			qnet_error("%s: unknown option '-%c'", cmd, optopt);
		else
			qnet_error("%s: unknown option '%s'", cmd, argv[optind - 1]);
		return '?';
	}
	return c;
}

int cli_parse_plain(const char *cmd, int argc, char **argv, int n_args, const struct option *extra,
		    bool *flag)
{
	static const struct option base[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;

	optind = 0;
	while ((c = cli_next_option(cmd, argc, argv, extra ? extra : base)) != -1) {
		if (c == 'h')
			return cli_show_help(cmd), -1;
		if (c != '?' && flag)
			*flag = true;
		else
			return cli_usage_error(cmd), -EXIT_USAGE;
	}
	if (argc - optind != n_args) {
		qnet_error("%s: %s", cmd, argc - optind < n_args ? "missing operand" : "too many operands");
		return cli_usage_error(cmd), -EXIT_USAGE;
	}
	return optind;
}

static const struct command commands[] = {
	{ "check", "[--user USER] [--bridge BRIDGE] [--help]",
	  "Parse qnet.conf and bridge.conf (with its includes) as the programs read them and\n"
	  "print every error and warning as FILE:LINE. Exit 1 if there are errors.\n"
	  "  --bridge BRIDGE  also say whether qemu-bridge-helper would let USER attach to\n"
	  "                   BRIDGE and which rule (FILE:LINE) decides; exit 0 allowed, 1 denied\n"
	  "  --user USER      a user name or uid (default: the caller)\n",
	  cmd_check },
	{ "doctor", "[--help]",
	  "Check the host: tun, the bridge helper's install mode, configuration files,\n"
	  "bridges, subnets against host routes, ip_forward, dnsmasq, nftables, another\n"
	  "table's forward chain that drops by policy (Docker), stale state. One line per\n"
	  "check, ok/warn/fail with the fix. Exit 1 if any check fails.\n",
	  cmd_doctor },
	{ "status", "[--json] [--help]",
	  "Bridges qnet manages or is configured for, with their ports as the kernel reports\n"
	  "them, and NAT networks.\n"
	  "  --json  machine-readable, stable output (docs/qnet-status-json.md)\n",
	  cmd_status },
	{ "up", "NETWORK | --autostart | --help",
	  "Bring NAT network NETWORK up (bridge, firewall, dnsmasq) without a VM, as a\n"
	  "persistent network: it stays when its guests go, until qnet down.\n"
	  "  --autostart  every network with autostart = yes (qnet.service at boot)\n",
	  cmd_up },
	{ "down", "[--force] NETWORK | --autostart | --help",
	  "Take NAT network NETWORK down. Refused while ports are attached, unless --force.\n"
	  "  --autostart  every network with autostart = yes; one with guests attached\n"
	  "               becomes on-demand and goes with its last guest\n",
	  cmd_down },
	{ "reload", "[NETWORK] | --help",
	  "Apply what qnet.conf now says to running NAT networks (all, or NETWORK) without\n"
	  "dropping guests: forwards and hosts by one nftables transaction, hosts to dnsmasq\n"
	  "by SIGHUP, a changed dhcp-range, lease-max or dns by a dnsmasq restart that keeps\n"
	  "the leases. A changed bridge, subnet or subnet6 is refused: it needs down and up.\n"
	  "A qnet.conf with errors applies nothing. Run by systemctl reload qnet.\n",
	  cmd_reload },
	{ "gc", "[--help]",
	  "Repair after crashes: remove on-demand NAT networks without ports, restart a\n"
	  "dead dnsmasq, remove stale pid files. Persistent networks stay.\n",
	  cmd_gc },
	{ "watch", "[--help]",
	  "Stay in the foreground and repair NAT networks within a second, with the repair\n"
	  "qnet gc runs, whenever the kernel reports that something of theirs is gone: an\n"
	  "nftables table, chain or rule (nft flush ruleset, a firewall reload), a bridge,\n"
	  "a dnsmasq. Networks without ports are left up. One line per repair; SIGTERM or\n"
	  "SIGINT ends it with exit 0. Run by qnet-watch.service.\n",
	  cmd_watch },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int main_help(void)
{
	printf("usage: qnet [--help] [--version] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  qnet %s %s\n", commands[i].name, commands[i].synopsis);
	printf("\nqnet COMMAND --help describes each command.\n");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const struct command *cmd;
	int c;

	qnet_log_init("qnet");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1)
		switch (c) {
		case 'h': return main_help();
		case 'V': printf("qnet %s\n", QNET_VERSION); return EXIT_SUCCESS;
		default:
			qnet_error("unknown option '%s'", argv[optind - 1]);
			return cli_usage_error(NULL);
		}
	if (optind >= argc) {
		qnet_error("no command given");
		return cli_usage_error(NULL);
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		qnet_error("unknown command '%s'", argv[optind]);
		return cli_usage_error(NULL);
	}
	return cmd->run(argc - optind, argv + optind);
}
