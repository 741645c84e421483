/* SPDX-License-Identifier: MIT */
/* The control socket's argument helpers, which every ops file reads its request with. */
#ifndef AEOGATE_ARGS_H
#define AEOGATE_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctlsock.h"

/*
 * Argument helpers: each returns 0 and writes *ret, 1 when an optional
 * argument is absent (ret untouched), or fails the request with
 * invalid_argument naming the argument and returns -1.
 */
int ctl_arg_string(struct ctl_request *req, const char *name, bool required, size_t max_len,
		   const char **ret);
int ctl_arg_id(struct ctl_request *req, const char *name, bool required, const char **ret);
int ctl_arg_int(struct ctl_request *req, const char *name, bool required, int64_t min, int64_t max,
		int64_t *ret);
int ctl_arg_time(struct ctl_request *req, const char *name, bool required, int64_t *ret_ms);
/* An array of at most max items (the array itself, borrowed from the request). */
int ctl_arg_array(struct ctl_request *req, const char *name, bool required, size_t max,
		  json_t **ret);
/* An array of ids; *ret_n elements written to ret (at most max). */
int ctl_arg_id_array(struct ctl_request *req, const char *name, bool required, const char **ret,
		     size_t max, size_t *ret_n);


/* valid_from and valid_until, both optional (0: no bound); from must be before until. */
int ctl_arg_validity(struct ctl_request *req, int64_t *from, int64_t *until);

#endif
