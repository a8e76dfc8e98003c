// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "ifname.h"

const char *qnet_ifname_invalid(const char *name)
{
	size_t len;

	if (!name || !*name)
		return "empty interface name";
	len = strnlen(name, IFNAMSIZ);
	if (len >= IFNAMSIZ)
		return "interface name longer than 15 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "interface name cannot be . or ..";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '/')
			return "interface name contains '/'";
		if (*p == ':')
			return "interface name contains ':'";
		if (*p <= ' ' || *p == 0x7f)
			return "interface name contains whitespace or control characters";
	}
	return NULL;
}

const char *qnet_ifname_printable(const char *in, char out[QNET_IFNAME_PRINTABLE_SIZE])
{
	size_t i = 0;

	if (!in)
		in = "(null)";
	/* The last 4 bytes are for "..." and the NUL. */
	for (; i < QNET_IFNAME_PRINTABLE_SIZE - 4 && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		out[i] = (c < ' ' || c >= 0x7f) ? '?' : (char)c;
	}
	if (i == QNET_IFNAME_PRINTABLE_SIZE - 4 && in[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}
