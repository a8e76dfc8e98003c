// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: see watch.h. Every fd is non-blocking and read
 * until it is empty, so one poll() wake-up takes in a whole burst (an
 * `nft flush ruleset` is one commit of hundreds of messages). Nothing is
 * kept between reads but whether the nf_tables commit being read has
 * touched what we watch: a commit's messages are followed by its NEWGEN,
 * which names the process that committed (NFTA_GEN_PROC_PID), and only
 * then is it judged, so the deletions our own repair makes ("delete
 * table" before the new one, lib/firewall.c) never start another repair.
 * Should that pid not be ours after all (qnet watch in a pid namespace
 * sees another number than the kernel writes), a repair that finds
 * nothing missing deletes nothing, so it ends after one more round.
 * Only the kernel's messages count (sender port 0): a local process with
 * CAP_NET_ADMIN could otherwise make us repair by unicast.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsmasq.h"
#include "firewalld.h"
#include "macro.h"
#include "nfnl.h"
#include "paths.h"
#include "portfilter.h"
#include "state.h"
#include "watch.h"
#include "watch-private.h"

#define BUF_SIZE 65536
/* Room for an `nft flush ruleset` of a large ruleset between two reads;
 * more than the default, and if it overruns anyway we repair (ENOBUFS). */
#define RCVBUF (4 << 20)
/* Docker's documented hook for rules of others, in iptables-nft's table. */
#define DOCKER_TABLE "filter"
#define DOCKER_CHAIN "DOCKER-USER"

/* An nf_tables table that is ours: inet qnet-NAME or bridge qnet. */
static bool table_is_ours(int family, const char *table)
{
	if (family == NFPROTO_INET)
		return qnet_state_network_of_table(table, NULL);
	return family == NFPROTO_BRIDGE && streq(table, QNET_PORTFILTER_TABLE);
}

/* Does message TYPE with attributes A (family FAMILY) touch what we watch? */
static bool nft_touches(int type, int family, const struct qnet_nfnl_attrs *a)
{
	char table[256], chain[256];

	/* The table is attribute 1 of every object (NFTA_TABLE_NAME,
	 * NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, ...). */
	if (!qnet_nfnl_attr_str(a, NFTA_TABLE_NAME, table, sizeof(table)))
		return false;
	switch (type) {
	case NFT_MSG_DELTABLE:
	case NFT_MSG_DELCHAIN:
	case NFT_MSG_DELRULE:
	case NFT_MSG_DELSET:
		if (table_is_ours(family, table))
			return true;
		break;
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_NEWRULE:
		break;
	default:
		return false;
	}
	/* firewalld's reload deletes its table; a firewalld that starts makes
	 * it, and has none of our bridges in its zone. */
	if ((type == NFT_MSG_DELTABLE || type == NFT_MSG_NEWTABLE) && family == NFPROTO_INET &&
	    streq(table, QNET_FIREWALLD_TABLE))
		return true;
	if (type == NFT_MSG_NEWTABLE)
		return false;
	if ((family != NFPROTO_IPV4 && family != NFPROTO_IPV6) || !streq(table, DOCKER_TABLE))
		return false;
	/* Docker's hook: flushed (iptables -F), deleted, or made anew by a
	 * dockerd that started after our networks. */
	if (type == NFT_MSG_DELTABLE)
		return true;
	if (type == NFT_MSG_DELCHAIN || type == NFT_MSG_NEWCHAIN)
		return qnet_nfnl_attr_str(a, NFTA_CHAIN_NAME, chain, sizeof(chain)) && streq(chain, DOCKER_CHAIN);
	if (type == NFT_MSG_DELRULE || type == NFT_MSG_NEWRULE)
		return qnet_nfnl_attr_str(a, NFTA_RULE_CHAIN, chain, sizeof(chain)) && streq(chain, DOCKER_CHAIN);
	return false;
}

int qnet_watch_judge_nft(const void *buf, size_t len, pid_t self, bool *in_commit)
{
	const size_t hdr = NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nlmsghdr *h;
	int relevant = 0;
	size_t off = 0;

	while ((h = qnet_nfnl_next_msg(buf, len, &off))) {
		const struct nfgenmsg *g = NLMSG_DATA(h);
		struct qnet_nfnl_attrs a;
		int type = h->nlmsg_type & 0xff;
		uint32_t pid;

		if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES || h->nlmsg_len < NLMSG_LENGTH(hdr) ||
		    qnet_nfnl_parse((const char *)NLMSG_DATA(h) + hdr, h->nlmsg_len - NLMSG_LENGTH(hdr), &a) < 0)
			continue;
		if (type != NFT_MSG_NEWGEN) {
			if (nft_touches(type, g->nfgen_family, &a))
				*in_commit = true;
			continue;
		}
		/* A kernel too old to say who committed: someone else. */
		pid = 0;
		if (a.data[NFTA_GEN_PROC_PID] && a.len[NFTA_GEN_PROC_PID] == sizeof(pid)) {
			memcpy(&pid, a.data[NFTA_GEN_PROC_PID], sizeof(pid));
			pid = ntohl(pid);
		}
		if (*in_commit && pid != (uint32_t)self)
			relevant = 1;
		*in_commit = false;
	}
	return relevant;
}

