// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "leases-private.h"
#include "macro.h"
#include "parse.h"
#include "state.h"

/* A guest's host name, every byte outside [A-Za-z0-9._-] made '?'; "*" is none. */
static void copy_hostname(char out[64], const char *name)
{
	size_t i = 0;

	if (!streq(name, "*"))
		for (; i < 63 && name[i]; i++) {
			unsigned char c = (unsigned char)name[i];

			out[i] = isalnum(c) || c == '-' || c == '.' || c == '_' ? (char)c : '?';
		}
	out[i] = '\0';
}

/* A DUID as dnsmasq writes it, kept if well formed; a DUID-LL or
 * DUID-LLT of an Ethernet address names the MAC. */
static void copy_duid(struct qnet_lease *l, const char *duid)
{
	int r = qnet_addr_duid_mac(duid, l->mac);

	if (r == -EINVAL || strlen(duid) >= sizeof(l->duid))
		return;
	snprintf(l->duid, sizeof(l->duid), "%s", duid);
	l->has_mac = r == 0;
}

/* One line; V6: after the "duid" line, where the DHCPv6 leases are. */
static bool parse_line(const char *line, size_t len, bool v6, struct qnet_lease *l)
{
	char copy[768], *save = NULL, *f[5];
	unsigned long long expiry;
	unsigned long iaid;
	char *end;

	if (len >= sizeof(copy) || memchr(line, '\0', len))
		return false;
	memcpy(copy, line, len);
	copy[len] = '\0';
	for (int i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : copy, " \t", &save);
		if (!f[i] && i < 4)
			return false;
	}
	if (!isdigit((unsigned char)f[0][0]))
		return false;
	errno = 0;
	expiry = strtoull(f[0], &end, 10);
	if (errno || *end || expiry > INT64_MAX)
		return false;
	memset(l, 0, sizeof(*l));
	l->expiry = (int64_t)expiry;
	if (v6) {
		const char *ia = f[1][0] == 'T' ? f[1] + 1 : f[1];

		l->family = AF_INET6;
		if (qnet_parse_uint(ia, UINT32_MAX, &iaid) < 0 || inet_pton(AF_INET6, f[2], &l->ip6) != 1)
			return false;
		l->iaid = (uint32_t)iaid;
		if (f[4])
			copy_duid(l, f[4]);
	} else {
		l->family = AF_INET;
		/* Guests choose their hardware type; only Ethernet MACs are ours. */
		if (qnet_addr_parse_mac(f[1], l->mac) < 0)
			return false;
		l->has_mac = true;
		if (inet_pton(AF_INET, f[2], &l->ip) != 1)
			return false;
	}
	copy_hostname(l->hostname, f[3]);
	return true;
}

int qnet_leases_parse(const char *buf, size_t len, struct qnet_lease **ret, size_t *n)
{
	struct qnet_lease *v = NULL;
	size_t count = 0;
	const char *p = buf, *end = buf + len;
	bool v6 = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct qnet_lease lease;

		if (l > 5 && !memcmp(p, "duid ", 5))
			v6 = true;
		else if (parse_line(p, l, v6, &lease)) {
			struct qnet_lease *nv = reallocarray(v, count + 1, sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			v[count++] = lease;
		}
		p += l + (nl ? 1 : 0);
	}
	*ret = v;
	*n = count;
	return 0;
}

int qnet_leases_load(const char *network, struct qnet_lease **ret, size_t *n)
{
	char path[PATH_MAX], chunk[4096];
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t size = 0;
	ssize_t got;
	FILE *m;
	int r;

	*ret = NULL;
	*n = 0;
	r = qnet_state_path(path, sizeof(path), network, QNET_STATE_LEASES);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : qnet_negerrno();
	m = open_memstream(&buf, &size);
	if (!m)
		return -ENOMEM;
	/* A lease file bigger than this is not one dnsmasq wrote for us. */
	while ((got = read(fd, chunk, sizeof(chunk))) > 0 && size < (1u << 22))
		fwrite(chunk, 1, (size_t)got, m);
	if (fclose(m) != 0)
		return -ENOMEM;
	if (got < 0)
		return qnet_negerrno();
	return qnet_leases_parse(buf ? buf : "", size, ret, n);
}
