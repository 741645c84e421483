/* SPDX-License-Identifier: MIT */
/* Argument helpers: each names the argument it refuses, as invalid_argument. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "args.h"
#include "util.h"

int ctl_arg_string(struct ctl_request *req, const char *name, bool required, size_t max_len,
		   const char **ret)
{
	json_t *v = json_object_get(req->args, name);

	if (!v || json_is_null(v)) {
		if (required)
			return ctl_fail(req, "invalid_argument", "missing argument '%s'", name);
		return 1;
	}
	if (!json_is_string(v))
		return ctl_fail(req, "invalid_argument", "'%s' must be a string", name);
	if (json_string_length(v) == 0 || json_string_length(v) > max_len)
		return ctl_fail(req, "invalid_argument", "'%s' must be 1-%zu bytes long", name,
				max_len);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return ctl_fail(req, "invalid_argument", "'%s' contains a NUL byte", name);
	*ret = json_string_value(v);
	return 0;
}

int ctl_arg_id(struct ctl_request *req, const char *name, bool required, const char **ret)
{
	const char *s;
	int r = ctl_arg_string(req, name, required, AEOGATE_ID_MAX, &s);

	if (r != 0)
		return r;
	if (!id_is_valid(s))
		return ctl_fail(req, "invalid_argument",
				"'%s' must be 1-64 characters of A-Z a-z 0-9 . _ -", name);
	*ret = s;
	return 0;
}

int ctl_arg_int(struct ctl_request *req, const char *name, bool required, int64_t min, int64_t max,
		int64_t *ret)
{
	json_t *v = json_object_get(req->args, name);

	if (!v || json_is_null(v)) {
		if (required)
			return ctl_fail(req, "invalid_argument", "missing argument '%s'", name);
		return 1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return ctl_fail(req, "invalid_argument", "'%s' must be an integer %lld-%lld", name,
				(long long)min, (long long)max);
	*ret = json_integer_value(v);
	return 0;
}

int ctl_arg_time(struct ctl_request *req, const char *name, bool required, int64_t *ret_ms)
{
	const char *s;
	int r = ctl_arg_string(req, name, required, 32, &s);

	if (r != 0)
		return r;
	if (time_parse_ms(s, ret_ms) < 0)
		return ctl_fail(
		    req, "invalid_argument",
		    "'%s': '%s' is not a UTC time like 2026-11-28 or 2026-11-28T13:28:11Z", name,
		    s);
	return 0;
}

int ctl_arg_array(struct ctl_request *req, const char *name, bool required, size_t max,
		  json_t **ret)
{
	json_t *v = json_object_get(req->args, name);

	if (!v || json_is_null(v)) {
		if (required)
			return ctl_fail(req, "invalid_argument", "missing argument '%s'", name);
		return 1;
	}
	if (!json_is_array(v))
		return ctl_fail(req, "invalid_argument", "'%s' must be an array", name);
	if (json_array_size(v) > max)
		return ctl_fail(req, "invalid_argument", "'%s' has more than %zu items", name, max);
	*ret = v;
	return 0;
}

int ctl_arg_id_array(struct ctl_request *req, const char *name, bool required, const char **ret,
		     size_t max, size_t *ret_n)
{
	json_t *v, *item;
	size_t i;
	int r = ctl_arg_array(req, name, required, max, &v);

	if (r == 1)
		*ret_n = 0;
	if (r != 0)
		return r;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item) || !id_is_valid(json_string_value(item)))
			return ctl_fail(
			    req, "invalid_argument",
			    "'%s' must hold names of 1-64 characters of A-Z a-z 0-9 . _ -", name);
		ret[i] = json_string_value(item);
	}
	*ret_n = json_array_size(v);
	return 0;
}

int ctl_arg_validity(struct ctl_request *req, int64_t *from, int64_t *until)
{
	*from = *until = 0;
	if (ctl_arg_time(req, "valid_from", false, from) < 0 ||
	    ctl_arg_time(req, "valid_until", false, until) < 0)
		return -1;
	if (*from && *until && *from >= *until)
		return ctl_fail(req, "invalid_argument", "valid_from must be before valid_until");
	return 0;
}
