// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: bridge.conf and qnet.conf grants (see acl.h).
 *
 * This file runs inside qemu-bridge-helper after it has switched to the
 * caller's uid and gid but still holds CAP_NET_ADMIN, on files the caller
 * cannot write (qnet_file_open_trusted refuses any other). The parser is
 * a line-for-line copy of QEMU's parse_acl_file() semantics (leading
 * blanks skipped; first ' ', else first '\t', splits command from
 * argument; the argument is trimmed on both ends; "blank" is GLib's
 * g_ascii_isspace(), see is_space()) so that every file QEMU accepts gives
 * the same rules; everything QEMU accepts only by accident is an error
 * here, and an error anywhere denies. Nothing here grants by itself: the
 * single evaluation function below is the only place that says "allowed".
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acl-private.h"
#include "file.h"
#include "ifname.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "paths.h"

enum rule_type {
	RULE_ALLOW,
	RULE_ALLOW_ALL,
	RULE_DENY,
	RULE_DENY_ALL,
};

struct rule {
	enum rule_type type;
	char name[IFNAMSIZ];
	size_t file;            /* index into qnet_acl.files */
	unsigned line;
};

struct qnet_acl {
	struct rule *rules;
	size_t n_rules, n_alloc;
	char **files;           /* every file read, for file:line in decisions */
	size_t n_files;
	unsigned n_errors;
	char first_error[QNET_REASON_MAX];
	bool oom;
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct parser {
	struct qnet_acl *acl;
	qnet_diag_fn diag;
	void *userdata;
	/* The files being read, outermost first: a file that is its own
	 * ancestor is a loop. Depth 0 is bridge.conf (or the buffer). */
	struct file_id open[QNET_ACL_MAX_DEPTH + 1];
	unsigned depth;
};

static void acl_error(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void acl_error(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[QNET_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->acl->n_errors++ == 0)
		qnet_log_format_location(p->acl->first_error, sizeof(p->acl->first_error), file, line,
					 "%s", msg);
	if (p->diag)
		p->diag(p->userdata, file, line, true, msg);
}

/*
 * Exactly GLib's g_ascii_isspace(), which QEMU's parse_acl_file() trims
 * with since QEMU 4.1: ' ', '\t', '\n', '\f', '\r', and NOT '\v', which C's
 * isspace() counts. Trimming one byte more than QEMU would be more
 * permissive: "allow br0\v" is a rule for the name "br0\v" to QEMU (and an
 * error here), not one for br0; a leading '\v' makes QEMU's command
 * unknown. No byte >= 0x80 is a space to GLib either.
 */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int add_file(struct qnet_acl *acl, const char *name, size_t *index)
{
	char **files = reallocarray(acl->files, acl->n_files + 1, sizeof(*files));

	if (!files)
		return -ENOMEM;
	acl->files = files;
	files[acl->n_files] = strdup(name);
	if (!files[acl->n_files])
		return -ENOMEM;
	*index = acl->n_files++;
	return 0;
}

static int add_rule(struct qnet_acl *acl, enum rule_type type, const char *name, size_t file,
		    unsigned line)
{
	struct rule *r;

	if (acl->n_rules == acl->n_alloc) {
		size_t n = acl->n_alloc ? acl->n_alloc * 2 : 16;
		struct rule *rules = reallocarray(acl->rules, n, sizeof(*rules));

		if (!rules)
			return -ENOMEM;
		acl->rules = rules;
		acl->n_alloc = n;
	}
	r = &acl->rules[acl->n_rules++];
	*r = (struct rule){ .type = type, .file = file, .line = line };
	if (name)
		memcpy(r->name, name, strlen(name) + 1); /* checked < IFNAMSIZ by the caller */
	return 0;
}

static int parse_file(struct parser *p, const char *path, const char *from, unsigned from_line);

static int parse_line(struct parser *p, char *line, const char *file, size_t file_index,
		      unsigned lineno)
{
	char pbuf[QNET_IFNAME_PRINTABLE_SIZE];
	char *cmd, *arg, *end;
	const char *why;

	while (is_space(*line))
		line++;
	if (*line == '#' || *line == '\0')
		return 0;

	/* QEMU: the first space, and only if there is none the first tab. */
	cmd = line;
	arg = strchr(cmd, ' ');
	if (!arg)
		arg = strchr(cmd, '\t');
	if (!arg) {
		acl_error(p, file, lineno, "'%s' has no argument", qnet_ifname_printable(cmd, pbuf));
		return 0;
	}
	*arg++ = '\0';
	while (is_space(*arg))
		arg++;
	end = arg + strlen(arg);
	while (end > arg && is_space(end[-1]))
		end--;
	*end = '\0';

	if (streq(cmd, "include")) {
		if (!*arg) {
			acl_error(p, file, lineno, "include needs a file name");
			return 0;
		}
		/* QEMU opens a relative name from the caller's working directory,
		 * which the caller chooses. */
		if (arg[0] != '/') {
			acl_error(p, file, lineno, "include %s: path must be absolute",
				  qnet_ifname_printable(arg, pbuf));
			return 0;
		}
		return parse_file(p, arg, file, lineno);
	}

	if (!streq(cmd, "allow") && !streq(cmd, "deny")) {
		acl_error(p, file, lineno, "unknown command '%s'", qnet_ifname_printable(cmd, pbuf));
		return 0;
	}
	if (!*arg) {
		/* QEMU would add a rule for the empty name: a no-op nobody means. */
		acl_error(p, file, lineno, "%s needs a bridge name or 'all'", cmd);
		return 0;
	}
	if (streq(arg, "all"))
		return add_rule(p->acl, streq(cmd, "allow") ? RULE_ALLOW_ALL : RULE_DENY_ALL, NULL,
				file_index, lineno);
	why = qnet_ifname_invalid(arg);
	if (why) {
		acl_error(p, file, lineno, "%s '%s': %s", cmd, qnet_ifname_printable(arg, pbuf), why);
		return 0;
	}
	return add_rule(p->acl, streq(cmd, "allow") ? RULE_ALLOW : RULE_DENY, arg, file_index,
			lineno);
}

/* Reads F to the end; errors are reported and parsing goes on, so that
 * qnet check can list all of them. Only -ENOMEM stops it. */
static int parse_stream(struct parser *p, FILE *f, const char *file)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0, file_index;
	unsigned lineno = 0;
	ssize_t n;
	int r;

	r = add_file(p->acl, file, &file_index);
	if (r < 0)
		return r;
	/* errno tells getline()'s ENOMEM from the end of the file. */
	while ((errno = 0, n = getline(&line, &size, f)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (memchr(line, '\0', len)) {
			acl_error(p, file, lineno, "NUL byte in line");
			continue;
		}
		if (len > QNET_ACL_MAX_LINE) {
			acl_error(p, file, lineno, "line longer than %d bytes", QNET_ACL_MAX_LINE);
			continue;
		}
		r = parse_line(p, line, file, file_index, lineno);
		if (r < 0)
			return r;
	}
	if (errno == ENOMEM)
		return -ENOMEM;
	if (ferror(f))
		acl_error(p, file, 0, "read error: %s", strerror(errno ? errno : EIO));
	return 0;
}

/* FROM:FROM_LINE is the include line that named PATH (NULL for bridge.conf). */
static int parse_file(struct parser *p, const char *path, const char *from, unsigned from_line)
{
	char pbuf[QNET_IFNAME_PRINTABLE_SIZE], dbuf[QNET_IFNAME_PRINTABLE_SIZE];
	_cleanup_fclose_ FILE *f = NULL;
	struct qnet_file_refusal why;
	struct stat st;
	int r;

	if (from && p->depth >= QNET_ACL_MAX_DEPTH) {
		acl_error(p, from, from_line, "include %s: nested deeper than %d",
			  qnet_ifname_printable(path, pbuf), QNET_ACL_MAX_DEPTH);
		return 0;
	}
	r = qnet_file_open_trusted(path, &f, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (!from && r == -ENOENT)
			return -ENOENT;
		/* A directory at fault is named: it is what the admin must fix. */
		if (from && why.dir)
			acl_error(p, from, from_line, "include %s: %s: %s", qnet_ifname_printable(path, pbuf),
				  qnet_ifname_printable(why.where, dbuf), qnet_file_refusal_reason(&why, r));
		else if (from)
			acl_error(p, from, from_line, "include %s: %s", qnet_ifname_printable(path, pbuf),
				  qnet_file_refusal_reason(&why, r));
		else
			acl_error(p, why.where, 0, "%s", qnet_file_refusal_reason(&why, r));
		return 0;
	}
	if (fstat(fileno(f), &st) < 0) {
		acl_error(p, path, 0, "%s", strerror(errno));
		return 0;
	}
	for (unsigned i = 0; from && i <= p->depth; i++)
		if (p->open[i].dev == st.st_dev && p->open[i].ino == st.st_ino) {
			acl_error(p, from, from_line, "include %s: include loop",
				  qnet_ifname_printable(path, pbuf));
			return 0;
		}
	if (from)
		p->depth++;
	p->open[p->depth] = (struct file_id){ .dev = st.st_dev, .ino = st.st_ino };
	r = parse_stream(p, f, path);
	if (from)
		p->depth--;
	return r;
}

static int acl_finish(struct parser *p, int r, struct qnet_acl **ret)
{
	if (r == -ENOMEM || r == -ENOENT) {
		qnet_acl_free(p->acl);
		return r;
	}
	*ret = p->acl;
	return p->acl->n_errors ? -EINVAL : 0;
}

int qnet_acl_load(const char *path, struct qnet_acl **ret, qnet_diag_fn diag, void *userdata)
{
	struct parser p = { .diag = diag, .userdata = userdata };

	p.acl = calloc(1, sizeof(*p.acl));
	if (!p.acl)
		return -ENOMEM;
	return acl_finish(&p, parse_file(&p, path, NULL, 0), ret);
}

int qnet_acl_parse_buffer(const char *name, const char *buf, size_t len, struct qnet_acl **ret,
			  qnet_diag_fn diag, void *userdata)
{
	struct parser p = { .diag = diag, .userdata = userdata };
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	p.acl = calloc(1, sizeof(*p.acl));
	if (!p.acl)
		return -ENOMEM;
	/* fmemopen() of a zero-length buffer fails; an empty file is valid. */
	f = fmemopen((void *)(len ? buf : "\n"), len ? len : 1, "r");
	if (!f) {
		qnet_acl_free(p.acl);
		return -ENOMEM;
	}
	/* A buffer has no inode: the loop check starts at the first include. */
	p.open[0] = (struct file_id){ .dev = (dev_t)-1, .ino = (ino_t)-1 };
	r = parse_stream(&p, f, name);
	return acl_finish(&p, r, ret);
}

void qnet_acl_free(struct qnet_acl *acl)
{
	if (!acl)
		return;
	for (size_t i = 0; i < acl->n_files; i++)
		free(acl->files[i]);
	free(acl->files);
	free(acl->rules);
	free(acl);
}

void qnet_acl_freep(struct qnet_acl **acl)
{
	qnet_acl_free(*acl);
}

size_t qnet_acl_rule_count(const struct qnet_acl *acl)
{
	return acl ? acl->n_rules : 0;
}

/* ---- evaluation ---- */

/* A decimal uid or gid, the whole string; (uid_t)-1 is never an id. */
static bool parse_id(const char *s, unsigned long *ret)
{
	return s && qnet_parse_uint(s, UINT32_MAX - 1, ret) == 0;
}

/* getpwnam_r/getgrnam_r with a buffer that grows up to 1 MiB: 1 when
 * NAME exists (and fills what LOOKUP fills), 0 when it does not, -errno
 * when the database could not say. */
typedef int (*nss_lookup_fn)(const char *name, void *ent, char *buf, size_t size, void **res);

static int nss_lookup(nss_lookup_fn lookup, const char *name, void *ent)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 1024;
	void *res = NULL;
	int r;

	for (;;) {
		char *b = realloc(buf, size);

		if (!b)
			return -ENOMEM;
		buf = b;
		r = lookup(name, ent, buf, size, &res);
		if (r != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (r != 0)
		return -r;
	return res != NULL;
}

static int pw_lookup(const char *name, void *ent, char *buf, size_t size, void **res)
{
	return getpwnam_r(name, ent, buf, size, (struct passwd **)res);
}

static int gr_lookup(const char *name, void *ent, char *buf, size_t size, void **res)
{
	return getgrnam_r(name, ent, buf, size, (struct group **)res);
}

int qnet_acl_entry_resolves(const char *entry, bool groups)
{
	struct passwd pw;
	struct group gr;
	unsigned long id;

	/* An id needs no name: the evaluation compares it as a number. */
	if (parse_id(entry, &id))
		return 1;
	return groups ? nss_lookup(gr_lookup, entry, &gr) : nss_lookup(pw_lookup, entry, &pw);
}

/* Does ENTRY (a name or a decimal id) name WHO? 1 yes, 0 no, -errno when
 * the user database failed: a caller must not read that as "no" for a deny. */
static int user_matches(const struct qnet_acl_subject *who, const char *entry)
{
	struct passwd pw;
	unsigned long id;
	int r;

	if (parse_id(entry, &id))
		return id == who->uid;
	if (who->user && streq(who->user, entry))
		return 1;
	/* The caller's uid may have no name of its own (or another one):
	 * the entry's uid is what identifies it. */
	r = nss_lookup(pw_lookup, entry, &pw);
	if (r <= 0)
		return r;
	return pw.pw_uid == who->uid;
}

/* Is WHO in group ENTRY (real gid or supplementary)? 1, 0 (also for a
 * group that does not exist: it has no members), or -errno. */
static int group_matches(const struct qnet_acl_subject *who, const char *entry)
{
	struct group gr;
	unsigned long id;
	gid_t gid;
	int r;

	if (parse_id(entry, &id)) {
		gid = (gid_t)id;
	} else {
		r = nss_lookup(gr_lookup, entry, &gr);
		if (r <= 0)
			return r;
		gid = gr.gr_gid;
	}
	if (gid == who->gid)
		return 1;
	for (size_t i = 0; i < who->n_groups; i++)
		if (who->groups[i] == gid)
			return 1;
	return 0;
}

/* The first entry of LIST that matches WHO, or NULL. In a deny list an
 * entry that cannot be looked up counts as a match, with *ERR set (fail
 * closed); in an allow list it is skipped: it grants nothing. */
static const char *grant_match(char **list, const struct qnet_acl_subject *who, bool groups,
			       bool is_deny, int *err)
{
	*err = 0;
	for (size_t i = 0; list && list[i]; i++) {
		int r = groups ? group_matches(who, list[i]) : user_matches(who, list[i]);

		if (r > 0 || (r < 0 && is_deny)) {
			*err = r < 0 ? r : 0;
			return list[i];
		}
	}
	return NULL;
}

static void decide(struct qnet_acl_decision *out, bool allowed, const char *file, unsigned line,
		   const char *rule)
{
	char pbuf[QNET_IFNAME_PRINTABLE_SIZE];

	out->allowed = allowed;
	snprintf(out->file, sizeof(out->file), "%s", file);
	out->line = line;
	snprintf(out->rule, sizeof(out->rule), "%s", rule);
	snprintf(out->reason, sizeof(out->reason), "%s by %s:%u (%s)",
		 allowed ? "allowed" : "denied", file, line, qnet_ifname_printable(rule, pbuf));
}

static void deny_because(struct qnet_acl_decision *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void deny_because(struct qnet_acl_decision *out, const char *fmt, ...)
{
	char why[QNET_REASON_MAX - 16]; /* "denied: " goes before it in out->reason */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	out->allowed = false;
	snprintf(out->reason, sizeof(out->reason), "denied: %s", why);
}

static bool rule_matches(const struct rule *r, const char *bridge)
{
	return r->type == RULE_ALLOW_ALL || r->type == RULE_DENY_ALL || streq(r->name, bridge);
}

static const char *rule_text(const struct rule *r, char *buf, size_t size)
{
	static const char *const verb[] = {
		[RULE_ALLOW] = "allow", [RULE_ALLOW_ALL] = "allow",
		[RULE_DENY] = "deny", [RULE_DENY_ALL] = "deny",
	};
	bool all = r->type == RULE_ALLOW_ALL || r->type == RULE_DENY_ALL;

	snprintf(buf, size, "%s %s", verb[r->type], all ? "all" : r->name);
	return buf;
}

/* Does LIST, G's KEY ("deny-users", ...), decide for WHO? Then OUT holds
 * the decision and the answer is true. */
static bool grant_decides(struct qnet_acl_decision *out, const struct qnet_config *cfg,
			  const struct qnet_grant *g, const struct qnet_acl_subject *who,
			  const char *key, char **list, bool is_deny, bool groups)
{
	char text[64], pbuf[QNET_IFNAME_PRINTABLE_SIZE], why[QNET_REASON_MAX];
	const char *entry;
	int err;

	entry = grant_match(list, who, groups, is_deny, &err);
	if (!entry)
		return false;
	if (err < 0) {
		qnet_log_format_location(why, sizeof(why), cfg->path, g->line, "%s %s: cannot look it up: %s",
					 key, qnet_ifname_printable(entry, pbuf), strerror(-err));
		deny_because(out, "%s", why);
		return true;
	}
	snprintf(text, sizeof(text), "%s %s", key, entry);
	decide(out, !is_deny, cfg->path, g->line, text);
	return true;
}

/*
 * The port WHO would get on BRIDGE: qnet_config_port_props(), the same
 * precedence the root scripts use, plus what only the helper knows, its
 * caller: a filter-users or filter-groups entry naming WHO forces the
 * filter. An entry that cannot be looked up forces it too (grant_match's
 * deny mode): not knowing who the caller is must never mean less
 * filtering.
 */
static void decide_port(struct qnet_acl_decision *out, const struct qnet_config *cfg, const struct qnet_grant *g,
			const struct qnet_acl_subject *who, const char *bridge)
{
	struct qnet_config_props props;
	int err;

	qnet_config_port_props(cfg, bridge, NULL, &props);
	out->filter = props.filter;
	out->isolated = props.isolated;
	out->rate_in = props.rate_in;
	out->rate_out = props.rate_out;
	if (g && !out->filter)
		out->filter = grant_match(g->filter_users, who, false, true, &err) ||
			      grant_match(g->filter_groups, who, true, true, &err);
}

/* The lower of two rates, 0 being none. */
static uint64_t stricter_rate(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

bool qnet_acl_may_allow(const struct qnet_acl *acl, const struct qnet_config *cfg, const char *bridge)
{
	const struct qnet_grant *g = cfg ? qnet_config_grant(cfg, bridge) : NULL;
	bool allowed = g && ((g->allow_users && g->allow_users[0]) || (g->allow_groups && g->allow_groups[0]));

	/* As in qnet_acl_evaluate(): a matching deny rule wins over everything. */
	for (size_t i = 0; acl && i < acl->n_rules; i++) {
		const struct rule *r = &acl->rules[i];

		if (!rule_matches(r, bridge))
			continue;
		if (r->type == RULE_DENY || r->type == RULE_DENY_ALL)
			return false;
		allowed = true;
	}
	return allowed;
}

int qnet_acl_evaluate(const struct qnet_acl *acl, const struct qnet_config *cfg,
		      const struct qnet_acl_subject *who, const char *bridge,
		      struct qnet_acl_decision *out)
{
	char pbuf[QNET_IFNAME_PRINTABLE_SIZE], text[64];
	const struct qnet_grant *g = NULL;
	const struct rule *allow = NULL;
	const char *why;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!who || !bridge) {
		deny_because(out, "no caller or bridge given");
		return -EINVAL;
	}
	why = qnet_ifname_invalid(bridge);
	if (why) {
		deny_because(out, "bridge '%s': %s", qnet_ifname_printable(bridge, pbuf), why);
		return 0;
	}
	if (acl && acl->n_errors) {
		deny_because(out, "%s", acl->first_error);
		return 0;
	}
	if (cfg) {
		g = qnet_config_grant(cfg, bridge);
		decide_port(out, cfg, g, who, bridge);
	}

	/* A deny anywhere wins, wherever it is in the files. */
	for (size_t i = 0; acl && i < acl->n_rules; i++) {
		const struct rule *r = &acl->rules[i];

		if (!rule_matches(r, bridge))
			continue;
		if (r->type == RULE_DENY || r->type == RULE_DENY_ALL) {
			decide(out, false, acl->files[r->file], r->line, rule_text(r, text, sizeof(text)));
			return 0;
		}
		if (!allow)
			allow = r;
	}
	if (g && (grant_decides(out, cfg, g, who, "deny-users", g->deny_users, true, false) ||
		  grant_decides(out, cfg, g, who, "deny-groups", g->deny_groups, true, true)))
		return 0;
	if (allow) {
		decide(out, true, acl->files[allow->file], allow->line,
		       rule_text(allow, text, sizeof(text)));
		return 0;
	}
	if (g && (grant_decides(out, cfg, g, who, "allow-users", g->allow_users, false, false) ||
		  grant_decides(out, cfg, g, who, "allow-groups", g->allow_groups, false, true)))
		return 0;
	deny_because(out, "no rule allows bridge %s", bridge);
	return 0;
}

struct first_diag {
	char text[QNET_REASON_MAX];
	bool seen;
};

static void remember_first_error(void *userdata, const char *file, unsigned line, bool is_error,
				 const char *msg)
{
	struct first_diag *d = userdata;

	if (!is_error || d->seen)
		return;
	d->seen = true;
	qnet_log_format_location(d->text, sizeof(d->text), file, line, "%s", msg);
}

/* Both files as qnet_acl_decide reads them: 0, or 1 when OUT already holds
 * the denial a file that cannot be read or parsed makes, or -ENOMEM. */
static int load_rules(struct qnet_acl **acl, struct qnet_config **cfg, struct qnet_acl_decision *out)
{
	struct first_diag cfg_error = { .seen = false };
	char path[PATH_MAX];
	int r;

	r = qnet_paths_join(path, sizeof(path), qnet_paths_confdir(), "bridge.conf");
	if (r < 0) {
		deny_because(out, "%s/bridge.conf: %s", qnet_paths_confdir(), strerror(-r));
		return 1;
	}
	r = qnet_acl_load(path, acl, NULL, NULL);
	if (r == -ENOMEM)
		return r;
	/* -ENOENT: no bridge.conf, no rules. -EINVAL: ACL holds its errors. */

	/* The grants and what a port gets: no network's IPv6 prefix. */
	r = qnet_config_load_flags(NULL, QNET_CONFIG_PORTS_ONLY, cfg, remember_first_error, &cfg_error);
	if (r == -ENOMEM)
		return r;
	/* A qnet.conf with errors grants nothing and denies nothing: it denies. */
	if (r < 0)
		qnet_config_free(TAKE_PTR(*cfg));
	if (r < 0 && !(*acl && (*acl)->n_errors)) {
		if (cfg_error.seen)
			deny_because(out, "%s", cfg_error.text);
		else
			deny_because(out, "%s/qnet.conf: %s", qnet_paths_confdir(), strerror(-r));
		return 1;
	}
	return 0;
}

int qnet_acl_decide(const struct qnet_acl_subject *who, const char *bridge,
		    struct qnet_acl_decision *out)
{
	return qnet_acl_decide_link(who, bridge, NULL, out);
}

int qnet_acl_decide_link(const struct qnet_acl_subject *who, const char *requested, const char *real,
			 struct qnet_acl_decision *out)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	struct qnet_acl_decision as_real, as_requested;
	char pbuf[QNET_IFNAME_PRINTABLE_SIZE];
	int r;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	r = load_rules(&acl, &cfg, out);
	if (r != 0)
		return r < 0 ? r : 0;
	r = qnet_acl_evaluate(acl, cfg, who, requested, out);
	if (r < 0 || !real || streq(real, requested))
		return r;

	/* REQUESTED is an alternative name of REAL. QEMU judges the string it
	 * was given; qnet's rules are about the bridge itself. Allowed only if
	 * both names are, denied by whichever denies, so that neither a deny
	 * of br0 nor one of lan0 can be stepped around by naming the other. */
	r = qnet_acl_evaluate(acl, cfg, who, real, &as_real);
	if (r < 0) {
		*out = as_real;
		return r;
	}
	if (out->allowed != as_real.allowed) {
		const struct qnet_acl_decision *no = out->allowed ? &as_real : out;
		char why[QNET_REASON_MAX];

		snprintf(why, sizeof(why), "%s", no->reason);
		deny_because(out, "%s is an alternative name of bridge %s, and the rules judge them differently: %s",
			     qnet_ifname_printable(requested, pbuf), real, why);
		return 0;
	}
	/* Either name's grant may ask for more protection: both get it. */
	as_requested = *out;
	*out = as_real;
	out->isolated |= as_requested.isolated;
	out->filter |= as_requested.filter;
	out->rate_in = stricter_rate(out->rate_in, as_requested.rate_in);
	out->rate_out = stricter_rate(out->rate_out, as_requested.rate_out);
	return 0;
}
