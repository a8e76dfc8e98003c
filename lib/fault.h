/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault injection for tests: QNET_TEST_KILL_AT=STEP makes the program kill
 * itself with SIGKILL when it reaches qnet_fault_point(STEP), as if QEMU or
 * the OOM killer had struck there; QNET_TEST_KILL_AT=list prints each step
 * name to stderr as it is passed, so a test can enumerate them.
 * QNET_TEST_STOP_AT=STEP stops the program there with SIGSTOP instead, as a
 * hostile caller who owns the process can at any instruction, until the
 * test has looked at the state in between and sends SIGCONT. The
 * variable is read with secure_getenv(): a setuid or file-capability
 * process never sees it.
 */
#pragma once

void qnet_fault_point(const char *step);
