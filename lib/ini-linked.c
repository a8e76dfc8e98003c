// SPDX-License-Identifier: GPL-2.0-or-later
/* inih as the program is linked with it (lib/ini-parse.h). */
#include "ini-parse.h"

int qnet_ini_parse_stream(ini_reader reader, void *stream, ini_handler handler, void *user)
{
	return ini_parse_stream(reader, stream, handler, user);
}

const char *qnet_ini_error(void)
{
	return "";
}
