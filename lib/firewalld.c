// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: see firewalld.h. Every call opens its own
 * connection to the system bus and asks the bus who owns firewalld's
 * name, then talks to that owner's unique name: a method call to the
 * well-known name while nobody owns it would make the bus start firewalld
 * (its D-Bus activation file), which is not ours to do, and a firewalld
 * that exits meanwhile leaves a unique name nobody can start. Every
 * call, the bus's Hello included, has a timeout of its own.
 */
/* glibc's netinet/in.h (through firewall.h) before linux/netfilter.h's linux/in.h. */
#include <netinet/in.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "firewall.h"
#include "firewalld.h"
#include "log.h"
#include "macro.h"

/* The soname of systemd's libsystemd0 (Debian) and systemd-libs (Fedora). */
#define LIBSYSTEMD "libsystemd.so.0"
#define FW_NAME "org.fedoraproject.FirewallD1"
#define FW_PATH "/org/fedoraproject/FirewallD1"
#define FW_ZONE FW_NAME ".zone"
#define CALL_TIMEOUT_USEC (5 * 1000 * 1000)

static struct {
	void *dl;
	typeof(sd_bus_new) *new_;
	typeof(sd_bus_set_address) *set_address;
	typeof(sd_bus_set_bus_client) *set_bus_client;
	typeof(sd_bus_start) *start;
	typeof(sd_bus_flush_close_unref) *close_unref;
	typeof(sd_bus_set_method_call_timeout) *set_timeout;
	typeof(sd_bus_call_method) *call_method;
	typeof(sd_bus_message_read) *message_read;
	typeof(sd_bus_message_unref) *message_unref;
	typeof(sd_bus_error_free) *error_free;
	typeof(sd_bus_add_match) *add_match;
	typeof(sd_bus_get_fd) *get_fd;
	typeof(sd_bus_process) *process;
	typeof(sd_bus_message_is_signal) *is_signal;
} sd;

