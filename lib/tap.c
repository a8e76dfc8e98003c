// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "tap.h"

#define TUN_DEVICE "/dev/net/tun"

/* What the tun driver offers (IFF_*), 0 if it does not say. */
static unsigned tun_features(int fd)
{
	unsigned int features = 0;

	return ioctl(fd, TUNGETFEATURES, &features) == 0 ? features : 0;
}

int qnet_tap_open(char name[IFNAMSIZ], bool vnet_hdr, uid_t owner)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return qnet_negerrno();
	if (vnet_hdr && (tun_features(fd) & IFF_VNET_HDR))
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

/* Is the tun driver registered (built in or loaded)? It is misc minor 200. */
static bool tun_registered(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/misc", "re");
	char line[128];

	while (f && fgets(line, sizeof(line), f)) {
		unsigned minor;
		char name[64];

		if (sscanf(line, "%u %63s", &minor, name) == 2 && streq(name, "tun"))
			return true;
	}
	return false;
}

int qnet_tap_probe(struct qnet_tap_probe *ret)
{
	_cleanup_close_ int fd = -1;
	unsigned features;
	struct stat st;

	*ret = (struct qnet_tap_probe){ .registered = false };
	/* O_NOCTTY: what is there may be any device, a terminal too. */
	fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = qnet_negerrno();

		if (r == -ENOENT)
			ret->registered = tun_registered();
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 || minor(st.st_rdev) != 200)
		return -ENOTTY;
	features = tun_features(fd);
	ret->mode = st.st_mode & 07777;
	ret->vnet_hdr = features & IFF_VNET_HDR;
	ret->multi_queue = features & IFF_MULTI_QUEUE;
	return 0;
}
