// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"

int qnet_fdpass_send(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	/* MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE. */
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return qnet_negerrno();
	return n == 1 ? 0 : -EIO;
}

bool qnet_fdpass_is_unix_socket(int fd)
{
	int domain = -1;
	socklen_t len = sizeof(domain);

	/* QEMU's end is a socketpair(AF_UNIX): SCM_RIGHTS means nothing on any
	 * other socket, and an inet or netlink socket the caller passed must
	 * never receive a TAP fd or a byte from us. */
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && len == sizeof(domain) &&
	       domain == AF_UNIX;
}
