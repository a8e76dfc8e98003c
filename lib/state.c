// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. A NAT network's files are NAME.SUFFIX in RUNDIR (or
 * STATEDIR for what must survive a reboot), its table is qnet-NAME; NAME
 * is a valid network name (qnet_config_network_name_valid: no '/', no '.'), so a
 * name is built from exactly one network and read back by splitting at
 * its first '.'. Recognising is the same rule run backwards: an entry or
 * table whose NAME is not a valid network name, or whose suffix is not one
 * of ours, is somebody else's, and `qnet gc` and `qnet doctor` leave it
 * alone. Paths that do not fit are -ENAMETOOLONG, never truncated.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "ifname.h"
#include "macro.h"
#include "paths.h"
#include "state.h"

#define TABLE_PREFIX "qnet-"
#define BRIDGE_KEY "bridge="
#define PERSISTENT_LINE "persistent=yes\n"

/* snprintf's result N into SIZE bytes: 0, or -ENAMETOOLONG rather than a cut name. */
static int fitted(int n, size_t size)
{
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static const struct {
	const char *suffix;
	bool statedir; /* kept across reboots: STATEDIR, not RUNDIR */
} files[] = {
	[QNET_STATE_UP] = { "state", false },
	[QNET_STATE_LOCK] = { "lock", false },
	[QNET_STATE_DNSMASQ_PID] = { "dnsmasq.pid", false },
	[QNET_STATE_HOSTS] = { "hosts", false },
	[QNET_STATE_LEASES] = { "leases", true },
	[QNET_STATE_CONF] = { "conf", false },
};

int qnet_state_path(char *buf, size_t size, const char *network, enum qnet_state_file what)
{
	return fitted(snprintf(buf, size, "%s/%s.%s",
			       files[what].statedir ? qnet_paths_statedir() : qnet_paths_rundir(),
			       network, files[what].suffix), size);
}

int qnet_state_ip_forward_path(char *buf, size_t size)
{
	return qnet_paths_join(buf, size, qnet_paths_rundir(), "ip_forward.saved");
}

int qnet_state_ipv6_forward_path(char *buf, size_t size)
{
	return qnet_paths_join(buf, size, qnet_paths_rundir(), "ipv6_forward.saved");
}

int qnet_state_accept_ra_path(char *buf, size_t size)
{
	return qnet_paths_join(buf, size, qnet_paths_rundir(), "accept_ra.saved");
}

/* The first LEN bytes of S, if they are a network name, into NETWORK (may be NULL). */
static bool network_part(const char *s, size_t len, char network[QNET_NAME_MAX + 1])
{
	char name[QNET_NAME_MAX + 1];

	if (len > QNET_NAME_MAX)
		return false;
	memcpy(name, s, len);
	name[len] = '\0';
	if (!qnet_config_network_name_valid(name))
		return false;
	if (network)
		memcpy(network, name, len + 1);
	return true;
}

bool qnet_state_file_of(const char *name, enum qnet_state_file *what, char network[QNET_NAME_MAX + 1])
{
	const char *dot = strchr(name, '.');

	if (!dot)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!streq(dot + 1, files[i].suffix))
			continue;
		if (!network_part(name, (size_t)(dot - name), network))
			return false;
		if (what)
			*what = (enum qnet_state_file)i;
		return true;
	}
	return false;
}

int qnet_state_write(const char *network, const char *bridge, bool persistent)
{
	char path[PATH_MAX], content[sizeof(BRIDGE_KEY) + IFNAMSIZ + sizeof(PERSISTENT_LINE)];
	int r = qnet_state_path(path, sizeof(path), network, QNET_STATE_UP);

	if (r < 0)
		return r;
	snprintf(content, sizeof(content), BRIDGE_KEY "%s\n%s", bridge, persistent ? PERSISTENT_LINE : "");
	return qnet_file_write_atomic(path, content);
}

int qnet_state_write_conf(const char *network, const char *text, size_t len)
{
	char path[PATH_MAX];
	int r = qnet_state_path(path, sizeof(path), network, QNET_STATE_CONF);

	if (r < 0)
		return r;
	/* qnet.conf holds no NUL (inih would stop there): what we write is
	 * what it parsed. */
	if (memchr(text, '\0', len))
		return -EINVAL;
	return qnet_file_write_atomic(path, text);
}

int qnet_state_bridge(const char *network, char bridge[IFNAMSIZ])
{
	return qnet_state_read(network, bridge, NULL);
}

int qnet_state_read(const char *network, char bridge[IFNAMSIZ], bool *persistent)
{
	char path[PATH_MAX], buf[128];
	const char *v;
	int r;

	r = qnet_state_path(path, sizeof(path), network, QNET_STATE_UP);
	if (r < 0)
		return r;
	r = qnet_file_read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	v = strstr(buf, BRIDGE_KEY);
	if (!v)
		return -EBADMSG;
	v += strlen(BRIDGE_KEY);
	snprintf(bridge, IFNAMSIZ, "%.*s", (int)strcspn(v, "\n"), v);
	if (persistent)
		*persistent = strstr(buf, "\n" PERSISTENT_LINE) != NULL;
	return qnet_ifname_invalid(bridge) ? -EBADMSG : 0;
}

int qnet_state_foreach(int (*fn)(const char *network, void *userdata), void *userdata)
{
	DIR *d = opendir(qnet_paths_rundir());
	struct dirent *e;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : qnet_negerrno();
	while (r == 0 && (e = readdir(d))) {
		char network[QNET_NAME_MAX + 1];
		enum qnet_state_file what;

		if (qnet_state_file_of(e->d_name, &what, network) && what == QNET_STATE_UP)
			r = fn(network, userdata);
	}
	closedir(d);
	return r;
}

int qnet_state_table_name(char *buf, size_t size, const char *network)
{
	return fitted(snprintf(buf, size, TABLE_PREFIX "%s", network), size);
}

bool qnet_state_network_of_table(const char *table, char network[QNET_NAME_MAX + 1])
{
	size_t n = strlen(TABLE_PREFIX);

	return strncmp(table, TABLE_PREFIX, n) == 0 && network_part(table + n, strlen(table + n), network);
}
