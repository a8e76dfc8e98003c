// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel floor for a bridge helper: the least any helper must do. It
 * speaks the helper's protocol (--br=BRIDGE --fd=N, [--use-vnet]) with no
 * checks, no ACL and no privilege handling: create a TAP, attach it to the
 * bridge with one ioctl, send the fd. The caller closes the TAP, as QEMU
 * does, so every candidate's round trip includes the TAP's destruction.
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *br = NULL;
	bool vnet = false;
	int sock = -1, tap, ctl;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--br=", 5) == 0)
			br = argv[i] + 5;
		else if (strncmp(argv[i], "--fd=", 5) == 0)
			sock = atoi(argv[i] + 5);
		else if (strcmp(argv[i], "--use-vnet") == 0)
			vnet = true;
	}
	if (!br || sock < 3)
		return 1;
	if (vnet)
		ifr.ifr_flags |= IFF_VNET_HDR;
	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0 || ioctl(tap, TUNSETIFF, &ifr) < 0)
		return 1;
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr.ifr_ifindex = (int)if_nametoindex(ifr.ifr_name);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", br);
	if (ctl < 0 || ioctl(ctl, SIOCBRADDIF, &ifr) < 0)
		return 1;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tap, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : 1;
}
