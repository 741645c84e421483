/* SPDX-License-Identifier: MIT */
/* aeogate-sync's [sync] section, parsed with inih; every problem names its key. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/aeogate/aeogated.sock"

struct parse {
	struct sync_config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
	bool seen_sync, has_broker, has_site, has_client_id;
	char password_file[SYNC_PATH_MAX];
};

static int fail(struct parse *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parse *p, const char *key, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(p->err, p->errlen, "%s: [sync] %s: %s", p->path, key, why);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, why);
	p->failed = true;
	return 0; /* inih: stop at the first problem */
}

/*
 * The form of each key is checked as aeogated's config.c checks it, so one
 * file is refused by both programs for the same mistake.
 */

/* Copies value into buf, refusing what does not fit rather than truncating a path or a name. */
static int copy(struct parse *p, const char *key, const char *value, char *buf, size_t len)
{
	if (!*value)
		return fail(p, key, "must not be empty");
	if (strlen(value) >= len)
		return fail(p, key, "longer than %zu characters", len - 1);
	memcpy(buf, value, strlen(value) + 1);
	return 1;
}

/* A file: an absolute path (a service's working directory is nobody's business). */
static int path(struct parse *p, const char *key, const char *value, char *buf, size_t len)
{
	if (value[0] != '/')
		return fail(p, key, "'%s' must be an absolute path", value);
	return copy(p, key, value, buf, len);
}

/*
 * A topic level (SITE, CONTROLLER): an identifier, which also keeps out
 * MQTT's '/', '+' and '#' so a name can never widen a subscription.
 */
static int topic_level(struct parse *p, const char *key, const char *value, char *buf, size_t len)
{
	if (!id_is_valid(value))
		return fail(p, key, "'%s' is not 1-64 characters of A-Z a-z 0-9 . _ -", value);
	return copy(p, key, value, buf, len);
}

/* mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; 1883 and 8883 by default. */
static int broker_parse(struct parse *p, const char *value)
{
	struct sync_config *c = p->cfg;
	const char *rest, *colon;
	size_t hlen;

	if (!strncmp(value, "mqtts://", 8)) {
		c->tls = true;
		c->port = 8883;
		rest = value + 8;
	} else if (!strncmp(value, "mqtt://", 7)) {
		c->tls = false;
		c->port = 1883;
		rest = value + 7;
	} else {
		return fail(p, "broker", "'%s' must be mqtt://HOST:PORT or mqtts://HOST:PORT",
			    value);
	}
	if (rest[0] == '[') {
		/* An IPv6 address: mqtt://[::1]:1883. */
		const char *end = strchr(rest, ']');

		if (!end || (end[1] && end[1] != ':'))
			return fail(p, "broker", "'%s': an IPv6 address is [ADDRESS]:PORT", value);
		colon = end[1] ? end + 1 : NULL;
		rest++;
		hlen = (size_t)(end - rest);
	} else {
		colon = strrchr(rest, ':');
		hlen = colon ? (size_t)(colon - rest) : strlen(rest);
	}
	if (colon) {
		char *end;
		long port;

		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port < 1 || port > 65535)
			return fail(p, "broker", "'%s': the port must be 1-65535", value);
		c->port = (int)port;
	}
	if (hlen == 0 || hlen > SYNC_HOST_MAX || memchr(rest, '/', hlen) || memchr(rest, '@', hlen))
		return fail(p, "broker", "'%s': no host name (or a path or user in it)", value);
	memcpy(c->host, rest, hlen);
	c->host[hlen] = '\0';
	p->has_broker = true;
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct sync_config *c = p->cfg;

	if (p->failed)
		return 0;
	if (!name)
		return 1; /* a section header without keys */
	if (!strcmp(section, "controller")) {
		if (!strcmp(name, "socket"))
			return copy(p, NULL, value, c->socket, sizeof(c->socket));
		return 1;
	}
	if (strcmp(section, "sync"))
		return 1; /* aeogated's and aeogate-web's sections: theirs to check */
	p->seen_sync = true;
	if (!strcmp(name, "broker"))
		return broker_parse(p, value);
	if (!strcmp(name, "ca_file"))
		return path(p, name, value, c->ca_file, sizeof(c->ca_file));
	if (!strcmp(name, "cert_file"))
		return path(p, name, value, c->cert_file, sizeof(c->cert_file));
	if (!strcmp(name, "key_file"))
		return path(p, name, value, c->key_file, sizeof(c->key_file));
	if (!strcmp(name, "username")) {
		if (!text_is_valid(value))
			return fail(p, name, "must be printable text");
		return copy(p, name, value, c->username, sizeof(c->username));
	}
	if (!strcmp(name, "password_file"))
		return path(p, name, value, p->password_file, sizeof(p->password_file));
	if (!strcmp(name, "client_id")) {
		p->has_client_id = true;
		return topic_level(p, name, value, c->client_id, sizeof(c->client_id));
	}
	if (!strcmp(name, "site")) {
		p->has_site = true;
		return topic_level(p, name, value, c->site, sizeof(c->site));
	}
	if (!strcmp(name, "office_pubkey")) {
		char unused[SYNC_PATH_MAX];

		/* aeogated's: it checks the change sets and commands; only the form here. */
		return path(p, name, value, unused, sizeof(unused));
	}
	return fail(p, name,
		    "unknown key (expected broker, ca_file, cert_file, key_file, username, "
		    "password_file, client_id, site, office_pubkey)");
}

