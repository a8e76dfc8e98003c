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
#include "state.h"

static bool parse_line(const char *line, size_t len, struct qnet_lease *l)
{
	char copy[512], *save = NULL, *f[4];
	unsigned long long expiry;
	char *end;

	if (len >= sizeof(copy) || memchr(line, '\0', len))
		return false;
	memcpy(copy, line, len);
	copy[len] = '\0';
	for (int i = 0; i < 4; i++) {
		f[i] = strtok_r(i ? NULL : copy, " \t", &save);
		if (!f[i])
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
	/* Guests choose their hardware type; only Ethernet MACs are ours. */
	if (qnet_addr_parse_mac(f[1], l->mac) < 0)
		return false;
	if (inet_pton(AF_INET, f[2], &l->ip) != 1)
		return false;
	if (!streq(f[3], "*")) {
		size_t i;

		for (i = 0; f[3][i] && i < sizeof(l->hostname) - 1; i++) {
			unsigned char c = (unsigned char)f[3][i];

			l->hostname[i] = isalnum(c) || c == '-' || c == '.' || c == '_' ? (char)c : '?';
		}
		l->hostname[i] = '\0';
	}
	return true;
}

int qnet_leases_parse(const char *buf, size_t len, struct qnet_lease **ret, size_t *n)
{
	struct qnet_lease *v = NULL;
	size_t count = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct qnet_lease lease;

		if (parse_line(p, l, &lease)) {
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
