// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet watch`: self-repair (docs/design.md, *State and locking*). One
 * poll() on the kernel's events (lib/watch.h) and a signalfd, with no
 * timeout while nothing is pending: it costs no CPU while nothing
 * happens. An event starts a short wait for the rest of its burst (a
 * firewall reload is several commits), then the repair qnet gc runs
 * (nat.c, cli_repair), which takes each network's lock and finds out
 * itself what is missing; the watch keeps nothing but its fds. Networks
 * without ports are repaired, not removed: that is qnet gc's.
 *
 * It must not answer its own repairs forever: the repair's own nf_tables
 * commits are recognised and ignored (lib/watch.c), and a repair that
 * finds nothing missing changes nothing, so even where that fails the
 * watch goes quiet after one more round.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "paths.h"
#include "qnet.h"
#include "watch.h"

/* A burst has ended when nothing came for QUIET_MS; we wait no longer
 * than BURST_MS after its first event, so a repair is always well within
 * the second qnet promises, whatever keeps the firewall busy. */
#define QUIET_MS 20
#define BURST_MS 100

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* SIGTERM and SIGINT as an fd, so that poll() sees them with the rest. */
static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return qnet_negerrno();
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Repair, then a pidfd on every dnsmasq running now (the repair may have
 * started some). QNET_WATCH_REPAIR if one died meanwhile. */
static int repair(struct qnet_watch *w)
{
	int r;

	(void)cli_repair("watch", false);
	r = qnet_watch_arm(w);
	if (r < 0)
		qnet_warn("watch: dnsmasq of the networks in %s: %s", qnet_paths_rundir(), strerror(-r));
	return r < 0 ? 0 : r;
}

static int watch(void)
{
	_cleanup_watch_ struct qnet_watch w = { .nft = -1, .link = -1, .rundir = -1 };
	_cleanup_close_ int sig = signals_fd();
	_cleanup_free_ struct pollfd *fds = NULL;
	/* Pending from the start: what broke while no watch ran is repaired. */
	bool pending = true, started = false;
	long first = now_ms(), last = first - QUIET_MS;
	int r;

	if (sig < 0)
		return qnet_error("watch: signalfd: %s", strerror(errno));
	r = qnet_watch_open(&w);
	if (r < 0)
		return qnet_error("watch: cannot subscribe to nftables and link events: %s", strerror(-r));
	for (;;) {
		size_t n, cap = 1 + qnet_watch_n_pollfds(&w);
		struct pollfd *more;
		int timeout = -1, what = 0;

		if (pending) {
			long t = now_ms(), due = last + QUIET_MS < first + BURST_MS ? last + QUIET_MS : first + BURST_MS;

			if (t >= due) {
				what = repair(&w);
				pending = false;
				/* Once: the journal (and a test) learns that from here on
				 * every change is seen, and the first repair is done. */
				if (!started)
					printf("watching nftables, links and %zu dnsmasq of the networks in %s\n",
					       w.n_pidfd, qnet_paths_rundir());
				started = true;
				if (what & QNET_WATCH_REPAIR) {
					pending = true;
					first = last = now_ms();
				}
				continue;
			}
			timeout = (int)(due - t);
		}
		more = reallocarray(fds, cap, sizeof(*fds));
		if (!more)
			return qnet_error("watch: %s", strerror(ENOMEM));
		fds = more;
		fds[0] = (struct pollfd){ .fd = sig, .events = POLLIN };
		n = 1 + qnet_watch_pollfds(&w, fds + 1, cap - 1);
		if (poll(fds, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return qnet_error("watch: poll: %s", strerror(errno));
		}
		if (fds[0].revents) {
			struct signalfd_siginfo si;

			if (read(sig, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return EXIT_SUCCESS;
		}
		for (size_t i = 1; i < n; i++) {
			if (!fds[i].revents)
				continue;
			r = qnet_watch_read(&w, fds[i].fd);
			if (r < 0)
				return qnet_error("watch: reading events: %s", strerror(-r));
			what |= r;
		}
		if (what & QNET_WATCH_REARM) {
			r = qnet_watch_arm(&w);
			if (r > 0)
				what |= r;
		}
		if (what & QNET_WATCH_REPAIR) {
			last = now_ms();
			if (!pending)
				first = last;
			pending = true;
		}
	}
}

int cmd_watch(int argc, char **argv)
{
	int r = cli_parse_plain("watch", argc, argv, 0, NULL, NULL);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	/* Under systemd stdout is the journal, and a repair's lines must be
	 * there when it happens, not when a buffer fills. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return watch();
}
