/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/acl.c's parts below qnet_acl_decide_link(), exported for the unit
 * tests and the fuzz harness only (tests/unit/test-acl.c,
 * tests/fuzz/fuzz-acl.c): a buffer parsed as bridge.conf, and the decision
 * on rules already parsed. Programs decide with acl.h.
 */
#pragma once

#include "acl.h"

/* qnet_acl_load() on a buffer; NAME is for messages. */
int qnet_acl_parse_buffer(const char *name, const char *buf, size_t len, struct qnet_acl **ret,
			  qnet_diag_fn diag, void *userdata);

/*
 * The evaluation: WHO on BRIDGE given a parsed bridge.conf (NULL: absent)
 * and qnet.conf (NULL: absent). Pure: no files are read; group names in
 * grants are resolved with getgrnam_r. Fills OUT and returns 0; -EINVAL if
 * an argument is NULL (OUT then says denied).
 */
int qnet_acl_evaluate(const struct qnet_acl *acl, const struct qnet_config *cfg,
		      const struct qnet_acl_subject *who, const char *bridge,
		      struct qnet_acl_decision *out);

/* qnet_acl_decide_link() for a bridge named by its own name. */
int qnet_acl_decide(const struct qnet_acl_subject *who, const char *bridge,
		    struct qnet_acl_decision *out);
