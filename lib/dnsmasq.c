// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. We run as root (QEMU's script=) and start dnsmasq
 * with execv() of the compiled-in path: no shell, no PATH. Its options
 * (libvirt's set, for libvirt's reasons):
 *   --conf-file=/dev/null       the host's /etc/dnsmasq.conf is not ours;
 *   --bind-dynamic --interface=BR --except-interface=lo
 *                               answer on the bridge only, never on the
 *                               host's other interfaces (CVE-2012-3411),
 *                               and start even when another DNS server
 *                               holds the wildcard port 53;
 *   --dhcp-authoritative --dhcp-no-override --dhcp-lease-max
 *   --dhcp-hostsfile            static hosts, re-read on SIGHUP, no restart;
 *   --dhcp-script=LIBEXECDIR/qnet-dhcp-event --script-on-renewal
 *                               every lease added, renewed, found at start
 *                               or removed goes into anti-spoofing's
 *                               allow-list of the bridge (lib/guestaddr.h).
 *                               dnsmasq runs it as root. It names the bridge
 *                               in DNSMASQ_INTERFACE except for the "old"
 *                               events of the leases it finds at its start,
 *                               so the bridge is also in the environment it
 *                               hands on, as QNET_DHCP_BRIDGE. Renewals make
 *                               a DHCPv6 lease whose MAC dnsmasq could not
 *                               know at its start (not in the lease file)
 *                               reach the list within half a lease time.
 * dnsmasq forks its daemon and the first process exits only after the
 * daemon has set up its sockets and written its pid file, reporting
 * failure in its exit status: readiness is checked, never slept for.
 * A pid from the pid file is trusted only if /proc says it is a dnsmasq,
 * so a recycled pid is never signalled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "addr.h"
#include "dnsmasq.h"
#include "file.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "proc.h"
#include "state.h"

static void msleep(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 }, NULL);
}

/* Running (a zombie is not: nobody may have reaped a killed dnsmasq yet)
 * and named dnsmasq (the pid may have been recycled). */
static bool is_dnsmasq(pid_t pid)
{
	return qnet_proc_alive(pid, "dnsmasq");
}

pid_t qnet_dnsmasq_pid(const char *network)
{
	char path[PATH_MAX];
	pid_t pid;
	int r;

	r = qnet_state_path(path, sizeof(path), network, QNET_STATE_DNSMASQ_PID);
	if (r < 0)
		return r;
	r = qnet_proc_read_pid_file(path, &pid);
	if (r == -ENOENT || r == -EBADMSG)
		return 0;
	if (r < 0)
		return r;
	if (pid < 2)
		return 0;
	/* A zombie or a recycled pid is not our server. */
	if (kill(pid, 0) < 0 || !is_dnsmasq(pid))
		return 0;
	return pid;
}

int qnet_dnsmasq_write_hosts(const struct qnet_network *n, bool *changed)
{
	char path[PATH_MAX], ip[INET6_ADDRSTRLEN], mac[QNET_ADDR_MAC_SIZE], old[8192];
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;
	pid_t pid;
	int r;

	*changed = false;
	r = qnet_state_path(path, sizeof(path), n->name, QNET_STATE_HOSTS);
	if (r < 0)
		return r;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n->n_hosts; i++) {
		const struct qnet_host *h = &n->hosts[i];
		bool v6 = n->ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&h->ip6);

		/* dnsmasq knows a directly connected DHCPv6 client's MAC, so
		 * one line serves both families; a host = with a duid= gets
		 * its IPv6 address by that DUID, on a line of its own. */
		fputs(qnet_addr_format_mac(h->mac, mac), f);
		if (h->ip.s_addr)
			fprintf(f, ",%s", inet_ntop(AF_INET, &h->ip, ip, sizeof(ip)));
		if (v6 && !h->duid[0])
			fprintf(f, ",[%s]", inet_ntop(AF_INET6, &h->ip6, ip, sizeof(ip)));
		fprintf(f, "%s%s\n", h->name[0] ? "," : "", h->name);
		if (v6 && h->duid[0])
			fprintf(f, "id:%s,[%s]%s%s\n", h->duid, inet_ntop(AF_INET6, &h->ip6, ip, sizeof(ip)),
				h->name[0] ? "," : "", h->name);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	if (qnet_file_read_small(path, old, sizeof(old)) == 0 && streq(old, buf ? buf : ""))
		return 0;
	r = qnet_file_write_atomic(path, buf ? buf : "");
	if (r < 0)
		return r;
	*changed = true;
	pid = qnet_dnsmasq_pid(n->name);
	if (pid > 0)
		kill(pid, SIGHUP);
	return 0;
}

