// SPDX-License-Identifier: MIT
/* aeogatectl person pin|pin-unlock and sim keys: card + PIN. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

static const struct column pin_rows[] = {
    {"person", "person"},
    {"pin", "pin"},
    {"wrong pins", "wrong_pins"},
};

static void print_pin(const json_t *p)
{
	print_record(p, pin_rows, ELEMENTSOF(pin_rows));
}

/*
 * A PIN read here is sent as typed: aeogated owns the rule (4-8 digits)
 * and stores only its salted slow hash. Longer input than any PIN is read
 * whole so that the refusal is the controller's one clear message.
 */
#define PIN_INPUT_MAX 64

int cmd_person_pin(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { CLEAR };
	static const struct ctl_opt opts[] = {
	    [CLEAR] = {"clear", CTL_OPT_FLAG},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	char pin[PIN_INPUT_MAX + 2];
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one person ID", &o);
	if (r >= 0)
		return r;
	args = json_object();
	if (!args || ctl_args_set(args, "id", o.operands[0])) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	if (o.set[CLEAR]) {
		json_object_set_new(args, "clear", json_true());
		return ctl_call_finish(ctx, "person.pin", args, o.json, print_pin);
	}
	/* Connected first, so no PIN is asked for when the controller is not there. */
	if (ctl_connect(ctx) || ctl_read_secret("PIN", pin, sizeof(pin))) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_args_set(args, "pin", pin);
	explicit_bzero(pin, sizeof(pin));
	if (r) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "person.pin", args, o.json, print_pin);
}

int cmd_person_pin_unlock(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.op = "person.pin_unlock",
					   .operand = "expected one person ID",
					   .key = "id",
					   .print = print_pin};

	return ctl_query_run(ctx, argc, argv, &q);
}

/* "sent 5 keys to dock-1-in", and how many found no badge waiting for a PIN. */
static void print_keys(const json_t *res)
{
	char b[3][64];

	printf("sent %s keys to %s", json_field(res, "keys", b[0], sizeof(b[0])),
	       json_field(res, "reader", b[1], sizeof(b[1])));
	if (json_integer_value(json_object_get(res, "dropped")) > 0)
		printf(": %s dropped, no badge was waiting for a PIN",
		       json_field(res, "dropped", b[2], sizeof(b[2])));
	fputc('\n', stdout);
}

int cmd_sim_keys(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 2, "expected READER and KEYS (like 1234#)", &o);
	if (r >= 0)
		return r;
	args = json_object();
	if (!args || ctl_args_set(args, "reader", o.operands[0]) ||
	    ctl_args_set(args, "keys", o.operands[1])) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "sim.keys", args, o.json, print_keys);
}
