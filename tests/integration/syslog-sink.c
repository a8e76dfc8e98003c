// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * syslog-sink SOCKET OUTPUT SECONDS: a /dev/log stand-in for tests. Binds a
 * datagram socket at SOCKET (mode 0666, so unprivileged helpers can log),
 * appends every message it receives to OUTPUT as one line, exits after
 * SECONDS or on SIGTERM. The tests bind it over /dev/log inside their own
 * mount namespace, so what the helper sends to syslog can be asserted on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	int sk, out;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: syslog-sink SOCKET OUTPUT SECONDS\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (sk < 0 || out < 0)
		return perror("syslog-sink"), 1;
	unlink(argv[1]);
	if (bind(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(argv[1], 0666) < 0)
		return perror(argv[1]), 1;
	alarm((unsigned)atoi(argv[3]));
	for (;;) {
		ssize_t n = recv(sk, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			continue;
		buf[n] = '\n';
		if (write(out, buf, (size_t)n + 1) < 0)
			return 1;
	}
}
