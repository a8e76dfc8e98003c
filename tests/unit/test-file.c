// SPDX-License-Identifier: GPL-2.0-or-later
/* qnet_file_open_trusted(): the walk from / down to the file (lib/file.c). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "macro.h"
#include "../tap.h"

static char tmpdir[] = "/tmp/qnet-test-file.XXXXXX";

static void path_of(char *buf, const char *rel)
{
	snprintf(buf, PATH_MAX, "%s/%s", tmpdir, rel);
}

static void make_dir(const char *rel, mode_t mode, uid_t uid)
{
	char p[PATH_MAX];

	path_of(p, rel);
	if ((mkdir(p, 0700) < 0 && errno != EEXIST) || chmod(p, mode) < 0 || chown(p, uid, 0) < 0)
		abort();
}

static void make_file(const char *rel)
{
	char p[PATH_MAX];
	int fd;

	path_of(p, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "x\n", 2) != 2 || fchmod(fd, 0644) < 0)
		abort();
	close(fd);
}

/* Open TEXT (a path, "@" replaced by tmpdir); the result and the refusal. */
static int open_it(const char *text, struct qnet_file_refusal *why)
{
	char p[PATH_MAX];
	FILE *f = NULL;
	int r;

	if (text[0] == '@')
		snprintf(p, sizeof(p), "%s%s", tmpdir, text + 1);
	else
		snprintf(p, sizeof(p), "%s", text);
	r = qnet_file_open_trusted(p, &f, why);
	if (f)
		fclose(f);
	return r;
}

/* WHY.where, relative to tmpdir ("@..."), for comparisons. */
static const char *rel(const struct qnet_file_refusal *why)
{
	static char buf[PATH_MAX];
	size_t n = strlen(tmpdir);

	if (strncmp(why->where, tmpdir, n) == 0)
		snprintf(buf, sizeof(buf), "@%s", why->where + n);
	else
		snprintf(buf, sizeof(buf), "%s", why->where);
	return buf;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	struct qnet_file_refusal why;
	char p[PATH_MAX];
	int r;

	r = open_it("etc/qemu/bridge.conf", &why);
	ok(r == -EINVAL && why.why && strstr(why.why, "not absolute"), "a relative path is refused");
	if (geteuid() != 0) {
		printf("ok %d # SKIP the rest needs root (only root-owned files are trusted)\n", ++tap_n);
		return tap_done();
	}
	if (!mkdtemp(tmpdir))
		abort();
	if (chmod(tmpdir, 0755) < 0)
		abort();
	make_dir("a", 0755, 0);
	make_dir("a/b", 0755, 0);
	make_file("a/b/f.conf");

	is_int(open_it("@/a/b/f.conf", &why), 0, "root-owned directories and file: trusted");
	is_int(open_it("@//a/./b//f.conf", &why), 0, "'//' and '/./' are skipped");
	is_int(open_it("@/a/b/../b/f.conf", &why), 0, "'..' lands on a directory that is checked again");
	r = open_it("@/a/b/", &why);
	ok(r == -EISDIR && streq(why.why, "is not a regular file"), "a path ending in '/' is not a regular file");
	r = open_it("@/a/b/f.conf/", &why);
	ok(r == -ENOTDIR && why.dir, "a file with a trailing '/' is not a directory");
	r = open_it("@/a/b/nothere.conf", &why);
	ok(r == -ENOENT && !why.dir && !why.why, "a missing file is -ENOENT, no rule");
	r = open_it("@/a/nodir/f.conf", &why);
	ok(r == -ENOENT && why.dir, "a missing directory is -ENOENT too, and named");
	is_str(rel(&why), "@/a/nodir", "... naming the missing directory");

	make_dir("a/b", 0775, 0);
	r = open_it("@/a/b/f.conf", &why);
	ok(r == -EPERM && why.dir && streq(why.why, "directory is writable by group or others"),
	   "group-writable directory: refused");
	is_str(rel(&why), "@/a/b", "... naming it");
	make_dir("a/b", 0755, 65534);
	r = open_it("@/a/b/f.conf", &why);
	ok(r == -EPERM && why.dir && streq(why.why, "directory is not owned by root"),
	   "directory owned by another user: refused");
	make_dir("a/b", 01777, 0);
	is_int(open_it("@/a/b/f.conf", &why), 0, "root's sticky 1777 directory: trusted");
	make_dir("a/b", 01777, 65534);
	r = open_it("@/a/b/f.conf", &why);
	ok(r == -EPERM && streq(why.why, "directory is not owned by root"),
	   "sticky directory of another user: refused");
	make_dir("a/b", 0755, 0);
	make_dir("a", 0757, 0);
	r = open_it("@/a/b/f.conf", &why);
	ok(r == -EPERM && streq(rel(&why), "@/a"), "a directory higher up is checked too: %s", rel(&why));
	make_dir("a", 0755, 0);

	path_of(p, "link");
	if (symlink("a", p) < 0)
		abort();
	r = open_it("@/link/b/f.conf", &why);
	ok(r == -ELOOP && why.dir && streq(why.why, "is a symbolic link") && streq(rel(&why), "@/link"),
	   "a symlink to a trusted directory on the way: refused, named");
	path_of(p, "a/b/flink.conf");
	if (symlink("f.conf", p) < 0)
		abort();
	r = open_it("@/a/b/flink.conf", &why);
	ok(r == -ELOOP && !why.dir && streq(why.why, "is a symbolic link"), "a symlinked file: refused");
	r = open_it("@/a/b/f.conf/x", &why);
	ok(r == -ENOTDIR && why.dir && streq(why.why, "is not a directory") && streq(rel(&why), "@/a/b/f.conf"),
	   "a file used as a directory: refused, named");
	path_of(p, "a/b/f.conf");
	if (chown(p, 65534, 0) < 0)
		abort();
	r = open_it("@/a/b/f.conf", &why);
	ok(r == -EPERM && !why.dir && streq(why.why, "is not owned by root") && streq(rel(&why), "@/a/b/f.conf"),
	   "the file itself not root's: refused as before");

	if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
