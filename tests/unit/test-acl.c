// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bridge helper's ACL as a specification: QEMU's bridge.conf decisions,
 * where we are stricter and why, qnet.conf grants, and the differential
 * corpus in tests/acl-corpus/ (files must be root-owned to be trusted, so
 * the parts that read files need root; the rest runs as anyone).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acl-private.h"
#include "config.h"
#include "macro.h"
#include "../tap.h"

static const gid_t no_groups[1];
static const struct qnet_acl_subject nobody_special = {
	.uid = 4242, .gid = 4242, .user = NULL, .groups = no_groups, .n_groups = 0,
};

struct diags {
	unsigned errors, last_line;
	char last[512];
};

static void collect(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	struct diags *d = userdata;

	d->errors += is_error;
	d->last_line = line;
	snprintf(d->last, sizeof(d->last), "%s", msg);
}

/* Decision for BRIDGE under the bridge.conf TEXT, no grants. */
static struct qnet_acl_decision decide_text(const char *text, size_t len, const char *bridge,
					    struct diags *d)
{
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	struct qnet_acl_decision out;
	struct diags ignored;

	if (!d)
		d = &ignored;
	memset(d, 0, sizeof(*d));
	if (qnet_acl_parse_buffer("test.conf", text, len, &acl, collect, d) == -ENOMEM)
		abort();
	qnet_acl_evaluate(acl, NULL, &nobody_special, bridge, &out);
	return out;
}

static bool allowed(const char *text, const char *bridge)
{
	return decide_text(text, strlen(text), bridge, NULL).allowed;
}

