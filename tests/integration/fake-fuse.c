// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-fuse: what a user's FUSE server may answer, for the tests of
 * lib/file.c. Mounts (mount(2), so run it as root in the test's private
 * mount namespace) a read-only FUSE file system on MOUNTPOINT that says
 * root owns everything, recorded as mounted by uid 65534 as fusermount
 * would record it for nobody, and serves it until it is unmounted.
 *
 * Usage: fake-fuse dir MOUNTPOINT NAME CONTENT   a directory (root:root 0755)
 *                                                holding NAME (root:root 0644)
 *        fake-fuse file MOUNTPOINT CONTENT       the mount is the file itself
 * CONTENT is taken as is (the shell's $'...' makes newlines). Returns once
 * the mount is in place; a child serves it. Exit 1 on any error.
 *
 * The kernel protocol (linux/fuse.h) without libfuse: INIT, LOOKUP,
 * GETATTR, OPEN/OPENDIR, READ, STATFS, FLUSH/RELEASE answered; FORGET
 * needs no answer; anything else is ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHILD_ID 2

static const char *child_name, *content;
static bool root_is_file;

static void die(const char *what)
{
	fprintf(stderr, "fake-fuse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void attr_of(uint64_t node, struct fuse_attr *a)
{
	bool file = node == CHILD_ID || root_is_file;

	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->mode = file ? S_IFREG | 0644 : S_IFDIR | 0755;
	a->nlink = file ? 1 : 2;
	a->size = file ? strlen(content) : 0;
	a->blksize = 4096;
	a->uid = 0;
	a->gid = 0;
}

static void reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + (error ? 0 : len)), .error = error, .unique = unique,
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, error ? 0 : len } };

	/* ENOENT: the kernel gave up on the request (interrupted); carry on. */
	if (writev(fd, iov, 2) < 0 && errno != ENOENT)
		die("writev");
}

static void serve(int fd)
{
	static char buf[FUSE_MIN_READ_BUFFER + 131072];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		void *arg = buf + sizeof(*in);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < 0 && errno == ENODEV)
			exit(0); /* unmounted */
		if (n < (ssize_t)sizeof(*in))
			die("read");
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *i = arg;
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = i->max_readahead, .max_write = 4096, .time_gran = 1,
			};

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { .nodeid = CHILD_ID, .generation = 1 };

			if (root_is_file || in->nodeid != FUSE_ROOT_ID || strcmp(arg, child_name) != 0) {
				reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			attr_of(CHILD_ID, &o.attr);
			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { .attr_valid = 0 };

			attr_of(in->nodeid, &o.attr);
			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1 };

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *r = arg;
			size_t len = strlen(content), off = r->offset < len ? (size_t)r->offset : len;
			size_t take = len - off < r->size ? len - off : r->size;

			reply(fd, in->unique, 0, content + off, take);
			break;
		}
		case FUSE_STATFS: {
			struct fuse_statfs_out o = { .st = { .bsize = 4096, .namelen = 255, .frsize = 4096 } };

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default:
			reply(fd, in->unique, -ENOSYS, NULL, 0);
		}
	}
}

int main(int argc, char **argv)
{
	char opts[128];
	const char *target;
	pid_t pid;
	int fd;

	if (argc == 5 && !strcmp(argv[1], "dir")) {
		child_name = argv[3];
		content = argv[4];
	} else if (argc == 4 && !strcmp(argv[1], "file")) {
		root_is_file = true;
		content = argv[3];
	} else {
		fprintf(stderr, "usage: fake-fuse dir MOUNTPOINT NAME CONTENT | file MOUNTPOINT CONTENT\n");
		return 1;
	}
	target = argv[2];
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("/dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=%o,user_id=65534,group_id=65534,allow_other", fd,
		 root_is_file ? S_IFREG | 0644 : S_IFDIR | 0755);
	/* The kernel waits for INIT only on the first request, so mount first. */
	if (mount("fake-fuse", target, "fuse.fake-fuse", MS_NOSUID | MS_NODEV, opts) < 0)
		die("mount");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* The test's $(...) or pipe must not wait for the server. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(1);
		serve(fd);
		return 0;
	}
	return 0;
}
