/* SPDX-License-Identifier: MIT */
/* The [hub] section (README "Many sites"), read with inih. */
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "util.h"

struct parse {
	struct hub_config *c;
	char *err;
	size_t errlen;
	bool failed;
	bool seen;
};

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* "a b", "a, b": each an identifier. */
static int set_sites(struct parse *p, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (!id_is_valid(t)) {
			snprintf(p->err, p->errlen, "[hub] site: '%s' is not an identifier", t);
			r = -EINVAL;
			break;
		}
		if (p->c->n_sites == HUB_SITES_MAX) {
			snprintf(p->err, p->errlen, "[hub] sites: more than %d", HUB_SITES_MAX);
			r = -EINVAL;
			break;
		}
		p->c->sites[p->c->n_sites] = strdup(t);
		if (!p->c->sites[p->c->n_sites]) {
			r = -ENOMEM;
			break;
		}
		p->c->n_sites++;
	}
	free(copy);
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct hub_config *c = p->c;
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
	    {"broker", offsetof(struct hub_config, broker)},
	    {"ca_file", offsetof(struct hub_config, ca_file)},
	    {"cert_file", offsetof(struct hub_config, cert_file)},
	    {"key_file", offsetof(struct hub_config, key_file)},
	    {"username", offsetof(struct hub_config, username)},
	    {"password_file", offsetof(struct hub_config, password_file)},
	    {"client_id", offsetof(struct hub_config, client_id)},
	    {"db", offsetof(struct hub_config, db)},
	    {"key_dir", offsetof(struct hub_config, key_dir)},
	    {"name", offsetof(struct hub_config, name)},
	};

	if (p->failed || strcmp(section, "hub") != 0)
		return 1; /* other sections belong to other programs */
	p->seen = true;
	if (!strcmp(name, "site") || !strcmp(name, "sites")) {
		if (set_sites(p, value) < 0)
			p->failed = true;
		return !p->failed;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!strcmp(name, strs[i].key)) {
			if (!*value) {
				snprintf(p->err, p->errlen, "[hub] %s: empty", name);
				p->failed = true;
				return 0;
			}
			if (set_str((char **)((char *)c + strs[i].off), value) < 0) {
				snprintf(p->err, p->errlen, "out of memory");
				p->failed = true;
				return 0;
			}
			return 1;
		}
	snprintf(p->err, p->errlen, "[hub] %s: unknown key", name);
	p->failed = true;
	return 0;
}

int hub_config_load(const char *path, struct hub_config *ret, char *err, size_t errlen)
{
	struct hub_config c = {0};
	struct parse p = {.c = &c, .err = err, .errlen = errlen};
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -errno;
	}
	r = ini_parse_file(f, handler, &p);
	fclose(f);
	if (!p.failed && r > 0) {
		snprintf(err, errlen, "line %d: not a section header or key = value line", r);
		p.failed = true;
	}
	if (!p.failed && !p.seen) {
		snprintf(err, errlen, "no [hub] section");
		p.failed = true;
	}
	if (!p.failed && !c.db) {
		snprintf(err, errlen, "[hub] db is required (the hub's store)");
		p.failed = true;
	}
	if (!p.failed && c.broker && strncmp(c.broker, "mqtt://", 7) &&
	    strncmp(c.broker, "mqtts://", 8)) {
		snprintf(err, errlen,
			 "[hub] broker: '%s' is not mqtt://HOST:PORT or mqtts://HOST:PORT",
			 c.broker);
		p.failed = true;
	}
	if (!p.failed && c.name && !id_is_valid(c.name)) {
		snprintf(err, errlen, "[hub] name: '%s' is not an identifier", c.name);
		p.failed = true;
	}
	if (!p.failed && !c.client_id && set_str(&c.client_id, "aeogate-hub") < 0) {
		snprintf(err, errlen, "out of memory");
		p.failed = true;
	}
	if (!p.failed && !c.name && set_str(&c.name, "hub") < 0) {
		snprintf(err, errlen, "out of memory");
		p.failed = true;
	}
	if (p.failed) {
		hub_config_free(&c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

void hub_config_free(struct hub_config *c)
{
	free(c->broker);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->username);
	free(c->password_file);
	free(c->client_id);
	for (size_t i = 0; i < c->n_sites; i++)
		free(c->sites[i]);
	free(c->db);
	free(c->key_dir);
	free(c->name);
	memset(c, 0, sizeof(*c));
}