static void test_qemu_semantics(void)
{
	struct qnet_acl_decision d;
	struct diags dg;

	ok(!allowed("", "br0"), "an empty file allows nothing");
	ok(allowed("allow br0\n", "br0"), "allow NAME allows NAME");
	ok(!allowed("allow br0\n", "br1"), "allow NAME allows nothing else");
	ok(allowed("allow all\n", "anything0"), "allow all allows every bridge");
	ok(!allowed("allow all\ndeny all\n", "br0"), "deny all wins over allow all");
	ok(!allowed("deny br0\nallow all\n", "br0"), "a deny before an allow wins");
	ok(!allowed("allow all\ndeny br0\n", "br0"), "a deny after an allow wins");
	ok(allowed("allow all\ndeny br0\n", "br1"), "a deny of another bridge does not matter");
	ok(!allowed("deny all\nallow br0\n", "br0"), "deny all wins over allow NAME");
	ok(allowed("# allow br1\nallow br0\n", "br0") && !allowed("# allow br1\n", "br1"),
	   "# starts a comment");
	ok(allowed("   \t# c\n\n\t  allow br0\n", "br0"), "leading blanks and blank lines are ignored");
	ok(allowed("allow\tbr0\n", "br0"), "a tab separates command and name");
	ok(allowed("allow    br0 \t \r\n", "br0"), "blanks around the name are trimmed (CRLF too)");
	ok(allowed("allow br0", "br0"), "no newline at the end of the file");
	ok(!allowed("allow\tbr0 \nallow br1\n", "br1"),
	   "'allow<TAB>br0<SPACE>': QEMU splits at the space, so the command is unknown");
	/* QEMU trims with g_ascii_isspace(), for which '\v' is not a blank
	 * (C's isspace() disagrees): each of these is no rule for br0 there. */
	ok(!allowed("\vallow br0\n", "br0"), "a leading '\\v' is not skipped: QEMU's command is '\\vallow'");
	d = decide_text("allow br0\v\n", 11, "br0", &dg);
	ok(!d.allowed && dg.errors == 1,
	   "a trailing '\\v' is not trimmed: QEMU's name is 'br0\\v', an error here: %s", d.reason);
	d = decide_text("allow\t\vbr0\n", 11, "br0", &dg);
	ok(!d.allowed && dg.errors == 1,
	   "'\\v' after the separator is not trimmed: QEMU's name is '\\vbr0', an error here: %s",
	   d.reason);
	ok(allowed("\f\r allow \f\r\tbr0\f\r\t \n", "br0"), "'\\f' and '\\r' are blanks to QEMU too");
	ok(!allowed("ALLOW br0\n", "br0"), "commands are case-sensitive");
	ok(!allowed("allow ALL\n", "br0"), "'all' is case-sensitive");
	ok(allowed("allow brabcdefghijklm\n", "brabcdefghijklm"), "15-byte names work");

	d = decide_text("allow br0\n", 10, "br0", NULL);
	is_str(d.reason, "allowed by test.conf:1 (allow br0)", "the decision names file, line and rule");
	is_str(d.file, "test.conf", "decision file");
	is_int(d.line, 1, "decision line");
	is_str(d.rule, "allow br0", "decision rule");
	d = decide_text("allow all\n# x\ndeny all\n", 22, "br0", NULL);
	is_str(d.reason, "denied by test.conf:3 (deny all)", "a deny decision names its rule");
	d = decide_text("allow br1\n", 10, "br0", NULL);
	is_str(d.reason, "denied: no rule allows bridge br0", "no allow: denied, and said so");

	/* Errors: every one is reported, the first one is the reason. */
	d = decide_text("allow br0\nalow br1\nfoo bar\n", 26, "br0", &dg);
	ok(!d.allowed, "an unknown command denies everything");
	is_int(dg.errors, 2, "every error is reported, not only the first");
	is_str(d.reason, "denied: test.conf:2: unknown command 'alow'", "the first error is the reason");
	d = decide_text("allow br0\nallow\n", 16, "br0", &dg);
	ok(!d.allowed && dg.last_line == 2, "a command without argument is an error (line 2)");
	d = decide_text("allow br0\ndeny  \t\n", 18, "br0", &dg);
	ok(!d.allowed && dg.errors == 1, "stricter: 'deny' followed by blanks only is an error");
	d = decide_text("allow brabcdefghijklmn\n", 23, "brabcdefghijklmn", &dg);
	ok(!d.allowed && dg.errors == 1, "a 16-byte name is an error (CVE-2019-13164)");
	ok(!allowed("allow all\ndeny brabcdefghijklmn\n", "brabcdefghijklm"),
	   "a 16-byte deny is not truncated into a deny of the 15-byte name: it denies all");
	d = decide_text("allow br0\nallow ../x\n", 21, "br0", &dg);
	ok(!d.allowed && strstr(d.reason, "'/'"), "stricter: a name with '/' is an error: %s", d.reason);
	ok(!allowed("allow all\ndeny br0 br1\n", "br2"), "stricter: a name with blanks is an error");
	ok(!allowed("allow all\nallow br0:1\n", "br2"), "stricter: a name with ':' is an error");
	ok(!allowed("include \nallow br0\n", "br0"), "stricter: include with no file is an error");
	ok(!allowed("include relative.conf\nallow br0\n", "br0"),
	   "stricter: a relative include is an error (QEMU resolves it against the caller's cwd)");
}

