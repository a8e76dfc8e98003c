/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `qnet watch` waits on: the kernel's own news that something of a
 * NAT network may be gone, never a timer, so that it costs nothing while
 * nothing happens (docs/design.md, *State and locking*, "Self-repair").
 *
 *   nf_tables events (NFNLGRP_NFTABLES): a table, chain, rule or set
 *       deleted in a table of ours (inet qnet-NAME, bridge qnet),
 *       anything done to Docker's DOCKER-USER chain (ip and ip6 filter),
 *       or firewalld's table made (a start) or deleted (its reload), in
 *       a commit of another process. Our own
 *       repairs delete and re-add too; a commit is told apart by its
 *       NEWGEN message, which names the committing process.
 *   link events (RTNLGRP_LINK): a bridge deleted, or taken down.
 *   a pidfd per network's running dnsmasq: readable when it dies.
 *   inotify on RUNDIR: a dnsmasq pid file written (a network came up, or
 *       a repair restarted its dnsmasq), so that its pidfd is opened.
 *   the system bus, where there is one: firewalld's Reloaded signal, and
 *       firewalld starting (lib/firewalld.h): either forgot our zone's
 *       bridges.
 *
 * The watch decides nothing: whatever it sees, the answer is the repair
 * qnet gc runs (lib/nat.h), which finds out itself what is missing.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
	QNET_WATCH_REPAIR = 1 << 0, /* something may be gone: repair */
	QNET_WATCH_REARM = 1 << 1,  /* a dnsmasq was started: qnet_watch_arm() */
};

struct qnet_firewalld_watch;

struct qnet_watch {
	int nft, link, rundir;   /* the sockets and the inotify fd */
	struct qnet_firewalld_watch *firewalld; /* NULL: no system bus */
	int bus;                 /* its fd, or -1 */
	int *pidfd;              /* one per running dnsmasq; -1 once it fired */
	size_t n_pidfd;
	bool in_commit;          /* an nf_tables commit being read touched what we watch */
	pid_t self;              /* whose commits are our own repairs' */
	char *buf;               /* one netlink read */
};

/* Subscribe; RUNDIR is created (0755) if missing, as the first network
 * would. 0 or -errno. */
int qnet_watch_open(struct qnet_watch *w);
void qnet_watch_close(struct qnet_watch *w);
#define _cleanup_watch_ __attribute__((cleanup(qnet_watch_close)))

/* A pidfd for the dnsmasq of every network that has one running now, in
 * place of the old ones. 0 or -errno. */
int qnet_watch_arm(struct qnet_watch *w);

/* W's fds for poll() into FDS (room for N), with POLLIN; returns how many. */
size_t qnet_watch_pollfds(const struct qnet_watch *w, struct pollfd *fds, size_t n);
/* How many that can be. */
size_t qnet_watch_n_pollfds(const struct qnet_watch *w);

/* Read what is waiting on FD, one of W's, without blocking: QNET_WATCH_*
 * bits, or -errno. Lost events (the socket's buffer overran) are a
 * repair. */
int qnet_watch_read(struct qnet_watch *w, int fd);