int qnet_watch_judge_link(const void *buf, size_t len)
{
	const size_t hdr = NLMSG_ALIGN(sizeof(struct ifinfomsg));
	const struct nlmsghdr *h;
	size_t off = 0;

	while ((h = qnet_nfnl_next_msg(buf, len, &off))) {
		const struct ifinfomsg *ifi = NLMSG_DATA(h);
		struct qnet_nfnl_attrs a, info;
		char kind[16], name[IFNAMSIZ];

		/* qnet_nfnl_parse() reads any netlink attributes, these too. */
		if ((h->nlmsg_type != RTM_DELLINK && h->nlmsg_type != RTM_NEWLINK) ||
		    h->nlmsg_len < NLMSG_LENGTH(hdr) ||
		    qnet_nfnl_parse((const char *)NLMSG_DATA(h) + hdr, h->nlmsg_len - NLMSG_LENGTH(hdr), &a) < 0 ||
		    qnet_nfnl_parse_nested(&a, IFLA_LINKINFO, &info) < 0 ||
		    !qnet_nfnl_attr_str(&info, IFLA_INFO_KIND, kind, sizeof(kind)))
			continue;
		/* A bridge, or an overlay's VXLAN port (lib/vxlan.h names them
		 * qvx...): without it the guests of this host are cut off. */
		if (!streq(kind, "bridge") &&
		    !(streq(kind, "vxlan") && qnet_nfnl_attr_str(&a, IFLA_IFNAME, name, sizeof(name)) &&
		      !strncmp(name, "qvx", 3)))
			continue;
		if (h->nlmsg_type == RTM_DELLINK)
			return 1;
		if ((ifi->ifi_change & IFF_UP) && !(ifi->ifi_flags & IFF_UP))
			return 1;
	}
	return 0;
}

/* A netlink socket in multicast group GROUP of PROTOCOL, non-blocking. */
static int subscribe(int protocol, int group)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int size = RCVBUF;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);

	if (fd < 0)
		return qnet_negerrno();
	/* FORCE needs CAP_NET_ADMIN, which we have; the plain one is capped
	 * by net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return qnet_negerrno();
	return TAKE_FD(fd);
}

static void close_pidfds(struct qnet_watch *w)
{
	for (size_t i = 0; i < w->n_pidfd; i++)
		if (w->pidfd[i] >= 0)
			close(w->pidfd[i]);
	free(w->pidfd);
	w->pidfd = NULL;
	w->n_pidfd = 0;
}

/* The system bus, if there is one and W has no connection to it (none at
 * the start, or it went): firewalld's news. */
static void bus_open(struct qnet_watch *w)
{
	if (w->firewalld)
		return;
	if (qnet_firewalld_watch_open(&w->firewalld, &w->bus) < 0) {
		w->firewalld = NULL;
		w->bus = -1;
	}
}

int qnet_watch_open(struct qnet_watch *w)
{
	const char *rundir = qnet_paths_rundir();

	*w = (struct qnet_watch){ .nft = -1, .link = -1, .rundir = -1, .bus = -1, .self = getpid() };
	w->buf = malloc(BUF_SIZE);
	if (!w->buf)
		return -ENOMEM;
	w->nft = subscribe(NETLINK_NETFILTER, NFNLGRP_NFTABLES);
	if (w->nft < 0)
		return w->nft;
	w->link = subscribe(NETLINK_ROUTE, RTNLGRP_LINK);
	if (w->link < 0)
		return w->link;
	w->rundir = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->rundir < 0)
		return qnet_negerrno();
	/* Its parent is /run, there at boot; qnet's tmpfiles.d entry makes
	 * it too. Made before it is watched, so a first network is seen. */
	if (mkdir(rundir, 0755) < 0 && errno != EEXIST)
		return qnet_negerrno();
	if (inotify_add_watch(w->rundir, rundir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0)
		return qnet_negerrno();
	/* No system bus (or no libsystemd): no firewalld to hear, for now. */
	bus_open(w);
	return 0;
}

void qnet_watch_close(struct qnet_watch *w)
{
	close_pidfds(w);
	qnet_closep(&w->nft);
	qnet_closep(&w->link);
	qnet_closep(&w->rundir);
	qnet_firewalld_watch_close(w->firewalld); /* closes w->bus */
	w->firewalld = NULL;
	w->nft = w->link = w->rundir = w->bus = -1;
	free(w->buf);
	w->buf = NULL;
}

struct arm {
	struct qnet_watch *w;
	bool gone;
};

