/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub person|badge ... and command CONTROLLER ...: aeogatectl's own
 * commands (the same arguments, the same checks) run with a ctl_ctx whose
 * requests come here instead of a control socket. An enrolment request
 * becomes a signed change set: the next version of the site, stored before
 * it is published (so a controller that missed it gets it by asking), then
 * published QoS 1 on aeogate/SITE/enrolment and its PUBACK waited for. A
 * site request becomes a signed command on aeogate/SITE/commands/CONTROLLER
 * whose acknowledgement is waited for on aeogate/SITE/acks/CONTROLLER.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changeset.h"
#include "ctl.h"
#include "hub.h"
#include "hub_cmds.h"
#include "print.h"
#include "util.h"

struct pub {
	struct hub_opts *o;
	struct hub_config cfg;
	struct hub_store *store;
	struct changeset_seckey key;
	char site[AEOGATE_ID_MAX + 1];
	const char *controller; /* command: the controller it is for */
	int result;		/* the exit code, once handed off */
	bool json;		/* --json: the outcome as JSON */
	/* command: the ack waited for */
	char id[CHANGESET_ID_HEX];
	volatile int acked;
	json_t *ack;
};

/*
 * The enrolment commands the hub runs: aeogatectl's own rows (ctl_commands),
 * so the words, usage and parsing are aeogatectl's. What a controller takes
 * from the office is its allow-list (sync.apply); these are its ops.
 */
static const char *const enrol_words[][2] = {
    {"person", "add"},	     {"person", "set"},	      {"person", "vet"},   {"person", "suspend"},
    {"person", "reinstate"}, {"person", "terminate"}, {"badge", "issue"},  {"badge", "revoke"},
    {"badge", "suspend"},    {"badge", "reinstate"},  {"badge", "lost"},   {"badge", "return"},
    {"level", "add"},	     {"level", "set"},	      {"level", "remove"}, {"schedule", "add"},
    {"schedule", "set"},     {"schedule", "remove"},  {"holiday", "add"},  {"holiday", "remove"},
    {"zone", "set"},
};
#define N_ENROL (sizeof(enrol_words) / sizeof(enrol_words[0]))

/*
 * command CONTROLLER WORD: the row of aeogatectl's command whose request
 * the command carries (its op GROUP.NAME is aeogatectl's GROUP NAME).
 */
static const struct ctl_cmd *command_row(const struct changeset_command *c)
{
	char group[32];
	const char *dot = c ? strchr(c->op, '.') : NULL;

	if (!dot || (size_t)(dot - c->op) >= sizeof(group))
		return NULL;
	memcpy(group, c->op, (size_t)(dot - c->op));
	group[dot - c->op] = '\0';
	return ctl_command_find(group, dot + 1);
}

static void on_ack(void *u, const char *topic, const void *payload, size_t len)
{
	struct pub *p = u;
	json_t *o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	const char *id = json_string_value(json_object_get(o, "id"));

	(void)topic;
	if (json_is_object(o) && id && !strcmp(id, p->id) && !p->acked) {
		p->ack = o;
		p->acked = 1;
		return;
	}
	json_decref(o);
}

static int connect_broker(struct pub *p, struct hub_mqtt **ret)
{
	char id[AEOGATE_ID_MAX + 32], err[512];
	int r;

	/* Its own client id: run's persistent session must not be taken over. */
	snprintf(id, sizeof(id), "%.64s-pub-%ld", p->cfg.client_id, (long)getpid());
	r = hub_mqtt_new(&p->cfg, id, false, ret, err, sizeof(err));
	if (r < 0)
		return hub_fail("%s", err);
	/* Commands wait for their ack; it may come while the PUBACK is awaited. */
	hub_mqtt_on_message(*ret, on_ack, p);
	r = hub_mqtt_connect(*ret, err, sizeof(err));
	if (r < 0) {
		hub_mqtt_free(*ret);
		*ret = NULL;
		return hub_fail("%s", err);
	}
	return 0;
}

