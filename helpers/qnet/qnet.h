/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qnet's subcommands. qnet.c dispatches; each COMMAND.c beside it has
 * cmd_COMMAND(), which gets the subcommand's own argv (argv[0] is its
 * name) and returns the exit status: 0 fine, 1 the answer is "no" or
 * something failed, EXIT_USAGE for a usage error.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>

#define EXIT_USAGE 2

int cmd_check(int argc, char **argv);   /* check.c */
int cmd_doctor(int argc, char **argv);  /* doctor.c */
int cmd_status(int argc, char **argv);  /* status.c */
int cmd_up(int argc, char **argv);      /* nat.c */
int cmd_down(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_watch(int argc, char **argv);   /* watch.c */

/* qnet gc's work (nat.c): every NAT network repaired and, if COLLECT,
 * removed when no port is left; then the port filters and shaping devices
 * of links that are gone. One line per action on stdout; CMD names the
 * command in an error. EXIT_SUCCESS or EXIT_FAILURE. */
int cli_repair(const char *cmd, bool collect);

/* The usage line of CMD (NULL: of qnet itself) on stderr; EXIT_USAGE. */
int cli_usage_error(const char *cmd);
/* CMD's --help on stdout; EXIT_SUCCESS. */
int cli_show_help(const char *cmd);
/*
 * getopt_long over a subcommand's own argv (argv[0] is its name). Returns
 * the option, -1 at the end, or reports an unknown option or a missing
 * argument and returns '?'. Set optind = 0 before the first call.
 */
int cli_next_option(const char *cmd, int argc, char **argv, const struct option *opts);
/*
 * Options of a command that has --help and at most one flag (EXTRA's
 * option other than --help, stored in *FLAG), and exactly N_ARGS operands. Returns the index of the
 * first operand, -1 after --help, -EXIT_USAGE on a usage error (reported).
 */
int cli_parse_plain(const char *cmd, int argc, char **argv, int n_args, const struct option *extra,
		    bool *flag);
/* The exit status for cli_parse_plain()'s negative results. */
#define CLI_PARSED_EXIT(r) ((r) == -1 ? EXIT_SUCCESS : EXIT_USAGE)
