// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper-client: plays QEMU's side of the bridge helper protocol
 * (net/tap.c net_bridge_run_helper): a socketpair, the helper run with one
 * end as --fd, one fd received with SCM_RIGHTS. Prints what it observed as
 * key=value lines for the shell tests to assert on:
 *   status=N          the helper's exit status (signal=N if killed)
 *   received=0|1      an fd arrived
 *   payload=N         bytes of payload that came with it (QEMU: 1)
 *   tap=NAME tun_flags=0xN is_tap=0|1 vnet_hdr=0|1   from TUNGETIFF
 *   proc.KEY=VALUE    with --hold: the helper's /proc/PID/status lines and
 *                     proc.fds=LIST while it is blocked sending the fd
 *
 * Usage: helper-client [--hold] [--sh] [--leak-fd] [--then PROG ARGS... --]
 *                      HELPER ARGS...
 * "@FD@" inside any ARG becomes the helper's socket fd number.
 *   --hold     fill the socket first, so the helper blocks in sendmsg()
 *              after it did everything else; read its /proc state then
 *   --sh       run "/bin/sh -c 'HELPER ARGS...'" as QEMU does for a
 *              helper= string that contains a space
 *   --leak-fd  hand the helper an extra open fd it must close
 *   --then     with the TAP fd still open, run PROG ARGS (TAP=name and
 *              TAP_FD=N in the environment, N the fd, open in PROG: what
 *              it writes there the guest sent) and print then_status=N
 *   --close-early  close our end of the socket before the helper runs,
 *              as a QEMU that died would
 *   --kill-after=USEC  SIGKILL the helper USEC microseconds after fork
 *   --flood=IFACE  play another tenant: wait until the helper stops itself
 *              (QNET_TEST_STOP_AT), send FLOOD_FRAMES broadcast frames of
 *              ethertype 0x88b5 out of IFACE, SIGCONT it; once the TAP fd
 *              arrives, print flooded=N and frames=N, the frames of that
 *              kind the TAP had queued: what its holder would have read
 * Exit: 0 the helper succeeded and sent a TAP; 2 it failed and sent
 * nothing; 1 anything else (harness error, inconsistent helper).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "helper-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *subst_fd(const char *arg, int fd)
{
	const char *at = strstr(arg, "@FD@");
	char *out;

	if (!at)
		return strdup(arg);
	if (asprintf(&out, "%.*s%d%s", (int)(at - arg), arg, fd, at + 4) < 0)
		return NULL;
	return out;
}

/* Fill the helper's end until it would block: the helper's own 1-byte
 * sendmsg() then waits until we read. Returns bytes queued. */
static size_t fill(int helper_end)
{
	static char junk[4096];
	size_t total = 0;
	int flags = fcntl(helper_end, F_GETFL);

	fcntl(helper_end, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		ssize_t n = write(helper_end, junk, sizeof(junk));

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die("fill");
		}
		total += (size_t)n;
	}
	fcntl(helper_end, F_SETFL, flags);
	return total;
}

static bool blocked_in_sendmsg(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		nr = strtol(buf, NULL, 10);
	fclose(f);
	return nr == SYS_sendmsg;
}

static void print_proc(pid_t pid)
{
	char path[64], line[512];
	struct dirent *de;
	FILE *f;
	DIR *d;
	bool first = true;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = '\0';
		for (char *p = v; *p; p++)
			if (*p == '\t')
				*p = ' ';
		printf("proc.%s=%s\n", line, v);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		die(path);
	printf("proc.fds=");
	while ((de = readdir(d))) {
		char link[PATH_MAX + 64], target[256];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		/* socket:[12345] -> socket: the inode number says nothing */
		target[strcspn(target, "[")] = '\0';
		printf("%s%s:%s", first ? "" : ",", de->d_name, target);
		first = false;
	}
	printf("\n");
	closedir(d);
}