static void test_hostile_buffers(void)
{
	struct qnet_acl_decision d;
	struct diags dg;
	char *big;
	size_t n;
	clock_t t0;

	d = decide_text("allow br0\0junk\n", 15, "br0", &dg);
	ok(!d.allowed && strstr(d.reason, "NUL"), "stricter: a NUL byte is an error: %s", d.reason);

	n = 1 << 20;
	big = malloc(n + 32);
	memset(big, 'x', n);
	big[0] = '#';
	memcpy(big + n, "\nallow br0\n", 12);
	d = decide_text(big, n + 11, "br0", &dg);
	ok(!d.allowed && strstr(d.reason, "longer than 4094"), "a 1 MiB line is an error: %s", d.reason);
	free(big);

	/* QEMU reads 4095 bytes at a time: the tail of a longer comment would
	 * become a line of its own. */
	big = malloc(4200);
	memset(big, 'x', 4095);
	big[0] = '#';
	memcpy(big + 4095, "allow br0\n", 11);
	ok(!decide_text(big, strlen(big), "br0", NULL).allowed,
	   "a comment over 4094 bytes cannot smuggle in a rule");
	memset(big, 'x', 4094);
	big[0] = '#';
	memcpy(big + 4094, "\nallow br0\n", 12);
	ok(decide_text(big, strlen(big), "br0", NULL).allowed, "a 4094-byte line is fine");
	free(big);

	/* 100,000 lines: linear, and the last line still counts. */
	n = 100000;
	big = malloc(n * 16 + 32);
	big[0] = '\0';
	{
		char *p = big;

		for (size_t i = 0; i < n - 1; i++)
			p += sprintf(p, "allow b%zu\n", i % 100000);
		p += sprintf(p, "deny b7\n");
		t0 = clock();
		d = decide_text(big, (size_t)(p - big), "b7", &dg);
	}
	ok(!d.allowed && strstr(d.reason, ":100000 (deny b7)"),
	   "100,000 lines: the deny on the last line wins: %s", d.reason);
	printf("# 100,000 lines parsed and evaluated in %.1f ms of CPU\n",
	       (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
	free(big);

	ok(!allowed("allow all\n", "br0 "), "bridge 'br0 ' (trailing blank) is refused");
	ok(!allowed("allow all\n", "../x"), "bridge '../x' is refused");
	ok(!allowed("allow all\n", "brabcdefghijklmn"), "a 16-byte bridge name is refused");
	ok(!allowed("allow all\n", ""), "an empty bridge name is refused");
}

static char *strv_static[16][4];

static char **strv(int slot, const char *a, const char *b)
{
	strv_static[slot][0] = (char *)a;
	strv_static[slot][1] = (char *)b;
	strv_static[slot][2] = NULL;
	return strv_static[slot];
}

static struct qnet_acl_decision with_grant(const char *acl_text, struct qnet_grant *g,
					   const struct qnet_acl_subject *who, const char *bridge)
{
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	struct qnet_config cfg = { .path = (char *)"qnet.conf", .grants = g, .n_grants = g ? 1 : 0 };
	struct qnet_acl_decision out;

	if (qnet_acl_parse_buffer("bridge.conf", acl_text, strlen(acl_text), &acl, NULL, NULL) == -ENOMEM)
		abort();
	qnet_acl_evaluate(acl, &cfg, who, bridge, &out);
	return out;
}

/* Two callers of the helper the grant tests judge. */
static const gid_t alice_groups[] = { 29, 4711 }; /* audio, and a group nobody names */
static const struct qnet_acl_subject alice = {
	.uid = 1000, .gid = 1000, .user = "alice", .groups = alice_groups, .n_groups = 2,
};
static const struct qnet_acl_subject bob = {
	.uid = 1001, .gid = 0, .user = "bob", .groups = no_groups, .n_groups = 0,
};

static void test_grants(void)
{
	struct qnet_grant g;
	struct qnet_acl_decision d;

	g = (struct qnet_grant){ .bridge = "br0", .line = 7, .allow_users = strv(0, "alice", NULL) };
	d = with_grant("", &g, &alice, "br0");
	ok(d.allowed, "allow-users grants the named user");
	is_str(d.reason, "allowed by qnet.conf:7 (allow-users alice)", "a grant decision names its line");
	ok(!with_grant("", &g, &bob, "br0").allowed, "allow-users grants no one else");
	ok(!with_grant("", &g, &alice, "br1").allowed, "a grant is for its bridge only");
	g.allow_users = strv(0, "bob", "1000");
	ok(with_grant("", &g, &alice, "br0").allowed, "a user may be named by uid");

	g = (struct qnet_grant){ .bridge = "br0", .line = 3, .allow_groups = strv(1, "4711", NULL) };
	ok(with_grant("", &g, &alice, "br0").allowed, "allow-groups matches a supplementary group (gid)");
	g.allow_groups = strv(1, "audio", NULL);
	ok(with_grant("", &g, &alice, "br0").allowed, "allow-groups matches a group by name");
	g.allow_groups = strv(1, "root", NULL);
	ok(with_grant("", &g, &bob, "br0").allowed, "allow-groups matches the real gid");
	ok(!with_grant("", &g, &alice, "br0").allowed, "allow-groups: not a member, not allowed");
	g.allow_groups = strv(1, "no-such-group-qnet", NULL);
	ok(!with_grant("", &g, &alice, "br0").allowed, "an unknown group has no members");

	g = (struct qnet_grant){ .bridge = "br0", .line = 9, .allow_users = strv(2, "alice", NULL),
				 .deny_groups = strv(3, "audio", NULL) };
	d = with_grant("", &g, &alice, "br0");
	ok(!d.allowed, "deny-groups wins over allow-users");
	is_str(d.reason, "denied by qnet.conf:9 (deny-groups audio)", "and says so");
	g = (struct qnet_grant){ .bridge = "br0", .deny_users = strv(4, "alice", NULL) };
	ok(!with_grant("allow all\n", &g, &alice, "br0").allowed,
	   "a deny-users in qnet.conf wins over allow all in bridge.conf");
	ok(with_grant("allow all\n", &g, &bob, "br0").allowed, "and denies only that user");
	{
		/* getpwuid() may find no name for the caller (or QEMU's helper
		 * runs in a container with another passwd): a deny by name
		 * still catches the uid that name stands for. */
		const struct qnet_acl_subject anon_root = {
			.uid = 0, .gid = 4711, .user = NULL, .groups = no_groups, .n_groups = 0,
		};

		g = (struct qnet_grant){ .bridge = "br0", .line = 2, .deny_users = strv(4, "root", NULL) };
		d = with_grant("allow all\n", &g, &anon_root, "br0");
		ok(!d.allowed, "deny-users NAME denies NAME's uid when the caller has no user name");
		is_str(d.reason, "denied by qnet.conf:2 (deny-users root)", "and says which entry");
		g = (struct qnet_grant){ .bridge = "br0", .allow_users = strv(4, "root", NULL) };
		ok(with_grant("", &g, &anon_root, "br0").allowed, "allow-users NAME likewise matches by uid");
	}
	g = (struct qnet_grant){ .bridge = "br0", .allow_users = strv(5, "alice", NULL) };
	d = with_grant("deny br0\n", &g, &alice, "br0");
	ok(!d.allowed, "a deny in bridge.conf wins over a grant");
	is_str(d.reason, "denied by bridge.conf:1 (deny br0)", "and is named as the reason");
	d = with_grant("allow br0\n", &g, &alice, "br0");
	is_str(d.reason, "allowed by bridge.conf:1 (allow br0)", "bridge.conf's allow is named first");
	d = with_grant("alow br0\n", &g, &alice, "br0");
	ok(!d.allowed, "an error in bridge.conf denies even a granted user");
	g = (struct qnet_grant){ .bridge = "br0", .isolated = true, .allow_users = strv(6, "bob", NULL) };
	ok(with_grant("", &g, &bob, "br0").isolated, "isolated= is passed on with the decision");

	{
		_cleanup_config_ struct qnet_config *cfg = NULL;
		const char *text = "[bridge br0]\nallow-groups = audio\ndeny-users = mallory\n";
		struct qnet_acl_decision out;
		int r = qnet_config_parse_buffer("qnet.conf", text, strlen(text), &cfg, NULL, NULL);

		is_int(r, 0, "qnet.conf with a [bridge] section parses");
		if (r == 0) {
			qnet_acl_evaluate(NULL, cfg, &alice, "br0", &out);
			is_str(out.reason, "allowed by qnet.conf:1 (allow-groups audio)",
			       "grants from a parsed qnet.conf, no bridge.conf");
		}
	}
}

/* The decision for WHO on BRIDGE under the qnet.conf TEXT, no bridge.conf. */
static struct qnet_acl_decision with_conf(const char *text, const struct qnet_acl_subject *who, const char *bridge)
{
	_cleanup_config_ struct qnet_config *cfg = NULL;
	struct qnet_acl_decision out;
	int r = qnet_config_parse_buffer("qnet.conf", text, strlen(text), &cfg, NULL, NULL);

	if (r == -ENOMEM)
		abort();
	if (r < 0)
		printf("# qnet.conf of the test has errors: %s\n", text);
	qnet_acl_evaluate(NULL, cfg, who, bridge, &out);
	return out;
}

static const uint64_t MBIT = 125000; /* bytes per second */

/* The port's properties in the decision (issue 14): the network's for its
 * bridge, a grant adding to them, filter-users/-groups forcing the filter
 * for the callers they name. */
static void test_port_properties(void)
{
	struct qnet_acl_decision d;
	const char *net_off = "[network lab]\nsubnet = 10.9.0.0/24\nfilter = no\n"
			      "[bridge qnet-lab]\nallow-users = alice bob\n";
	char text[512];

	d = with_conf("[bridge qnetbr0]\nallow-users = alice\n", &alice, "qnetbr0");
	ok(d.allowed && d.filter && !d.isolated && !d.rate_in && !d.rate_out,
	   "the default network's bridge: filtered by default, not isolated, no rate");
	d = with_conf("[network lab]\nsubnet = 10.9.0.0/24\nisolated = yes\nrate = 10mbit\n"
		      "[bridge qnet-lab]\nallow-users = alice\n", &alice, "qnet-lab");
	ok(d.allowed && d.filter && d.isolated && d.rate_in == 10 * MBIT && d.rate_out == 10 * MBIT,
	   "a network's filter, isolated and rate apply to helper ports on its bridge");
	d = with_conf("[bridge br0]\nallow-users = alice\n", &alice, "br0");
	ok(d.allowed && !d.filter && !d.isolated && !d.rate_in && !d.rate_out,
	   "a plain bridge: no filter, isolation or rate unless its grant says so");
	d = with_conf("[bridge br0]\nallow-users = alice\nfilter = yes\nrate-out = 1mbit\n", &alice, "br0");
	ok(d.filter && !d.rate_in && d.rate_out == MBIT, "a plain bridge's grant: filter = yes, rate-out");

	d = with_conf(net_off, &alice, "qnet-lab");
	ok(d.allowed && !d.filter, "filter = no on the network: not filtered");
	snprintf(text, sizeof(text), "%sfilter = yes\n", net_off);
	ok(with_conf(text, &alice, "qnet-lab").filter, "the grant's filter = yes wins over the network's no");
	snprintf(text, sizeof(text), "%sfilter-users = alice\n", net_off);
	ok(with_conf(text, &alice, "qnet-lab").filter, "filter-users forces the filter for the user it names");
	ok(!with_conf(text, &bob, "qnet-lab").filter, "... and for no one else");
	snprintf(text, sizeof(text), "%sfilter-users = 1001\n", net_off);
	ok(with_conf(text, &bob, "qnet-lab").filter && !with_conf(text, &alice, "qnet-lab").filter,
	   "filter-users by uid");
	snprintf(text, sizeof(text), "%sfilter-groups = audio\n", net_off);
	ok(with_conf(text, &alice, "qnet-lab").filter && !with_conf(text, &bob, "qnet-lab").filter,
	   "filter-groups forces it for members of a group named by name (supplementary)");
	snprintf(text, sizeof(text), "%sfilter-groups = no-such-group-qnet 4711\n", net_off);
	ok(with_conf(text, &alice, "qnet-lab").filter, "filter-groups by gid, past a group that does not exist");
	snprintf(text, sizeof(text), "%sfilter-groups = root\n", net_off);
	ok(with_conf(text, &bob, "qnet-lab").filter, "filter-groups matches the real gid");
	snprintf(text, sizeof(text), "[bridge br0]\nallow-users = alice\nfilter-users = alice\n");
	d = with_conf(text, &alice, "br0");
	ok(d.filter, "filter-users on a plain bridge");
	d = with_conf("[bridge br0]\ndeny-users = alice\nfilter-users = alice\n", &alice, "br0");
	ok(!d.allowed && d.filter, "the properties are decided for a denied caller too (qnet check shows them)");

	d = with_conf("[network lab]\nsubnet = 10.9.0.0/24\n[bridge qnet-lab]\nallow-users = alice\nisolated = yes\n",
		      &alice, "qnet-lab");
	ok(d.isolated && d.filter, "isolated = yes in the grant of a network's bridge: isolated, still filtered");
	d = with_conf("[network lab]\nsubnet = 10.9.0.0/24\nrate = 100mbit\n"
		      "[bridge qnet-lab]\nallow-users = alice\nrate-in = 5mbit\n", &alice, "qnet-lab");
	ok(d.rate_in == 5 * MBIT && d.rate_out == 100 * MBIT,
	   "the grant's rate-in replaces the network's, rate-out stays the network's");
	d = with_conf("[network lab]\nsubnet = 10.9.0.0/24\nrate-out = 100mbit\n"
		      "[bridge qnet-lab]\nallow-users = alice\nrate = 200mbit\n", &alice, "qnet-lab");
	ok(d.rate_in == 200 * MBIT && d.rate_out == 200 * MBIT, "the grant's rate = replaces the network's both ways");
	d = with_conf("[bridge br1]\nallow-users = alice\nfilter = yes\n", &alice, "br0");
	ok(!d.filter, "another bridge's grant says nothing about this one");
}

/* ---- files: need root, since only root-owned files are trusted ---- */

static char tmpdir[] = "/tmp/qnet-test-acl.XXXXXX";

static int write_file(const char *dir, const char *name, const char *text, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		abort();
	close(fd);
	return 0;
}

/* The corpus file NAME with @DIR@ replaced, into DIR/AS. */
static void install_corpus_file(const char *corpus, const char *name, const char *as)
{
	char path[PATH_MAX], *buf, *out, *p, *o;
	size_t len, cap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	f = fopen(path, "re");
	if (!f) {
		printf("# %s: %s\n", path, strerror(errno));
		abort();
	}
	buf = malloc(1 << 16);
	len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	cap = len * 4 + 64;
	out = malloc(cap);
	for (p = buf, o = out; p < buf + len;) {
		if ((size_t)(buf + len - p) >= 5 && !memcmp(p, "@DIR@", 5)) {
			o += sprintf(o, "%s", tmpdir);
			p += 5;
		} else {
			*o++ = *p++;
		}
	}
	write_file(tmpdir, as, out, (size_t)(o - out), 0644);
	free(buf);
	free(out);
}

static char decision_letter(const char *bridge)
{
	char path[PATH_MAX];
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	struct qnet_acl_decision d;
	int r;

	snprintf(path, sizeof(path), "%s/bridge.conf", tmpdir);
	r = qnet_acl_load(path, &acl, NULL, NULL);
	if (r == -ENOMEM)
		abort();
	qnet_acl_evaluate(acl, NULL, &nobody_special, bridge, &d);
	return d.allowed ? 'A' : 'D';
}

static void test_corpus(const char *src)
{
	char corpus[PATH_MAX], line[PATH_MAX + 64], bridges[4][IFNAMSIZ];
	unsigned cases = 0, never_more = 0, stricter = 0;
	FILE *f;

	snprintf(corpus, sizeof(corpus), "%s/tests/acl-corpus", src);
	snprintf(line, sizeof(line), "%s/expected", corpus);
	f = fopen(line, "re");
	ok(f != NULL, "corpus table %s opens", line);
	if (!f)
		return;
	{
		static const char *const incs[] = {
			"inc-allow-br1.conf", "inc-allow-all.conf", "inc-deny-br0.conf",
			"inc-nest-1.conf", "inc-nest-2.conf", "inc-bad.conf", "inc-bad-then-deny.conf",
			"inc-loop-a.conf", "inc-loop-b.conf", "inc-chain-1.conf", "inc-chain-2.conf",
			"inc-chain-3.conf", "inc-chain-4.conf", "inc-chain-5.conf", "inc-chain-6.conf",
			"inc-chain-7.conf", "inc-chain-8.conf", "inc-chain-9.conf",
		};

		for (size_t i = 0; i < ARRAY_SIZE(incs); i++)
			install_corpus_file(corpus, incs[i], incs[i]);
	}
	while (fgets(line, sizeof(line), f)) {
		char name[128], qemu[8], qnet[8], file[160], got[8] = "";

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "bridges %15s %15s %15s %15s", bridges[0], bridges[1], bridges[2],
			   bridges[3]) == 4)
			continue;
		if (sscanf(line, "%127s %7s %7s", name, qemu, qnet) != 3 || strlen(qemu) != 4 ||
		    strlen(qnet) != 4) {
			ok(0, "corpus line parses: %s", line);
			continue;
		}
		snprintf(file, sizeof(file), "%s.conf", name);
		install_corpus_file(corpus, file, "bridge.conf");
		for (int i = 0; i < 4; i++)
			got[i] = decision_letter(bridges[i]);
		cases++;
		is_str(got, qnet, "corpus %s: %s %s %s %s", name, bridges[0], bridges[1], bridges[2],
		       bridges[3]);
		for (int i = 0; i < 4; i++)
			never_more += qnet[i] == 'A' && qemu[i] == 'D';
		stricter += strcmp(qemu, qnet) != 0;
	}
	fclose(f);
	ok(cases >= 40, "the corpus has at least 40 cases (%u)", cases);
	is_int(never_more, 0, "the table never has qnet allow where QEMU denies");
	printf("# corpus: %u cases, %u where qnet is stricter than QEMU\n", cases, stricter);
}