/* The first line of password_file, which must not be readable by others. */
static int password_read(struct parse *p)
{
	struct sync_config *c = p->cfg;
	struct stat st;
	size_t n;
	FILE *f = fopen(p->password_file, "re");

	if (!f)
		return fail(p, "password_file", "%s: %s", p->password_file, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH)) {
		fclose(f);
		return fail(p, "password_file", "%s is readable by others (chmod o-r)",
			    p->password_file);
	}
	if (!fgets(c->password, sizeof(c->password), f)) {
		fclose(f);
		return fail(p, "password_file", "%s is empty", p->password_file);
	}
	fclose(f);
	n = strcspn(c->password, "\r\n");
	if (c->password[n] == '\0' && n == sizeof(c->password) - 1)
		return fail(p, "password_file", "the password is longer than %d bytes",
			    SYNC_PASSWORD_MAX - 1);
	c->password[n] = '\0';
	if (!n)
		return fail(p, "password_file", "%s holds an empty password", p->password_file);
	c->has_password = true;
	return 1;
}

/* A file named by a key must be there and readable now, not at the first connect. */
static void readable(struct parse *p, const char *key, const char *path)
{
	if (*path && access(path, R_OK) < 0)
		fail(p, key, "%s: %s", path, strerror(errno));
}

int sync_config_load(const char *path, struct sync_config *ret, char *err, size_t errlen)
{
	struct parse p = {.cfg = ret, .path = path, .err = err, .errlen = errlen};
	FILE *f;
	int r;

	memset(ret, 0, sizeof(*ret));
	strcpy(ret->socket, DEFAULT_SOCKET);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	r = ini_parse_file(f, handler, &p);
	fclose(f);
	if (!p.failed && r > 0)
		fail(&p, NULL, "line %d: not a section header or key = value line", r);
	if (!p.failed && r < 0)
		fail(&p, NULL, "cannot be parsed");
	if (!p.failed && !p.seen_sync)
		fail(&p, NULL, "no [sync] section (broker and site are required)");
	if (!p.failed && !p.has_broker)
		fail(&p, "broker", "missing (mqtt://HOST:PORT or mqtts://HOST:PORT)");
	if (!p.failed && !p.has_site)
		fail(&p, "site", "missing (the site's id, SITE in the topics)");
	if (!p.failed && !ret->tls && (ret->ca_file[0] || ret->cert_file[0] || ret->key_file[0]))
		fail(&p,
		     ret->ca_file[0]	 ? "ca_file"
		     : ret->cert_file[0] ? "cert_file"
					 : "key_file",
		     "set, but the broker is mqtt:// (plain); use mqtts:// for TLS");
	if (!p.failed && !ret->cert_file[0] != !ret->key_file[0])
		fail(&p, ret->cert_file[0] ? "key_file" : "cert_file",
		     "missing: a client certificate needs both cert_file and key_file");
	if (!p.failed && p.password_file[0] && !ret->username[0])
		fail(&p, "username", "missing: password_file is set");
	readable(&p, "ca_file", ret->ca_file);
	readable(&p, "cert_file", ret->cert_file);
	readable(&p, "key_file", ret->key_file);
	if (!p.failed && p.password_file[0])
		password_read(&p);
	if (!p.failed && !p.has_client_id) {
		char host[256] = "";

		/* The host name, as aeogated takes it (a topic level must be an identifier). */
		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			fail(&p, "client_id", "missing, and the host name cannot be read");
		if (!p.failed)
			topic_level(&p, "client_id (default: the host name)", host, ret->client_id,
				    sizeof(ret->client_id));
	}
	return p.failed ? -1 : 0;
}
