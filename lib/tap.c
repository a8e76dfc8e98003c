// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "tap.h"

bool qnet_tap_has_vnet_hdr(int fd)
{
	unsigned int features = 0;

	return ioctl(fd, TUNGETFEATURES, &features) == 0 && (features & IFF_VNET_HDR);
}

int qnet_tap_open(char name[IFNAMSIZ], bool vnet_hdr, uid_t owner)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return qnet_negerrno();
	if (vnet_hdr && qnet_tap_has_vnet_hdr(fd))
		ifr.ifr_flags |= IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return qnet_negerrno();
	/* Whoever holds the fd may make the TAP persistent (TUNSETPERSIST needs
	 * no privilege); an ownerless persistent TAP can then be opened by any
	 * local user. Owned, only OWNER (or CAP_NET_ADMIN) can. */
	if (owner != (uid_t)-1 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0)
		return qnet_negerrno();
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return TAKE_FD(fd);
}
