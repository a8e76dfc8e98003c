// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Corpus replay for builds without libFuzzer (gcc, the ASan suite): feeds
 * every file of the directories given on the command line to the harness,
 * one TAP line per input. A crash or sanitizer report fails the test.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(int dirfd, const char *name, int n)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	ssize_t got;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -1;
	got = read(fd, buf, (size_t)st.st_size);
	if (got < 0)
		return -1;
	LLVMFuzzerTestOneInput(buf, (size_t)got);
	printf("ok %d - %s\n", n, name);
	return 1;
}

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		_cleanup_close_ int dirfd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d;
		struct dirent *e;

		if (dirfd < 0) {
			printf("not ok %d - cannot open corpus %s\n", ++n, argv[i]);
			printf("1..%d\n", n);
			return 1;
		}
		d = fdopendir(dup(dirfd));
		if (!d)
			return 1;
		while ((e = readdir(d))) {
			int r;

			if (e->d_name[0] == '.')
				continue;
			r = replay(dirfd, e->d_name, n + 1);
			if (r < 0) {
				printf("not ok %d - %s: read error\n", ++n, e->d_name);
				closedir(d);
				printf("1..%d\n", n);
				return 1;
			}
			n += r;
		}
		closedir(d);
	}
	/* The empty input is always worth one run. */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	printf("ok %d - empty input\n1..%d\n", n + 1, n + 1);
	return 0;
}
