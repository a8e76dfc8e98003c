/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inih's ini_parse_stream(), the one call lib/config.c makes of it, as
 * each program links it: lib/ini-linked.c calls the library the program
 * is linked with (everything but the two below); lib/ini-lazy.c, built
 * into qemu-ifup and qemu-ifdown only, dlopen()s libinih the first time a
 * qnet.conf is there to parse. Those two load qnet.conf on every attach,
 * and most hosts have none: they then never load the library at all (its
 * mapping and relocation were a third of what qemu-ifup cost beyond a
 * program that does nothing). It stays a shared library either way, so
 * its security fixes reach every program. The objects are not in
 * libqnet-core: a program gets exactly one of them (lib/meson.build).
 */
#pragma once

#include <ini.h>

/* Returned when libinih cannot be loaded (lib/ini-lazy.c only). */
#define QNET_INI_UNAVAILABLE (-1000)

int qnet_ini_parse_stream(ini_reader reader, void *stream, ini_handler handler, void *user);
/* Why the last QNET_INI_UNAVAILABLE: dlerror()'s text, or "". */
const char *qnet_ini_error(void);