/*
 * Can a DNS server of ours bind GATEWAY:53? Not when another server holds
 * the wildcard address's port 53 (a host's own dnsmasq or named without
 * bind-interfaces): Linux refuses a specific bind under a listening
 * wildcard TCP socket. That server then answers on GATEWAY too.
 */
static bool dns_port_free(struct in_addr gateway)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = gateway };
	const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	int one = 1;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		_cleanup_close_ int fd = socket(AF_INET, types[i] | SOCK_CLOEXEC, 0);

		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
			return true; /* cannot tell: let dnsmasq try and say why */
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRINUSE)
			return false;
	}
	return true;
}

int qnet_dnsmasq_start(const struct qnet_network *n, char *why, size_t why_size)
{
	char pidfile[PATH_MAX], hosts[PATH_MAX], leases[PATH_MAX], script[PATH_MAX];
	char o_pid[PATH_MAX + 16], o_hosts[PATH_MAX + 24], o_leases[PATH_MAX + 24], o_script[PATH_MAX + 16];
	char o_iface[IFNAMSIZ + 16], o_range[128], o_max[48], start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN];
	char o_dns[64], gw[INET_ADDRSTRLEN], o_range6[160] = "", o_dns6[80] = "", a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	char o_mtu[48], o_mtu6[IFNAMSIZ + 48];
	const char *dns_mode = "--domain-needed", *dns_option = NULL;
	const char *exe = qnet_paths_dnsmasq();
	struct timespec t0, t;
	bool changed;
	pid_t pid;
	int status, r;

	if (qnet_state_path(pidfile, sizeof(pidfile), n->name, QNET_STATE_DNSMASQ_PID) < 0 ||
	    qnet_state_path(hosts, sizeof(hosts), n->name, QNET_STATE_HOSTS) < 0 ||
	    qnet_state_path(leases, sizeof(leases), n->name, QNET_STATE_LEASES) < 0 ||
	    qnet_paths_join(script, sizeof(script), qnet_paths_libexecdir(), "qnet-dhcp-event") < 0)
		return qnet_because(why, why_size, -ENAMETOOLONG, "path too long");
	if (access(exe, X_OK) < 0) {
		r = qnet_negerrno();
		return qnet_because(why, why_size, r, "dnsmasq %s: %s (install dnsmasq-base)", exe, strerror(-r));
	}
	/* dnsmasq starts without its script and fails each event: guests
	 * would get leases their port's filter then drops. */
	if (access(script, X_OK) < 0) {
		r = qnet_negerrno();
		return qnet_because(why, why_size, r, "%s: %s (the qnet installation is incomplete)", script,
				    strerror(-r));
	}
	r = qnet_dnsmasq_write_hosts(n, &changed);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot write %s: %s", hosts, strerror(-r));
	snprintf(o_pid, sizeof(o_pid), "--pid-file=%s", pidfile);
	snprintf(o_hosts, sizeof(o_hosts), "--dhcp-hostsfile=%s", hosts);
	snprintf(o_leases, sizeof(o_leases), "--dhcp-leasefile=%s", leases);
	snprintf(o_script, sizeof(o_script), "--dhcp-script=%s", script);
	snprintf(o_iface, sizeof(o_iface), "--interface=%s", n->bridge);
	inet_ntop(AF_INET, &n->range_start, start, sizeof(start));
	inet_ntop(AF_INET, &n->range_end, end, sizeof(end));
	snprintf(o_range, sizeof(o_range), "--dhcp-range=%s,%s,%u", start, end, 3600u);
	snprintf(o_max, sizeof(o_max), "--dhcp-lease-max=%u", n->lease_max);
	if (!n->dns) {
		dns_mode = "--port=0";
	} else if (!dns_port_free(n->gateway)) {
		/* DHCP only; guests still get the gateway as their DNS server,
		 * where the host's wildcard server answers them. */
		inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
		snprintf(o_dns, sizeof(o_dns), "--dhcp-option=option:dns-server,%s", gw);
		dns_mode = "--port=0";
		dns_option = o_dns;
	}
	if (n->ipv6) {
		/* Router advertisements with the prefix's A bit (SLAAC, no client
		 * program needed) and M bit (stateful DHCPv6 from the range for
		 * guests that ask), and the gateway as RDNSS, where dnsmasq (or
		 * the host's wildcard server) answers, not the link-local
		 * address dnsmasq would advertise by default. */
		snprintf(o_range6, sizeof(o_range6), "--dhcp-range=%s,%s,slaac,64,%u",
			 inet_ntop(AF_INET6, &n->range6_start, a, sizeof(a)),
			 inet_ntop(AF_INET6, &n->range6_end, b, sizeof(b)), 3600u);
		if (n->dns)
			snprintf(o_dns6, sizeof(o_dns6), "--dhcp-option=option6:dns-server,[%s]",
				 inet_ntop(AF_INET6, &n->gateway6, a, sizeof(a)));
	}
	{
		const char *argv[28] = {
			exe, "--conf-file=/dev/null", "--bind-dynamic", o_iface, "--except-interface=lo",
			o_range, "--dhcp-no-override", "--dhcp-authoritative", "--dhcp-ignore-clid", o_max, o_hosts, o_leases,
			o_pid, "--strict-order", "--no-hosts", dns_mode, o_script, "--script-on-renewal",
		};
		size_t k = 0;

		while (argv[k]) /* past the fixed ones: what follows depends on N */
			k++;

		if (n->ipv6) {
			argv[k++] = "--enable-ra";
			argv[k++] = o_range6;
			if (o_dns6[0])
				argv[k++] = o_dns6;
		}
		if (dns_option)
			argv[k++] = dns_option;
		/* A bridge with less than Ethernet's 1500 (an overlay's, or
		 * mtu =): guests learn it from DHCP and the RA, not by losing
		 * their large frames (an interval of 0 is dnsmasq's default). */
		if (n->mtu) {
			snprintf(o_mtu, sizeof(o_mtu), "--dhcp-option=option:mtu,%u", n->mtu);
			argv[k++] = o_mtu;
			if (n->ipv6) {
				snprintf(o_mtu6, sizeof(o_mtu6), "--ra-param=%s,mtu:%u,0", n->bridge, n->mtu);
				argv[k++] = o_mtu6;
			}
		}

		pid = fork();
		if (pid < 0)
			return qnet_because(why, why_size, qnet_negerrno(), "fork: %s", strerror(errno));
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);

			sigset_t none;

			if (null >= 0)
				dup2(null, STDIN_FILENO);
			/* Blocked signals survive execv(): qnet watch blocks SIGTERM
			 * for its signalfd, and a dnsmasq that inherited that would
			 * shrug off qnet_dnsmasq_stop()'s SIGTERM until the SIGKILL. */
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			/* QEMU leaves the TAP's fd open for its scripts: a daemon that
			 * inherited it would keep the TAP alive after QEMU exits. */
			close_range(3, ~0u, 0);
			/* For qnet-dhcp-event: see the top of this file. */
			if (setenv("QNET_DHCP_BRIDGE", n->bridge, 1) < 0)
				_exit(127);
			execv(exe, (char *const *)argv);
			_exit(127);
		}
	}
	/* dnsmasq's first process exits when its daemon is ready, or fails. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return qnet_because(why, why_size, qnet_negerrno(), "waitpid: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			(void)qnet_dnsmasq_stop(n->name);
			return qnet_because(why, why_size, -ETIMEDOUT, "dnsmasq did not become ready within 20 s");
		}
		msleep(2);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)qnet_dnsmasq_stop(n->name);
		snprintf(why, why_size, "dnsmasq failed to start (%s %d; its message is above)",
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -EIO;
	}
	if (qnet_dnsmasq_pid(n->name) <= 0) {
		snprintf(why, why_size, "dnsmasq started but its pid file %s names no dnsmasq", pidfile);
		return -ESRCH;
	}
	return 0;
}

int qnet_dnsmasq_stop(const char *network)
{
	char pidfile[PATH_MAX];
	pid_t pid = qnet_dnsmasq_pid(network);

	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 500 && kill(pid, 0) == 0 && is_dnsmasq(pid); i++)
			msleep(2);
		if (kill(pid, 0) == 0 && is_dnsmasq(pid))
			kill(pid, SIGKILL);
		/* Until it is a zombie it may still hold its sockets, and a
		 * restart (qnet reload) would find them taken. */
		for (int i = 0; i < 500 && kill(pid, 0) == 0 && is_dnsmasq(pid); i++)
			msleep(2);
	}
	if (qnet_state_path(pidfile, sizeof(pidfile), network, QNET_STATE_DNSMASQ_PID) == 0)
		(void)unlink(pidfile);
	return 0;
}
