// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-spawn: starts programs the way QEMU does and times them.
 *
 *   bench-spawn -n ROUNDS [-w WARMUP] [-b BRIDGE] [-r "RESET ARGV"] [-T] NAME="ARGV" ...
 *
 * Each round runs every candidate once, in turn (interleaved, so a noisy
 * neighbour or a frequency change hits all of them alike), then its reset
 * command, untimed: -r for all, or NAME="ARGV|RESET ARGV" for one. A
 * candidate is fork()+execv() and waited for, as QEMU's launch_script() does; the time is from just before fork() to just after
 * the child is reaped. CPU time and peak RSS come from wait4()'s rusage,
 * which includes the child's own reaped children (a shell script's ip, awk).
 *
 * With -b, candidates are bridge helpers and the driver plays QEMU's
 * net_bridge_run_helper(): a socketpair, "--use-vnet --fd=N --br=BRIDGE"
 * appended, the TAP fd received with SCM_RIGHTS, the child reaped and the
 * TAP closed, all inside the timed span (closing the TAP destroys it, which
 * is part of a VM's network lifecycle).
 *
 * With -T the resets are timed too and reported as NAME-down: a teardown
 * is a cost of its own (a network's last guest leaving), measured the same
 * way as what it undoes.
 *
 * ARGV strings are split on spaces (the benchmark controls every path).
 * Leading words of a command (candidate or reset) that are not its path:
 * "@PATH" makes the child join the network namespace PATH (setns) before
 * its execv(), and "VAR=VALUE" puts VAR in its environment. Both happen in
 * the timed child, as env(1) or nsenter(1) would, but without a second
 * exec, so that candidates in different namespaces or with different
 * qnet.conf directories still run interleaved in one invocation and pay
 * the same microseconds for it.
 * Output: one JSON object per candidate per line, times in microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CANDIDATES 8
#define MAX_ARGS 16
#define MAX_PREFIX 8 /* "@PATH" and "VAR=VALUE" words before a command */
#define MAX_ROUNDS 100000

/* A command: its argv, and what its child does first (see the top). */
struct cmd {
	char *argv[MAX_ARGS + 4];
	char *env[MAX_PREFIX + 1];
	int netns; /* -1: stay where we are */
};

struct candidate {
	const char *name;
	struct cmd run, reset;
	char *reset_copy, *br_arg; /* ours to free */
	int argc;
	double *wall, *cpu, *down_wall, *down_cpu;
	long maxrss_kb, down_maxrss_kb;
	int fails, down_fails;
};

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "bench-spawn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int split(char *s, char **argv, int max)
{
	int n = 0;

	for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " ")) {
		if (n == max) {
			fprintf(stderr, "bench-spawn: more than %d arguments\n", max);
			exit(2);
		}
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

/* Splits S into C: its leading "@PATH" and "VAR=VALUE" words first, then
 * its argv. Returns the argv's length. */
static int parse_cmd(char *s, struct cmd *c)
{
	char *words[MAX_ARGS + MAX_PREFIX + 1];
	int n = split(s, words, MAX_ARGS + MAX_PREFIX), i = 0, e = 0, a = 0;

	c->netns = -1;
	for (; i < n && (words[i][0] == '@' || (words[i][0] != '/' && strchr(words[i], '='))); i++) {
		if (words[i][0] == '@') {
			if (c->netns >= 0)
				close(c->netns);
			c->netns = open(words[i] + 1, O_RDONLY | O_CLOEXEC);
			if (c->netns < 0)
				die(words[i] + 1);
		} else if (e == MAX_PREFIX) {
			fprintf(stderr, "bench-spawn: more than %d VAR=VALUE words\n", MAX_PREFIX);
			exit(2);
		} else {
			c->env[e++] = words[i];
		}
	}
	c->env[e] = NULL;
	for (; i < n; i++) {
		if (a == MAX_ARGS) {
			fprintf(stderr, "bench-spawn: more than %d arguments\n", MAX_ARGS);
			exit(2);
		}
		c->argv[a++] = words[i];
	}
	c->argv[a] = NULL;
	return a;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* Runs CMD once; returns its wait status. With HELPER, CMD is a bridge
 * helper and its argv[FDSLOT] becomes the --fd= argument of this call's socket. */
static int run(struct cmd *cmd, bool helper, int fdslot, bool quiet, double *wall, struct rusage *ru)
{
	char **argv = cmd->argv;
	int sv[2] = { -1, -1 }, status = -1, tapfd = -1;
	char fdarg[32];
	double t0;
	pid_t pid;

	if (!argv[0]) {
		errno = EINVAL;
		die("empty command");
	}
	if (helper) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair");
		snprintf(fdarg, sizeof(fdarg), "--fd=%d", sv[1]);
		argv[fdslot] = fdarg;
	}
	t0 = now_us();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			if (quiet)
				dup2(devnull, STDERR_FILENO);
		}
		if (helper)
			fcntl(sv[1], F_SETFD, 0);
		if (cmd->netns >= 0 && setns(cmd->netns, CLONE_NEWNET) < 0)
			_exit(126);
		for (char **e = cmd->env; *e; e++)
			putenv(*e);
		execv(argv[0], argv);
		_exit(127);
	}
	if (helper) {
		close(sv[1]);
		tapfd = recv_fd(sv[0]);
		close(sv[0]);
	}
	while (wait4(pid, &status, 0, ru) < 0)
		if (errno != EINTR)
			die("wait4");
	if (tapfd >= 0)
		close(tapfd);
	*wall = now_us() - t0;
	if (helper && tapfd < 0 && status == 0)
		status = 1 << 8; /* exited 0 but sent no fd: a failure all the same */
	return status;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	int i = (n * p + 99) / 100 - 1;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[i < 0 ? 0 : i];
}