static int recv_fd(int sock, size_t *payload)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	char data[16];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	int fd = -1;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	*payload = n > 0 ? (size_t)n : 0;
	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd < 0)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void drain(int sock, size_t bytes)
{
	char buf[4096];

	while (bytes > 0) {
		ssize_t n = read(sock, buf, bytes < sizeof(buf) ? bytes : sizeof(buf));

		if (n <= 0)
			die("drain");
		bytes -= (size_t)n;
	}
}

#define FLOOD_FRAMES 30
#define FLOOD_ETHERTYPE 0x88b5 /* IEEE local experimental: nobody else sends it */

/* Broadcast frames from a foreign MAC out of IFNAME (a veth whose peer is
 * another tenant's port on the bridge). Returns how many were sent. */
static int flood(const char *ifname)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	unsigned char frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0xaa,
				    FLOOD_ETHERTYPE >> 8, FLOOD_ETHERTYPE & 0xff };
	int sk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), sent = 0;

	sa.sll_ifindex = (int)if_nametoindex(ifname);
	if (sk < 0 || !sa.sll_ifindex)
		die(ifname);
	memset(sa.sll_addr, 0xff, ETH_ALEN);
	for (int i = 0; i < FLOOD_FRAMES; i++)
		if (sendto(sk, frame, sizeof(frame), 0, (struct sockaddr *)&sa, sizeof(sa)) == sizeof(frame))
			sent++;
	close(sk);
	return sent;
}

/* Frames of FLOOD_ETHERTYPE queued on the TAP: read until it has been
 * quiet for 100 ms (bounded: at most 1000 reads). */
static int count_flooded(int tapfd)
{
	unsigned char buf[2048];
	int n = 0;

	for (int i = 0; i < 1000; i++) {
		struct pollfd p = { .fd = tapfd, .events = POLLIN };
		ssize_t len;

		if (poll(&p, 1, 100) <= 0)
			break;
		len = read(tapfd, buf, sizeof(buf));
		if (len >= 14 && buf[12] == (FLOOD_ETHERTYPE >> 8) && buf[13] == (FLOOD_ETHERTYPE & 0xff))
			n++;
	}
	return n;
}

static int reaped = -1; /* the helper's wait status, once --flood reaped it */

