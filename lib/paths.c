// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

static const char *relocated(const char *var, const char *compiled)
{
	const char *v = secure_getenv(var);

	return v && v[0] == '/' ? v : compiled;
}

const char *qnet_paths_confdir(void)
{
	return relocated("QNET_CONFDIR", QNET_CONFDIR);
}

const char *qnet_paths_rundir(void)
{
	return relocated("QNET_RUNDIR", QNET_RUNDIR);
}

const char *qnet_paths_statedir(void)
{
	return relocated("QNET_STATEDIR", QNET_STATEDIR);
}

const char *qnet_paths_dnsmasq(void)
{
	return relocated("QNET_DNSMASQ", QNET_DNSMASQ);
}

const char *qnet_paths_libexecdir(void)
{
	return relocated("QNET_LIBEXECDIR", QNET_LIBEXECDIR);
}

const char *qnet_paths_machine_id(void)
{
	return relocated("QNET_MACHINE_ID", "/etc/machine-id");
}

int qnet_paths_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

const char *qnet_paths_program_instance(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	const char *at;

	/* Only the program's own name counts: an '@' in a directory above it
	 * is not an instance. */
	base = base ? base + 1 : argv0;
	at = strchr(base, '@');
	return at && at[1] ? at + 1 : NULL;
}