static void test_files(void)
{
	char path[PATH_MAX], target[PATH_MAX];
	_cleanup_acl_ struct qnet_acl *acl = NULL;
	struct qnet_acl_decision d;
	struct diags dg = { 0 };
	int r;

	snprintf(path, sizeof(path), "%s/bridge.conf", tmpdir);
	write_file(tmpdir, "real.conf", "allow br0\n", 10, 0644);
	snprintf(target, sizeof(target), "%s/real.conf", tmpdir);
	unlink(path);
	if (symlink(target, path) < 0)
		abort();
	r = qnet_acl_load(path, &acl, collect, &dg);
	ok(r == -EINVAL && strstr(dg.last, "symbolic link"), "a symlinked bridge.conf is refused: %s",
	   dg.last);
	qnet_acl_free(TAKE_PTR(acl));

	write_file(tmpdir, "bridge.conf", "allow br0\n", 10, 0646);
	r = qnet_acl_load(path, &acl, collect, &dg);
	ok(r == -EINVAL && strstr(dg.last, "writable"), "a world-writable bridge.conf is refused");
	qnet_acl_free(TAKE_PTR(acl));

	write_file(tmpdir, "bridge.conf", "allow br0\n", 10, 0664);
	r = qnet_acl_load(path, &acl, collect, &dg);
	ok(r == -EINVAL && strstr(dg.last, "writable"), "a group-writable bridge.conf is refused");
	qnet_acl_free(TAKE_PTR(acl));

	write_file(tmpdir, "bridge.conf", "allow br0\n", 10, 0644);
	if (chown(path, 65534, 0) < 0)
		abort();
	r = qnet_acl_load(path, &acl, collect, &dg);
	ok(r == -EINVAL && strstr(dg.last, "not owned by root"), "a bridge.conf not owned by root is refused");
	qnet_acl_free(TAKE_PTR(acl));

	write_file(tmpdir, "bridge.conf", "allow br0\n", 10, 0640);
	if (chown(path, 0, 65534) < 0)
		abort();
	r = qnet_acl_load(path, &acl, collect, &dg);
	ok(r == 0 && qnet_acl_rule_count(acl) == 1, "root:GROUP 0640 is trusted");
	qnet_acl_free(TAKE_PTR(acl));

	snprintf(target, sizeof(target), "%s/real.conf", tmpdir);
	snprintf(path, sizeof(path), "%s/link.conf", tmpdir);
	unlink(path);
	if (symlink(target, path) < 0)
		abort();
	{
		char text[PATH_MAX + 64];
		int n = snprintf(text, sizeof(text), "allow br1\ninclude %s\n", path);

		write_file(tmpdir, "bridge.conf", text, (size_t)n, 0644);
	}
	snprintf(path, sizeof(path), "%s/bridge.conf", tmpdir);
	r = qnet_acl_load(path, &acl, collect, &dg);
	qnet_acl_evaluate(acl, NULL, &nobody_special, "br1", &d);
	ok(r == -EINVAL && !d.allowed && strstr(d.reason, "symbolic link"),
	   "a symlinked include denies: %s", d.reason);
	qnet_acl_free(TAKE_PTR(acl));

	unlink(path);
	r = qnet_acl_load(path, &acl, NULL, NULL);
	ok(r == -ENOENT && !acl, "an absent bridge.conf is -ENOENT");
}

