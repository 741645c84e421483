// SPDX-License-Identifier: MIT
/* aeogatectl sim present|door|rex: drive the simulated board (sim keys: cmd_pin.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aeogate/credential.h"
#include "ctl.h"
#include "print.h"

/*
 * "granted  READER  PERSON  CREDENTIAL  seq N", "denied  REASON  READER  CREDENTIAL  seq N",
 * or "pending  pin  PERSON  CREDENTIAL" while the reader waits for the PIN.
 */
static void print_decision(const json_t *res)
{
	const json_t *ev = json_object_get(res, "event");
	bool granted = json_is_true(json_object_get(res, "granted"));
	bool pending = json_is_string(json_object_get(res, "pending"));
	const char *parts[5];
	char buf[5][128], seq[32];
	size_t n = 0;

	if (pending)
		parts[n++] = json_field(res, "pending", buf[0], sizeof(buf[0]));
	else if (!granted)
		parts[n++] = json_field(res, "reason", buf[0], sizeof(buf[0]));
	parts[n++] = json_field(ev, "reader", buf[1], sizeof(buf[1]));
	parts[n++] = json_field(res, "person", buf[2], sizeof(buf[2]));
	parts[n++] = json_field(res, "credential", buf[3], sizeof(buf[3]));
	fputs(pending ? "pending" : granted ? "granted" : "denied", stdout);
	for (size_t i = 0; i < n; i++)
		if (strcmp(parts[i], "-"))
			printf("  %s", parts[i]);
	if (json_is_integer(json_object_get(ev, "seq")))
		printf("  seq %s", json_field(ev, "seq", seq, sizeof(seq)));
	fputc('\n', stdout);
}

int cmd_sim_present(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { BITS, UID, CRED };
	static const struct ctl_opt opts[] = {
	    [BITS] = {"bits", CTL_OPT_VALUE},
	    [UID] = {"uid", CTL_OPT_VALUE},
	    [CRED] = {"credential", CTL_OPT_VALUE},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	const char *bits, *uid, *cred;
	struct hal_read read;
	json_t *args, *result;
	bool granted, pending;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one READER", &o);
	if (r >= 0)
		return r;
	bits = o.value[BITS];
	uid = o.value[UID];
	cred = o.value[CRED];
	if ((bits != NULL) + (uid != NULL) + (cred != NULL) != 1)
		return ctl_usage_error(ctx, "give exactly one of --bits, --uid and --credential");
	/* A credential is checked here (the controller encodes it with the same code). */
	if (cred) {
		r = credential_to_read(cred, &read);
		if (r == -EOPNOTSUPP)
			return ctl_usage_error(ctx,
					       "--credential raw:BITS:HEX is no badge: use --bits");
		if (r == -ERANGE)
			return ctl_usage_error(
			    ctx, "--credential %s: the numbers do not fit the format", cred);
		if (r < 0)
			return ctl_usage_error(ctx,
					       "--credential must be FORMAT:FACILITY:NUMBER "
					       "(h10301, h10302, h10304, h10306, c1k35, c1k48; "
					       "e.g. h10304:1200:52002) or uid:HEX, not '%s'",
					       cred);
	}

	/* Bits and UIDs go to the controller as typed: it owns their validation and bounds. */
	args = json_object();
	if (!args || ctl_args_set(args, "reader", o.operands[0]) ||
	    ctl_args_set(args,
			 bits  ? "bits"
			 : uid ? "uid"
			       : "credential",
			 bits  ? bits
			 : uid ? uid
			       : cred)) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_call(ctx, "sim.present", args, &result);
	if (r)
		return r;
	if (!json_is_boolean(json_object_get(result, "granted"))) {
		json_decref(result);
		return ctl_fail("sim.present: malformed reply from aeogated");
	}
	granted = json_is_true(json_object_get(result, "granted"));
	pending = json_is_string(json_object_get(result, "pending"));
	ctl_finish(result, o.json, print_decision);
	if (pending)
		return CTL_EXIT_PENDING;
	return granted ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static void print_door(const json_t *d)
{
	char b[4][64];

	printf("%s  %s  lock=%s  contact=%s\n", json_field(d, "name", b[0], sizeof(b[0])),
	       json_field(d, "state", b[1], sizeof(b[1])),
	       json_field(d, "lock", b[2], sizeof(b[2])),
	       json_field(d, "contact", b[3], sizeof(b[3])));
}

/* sim door DOOR open|close and sim rex DOOR share everything but the op. */
static int door_op(struct ctl_ctx *ctx, int argc, char **argv, bool with_state)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	char **v;
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, with_state ? 2 : 1,
		      with_state ? "expected DOOR and open or close" : "expected one DOOR", &o);
	if (r >= 0)
		return r;
	v = o.operands;
	if (with_state && strcmp(v[1], "open") && strcmp(v[1], "close"))
		return ctl_usage_error(ctx, "door state must be open or close, not '%s'", v[1]);

	args = json_object();
	if (!args || ctl_args_set(args, "door", v[0]) ||
	    (with_state && ctl_args_set(args, "state", v[1]))) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, with_state ? "sim.door" : "sim.rex", args, o.json, print_door);
}

int cmd_sim_door(struct ctl_ctx *ctx, int argc, char **argv)
{
	return door_op(ctx, argc, argv, true);
}

int cmd_sim_rex(struct ctl_ctx *ctx, int argc, char **argv)
{
	return door_op(ctx, argc, argv, false);
}