int main(int argc, char **argv)
{
	struct candidate cand[MAX_CANDIDATES];
	int rounds = 0, warmup = 3, n = 0, opt;
	const char *bridge = NULL;
	char *reset = NULL;

	bool time_reset = false;

	while ((opt = getopt(argc, argv, "n:w:b:r:T")) != -1) {
		switch (opt) {
		case 'n': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'b': bridge = optarg; break;
		case 'r': reset = optarg; break;
		case 'T': time_reset = true; break;
		default: return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || warmup < 0 || optind >= argc) {
		fprintf(stderr, "usage: bench-spawn -n ROUNDS [-w WARMUP] [-b BRIDGE] [-r RESET] NAME=\"ARGV\"...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		struct candidate *c = &cand[n];
		char *eq = strchr(argv[i], '='), *bar;

		if (n == MAX_CANDIDATES || !eq) {
			fprintf(stderr, "bench-spawn: bad candidate '%s'\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		*c = (struct candidate){ .name = argv[i] };
		bar = strchr(eq + 1, '|');
		if (bar)
			*bar = '\0';
		c->argc = parse_cmd(eq + 1, &c->run);
		if (c->argc == 0) {
			fprintf(stderr, "bench-spawn: candidate '%s' has no command\n", argv[i]);
			return 2;
		}
		if (!bar && reset && !(c->reset_copy = strdup(reset)))
			die("strdup");
		c->reset.netns = -1;
		if (bar || reset)
			parse_cmd(bar ? bar + 1 : c->reset_copy, &c->reset);
		if (bridge) {
			c->run.argv[c->argc++] = "--use-vnet";
			c->run.argv[c->argc++] = NULL; /* --fd=N, set per call */
			if (asprintf(&c->br_arg, "--br=%s", bridge) < 0)
				die("asprintf");
			c->run.argv[c->argc++] = c->br_arg;
			c->run.argv[c->argc] = NULL;
		}
		c->wall = calloc(rounds, sizeof(double));
		c->cpu = calloc(rounds, sizeof(double));
		c->down_wall = calloc(rounds, sizeof(double));
		c->down_cpu = calloc(rounds, sizeof(double));
		if (!c->wall || !c->cpu || !c->down_wall || !c->down_cpu)
			die("calloc");
		n++;
	}

	for (int r = -warmup; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			struct candidate *c = &cand[i];
			struct rusage ru, rr;
			double wall, down_wall = 0;
			int status, down_status = -1;

			/* A failing candidate says why once, not once a round. */
			status = run(&c->run, bridge != NULL, c->argc - 2, c->fails > 0, &wall, &ru);
			if (c->reset.argv[0])
				down_status = run(&c->reset, false, 0, false, &down_wall, &rr);
			if (r < 0)
				continue;
			if (time_reset && c->reset.argv[0]) {
				if (down_status != 0) {
					c->down_fails++;
				} else {
					c->down_wall[r - c->down_fails] = down_wall;
					c->down_cpu[r - c->down_fails] = (rr.ru_utime.tv_sec + rr.ru_stime.tv_sec) * 1e6 +
									 rr.ru_utime.tv_usec + rr.ru_stime.tv_usec;
					if (rr.ru_maxrss > c->down_maxrss_kb)
						c->down_maxrss_kb = rr.ru_maxrss;
				}
			}
			if (status != 0) {
				c->fails++;
				continue;
			}
			c->wall[r - c->fails] = wall;
			c->cpu[r - c->fails] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
					       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
			if (ru.ru_maxrss > c->maxrss_kb)
				c->maxrss_kb = ru.ru_maxrss;
		}
	}

	for (int i = 0; i < n; i++) {
		struct candidate *c = &cand[i];
		int ok = rounds - c->fails;

		printf("{\"name\":\"%s\",\"rounds\":%d,\"failed\":%d,"
		       "\"wall_median_us\":%.1f,\"wall_p95_us\":%.1f,"
		       "\"cpu_median_us\":%.1f,\"cpu_p95_us\":%.1f,\"maxrss_kb\":%ld}\n",
		       c->name, rounds, c->fails, pct(c->wall, ok, 50), pct(c->wall, ok, 95),
		       pct(c->cpu, ok, 50), pct(c->cpu, ok, 95), c->maxrss_kb);
		if (time_reset && c->reset.argv[0]) {
			ok = rounds - c->down_fails;
			printf("{\"name\":\"%s-down\",\"rounds\":%d,\"failed\":%d,"
			       "\"wall_median_us\":%.1f,\"wall_p95_us\":%.1f,"
			       "\"cpu_median_us\":%.1f,\"cpu_p95_us\":%.1f,\"maxrss_kb\":%ld}\n",
			       c->name, rounds, c->down_fails, pct(c->down_wall, ok, 50), pct(c->down_wall, ok, 95),
			       pct(c->down_cpu, ok, 50), pct(c->down_cpu, ok, 95), c->down_maxrss_kb);
		}
		/* Freed so that an ASan build of the benchmark (bench-smoke in
		 * the sanitizer pass) exits clean. */
		free(c->wall);
		free(c->cpu);
		free(c->down_wall);
		free(c->down_cpu);
		free(c->reset_copy);
		free(c->br_arg);
	}
	return 0;
}