static int wait_status(pid_t pid, const char *key)
{
	int st = reaped;

	if (st == -1 && waitpid(pid, &st, 0) < 0)
		die("waitpid");
	if (WIFSIGNALED(st)) {
		printf("%s_signal=%d\n", key, WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	printf("%s=%d\n", key, WEXITSTATUS(st));
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	bool hold = false, sh = false, leak = false, close_early = false;
	long kill_after = -1;
	const char *flood_if = NULL;
	int flooded = -1;
	char **then = NULL;
	int sv[2], i = 1, status, tapfd;
	size_t filled = 0, payload;
	pid_t pid;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--hold"))
			hold = true;
		else if (!strcmp(argv[i], "--sh"))
			sh = true;
		else if (!strcmp(argv[i], "--leak-fd"))
			leak = true;
		else if (!strcmp(argv[i], "--close-early"))
			close_early = true;
		else if (!strncmp(argv[i], "--flood=", 8))
			flood_if = argv[i] + 8;
		else if (!strncmp(argv[i], "--kill-after=", 13))
			kill_after = strtol(argv[i] + 13, NULL, 10);
		else if (!strcmp(argv[i], "--then")) {
			then = &argv[++i];
			while (i < argc && strcmp(argv[i], "--"))
				i++;
			if (i == argc)
				return fprintf(stderr, "helper-client: --then needs --\n"), 1;
			argv[i] = NULL;
		} else
			return fprintf(stderr, "helper-client: unknown option %s\n", argv[i]), 1;
	}
	if (i >= argc)
		return fprintf(stderr, "helper-client: no helper given\n"), 1;
	alarm(60); /* every wait below is bounded by this */

	/* QEMU: socketpair(PF_UNIX, SOCK_STREAM, 0, sv) */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	if (hold)
		filled = fill(sv[1]);
	if (leak && open("/dev/null", O_RDONLY) < 0)
		die("/dev/null");
	/* Before the fork, not after: a parent not scheduled until the
	 * helper is done would let it send, and the case would not be this
	 * one (seen on a loaded machine). */
	if (close_early) {
		close(sv[0]);
		sv[0] = -1;
	}

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int n = argc - i;
		char **args = calloc((size_t)n + 4, sizeof(char *));

		fcntl(sv[1], F_SETFD, 0);
		for (int k = 0; k < n; k++)
			args[k] = subst_fd(argv[i + k], sv[1]);
		if (sh) {
			size_t len = 1;
			char *cmd;

			for (int k = 0; k < n; k++)
				len += strlen(args[k]) + 1;
			cmd = calloc(len, 1);
			if (!cmd)
				die("calloc");
			for (int k = 0, at = 0; k < n; k++) {
				size_t l = strlen(args[k]);

				memcpy(cmd + at, args[k], l);
				at += (int)l;
				if (k + 1 < n)
					cmd[at++] = ' ';
			}
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		} else {
			execv(args[0], args);
		}
		fprintf(stderr, "helper-client: exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	if (kill_after >= 0) {
		struct timespec ts = { kill_after / 1000000, (kill_after % 1000000) * 1000 };

		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}

	if (hold) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		bool blocked = false;

		for (int k = 0; k < 1000 && !blocked; k++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				printf("hold=exited\n");
				printf("status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
				return 2;
			}
			blocked = blocked_in_sendmsg(pid);
			if (!blocked)
				nanosleep(&ts, NULL);
		}
		printf("hold=%s\n", blocked ? "blocked" : "timeout");
		if (blocked)
			print_proc(pid);
		drain(sv[0], filled);
	}

	if (flood_if) {
		int st;

		if (waitpid(pid, &st, WUNTRACED) < 0)
			die("waitpid");
		if (WIFSTOPPED(st)) {
			flooded = flood(flood_if);
			/* Let the softirq deliver them before the helper goes on. */
			usleep(50 * 1000);
			kill(pid, SIGCONT);
		} else {
			reaped = st;
		}
		printf("stopped=%d\n", WIFSTOPPED(st));
	}
	tapfd = recv_fd(sv[0], &payload);
	printf("received=%d\npayload=%zu\n", tapfd >= 0, payload);
	status = wait_status(pid, "status");
	if (tapfd >= 0) {
		struct ifreq ifr = { 0 };

		if (ioctl(tapfd, TUNGETIFF, &ifr) < 0)
			die("TUNGETIFF");
		printf("tap=%s\ntun_flags=0x%x\nis_tap=%d\nvnet_hdr=%d\n", ifr.ifr_name,
		       (unsigned)ifr.ifr_flags & 0xffff,
		       (ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_TUN)) == (IFF_TAP | IFF_NO_PI),
		       !!(ifr.ifr_flags & IFF_VNET_HDR));
		if (flooded >= 0)
			printf("flooded=%d\nframes=%d\n", flooded, count_flooded(tapfd));
		if (then && then[0]) {
			pid_t t;

			fflush(stdout);
			t = fork();
			if (t < 0)
				die("fork");
			if (t == 0) {
				char fd[16];

				snprintf(fd, sizeof(fd), "%d", tapfd);
				if (fcntl(tapfd, F_SETFD, 0) < 0)
					die("F_SETFD");
				setenv("TAP", ifr.ifr_name, 1);
				setenv("TAP_FD", fd, 1);
				execv(then[0], then);
				_exit(127);
			}
			wait_status(t, "then_status");
		}
	}
	if (status == 0 && tapfd >= 0)
		return 0;
	if (status != 0 && tapfd < 0)
		return 2;
	return 1;
}