static int load(char *why, size_t why_size)
{
	void *dl;

	if (sd.dl)
		return 0;
	dl = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return qnet_because(why, why_size, -ELIBACC, "cannot load %s: %s", LIBSYSTEMD, dlerror());
#define SYM(field, name)                                                  \
	if (!(sd.field = (typeof(sd.field))dlsym(dl, #name))) {            \
		dlclose(dl);                                               \
		return qnet_because(why, why_size, -ELIBACC, "%s has no %s", LIBSYSTEMD, #name); \
	}
	SYM(new_, sd_bus_new);
	SYM(set_address, sd_bus_set_address);
	SYM(set_bus_client, sd_bus_set_bus_client);
	SYM(start, sd_bus_start);
	SYM(close_unref, sd_bus_flush_close_unref);
	SYM(set_timeout, sd_bus_set_method_call_timeout);
	SYM(call_method, sd_bus_call_method);
	SYM(message_read, sd_bus_message_read);
	SYM(message_unref, sd_bus_message_unref);
	SYM(error_free, sd_bus_error_free);
	SYM(add_match, sd_bus_add_match);
	SYM(get_fd, sd_bus_get_fd);
	SYM(process, sd_bus_process);
	SYM(is_signal, sd_bus_message_is_signal);
#undef SYM
	sd.dl = dl;
	return 0;
}

static void bus_closep(sd_bus **b)
{
	if (*b)
		sd.close_unref(*b);
}

static void message_unrefp(sd_bus_message **m)
{
	if (*m)
		sd.message_unref(*m);
}

static void error_freep(sd_bus_error *e)
{
	sd.error_free(e);
}

/* The system bus, if there is one: 1 with *RET, 0 if none (no socket).
 * As sd_bus_open_system() does, with the timeout set before Hello. */
static int bus_open(sd_bus **ret, char *why, size_t why_size)
{
	const char *address = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	int r = load(why, why_size);

	if (r < 0)
		return r;
	/* Each of these returns 0 or more on success (set_address 1). */
	r = sd.new_(ret);
	if (r >= 0)
		r = sd.set_address(*ret, address ?: "unix:path=/run/dbus/system_bus_socket");
	if (r >= 0)
		r = sd.set_bus_client(*ret, 1);
	if (r >= 0)
		r = sd.set_timeout(*ret, CALL_TIMEOUT_USEC);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot make a D-Bus connection: %s", strerror(-r));
	r = sd.start(*ret);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return 0; /* no bus: no firewalld either */
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot connect to the system bus: %s", strerror(-r));
	return 1;
}

/* Method MEMBER of firewalld's zone interface with string arguments A
 * (and B, if not NULL), its string answer into OUT (may be NULL). */
static int zone_call(sd_bus *bus, const char *to, const char *member, const char *a, const char *b, char *out,
		     size_t out_size, char *why, size_t why_size)
{
	_cleanup_(message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *s = NULL;
	int r;

	if (b)
		r = sd.call_method(bus, to, FW_PATH, FW_ZONE, member, &error, &reply, "ss", a, b);
	else
		r = sd.call_method(bus, to, FW_PATH, FW_ZONE, member, &error, &reply, "s", a);
	if (r < 0) {
		/* firewalld's errors are its exception's name then a colon:
		 * "INVALID_ZONE: qnet". */
		if (error.message && !strncmp(error.message, "INVALID_ZONE", 12))
			return qnet_because(why, why_size, -ENOENT,
					    "firewalld has no zone %s (qnet's firewalld/zones/%s.xml, then "
					    "firewall-cmd --reload)", QNET_FIREWALLD_ZONE, QNET_FIREWALLD_ZONE);
		return qnet_because(why, why_size, r, "firewalld's %s: %s", member,
				    error.message ?: strerror(-r));
	}
	if (!out)
		return 0;
	r = sd.message_read(reply, "s", &s);
	if (r < 0)
		return qnet_because(why, why_size, r, "firewalld's %s: an answer that is not a string", member);
	snprintf(out, out_size, "%s", s);
	return 0;
}

#define UNIQUE_NAME_MAX 256

/* The unique name of whoever owns firewalld's name on BUS into OWNER: 1,
 * 0 if nobody does, or -errno. */
static int owner_of(sd_bus *bus, char owner[UNIQUE_NAME_MAX], char *why, size_t why_size)
{
	_cleanup_(message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *s = NULL;
	int r;

	r = sd.call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			   "GetNameOwner", &error, &reply, "s", FW_NAME);
	if (r < 0 && error.name && streq(error.name, "org.freedesktop.DBus.Error.NameHasNoOwner"))
		return 0;
	if (r >= 0)
		r = sd.message_read(reply, "s", &s);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot ask the system bus for %s: %s", FW_NAME,
				    error.message ?: strerror(-r));
	snprintf(owner, UNIQUE_NAME_MAX, "%s", s);
	return 1;
}

/* The bus, when firewalld is on it: 1 with *BUS and its unique name in
 * OWNER, 0 if not, or -errno. */
static int firewalld(sd_bus **bus, char owner[UNIQUE_NAME_MAX], char *why, size_t why_size)
{
	int r = bus_open(bus, why, why_size);

	return r <= 0 ? r : owner_of(*bus, owner, why, why_size);
}

int qnet_firewalld_table(void)
{
	return qnet_firewall_table_exists(NFPROTO_INET, QNET_FIREWALLD_TABLE);
}

int qnet_firewalld_running(char *why, size_t why_size)
{
	_cleanup_(bus_closep) sd_bus *bus = NULL;
	char owner[UNIQUE_NAME_MAX];

	return firewalld(&bus, owner, why, why_size);
}

int qnet_firewalld_zone_of(const char *ifname, char *zone, size_t zone_size, char *why, size_t why_size)
{
	_cleanup_(bus_closep) sd_bus *bus = NULL;
	char owner[UNIQUE_NAME_MAX];
	int r = firewalld(&bus, owner, why, why_size);

	if (r == 0)
		return -ENOTCONN;
	if (r < 0)
		return r;
	return zone_call(bus, owner, "getZoneOfInterface", ifname, NULL, zone, zone_size, why, why_size);
}

/* IFNAME into our zone (IN) or out of it, if firewalld runs and it is
 * not so already: 1 if it was moved, 0 if not. */
static int zone_move(const char *ifname, bool in, char *why, size_t why_size)
{
	_cleanup_(bus_closep) sd_bus *bus = NULL;
	char zone[256] = "", owner[UNIQUE_NAME_MAX];
	int r = firewalld(&bus, owner, why, why_size);

	if (r <= 0)
		return r;
	r = zone_call(bus, owner, "getZoneOfInterface", ifname, NULL, zone, sizeof(zone), why, why_size);
	if (r < 0 || streq(zone, QNET_FIREWALLD_ZONE) == in)
		return r;
	/* changeZoneOfInterface, not addInterface: it also takes the bridge
	 * out of a zone someone else put it in. */
	if (in)
		r = zone_call(bus, owner, "changeZoneOfInterface", QNET_FIREWALLD_ZONE, ifname, NULL, 0, why,
			      why_size);
	else
		r = zone_call(bus, owner, "removeInterface", QNET_FIREWALLD_ZONE, ifname, NULL, 0, why, why_size);
	return r < 0 ? r : 1;
}

int qnet_firewalld_zone_ensure(const char *ifname, char *why, size_t why_size)
{
	return zone_move(ifname, true, why, why_size);
}

int qnet_firewalld_zone_release(const char *ifname, char *why, size_t why_size)
{
	return zone_move(ifname, false, why, why_size);
}

/* ---- qnet watch ---- */

struct qnet_firewalld_watch {
	sd_bus *bus;
	bool heard;
};

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct qnet_firewalld_watch *w = userdata;
	const char *name = NULL, *old_owner = NULL, *new_owner = NULL;

	(void)error;
	if (sd.is_signal(m, "org.freedesktop.DBus", "NameOwnerChanged")) {
		/* Coming up, not going: a firewalld that went has no zones. */
		if (sd.message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && new_owner && *new_owner)
			w->heard = true;
	} else {
		w->heard = true; /* Reloaded */
	}
	return 0;
}

void qnet_firewalld_watch_close(struct qnet_firewalld_watch *w)
{
	if (!w)
		return;
	if (w->bus)
		sd.close_unref(w->bus);
	free(w);
}

int qnet_firewalld_watch_open(struct qnet_firewalld_watch **ret, int *fd)
{
	struct qnet_firewalld_watch *w;
	char why[QNET_REASON_MAX];
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	r = bus_open(&w->bus, why, sizeof(why));
	if (r == 0)
		r = -ENOENT;
	/* Both matches are the bus's to filter: we hear nothing else. */
	if (r > 0)
		r = sd.add_match(w->bus, NULL,
				 "type='signal',sender='" FW_NAME "',path='" FW_PATH "',interface='" FW_NAME
				 "',member='Reloaded'",
				 on_signal, w);
	if (r >= 0)
		r = sd.add_match(w->bus, NULL,
				 "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
				 "member='NameOwnerChanged',arg0='" FW_NAME "'",
				 on_signal, w);
	if (r >= 0)
		r = sd.get_fd(w->bus);
	if (r < 0) {
		qnet_firewalld_watch_close(w);
		return r;
	}
	*fd = r;
	*ret = w;
	return 0;
}

int qnet_firewalld_watch_read(struct qnet_firewalld_watch *w)
{
	int r;

	w->heard = false;
	/* Bounded: each round handles one message, and a flood of them
	 * waits for the next poll. */
	for (int i = 0; i < 1024; i++) {
		r = sd.process(w->bus, NULL);
		if (r < 0)
			return r;
		if (r == 0)
			break;
	}
	return w->heard ? 1 : 0;
}
