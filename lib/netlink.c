// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "macro.h"
#include "netlink.h"

/* libnl's -NLE_* code NLERR as -errno, for when no kernel errno was kept (qnet_nl_result). */
static int errno_from_nl(int nlerr);

/* libnl maps the kernel's errno to -NLE_*, losing detail (EBUSY, ELOOP and
 * EOPNOTSUPP all matter to our messages): keep the original. */
static int error_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct qnet_nl *nl = arg;

	nl->kernel_errno = -e->error;
	return NL_STOP;
}

int qnet_nl_open(struct qnet_nl *nl)
{
	return qnet_nl_open_protocol(nl, NETLINK_ROUTE);
}

/*
 * libnl's constructor reads NLDBG and NLCB with plain getenv() before main():
 * NLCB=debug makes the default callbacks print every message, NLDBG=4 dumps
 * libnl's internals, heap addresses included. A privileged caller's
 * environment must not change what we print, so the debug level is reset and
 * every socket gets callbacks of the explicit kind NL_CB_DEFAULT, never the
 * environment-chosen default.
 */
static struct nl_sock *socket_alloc(void)
{
	struct nl_cb *cb;
	struct nl_sock *sk;

	nl_debug = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return NULL;
	sk = nl_socket_alloc_cb(cb);
	nl_cb_put(cb); /* the socket holds its own reference */
	return sk;
}

int qnet_nl_open_protocol(struct qnet_nl *nl, int protocol)
{
	int r;

	nl->kernel_errno = 0;
	nl->sk = socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	r = nl_connect(nl->sk, protocol);
	if (r < 0) {
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return errno_from_nl(r);
	}
	/* libnl opens its socket without SOCK_CLOEXEC: a child we start (dnsmasq)
	 * must not inherit a privileged netlink socket. */
	if (fcntl(nl_socket_get_fd(nl->sk), F_SETFD, FD_CLOEXEC) < 0) {
		r = qnet_negerrno();
		qnet_nl_close(nl);
		return r;
	}
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, error_cb, nl);
	/* A request that wants an ACK says NLM_F_ACK itself; a GET's reply (or
	 * its error) is answer enough, and an ACK after it would cost a read.
	 * (This also turns off libnl's sequence check, which counts on ACKs;
	 * our requests are strictly one at a time on a private socket.) */
	nl_socket_disable_auto_ack(nl->sk);
	/* One read per message instead of a MSG_PEEK to size it first: the
	 * kernel never sends more than 32 KiB in one datagram to a reader
	 * whose buffer is that large. */
	nl_socket_disable_msg_peek(nl->sk);
	r = nl_socket_set_msg_buf_size(nl->sk, 32768);
	if (r < 0) {
		qnet_nl_close(nl);
		return errno_from_nl(r);
	}
	return 0;
}

void qnet_nl_close(struct qnet_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

static struct nl_cb *cb_clone(struct qnet_nl *nl)
{
	/* nl_socket_get_cb() takes a reference; drop it once cloned, or the
	 * socket's callbacks outlive it. */
	struct nl_cb *sock_cb = nl_socket_get_cb(nl->sk);
	struct nl_cb *cb = nl_cb_clone(sock_cb);

	nl_cb_put(sock_cb);
	return cb;
}

int qnet_nl_query(struct qnet_nl *nl, struct nl_msg *msg, int (*fn)(struct nl_msg *, void *), void *arg)
{
	struct nl_cb *cb;
	int r;

	r = nl_send_auto(nl->sk, msg);
	if (r < 0)
		return qnet_nl_result(nl, r);
	cb = cb_clone(nl);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	r = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	return qnet_nl_result(nl, r);
}

int qnet_nl_request(struct qnet_nl *nl, struct nl_msg *msg)
{
	int r = nl_send_auto(nl->sk, msg);

	if (r >= 0)
		r = nl_wait_for_ack(nl->sk);
	return qnet_nl_result(nl, r);
}

struct nl_msg *qnet_nl_msg_new(int type, int flags, size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_HDRLEN + size);
	struct nlmsghdr *h;

	if (!msg)
		return NULL;
	/* What nlmsg_alloc_simple() sets; seq and pid stay 0, NL_AUTO_*. */
	h = nlmsg_hdr(msg);
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)flags;
	return msg;
}

void qnet_nl_msg_freep(struct nl_msg **msg)
{
	if (*msg)
		nlmsg_free(*msg);
}

static int errno_from_nl(int nlerr)
{
	static const int map[] = {
		[NLE_SUCCESS] = 0,
		[NLE_INTR] = EINTR,
		[NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN,
		[NLE_NOMEM] = ENOMEM,
		[NLE_EXIST] = EEXIST,
		[NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE,
		[NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENODEV,
		[NLE_NOATTR] = ENODATA,
		[NLE_MISSING_ATTR] = EINVAL,
		[NLE_AF_MISMATCH] = EAFNOSUPPORT,
		[NLE_SEQ_MISMATCH] = EPROTO,
		[NLE_MSG_OVERFLOW] = EOVERFLOW,
		[NLE_MSG_TRUNC] = EMSGSIZE,
		[NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
		[NLE_MSG_TOOSHORT] = EPROTO,
		[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
		[NLE_OBJ_MISMATCH] = EINVAL,
		[NLE_NOCACHE] = ENOENT,
		[NLE_BUSY] = EBUSY,
		[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
		[NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM,
		[NLE_PKTLOC_FILE] = ENOENT,
		[NLE_PARSE_ERR] = EPROTO,
		[NLE_NODEV] = ENODEV,
		[NLE_IMMUTABLE] = EROFS,
		[NLE_DUMP_INTR] = EINTR,
		[NLE_ATTRSIZE] = EMSGSIZE,
	};
	int e = nlerr < 0 ? -nlerr : nlerr;

	if (e == 0)
		return 0;
	if ((size_t)e < ARRAY_SIZE(map) && map[e])
		return -map[e];
	return -EIO;
}

int qnet_nl_result(struct qnet_nl *nl, int nlerr)
{
	int kernel = nl->kernel_errno;

	nl->kernel_errno = 0;
	if (nlerr >= 0)
		return 0;
	if (kernel > 0)
		return -kernel;
	return errno_from_nl(nlerr);
}