static void test_decide(void)
{
	struct qnet_acl_decision d;
	const char *grant = "[bridge br1]\nallow-groups = audio\n";

	setenv("QNET_CONFDIR", tmpdir, 1);
	write_file(tmpdir, "bridge.conf", "allow br0\n", 10, 0644);
	write_file(tmpdir, "qnet.conf", grant, strlen(grant), 0644);
	is_int(qnet_acl_decide(&alice, "br0", &d), 0, "decide from CONFDIR");
	ok(d.allowed && strstr(d.reason, "bridge.conf:1 (allow br0)"), "bridge.conf allows: %s", d.reason);
	qnet_acl_decide(&alice, "br1", &d);
	ok(d.allowed && strstr(d.reason, "qnet.conf:1 (allow-groups audio)"), "qnet.conf grants: %s",
	   d.reason);
	write_file(tmpdir, "qnet.conf", "[bridge br1]\nallow-group = audio\n", 34, 0644);
	qnet_acl_decide(&alice, "br0", &d);
	ok(!d.allowed && strstr(d.reason, "qnet.conf:2"), "an error in qnet.conf denies: %s", d.reason);
	write_file(tmpdir, "qnet.conf", grant, strlen(grant), 0666);
	qnet_acl_decide(&alice, "br0", &d);
	ok(!d.allowed && strstr(d.reason, "writable"), "a world-writable qnet.conf denies: %s", d.reason);
	unlink("bridge.conf");
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/bridge.conf", tmpdir);
		unlink(path);
	}
	write_file(tmpdir, "qnet.conf", grant, strlen(grant), 0644);
	qnet_acl_decide(&alice, "br1", &d);
	ok(d.allowed, "no bridge.conf: qnet.conf grants still apply");
	qnet_acl_decide(&alice, "br0", &d);
	ok(!d.allowed, "no bridge.conf and no grant: denied");

	grant = "[bridge br0]\nallow-groups = audio\nrate = 10mbit\n"
		"[bridge lan0]\nallow-groups = audio\nfilter = yes\nrate-in = 1mbit\nrate-out = 20mbit\n";
	write_file(tmpdir, "qnet.conf", grant, strlen(grant), 0644);
	is_int(qnet_acl_decide_link(&alice, "lan0", "br0", &d), 0, "an alternative name: decided");
	ok(d.allowed && d.filter && d.rate_in == 125000 && d.rate_out == 1250000,
	   "an alternative name: the stricter of both names' properties (filter, the lower rates)");
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *src = getenv("QNET_SRC");

	test_qemu_semantics();
	test_hostile_buffers();
	test_grants();
	test_port_properties();
	if (geteuid() != 0 || !src) {
		printf("ok %d # SKIP file tests need root (only root-owned files are trusted) and QNET_SRC\n",
		       ++tap_n);
		return tap_done();
	}
	if (!mkdtemp(tmpdir))
		abort();
	chmod(tmpdir, 0755);
	test_corpus(src);
	test_files();
	test_decide();
	if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
