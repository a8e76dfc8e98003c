// SPDX-License-Identifier: GPL-2.0-or-later
/* inih loaded when there is a qnet.conf to parse (lib/ini-parse.h). */
#include <dlfcn.h>
#include <stdio.h>

#include "ini-parse.h"

/* The soname of Debian's libinih1 and Fedora's inih. */
#define LIBINIH "libinih.so.1"

static char error[256];

int qnet_ini_parse_stream(ini_reader reader, void *stream, ini_handler handler, void *user)
{
	static int (*parse)(ini_reader, void *, ini_handler, void *);

	if (!parse) {
		/* LOCAL: nothing else in the process binds to it; NOW: a
		 * broken library fails here, not half-way through a parse. */
		void *dl = dlopen(LIBINIH, RTLD_NOW | RTLD_LOCAL);
		const char *e;

		*(void **)&parse = dl ? dlsym(dl, "ini_parse_stream") : NULL;
		if (!parse) {
			e = dlerror();
			snprintf(error, sizeof(error), "%s", e ? e : LIBINIH ": no ini_parse_stream");
			return QNET_INI_UNAVAILABLE;
		}
	}
	return parse(reader, stream, handler, user);
}

const char *qnet_ini_error(void)
{
	return error;
}