static int signer(const struct pub *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "office:%s", p->cfg.name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A change set of one op: stored as the next version, then published. */
static int send_changeset(struct pub *p, const char *op, json_t *args)
{
	struct hub_mqtt *m = NULL;
	char issued[32], who[AEOGATE_ID_MAX + 8], topic[AEOGATE_ID_MAX + 32];
	char *body = NULL, *payload = NULL;
	int64_t version = 0;
	json_t *b;
	int r;

	if (connect_broker(p, &m))
		return 1;
	time_format_ms(now_wall_ms(), issued, sizeof(issued));
	if (signer(p, who, sizeof(who)) < 0) {
		r = hub_fail("[hub] name is too long");
		goto out;
	}
	r = hub_store_begin(p->store);
	if (r == 0)
		r = hub_store_changeset_next(p->store, p->site, &version);
	if (r < 0) {
		hub_store_rollback(p->store);
		r = hub_fail("%s: %s", p->cfg.db, strerror(-r));
		goto out;
	}
	b = json_pack("{ss ss sI ss ss s[{ss sO}]}", "type", "changeset", "site", p->site,
		      "version", (json_int_t)version, "issued", issued, "signer", who, "ops", "op",
		      op, "args", args);
	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	r = body ? changeset_sign(body, strlen(body), &p->key, &payload) : -ENOMEM;
	if (r == 0)
		r = hub_store_changeset_add(p->store, p->site, version, payload);
	if (r == 0)
		r = hub_store_commit(p->store);
	if (r < 0) {
		hub_store_rollback(p->store);
		r = hub_fail("change set %lld of site %s: %s", (long long)version, p->site,
			     r == -E2BIG ? "too large to sign" : strerror(-r));
		goto out;
	}
	snprintf(topic, sizeof(topic), "aeogate/%s/enrolment", p->site);
	r = hub_mqtt_publish(m, topic, payload, p->o->timeout_ms);
	if (r < 0) {
		r = hub_fail(
		    "change set %lld of site %s (%s) is stored but the broker did not take "
		    "it: %s; controllers ask for it when they see the next one",
		    (long long)version, p->site, op, hub_mqtt_strerror(r));
		goto out;
	}
	if (p->json) {
		json_t *out =
		    json_pack("{ss sI ss ss ss}", "site", p->site, "version", (json_int_t)version,
			      "op", op, "signer", who, "key_id", p->key.pub.key_id);

		print_json(stdout, out);
		json_decref(out);
	} else {
		printf("%s: change set %lld published (%s, signed by %s, key %s)\n", p->site,
		       (long long)version, op, who, p->key.pub.key_id);
	}
	r = 0;
out:
	hub_mqtt_free(m);
	free(body);
	free(payload);
	return r;
}

/* A signed command to one controller, and its acknowledgement. */
static int send_command(struct pub *p, const char *op, json_t *args)
{
	const struct changeset_command *sent;
	const char *name = NULL;
	struct hub_mqtt *m = NULL;
	char issued[32], who[AEOGATE_ID_MAX + 8], topic[2 * AEOGATE_ID_MAX + 32];
	unsigned char rnd[16];
	char *body = NULL, *payload = NULL;
	const json_t *err;
	json_t *b;
	int r;

	if ((sent = changeset_command_of_op(op)))
		name = sent->command;
	if (!name)
		return hub_fail("%s is not a command the hub sends", op);
	if (signer(p, who, sizeof(who)) < 0)
		return hub_fail("[hub] name is too long");
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(p->id, sizeof(p->id), rnd, sizeof(rnd));
	time_format_ms(now_wall_ms(), issued, sizeof(issued));
	b = json_pack("{ss ss ss ss ss ss ss sO}", "type", "command", "site", p->site, "controller",
		      p->controller, "id", p->id, "issued", issued, "signer", who, "command", name,
		      "args", args);
	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	r = body ? changeset_sign(body, strlen(body), &p->key, &payload) : -ENOMEM;
	if (r < 0) {
		r = hub_fail("cannot sign the command: %s", strerror(-r));
		goto out;
	}
	if (connect_broker(p, &m)) {
		r = 1;
		goto out;
	}
	/* Subscribed before it is sent, so a quick ack is not missed. */
	snprintf(topic, sizeof(topic), "aeogate/%s/acks/%s", p->site, p->controller);
	r = hub_mqtt_subscribe(m, topic, p->o->timeout_ms);
	if (r < 0) {
		r = hub_fail("%s: cannot subscribe: %s", topic, hub_mqtt_strerror(r));
		goto out;
	}
	snprintf(topic, sizeof(topic), "aeogate/%s/commands/%s", p->site, p->controller);
	r = hub_mqtt_publish(m, topic, payload, p->o->timeout_ms);
	if (r < 0) {
		r = hub_fail("%s: the broker did not take the command: %s", topic,
			     hub_mqtt_strerror(r));
		goto out;
	}
	r = hub_mqtt_run(m, p->o->timeout_ms, &p->acked);
	if (r < 0 || !p->acked) {
		r = hub_fail("%s: no acknowledgement from %s in %d s (offline, or aeogate-sync is "
			     "not running); the command %s was published and is refused once it is "
			     "10 minutes old",
			     name, p->controller, p->o->timeout_ms / 1000, p->id);
		goto out;
	}
	if (p->json)
		print_json(stdout, p->ack);
	if (json_is_true(json_object_get(p->ack, "ok"))) {
		if (!p->json)
			printf("%s: %s applied (command %s, recorded as seq %lld)\n", p->controller,
			       name, p->id,
			       (long long)json_integer_value(json_object_get(p->ack, "seq")));
		r = 0;
	} else {
		err = json_object_get(p->ack, "error");
		r = hub_fail("%s refused %s: %s: %s", p->controller, name,
			     json_string_value(json_object_get(err, "code"))
				 ? json_string_value(json_object_get(err, "code"))
				 : "error",
			     json_string_value(json_object_get(err, "message"))
				 ? json_string_value(json_object_get(err, "message"))
				 : "(no message)");
	}
out:
	hub_mqtt_free(m);
	free(body);
	free(payload);
	return r;
}

/* ctl_ctx's call: the request of aeogatectl's command, sent the hub's way. */
static int hand_off(struct ctl_ctx *ctx, const char *op, json_t *args, json_t **ret_result)
{
	struct pub *p = ctx->userdata;

	(void)ret_result;
	if (!args)
		args = json_object();
	p->result = p->controller ? send_command(p, op, args) : send_changeset(p, op, args);
	json_decref(args);
	return CTL_EXIT_HANDED_OFF;
}

/* The config, store, key and site every publishing command needs. */
static int pub_open(struct pub *p, struct hub_opts *o)
{
	char path[PATH_MAX], site[AEOGATE_ID_MAX + 1] = "";
	int r;

	p->o = o;
	if (hub_load(o, &p->cfg, &p->store))
		return 1;
	if (!p->cfg.key_dir)
		return hub_fail("[hub] key_dir is not set (the directory of office.key)");
	if (snprintf(path, sizeof(path), "%s/office.key", p->cfg.key_dir) >= (int)sizeof(path))
		return hub_fail("[hub] key_dir is too long");
	r = changeset_seckey_load(path, &p->key);
	if (r < 0)
		return hub_fail("%s: %s", path,
				r == -EPERM ? "group or others may read it: chmod 0600"
					    : changeset_strerror(r));
	if (o->site)
		snprintf(site, sizeof(site), "%s", o->site);
	else if (p->controller &&
		 hub_store_controller_site(p->store, p->controller, site, sizeof(site)) == 0)
		;
	else if (p->cfg.n_sites == 1)
		snprintf(site, sizeof(site), "%s", p->cfg.sites[0]);
	if (!site[0] && p->controller)
		return hub_fail("which site is %s on? It has not reported to this hub yet: give "
				"--site SITE",
				p->controller);
	if (!site[0])
		return hub_fail("which site? The config names %s: give --site SITE",
				p->cfg.n_sites ? "several" : "none");
	if (p->cfg.n_sites) {
		bool known = false;

		for (size_t i = 0; i < p->cfg.n_sites; i++)
			known |= !strcmp(p->cfg.sites[i], site);
		if (!known)
			return hub_fail("site %s is not one of this hub's sites ([hub] sites)",
					site);
	}
	snprintf(p->site, sizeof(p->site), "%s", site);
	return 0;
}

static void pub_close(struct pub *p)
{
	changeset_seckey_wipe(&p->key);
	hub_store_close(p->store);
	hub_config_free(&p->cfg);
	json_decref(p->ack);
}

/* The usage lines of a group the hub runs (command CONTROLLER: its three). */
static int group_usage(const char *group, const char *bad)
{
	bool command = !strcmp(group, "command");

	if (bad)
		fprintf(stderr, "aeogate-hub: unknown command '%s %s'\n", group, bad);
	else
		fprintf(stderr, "aeogate-hub: '%s' needs a subcommand\n", group);
	for (size_t i = 0; !command && i < N_ENROL; i++)
		if (!strcmp(enrol_words[i][0], group))
			ctl_print_usage(ctl_command_find(group, enrol_words[i][1]), stderr);
	for (size_t i = 0; command && changeset_command_at(i); i++) {
		struct ctl_cmd row = *command_row(changeset_command_at(i));

		row.group = "command CONTROLLER";
		ctl_print_usage(&row, stderr);
	}
	return 2;
}

/* Runs cmd with argv[0] its command word, its requests handed to p. */
static int run_ctl(struct pub *p, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_ctx ctx = {.cmd = cmd, .call = hand_off, .userdata = p};
	int r;

	/* aeogatectl's parser takes --json; the outcome printed here follows it. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		p->json |= !strcmp(argv[i], "--json");

	optind = 0;
	r = cmd->run(&ctx, argc, argv);
	if (r == CTL_EXIT_HANDED_OFF)
		r = p->result;
	return r;
}

int hub_cmd_enrol(struct hub_opts *o, int argc, char **argv)
{
	const struct ctl_cmd *cmd = NULL;
	struct pub p = {0};
	int r;

	for (size_t i = 0; i < N_ENROL && argc > 1; i++)
		if (!strcmp(enrol_words[i][0], argv[0]) && !strcmp(enrol_words[i][1], argv[1]))
			cmd = ctl_command_find(argv[0], argv[1]);
	if (!cmd)
		return group_usage(argv[0], argc > 1 ? argv[1] : NULL);
	/* --help needs no config. */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ctl_print_usage(cmd, stdout);
			return 0;
		}
	r = pub_open(&p, o);
	if (r == 0)
		r = run_ctl(&p, cmd, argc - 1, argv + 1);
	pub_close(&p);
	return r;
}

int hub_cmd_command(struct hub_opts *o, int argc, char **argv)
{
	const struct ctl_cmd *cmd = NULL;
	struct pub p = {0};
	int r;

	struct ctl_cmd row;

	if (argc < 3)
		return group_usage("command", NULL);
	if (!id_is_valid(argv[1])) {
		fprintf(stderr, "aeogate-hub: '%s' is not a controller name\n", argv[1]);
		return 2;
	}
	cmd = command_row(changeset_command_named(argv[2]));
	if (!cmd)
		return group_usage("command", argv[2]);
	/* Its usage line reads "command CONTROLLER lockdown ...". */
	row = *cmd;
	row.group = "command CONTROLLER";
	cmd = &row;
	p.controller = argv[1];
	r = pub_open(&p, o);
	if (r == 0)
		r = run_ctl(&p, cmd, argc - 2, argv + 2);
	pub_close(&p);
	return r;
}