static int arm_one(const char *network, void *userdata)
{
	struct arm *a = userdata;
	pid_t pid = qnet_dnsmasq_pid(network);
	int *more, fd;

	if (pid <= 0)
		return 0;
	fd = pidfd_open(pid, 0);
	/* Died between the pid file and the pidfd (or, after the pidfd, is
	 * no longer ours): nothing would wake us for it, so repair now. */
	if (fd >= 0 && qnet_dnsmasq_pid(network) != pid) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		a->gone = true;
		return 0;
	}
	more = reallocarray(a->w->pidfd, a->w->n_pidfd + 1, sizeof(*more));
	if (!more) {
		close(fd);
		return -ENOMEM;
	}
	a->w->pidfd = more;
	a->w->pidfd[a->w->n_pidfd++] = fd;
	return 0;
}

int qnet_watch_arm(struct qnet_watch *w)
{
	struct arm a = { w, false };
	int r;

	/* After each repair: a bus that came back is listened to again. */
	bus_open(w);
	close_pidfds(w);
	r = qnet_state_foreach(arm_one, &a);
	if (r < 0)
		return r;
	return a.gone ? QNET_WATCH_REPAIR : 0;
}

size_t qnet_watch_n_pollfds(const struct qnet_watch *w)
{
	return 4 + w->n_pidfd;
}

size_t qnet_watch_pollfds(const struct qnet_watch *w, struct pollfd *fds, size_t n)
{
	const int fixed[] = { w->nft, w->link, w->rundir, w->bus };
	size_t k = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed) && k < n; i++)
		if (fixed[i] >= 0)
			fds[k++] = (struct pollfd){ .fd = fixed[i], .events = POLLIN };
	for (size_t i = 0; i < w->n_pidfd && k < n; i++)
		if (w->pidfd[i] >= 0)
			fds[k++] = (struct pollfd){ .fd = w->pidfd[i], .events = POLLIN };
	return k;
}

/* Everything waiting on netlink socket FD, judged as nf_tables events
 * (NFT) or link events. */
static int read_netlink(struct qnet_watch *w, int fd, bool nft)
{
	int what = 0;

	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { w->buf, BUF_SIZE };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got = recvmsg(fd, &m, MSG_DONTWAIT);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return what;
		if (got < 0 && errno == ENOBUFS) {
			/* Events were lost, a commit's end perhaps among them. */
			w->in_commit = false;
			what |= QNET_WATCH_REPAIR;
			continue;
		}
		if (got < 0)
			return qnet_negerrno();
		if (m.msg_flags & MSG_TRUNC) {
			what |= QNET_WATCH_REPAIR;
			continue;
		}
		if (m.msg_namelen != sizeof(from) || from.nl_pid != 0)
			continue;
		if (nft ? qnet_watch_judge_nft(w->buf, (size_t)got, w->self, &w->in_commit)
			: qnet_watch_judge_link(w->buf, (size_t)got))
			what |= QNET_WATCH_REPAIR;
	}
}

static int read_rundir(struct qnet_watch *w)
{
	int what = 0;

	for (;;) {
		ssize_t got = read(w->rundir, w->buf, BUF_SIZE);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return what;
		if (got < 0)
			return qnet_negerrno();
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= got;) {
			const struct inotify_event *e = (const void *)(w->buf + off);
			enum qnet_state_file file;

			if (e->mask & IN_Q_OVERFLOW)
				what |= QNET_WATCH_REARM;
			else if (e->len && qnet_state_file_of(e->name, &file, NULL) && file == QNET_STATE_DNSMASQ_PID)
				what |= QNET_WATCH_REARM;
			off += (ssize_t)(sizeof(*e) + e->len);
		}
	}
}

int qnet_watch_read(struct qnet_watch *w, int fd)
{
	int r;

	if (fd < 0)
		return -EBADF;
	if (fd == w->nft)
		return read_netlink(w, fd, true);
	if (fd == w->link)
		return read_netlink(w, fd, false);
	if (fd == w->rundir)
		return read_rundir(w);
	if (fd == w->bus) {
		r = qnet_firewalld_watch_read(w->firewalld);
		if (r >= 0)
			return r ? QNET_WATCH_REPAIR : 0;
		/* The bus went (restarted): firewalld, if it comes back, starts
		 * afresh, and so do its zones. This repair, and the arm after it
		 * which connects again, put ours back. */
		qnet_firewalld_watch_close(w->firewalld);
		w->firewalld = NULL;
		w->bus = -1;
		return QNET_WATCH_REPAIR;
	}
	for (size_t i = 0; i < w->n_pidfd; i++)
		if (w->pidfd[i] == fd) {
			/* Readable for good once its process is gone. */
			close(fd);
			w->pidfd[i] = -1;
			return QNET_WATCH_REPAIR;
		}
	return -EBADF;
}
