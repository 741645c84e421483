/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub: the security office's side of a fleet (README "Many
 * sites"). keygen, run (collect), status, serve (the page), export, and the publishing
 * commands: badge and person (aeogatectl's own argument parsing, turned
 * into a signed change set) and command (a signed site command, waiting
 * for its acknowledgement).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changeset.h"
#include "ctl.h"
#include "hub.h"
#include "hub_cmds.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/aeogate/hub.conf"

static void usage(FILE *f)
{
	fputs(
	    "usage: aeogate-hub COMMAND [ARGS...] [-c FILE]\n\n"
	    "Commands:\n"
	    "  keygen --dir DIR                 make the office key pair (prints the public key)\n"
	    "  run -c FILE                      collect every controller's events, checkpoints "
	    "and status\n"
	    "  status [--json]                  controllers, last seq stored, lag, keys, alarms\n"
	    "  serve [--listen ADDR:PORT] [--ui DIR] [--allowed-hosts HOST,...]\n"
	    "                                   the fleet's read-only dashboard page and "
	    "/api/fleet\n"
	    "                                   (default 127.0.0.1:8091)\n"
	    "  export [--from T] [--to T] [--format csv|jsonl] -o DIR\n"
	    "                                   one verifiable export and manifest per "
	    "controller\n"
	    "  person add|set|vet|suspend|reinstate|terminate ...\n"
	    "  badge issue|revoke|suspend|reinstate|lost|return ...\n"
	    "  level add|set|remove ...   schedule add|set|remove ...\n"
	    "  holiday add|remove ...     zone set ...\n"
	    "                                   aeogatectl's arguments: one signed change set\n"
	    "                                   for every controller of the site\n"
	    "  command CONTROLLER lockdown|release [--zone Z]... --comment TEXT\n"
	    "  command CONTROLLER unlock DOOR --comment TEXT [--for DURATION]\n\n"
	    "Options of every command: -c FILE (default " DEFAULT_CONFIG
	    "), --site SITE (when the\n"
	    "config names several sites), --timeout SECONDS (publishing: wait for the broker\n"
	    "and the controller; default 30).\n"
	    "Exit status: 0 ok, 1 failed or refused, 2 usage error.\n",
	    f);
}

/*
 * Takes -c FILE, --config FILE, --site SITE and --timeout S out of argv
 * wherever they are (before "--"), so every command, including the ones
 * aeogatectl's parser reads, accepts them.
 */
static int take_common(int *argc, char **argv, struct hub_opts *o)
{
	int out = 0;
	bool rest = false;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!rest && !strcmp(a, "--"))
			rest = true;
		if (!rest && (!strcmp(a, "-c") || !strcmp(a, "--config")))
			dst = &o->config;
		else if (!rest && !strcmp(a, "--site"))
			dst = &o->site;
		else if (!rest && !strcmp(a, "--timeout"))
			dst = &o->timeout;
		if (dst) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "aeogate-hub: option '%s' needs a value\n", a);
				return -EINVAL;
			}
			*dst = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	if (o->timeout) {
		long long t;

		if (ctl_parse_u64(o->timeout, 3600, &t) < 0 || t == 0) {
			fprintf(stderr, "aeogate-hub: --timeout: '%s' is not 1-3600 seconds\n",
				o->timeout);
			return -EINVAL;
		}
		o->timeout_ms = (int)t * 1000;
	}
	if (o->site && !id_is_valid(o->site)) {
		fprintf(stderr, "aeogate-hub: --site: '%s' is not an identifier\n", o->site);
		return -EINVAL;
	}
	return 0;
}

int hub_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("aeogate-hub: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int hub_load(struct hub_opts *o, struct hub_config *cfg, struct hub_store **store)
{
	char err[512];
	int r;

	r = hub_config_load(o->config ? o->config : DEFAULT_CONFIG, cfg, err, sizeof(err));
	if (r < 0)
		return hub_fail("%s: %s", o->config ? o->config : DEFAULT_CONFIG, err);
	if (store) {
		r = hub_store_open(cfg->db, store);
		if (r < 0) {
			hub_config_free(cfg);
			return hub_fail("%s: cannot open the hub's store: %s",
					cfg->db ? cfg->db : "", strerror(-r));
		}
	}
	return 0;
}

static int cmd_keygen(struct hub_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
	struct changeset_seckey k;
	const char *dir = NULL;
	char hex[DEVKEY_PK_HEX];
	int c, r;

	(void)o;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'h') {
			puts("usage: aeogate-hub keygen --dir DIR");
			return 0;
		} else {
			fputs("usage: aeogate-hub keygen --dir DIR\n", stderr);
			return 2;
		}
	}
	if (!dir || optind != argc) {
		fputs("aeogate-hub: keygen needs --dir DIR and nothing else\n"
		      "usage: aeogate-hub keygen --dir DIR\n",
		      stderr);
		return 2;
	}
	r = changeset_keygen(dir, &k);
	if (r == -EEXIST)
		return hub_fail(
		    "%s/office.key or office.pub exists: refusing to overwrite an office "
		    "key (every controller trusts it)",
		    dir);
	if (r < 0)
		return hub_fail("%s: cannot write the key pair: %s", dir, strerror(-r));
	sodium_bin2hex(hex, sizeof(hex), k.pub.pk, sizeof(k.pub.pk));
	changeset_seckey_wipe(&k);
	printf("%s\n", hex);
	fprintf(stderr,
		"aeogate-hub: wrote %s/office.key (secret, 0600) and %s/office.pub; give "
		"office.pub to every controller as [sync] office_pubkey\n",
		dir, dir);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct hub_opts *o, int argc, char **argv);
	bool needs_word; /* person add, badge revoke: the second word picks the command */
} commands[] = {
    {"keygen", cmd_keygen, false},	{"run", hub_cmd_run, false},
    {"status", hub_cmd_status, false},	{"export", hub_cmd_export, false},
    {"person", hub_cmd_enrol, true},	{"badge", hub_cmd_enrol, true},
    {"level", hub_cmd_enrol, true},	{"schedule", hub_cmd_enrol, true},
    {"holiday", hub_cmd_enrol, true},	{"zone", hub_cmd_enrol, true},
    {"command", hub_cmd_command, true}, {"serve", hub_cmd_serve, false},
};

int main(int argc, char **argv)
{
	struct hub_opts o = {.timeout_ms = 30000};
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("aeogate-hub %s\n", AEOGATE_VERSION);
		return 0;
	}
	argc--;
	argv++;
	if (take_common(&argc, argv, &o) < 0)
		return 2;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[0]))
			continue;
		optind = 0;
		opterr = 0;
		r = commands[i].run(&o, argc, argv);
		if (fflush(stdout) != 0 && r == 0)
			r = hub_fail("cannot write output: %m");
		return r;
	}
	fprintf(stderr, "aeogate-hub: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
