/* SPDX-License-Identifier: MIT */
/*
 * The INI config, parsed with inih. inih does not tell the handler which
 * line it is on, so we feed it through ini_parse_stream with a reader that
 * counts lines; every problem is reported as "file:line: key: problem".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aeogate/config.h"
#include "aeogate/wiegand.h"
#include "changeset.h"
#include "retention.h"
#include "util.h"

#define DEFAULT_STATE_DIR "/var/lib/aeogate"
/* Where a [backup] section without dir writes: the unit's ReadWritePaths= and tmpfiles.d name it.
 */
#define DEFAULT_BACKUP_DIR "/var/backups/aeogate"
#define DEFAULT_SOCKET "/run/aeogate/aeogated.sock"

enum section_kind {
	SECTION_NONE,
	SECTION_CONTROLLER,
	SECTION_DOOR,
	SECTION_READER,
	SECTION_AUDIT,	/* [audit]: checkpoints and report limits */
	SECTION_POLICY, /* [policy]: how the access rules behave */
	SECTION_BACKUP, /* [backup]: scheduled backups (controller/backup.c) */
	SECTION_WEB,	/* [web]: aeogate-web's (--config); aeogated checks its keys only */
	SECTION_SYNC, /* [sync]: aeogate-sync's broker, and the office key aeogated verifies with */
};

struct parse_state {
	struct config *cfg;
	FILE *f;
	int line;
	int section_line; /* line of the last section header read */
	bool line_too_long;
	char *err;
	size_t errlen;
	bool failed;
	char section[128];
	enum section_kind kind;
	int index;
	/* Lines of keys checked after the whole file is read. */
	int reader_door_line[AEOGATE_READERS_MAX];
	unsigned long seen; /* bit per key of the current section, to refuse duplicates */
	int office_pubkey_line;
};

static int fail(struct parse_state *ps, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parse_state *ps, int line, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%d: %s: %s", ps->cfg->path, line, key, msg);
	ps->failed = true;
	return 0;
}

static char *count_lines(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	char *r = fgets(str, num, ps->f);
	size_t n;

	if (!r)
		return NULL;
	ps->line++;
	n = strlen(r);
	if (n == (size_t)num - 1 && r[n - 1] != '\n' && !feof(ps->f)) {
		/* inih would silently split the line; refuse it instead. */
		ps->line_too_long = true;
		fail(ps, ps->line, "line", "longer than %d characters", num - 2);
		return NULL;
	}
	/*
	 * inih calls the handler only for keys, so a section starts at its first
	 * key; remember where its header was, which is the line to report.
	 */
	if (r[strspn(r, " \t")] == '[')
		ps->section_line = ps->line;
	return r;
}

int line_spec_parse(const char *s, struct line_spec *ret)
{
	struct line_spec ls = {.set = true, .offset = -1};
	char buf[160];
	char *colon, *space, *chip, *line;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (strcmp(s, "sim") == 0) {
		ls.sim = true;
		*ret = ls;
		return 0;
	}
	strcpy(buf, s);
	space = strpbrk(buf, " \t");
	if (space) {
		char *flag = space;
		*flag++ = '\0';
		while (*flag == ' ' || *flag == '\t')
			flag++;
		if (strcmp(flag, "active_low") != 0)
			return -EINVAL;
		ls.active_low = true;
	}
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	chip = buf;
	line = colon + 1;
	if (!*chip || !*line || strlen(chip) >= sizeof(ls.chip) || strlen(line) >= sizeof(ls.line))
		return -EINVAL;
	for (const char *p = chip; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '/' && *p != '.')
			return -EINVAL;
	for (const char *p = line; *p; p++)
		if (!isgraph((unsigned char)*p))
			return -EINVAL;
	strcpy(ls.chip, chip);
	strcpy(ls.line, line);
	if (strspn(line, "0123456789") == strlen(line)) {
		char *end;
		long v = strtol(line, &end, 10);
		if (v < 0 || v > 4095)
			return -EINVAL;
		ls.offset = (int)v;
	}
	*ret = ls;
	return 0;
}

/* "5" (seconds), "5s", "500ms", "2m"; bounded by max_ms. */
static int parse_duration_ms(const char *v, unsigned max_ms, unsigned *ret)
{
	uint64_t ms;
	int r = duration_parse_ms(v, max_ms, &ms);

	if (r == 0)
		*ret = (unsigned)ms;
	return r;
}

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (n < min || n > max)
		return -ERANGE;
	*ret = (unsigned)n;
	return 0;
}

/* "64M", "512K", "1G", "0", or plain bytes; binary units; bounded by max. */
static int parse_size(const char *v, uint64_t max, uint64_t *ret)
{
	static const struct scale_unit units[] = {{"", 1},	  {"K", 1 << 10}, {"k", 1 << 10},
						  {"M", 1 << 20}, {"G", 1 << 30}, {NULL, 0}};

	return scaled_parse(v, units, max, ret);
}

static int parse_bool(const char *v, bool *ret)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*ret = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_formats(const char *v, unsigned *ret)
{
	char buf[256];
	unsigned mask = 0;
	char *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	if (strcmp(v, "all") == 0) {
		*ret = WIEGAND_ALL_FORMATS;
		return 0;
	}
	strcpy(buf, v);
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		int f = wiegand_format_from_name(tok);
		if (f < 0)
			return -EINVAL;
		mask |= 1u << f;
	}
	if (!mask)
		return -EINVAL;
	*ret = mask;
	return 0;
}

static int copy_checked(char *dst, size_t len, const char *v)
{
	if (strlen(v) >= len)
		return -ENAMETOOLONG;
	strcpy(dst, v);
	return 0;
}

/* Marks key k of the current section seen; false when it was already. */
static bool first_time(struct parse_state *ps, unsigned k)
{
	if (ps->seen & (1ul << k))
		return false;
	ps->seen |= 1ul << k;
	return true;
}

static int key_index(const char *const *keys, const char *name)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(keys[i], name) == 0)
			return i;
	return -1;
}

static const char *const controller_keys[] = {"state_dir", "socket", "site_name", "timezone",
					      "durability", "demo",
					      /* storage */
					      "storage_reserve", "storage_failure",
					      /* control-socket limits */
					      "web_group", "socket_timeout",
					      /* privileges when started as root (privdrop.c) */
					      "user", "group", "allow_root", NULL};
static const char *const door_keys[] = {
    "zone",    "lock",	 "lock_type",	"contact",     "rex",	    "tamper",	 "led_green",
    "led_red", "buzzer", "debounce_ms", "strike_time", "held_time", "interlock", NULL};
static const char *const audit_keys[] = {"checkpoint_events", "checkpoint_minutes",
					 "alarm_ack_limit", "retention", NULL};
static const char *const backup_keys[] = {"dir", "every", "keep", NULL};
static const char *const web_keys[] = {"metrics_token_file", NULL};
static const char *const sync_keys[] = {
    "broker",	     "ca_file",	  "cert_file", "key_file",	"username",
    "password_file", "client_id", "site",      "office_pubkey", NULL};
static const char *const policy_keys[] = {"pin_timeout", "pin_attempts", "duress",
					  "expiry_warning_days", NULL};
static const char *const reader_keys[] = {
    "type", "door", "direction", "formats", "d0", "d1", "connstring", "frame_gap_ms", "hold_off_ms",
    /* osdp */
    "port", "baud", "address", "scbk", "secure", "install", NULL};

static int start_section(struct parse_state *ps, const char *section)
{
	struct config *c = ps->cfg;
	const char *name;

	snprintf(ps->section, sizeof(ps->section), "%s", section);
	ps->seen = 0;
	if (strcmp(section, "controller") == 0) {
		ps->kind = SECTION_CONTROLLER;
		return 0;
	}
	if (strcmp(section, "audit") == 0) {
		ps->kind = SECTION_AUDIT;
		return 0;
	}
	if (strcmp(section, "backup") == 0) {
		ps->kind = SECTION_BACKUP;
		if (!c->backup_dir[0])
			strcpy(c->backup_dir, DEFAULT_BACKUP_DIR);
		return 0;
	}
	if (strcmp(section, "web") == 0) {
		ps->kind = SECTION_WEB;
		return 0;
	}
	if (strcmp(section, "policy") == 0) {
		ps->kind = SECTION_POLICY;
		return 0;
	}
	if (strcmp(section, "sync") == 0) {
		ps->kind = SECTION_SYNC;
		c->sync_set = true;
		return 0;
	}
	if (strncmp(section, "door ", 5) == 0) {
		name = section + 5;
		if (!id_is_valid(name))
			return fail(ps, ps->section_line, "door", "'%s' is not a valid name (1-64 of A-Z a-z 0-9 . _ -)", name);
		if (config_door_find(c, name) >= 0)
			return fail(ps, ps->section_line, "door", "'%s' is defined twice", name);
		if (c->n_doors >= AEOGATE_DOORS_MAX)
			return fail(ps, ps->section_line, "door", "more than %d doors", AEOGATE_DOORS_MAX);
		ps->kind = SECTION_DOOR;
		ps->index = (int)c->n_doors++;
		struct door_config *d = &c->doors[ps->index];
		memset(d, 0, sizeof(*d));
		strcpy(d->name, name);
		d->lock_type = LOCK_STRIKE;
		d->debounce_ms = 7;
		d->strike_time_ms = 5000;
		d->held_time_ms = 30000;
		d->line = ps->section_line;
		return 0;
	}
	if (strncmp(section, "reader ", 7) == 0) {
		name = section + 7;
		if (!id_is_valid(name))
			return fail(ps, ps->section_line, "reader", "'%s' is not a valid name (1-64 of A-Z a-z 0-9 . _ -)", name);
		if (config_reader_find(c, name) >= 0)
			return fail(ps, ps->section_line, "reader", "'%s' is defined twice", name);
		if (c->n_readers >= AEOGATE_READERS_MAX)
			return fail(ps, ps->section_line, "reader", "more than %d readers", AEOGATE_READERS_MAX);
		ps->kind = SECTION_READER;
		ps->index = (int)c->n_readers++;
		struct reader_config *r = &c->readers[ps->index];
		memset(r, 0, sizeof(*r));
		strcpy(r->name, name);
		r->type = READER_SIM;
		strcpy(r->direction, "in");
		r->formats_mask = WIEGAND_ALL_FORMATS;
		r->frame_gap_ms = 25;
		r->hold_off_ms = 1000;
		r->baud = 115200;
		r->secure = OSDP_SECURE_REQUIRED;
		r->line = ps->section_line;
		ps->reader_door_line[ps->index] = ps->section_line;
		return 0;
	}
	return fail(ps, ps->section_line, "section",
		    "unknown section [%s] (expected [controller], [audit], [policy], [backup], "
		    "[web], [sync], [door NAME] "
		    "or [reader NAME])",
		    section);
}

/*
 * Whether the system's tzdata has the IANA zone name: a TZif file under
 * $TZDIR (default /usr/share/zoneinfo), the file glibc reads when TZ names
 * it. A name is a relative path of A-Z a-z 0-9 _ + - and /, without "..":
 * never a file elsewhere. 0, or -ENOENT with why set.
 */
static int timezone_check(const char *name, const char **why)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	ssize_t n;
	int fd;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if (name[0] == '/' || strstr(name, "..") ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
		strlen(name)) {
		*why = "not an IANA zone name";
		return -ENOENT;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		*why = "too long";
		return -ENOENT;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = "no such zone in the system's tzdata";
		return -ENOENT;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0) {
		*why = "not a zone file in the system's tzdata";
		return -ENOENT;
	}
	return 0;
}

static int controller_key(struct parse_state *ps, const char *key, const char *v)
{
	const char *why;

	struct config *c = ps->cfg;
	int r = 0;

	if (!strcmp(key, "state_dir"))
		r = copy_checked(c->state_dir, sizeof(c->state_dir), v);
	else if (!strcmp(key, "socket"))
		r = copy_checked(c->socket, sizeof(c->socket), v);
	else if (!strcmp(key, "site_name"))
		r = text_is_valid(v) ? copy_checked(c->site_name, sizeof(c->site_name), v) : -EINVAL;
	else if (!strcmp(key, "timezone")) {
		if (timezone_check(v, &why) < 0)
			return fail(ps, ps->line, key, "'%s': %s (%s)", v, why,
				    getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo");
		r = copy_checked(c->timezone, sizeof(c->timezone), v);
		c->timezone_set = r == 0;
	} else if (!strcmp(key, "durability")) {
		if (strcmp(v, "normal") && strcmp(v, "full"))
			return fail(ps, ps->line, key, "must be normal or full, not '%s'", v);
		strcpy(c->durability, v);
	} else if (!strcmp(key, "demo"))
		r = parse_bool(v, &c->demo);
	else if (!strcmp(key, "storage_reserve")) {
		r = parse_size(v, AEOGATE_STORAGE_RESERVE_MAX, &c->storage_reserve);
		if (r == -ERANGE)
			return fail(ps, ps->line, key, "at most %lluM, not '%s'",
				    (unsigned long long)(AEOGATE_STORAGE_RESERVE_MAX >> 20), v);
	} else if (!strcmp(key, "storage_failure")) {
		if (strcmp(v, "deny") && strcmp(v, "grant"))
			return fail(ps, ps->line, key, "must be deny or grant, not '%s'", v);
		c->storage_failure_grant = !strcmp(v, "grant");
	} else if (!strcmp(key, "web_group"))
		r = id_is_valid(v) ? copy_checked(c->web_group, sizeof(c->web_group), v) : -EINVAL;
	else if (!strcmp(key, "user"))
		r = id_is_valid(v) ? copy_checked(c->user, sizeof(c->user), v) : -EINVAL;
	else if (!strcmp(key, "group"))
		r = id_is_valid(v) ? copy_checked(c->group, sizeof(c->group), v) : -EINVAL;
	else if (!strcmp(key, "allow_root"))
		r = parse_bool(v, &c->allow_root);
	else if (!strcmp(key, "socket_timeout")) {
		if (parse_duration_ms(v, AEOGATE_CTL_TIMEOUT_MAX_MS, &c->socket_timeout_ms) < 0 ||
		    c->socket_timeout_ms < AEOGATE_CTL_TIMEOUT_MIN_MS)
			return fail(ps, ps->line, key,
				    "must be a duration from %dms to %dm, like 30s",
				    AEOGATE_CTL_TIMEOUT_MIN_MS, AEOGATE_CTL_TIMEOUT_MAX_MS / 60000);
	}
	if (r == -ENAMETOOLONG)
		return fail(ps, ps->line, key, "value too long");
	if (r < 0)
		return fail(ps, ps->line, key, "invalid value '%s'", v);
	return 1;
}

static int door_key(struct parse_state *ps, const char *key, const char *v)
{
	struct door_config *d = &ps->cfg->doors[ps->index];
	struct line_spec *ls = NULL;
	int r = 0;

	if (!strcmp(key, "zone")) {
		if (!id_is_valid(v))
			return fail(ps, ps->line, key, "'%s' is not a valid zone name", v);
		strcpy(d->zone, v);
		return 1;
	}
	if (!strcmp(key, "interlock")) {
		if (!id_is_valid(v))
			return fail(ps, ps->line, key, "'%s' is not a valid interlock group name",
				    v);
		strcpy(d->interlock, v);
		d->interlock_line = ps->line;
		return 1;
	}
	if (!strcmp(key, "lock_type")) {
		if (!strcmp(v, "strike"))
			d->lock_type = LOCK_STRIKE;
		else if (!strcmp(v, "maglock"))
			d->lock_type = LOCK_MAGLOCK;
		else
			return fail(ps, ps->line, key, "must be strike or maglock, not '%s'", v);
		return 1;
	}
	if (!strcmp(key, "debounce_ms")) {
		r = parse_uint(v, 0, 1000, &d->debounce_ms);
		if (r < 0)
			return fail(ps, ps->line, key, "must be a number of milliseconds 0-1000");
		return 1;
	}
	if (!strcmp(key, "strike_time")) {
		r = parse_duration_ms(v, AEOGATE_STRIKE_TIME_MAX_MS, &d->strike_time_ms);
		if (r < 0 || d->strike_time_ms == 0)
			return fail(ps, ps->line, key, "must be a duration like 5s or 500ms, at most %ds",
				    AEOGATE_STRIKE_TIME_MAX_MS / 1000);
		return 1;
	}
	if (!strcmp(key, "held_time")) {
		r = parse_duration_ms(v, AEOGATE_HELD_TIME_MAX_MS, &d->held_time_ms);
		if (r < 0 || d->held_time_ms == 0)
			return fail(ps, ps->line, key, "must be a duration like 30s or 2m, at most %dm",
				    AEOGATE_HELD_TIME_MAX_MS / 60000);
		return 1;
	}
	if (!strcmp(key, "lock"))
		ls = &d->lock;
	else if (!strcmp(key, "contact"))
		ls = &d->contact;
	else if (!strcmp(key, "rex"))
		ls = &d->rex;
	else if (!strcmp(key, "tamper"))
		ls = &d->tamper;
	else if (!strcmp(key, "led_green"))
		ls = &d->led_green;
	else if (!strcmp(key, "led_red"))
		ls = &d->led_red;
	else if (!strcmp(key, "buzzer"))
		ls = &d->buzzer;
	if (line_spec_parse(v, ls) < 0)
		return fail(ps, ps->line, key,
			    "'%s' is not a line (expected sim, CHIP:OFFSET or CHIP:NAME, optionally followed by active_low)",
			    v);
	if (ls == &d->lock)
		d->backend = ls->sim ? DOOR_BACKEND_SIM : DOOR_BACKEND_GPIOD;
	return 1;
}

const char *reader_type_name(enum reader_type t)
{
	static const char *const names[] = {[READER_SIM] = "sim",
					    [READER_WIEGAND] = "wiegand",
					    [READER_NFC] = "nfc",
					    [READER_OSDP] = "osdp"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* BEGIN osdp keys */
static const unsigned osdp_bauds[] = {9600, 19200, 38400, 57600, 115200, 230400};

static int osdp_reader_key(struct parse_state *ps, struct reader_config *r, const char *key,
			   const char *v)
{
	if (!strcmp(key, "port")) {
		if (copy_checked(r->port, sizeof(r->port), v) < 0 || v[0] != '/')
			return fail(ps, ps->line, key, "'%s' is not a tty path (e.g. /dev/ttyAMA0)",
				    v);
	} else if (!strcmp(key, "baud")) {
		bool ok = parse_uint(v, 9600, 230400, &r->baud) == 0;
		bool known = false;
		for (size_t i = 0; i < sizeof(osdp_bauds) / sizeof(osdp_bauds[0]); i++)
			known |= r->baud == osdp_bauds[i];
		if (!ok || !known)
			return fail(ps, ps->line, key,
				    "must be 9600, 19200, 38400, 57600, 115200 or 230400, not '%s'",
				    v);
	} else if (!strcmp(key, "address")) {
		if (parse_uint(v, 0, 126, &r->address) < 0)
			return fail(ps, ps->line, key, "must be an OSDP address 0-126, not '%s'",
				    v);
	} else if (!strcmp(key, "scbk")) {
		if (copy_checked(r->scbk, sizeof(r->scbk), v) < 0 || v[0] != '/')
			return fail(
			    ps, ps->line, key,
			    "must be the absolute path of a key file (never the key itself)");
	} else if (!strcmp(key, "secure")) {
		if (!strcmp(v, "required"))
			r->secure = OSDP_SECURE_REQUIRED;
		else if (!strcmp(v, "preferred"))
			r->secure = OSDP_SECURE_PREFERRED;
		else if (!strcmp(v, "off"))
			r->secure = OSDP_SECURE_OFF;
		else
			return fail(ps, ps->line, key,
				    "must be required, preferred or off, not '%s'", v);
	} else if (!strcmp(key, "install")) {
		if (!strcmp(v, "yes"))
			r->install = true;
		else if (!strcmp(v, "no"))
			r->install = false;
		else
			return fail(ps, ps->line, key, "must be yes or no, not '%s'", v);
	}
	return 1;
}

/* An osdp reader's port and address, and what readers sharing its port must agree on. */
static void osdp_validate(struct parse_state *ps, size_t i)
{
	const struct config *c = ps->cfg;
	const struct reader_config *r = &c->readers[i];
	size_t on_port = 0;

	if (!r->port[0]) {
		fail(ps, r->line, "port", "osdp reader '%s' needs a port", r->name);
		return;
	}
	if (r->secure != OSDP_SECURE_OFF && !r->scbk[0]) {
		fail(ps, r->line, "scbk",
		     "osdp reader '%s' needs a scbk key file path (or secure = off)", r->name);
		return;
	}
	for (size_t j = 0; j < c->n_readers; j++) {
		const struct reader_config *o = &c->readers[j];
		if (j == i || o->type != READER_OSDP || strcmp(o->port, r->port))
			continue;
		on_port++;
		if (j < i && o->address == r->address) {
			fail(ps, r->line, "address",
			     "readers '%s' and '%s' share port %s and address %u", o->name, r->name,
			     r->port, r->address);
			return;
		}
		if (j < i && o->baud != r->baud) {
			fail(ps, r->line, "baud",
			     "readers '%s' and '%s' share port %s at different bauds", o->name,
			     r->name, r->port);
			return;
		}
	}
	if (on_port + 1 > AEOGATE_OSDP_BUS_PDS)
		fail(ps, r->line, "port", "more than %d readers on port %s", AEOGATE_OSDP_BUS_PDS,
		     r->port);
}
/* END osdp keys */

static int reader_key(struct parse_state *ps, const char *key, const char *v)
{
	struct reader_config *r = &ps->cfg->readers[ps->index];

	if (!strcmp(key, "type")) {
		if (!strcmp(v, "sim"))
			r->type = READER_SIM;
		else if (!strcmp(v, "wiegand"))
			r->type = READER_WIEGAND;
		else if (!strcmp(v, "nfc"))
			r->type = READER_NFC;
		else if (!strcmp(v, "osdp"))
			r->type = READER_OSDP;
		else
			return fail(ps, ps->line, key,
				    "must be wiegand, nfc, osdp or sim, not '%s'", v);
	} else if (!strcmp(key, "door")) {
		if (!id_is_valid(v))
			return fail(ps, ps->line, key, "'%s' is not a valid door name", v);
		strcpy(r->door, v);
		ps->reader_door_line[ps->index] = ps->line;
	} else if (!strcmp(key, "direction")) {
		if (strcmp(v, "in") && strcmp(v, "out"))
			return fail(ps, ps->line, key, "must be in or out, not '%s'", v);
		strcpy(r->direction, v);
	} else if (!strcmp(key, "formats")) {
		if (parse_formats(v, &r->formats_mask) < 0)
			return fail(ps, ps->line, key,
				    "'%s' is not a list of formats (all, or some of h10301, h10302, h10304, h10306, c1k35, c1k48)",
				    v);
	} else if (!strcmp(key, "d0") || !strcmp(key, "d1")) {
		struct line_spec *ls = key[1] == '0' ? &r->d0 : &r->d1;
		if (line_spec_parse(v, ls) < 0 || ls->sim)
			return fail(ps, ps->line, key, "'%s' is not a GPIO line (CHIP:OFFSET or CHIP:NAME)", v);
	} else if (!strcmp(key, "connstring")) {
		if (copy_checked(r->connstring, sizeof(r->connstring), v) < 0 || !strchr(v, ':'))
			return fail(ps, ps->line, key, "'%s' is not a libnfc connstring (e.g. pn532_uart:/dev/ttyS1)", v);
	} else if (!strcmp(key, "frame_gap_ms")) {
		if (parse_uint(v, 5, 500, &r->frame_gap_ms) < 0)
			return fail(ps, ps->line, key, "must be 5-500 milliseconds");
	} else if (!strcmp(key, "hold_off_ms")) {
		if (parse_uint(v, 0, 60000, &r->hold_off_ms) < 0)
			return fail(ps, ps->line, key, "must be 0-60000 milliseconds");
	} else {
		return osdp_reader_key(ps, r, key, v);
	}
	return 1;
}

static int audit_key(struct parse_state *ps, const char *key, const char *v)
{
	struct config *c = ps->cfg;

	if (!strcmp(key, "checkpoint_events")) {
		if (parse_uint(v, 1, AEOGATE_CHECKPOINT_EVENTS_MAX, &c->checkpoint_events) < 0)
			return fail(ps, ps->line, key, "must be 1-%d events",
				    AEOGATE_CHECKPOINT_EVENTS_MAX);
	} else if (!strcmp(key, "checkpoint_minutes")) {
		if (parse_uint(v, 1, AEOGATE_CHECKPOINT_MINUTES_MAX, &c->checkpoint_minutes) < 0)
			return fail(ps, ps->line, key, "must be 1-%d minutes",
				    AEOGATE_CHECKPOINT_MINUTES_MAX);
	} else if (!strcmp(key, "alarm_ack_limit")) {
		if (parse_duration_ms(v, 24u * 60 * 60 * 1000, &c->alarm_ack_limit_ms) < 0 ||
		    c->alarm_ack_limit_ms == 0)
			return fail(ps, ps->line, key, "must be a duration such as 3m or 90s, up to 24 hours");
	} else if (!strcmp(key, "retention")) {
		char why[256];

		if (retention_parse(v, c->retention, AEOGATE_RETENTION_RULES_MAX, &c->n_retention,
				    why, sizeof(why)) < 0)
			return fail(ps, ps->line, key, "%s", why);
	}
	return 1;
}

static int policy_key(struct parse_state *ps, const char *key, const char *v)
{
	struct config *c = ps->cfg;

	if (!strcmp(key, "pin_timeout")) {
		if (parse_duration_ms(v, AEOGATE_PIN_TIMEOUT_MAX_MS, &c->pin_timeout_ms) < 0 ||
		    c->pin_timeout_ms < AEOGATE_PIN_TIMEOUT_MIN_MS)
			return fail(ps, ps->line, key,
				    "must be a duration from 1s to %dm, like 10s",
				    AEOGATE_PIN_TIMEOUT_MAX_MS / 60000);
	} else if (!strcmp(key, "pin_attempts")) {
		if (parse_uint(v, 1, AEOGATE_PIN_ATTEMPTS_MAX, &c->pin_attempts) < 0)
			return fail(ps, ps->line, key, "must be 1-%d wrong PINs",
				    AEOGATE_PIN_ATTEMPTS_MAX);
	} else if (!strcmp(key, "duress")) {
		if (strcmp(v, "none") && strcmp(v, "plus_one"))
			return fail(ps, ps->line, key, "must be none or plus_one, not '%s'", v);
		c->duress_plus_one = !strcmp(v, "plus_one");
	} else if (!strcmp(key, "expiry_warning_days")) {
		if (parse_uint(v, 0, AEOGATE_EXPIRY_WARNING_DAYS_MAX, &c->expiry_warning_days) < 0)
			return fail(ps, ps->line, key, "must be 0 (off) to %d days",
				    AEOGATE_EXPIRY_WARNING_DAYS_MAX);
	}
	return 1;
}

/*
 * [sync]: aeogate-sync's keys are checked for form here too, so that one
 * file is refused by both programs for the same mistake; the office key is
 * loaded in validate(), once the section is read.
 */
static int sync_key(struct parse_state *ps, const char *key, const char *v)
{
	struct config *c = ps->cfg;

	if (!strcmp(key, "broker")) {
		if ((strncmp(v, "mqtt://", 7) && strncmp(v, "mqtts://", 8)) ||
		    copy_checked(c->sync_broker, sizeof(c->sync_broker), v) < 0)
			return fail(ps, ps->line, key,
				    "'%s' is not mqtt://HOST:PORT or mqtts://HOST:PORT", v);
	} else if (!strcmp(key, "site") || !strcmp(key, "client_id")) {
		if (!id_is_valid(v))
			return fail(ps, ps->line, key,
				    "'%s' is not a valid id (1-64 of A-Z a-z 0-9 . _ -)", v);
		strcpy(key[0] == 's' ? c->sync_site : c->sync_client_id, v);
	} else if (!strcmp(key, "username")) {
		if (!text_is_valid(v))
			return fail(ps, ps->line, key, "must be printable text");
	} else {
		/* ca_file, cert_file, key_file, password_file, office_pubkey: paths */
		if (v[0] != '/' || strlen(v) >= PATH_MAX)
			return fail(ps, ps->line, key, "must be an absolute path");
		if (!strcmp(key, "office_pubkey")) {
			strcpy(c->sync_office_pubkey, v);
			ps->office_pubkey_line = ps->line;
		}
	}
	return 1;
}

/* "30s", "15m", "6h", "1d": how often a scheduled backup runs, 10 s to 30 days. */
static int backup_key(struct parse_state *ps, const char *key, const char *v)
{
	static const struct scale_unit every_units[] = {
	    {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {NULL, 0}};
	struct config *c = ps->cfg;

	if (!strcmp(key, "dir")) {
		if (v[0] != '/' || strlen(v) >= sizeof(c->backup_dir))
			return fail(ps, ps->line, key, "must be an absolute path under %zu bytes",
				    sizeof(c->backup_dir));
		snprintf(c->backup_dir, sizeof(c->backup_dir), "%s", v);
	} else if (!strcmp(key, "every")) {
		if (scaled_parse(v, every_units, 30ull * 86400000, &c->backup_every_ms) < 0 ||
		    c->backup_every_ms < 1000)
			return fail(ps, ps->line, key,
				    "must be a duration such as 1d, 6h or 30m (1s to 30d)");
	} else if (!strcmp(key, "keep")) {
		if (parse_uint(v, 1, 1000, &c->backup_keep) < 0)
			return fail(ps, ps->line, key, "must be 1-1000 backups");
	}
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	const char *const *keys;
	int k;

	if (ps->failed)
		return 0;
	if (!*section)
		return fail(ps, ps->line, name ? name : "section", "outside any section");
	if (strcmp(section, ps->section) != 0 || ps->kind == SECTION_NONE) {
		start_section(ps, section);
		if (ps->failed)
			return 0;
	}
	if (!name) /* a section header without keys (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;

	keys = ps->kind == SECTION_CONTROLLER ? controller_keys
	       : ps->kind == SECTION_DOOR     ? door_keys
	       : ps->kind == SECTION_AUDIT    ? audit_keys
	       : ps->kind == SECTION_POLICY   ? policy_keys
	       : ps->kind == SECTION_BACKUP   ? backup_keys
	       : ps->kind == SECTION_WEB      ? web_keys
	       : ps->kind == SECTION_SYNC     ? sync_keys
					      : reader_keys;
	k = key_index(keys, name);
	if (k < 0)
		return fail(ps, ps->line, name, "unknown key in [%s]", section);
	if (!first_time(ps, (unsigned)k))
		return fail(ps, ps->line, name, "set twice in [%s]", section);
	if (!value || !*value)
		return fail(ps, ps->line, name, "empty value");

	switch (ps->kind) {
	case SECTION_CONTROLLER:
		return controller_key(ps, name, value);
	case SECTION_DOOR:
		return door_key(ps, name, value);
	case SECTION_READER:
		return reader_key(ps, name, value);
	case SECTION_AUDIT:
		return audit_key(ps, name, value);
	case SECTION_POLICY:
		return policy_key(ps, name, value);
	case SECTION_BACKUP:
		return backup_key(ps, name, value);
	case SECTION_SYNC:
		return sync_key(ps, name, value);
	case SECTION_WEB:
		if (value[0] != '/')
			return fail(ps, ps->line, name, "must be an absolute path");
		return 1;
	default:
		return fail(ps, ps->line, name, "outside any section");
	}
}

/*
 * The office's public key: a file that cannot be read or holds no key is
 * this file's error, naming both, and aeogated does not start with it.
 */
static void sync_validate(struct parse_state *ps)
{
	struct config *c = ps->cfg;
	struct changeset_pubkey k;
	int r;

	if (!c->sync_set)
		return;
	if (!c->sync_client_id[0] && gethostname(c->sync_client_id, sizeof(c->sync_client_id)) < 0)
		c->sync_client_id[0] = '\0';
	c->sync_client_id[sizeof(c->sync_client_id) - 1] = '\0';
	if (!c->sync_office_pubkey[0])
		return;
	r = changeset_pubkey_load(c->sync_office_pubkey, &k);
	if (r < 0) {
		fail(ps, ps->office_pubkey_line, "office_pubkey", "%s: %s", c->sync_office_pubkey,
		     changeset_strerror(r));
		return;
	}
	memcpy(c->sync_office_pk, k.pk, sizeof(c->sync_office_pk));
}

static void validate(struct parse_state *ps)
{
	struct config *c = ps->cfg;

	sync_validate(ps);

	for (size_t i = 0; i < c->n_doors && !ps->failed; i++) {
		struct door_config *d = &c->doors[i];
		const struct line_spec *lines[] = {&d->contact, &d->rex,     &d->tamper,
						   &d->led_green, &d->led_red, &d->buzzer};
		const char *names[] = {"contact", "rex", "tamper", "led_green", "led_red", "buzzer"};

		if (!d->zone[0]) {
			fail(ps, d->line, "zone", "door '%s' has no zone", d->name);
			break;
		}
		if (!d->lock.set) {
			fail(ps, d->line, "lock", "door '%s' has no lock line (use sim for the simulated board)",
			     d->name);
			break;
		}
		for (size_t j = 0; j < sizeof(lines) / sizeof(lines[0]); j++) {
			if (lines[j]->set && lines[j]->sim != d->lock.sim) {
				fail(ps, d->line, names[j],
				     "door '%s' mixes simulated and GPIO lines; use one backend per door",
				     d->name);
				break;
			}
		}
	}
	for (size_t i = 0; i < c->n_doors && !ps->failed; i++) {
		const struct door_config *d = &c->doors[i];
		size_t members = 0;

		/* An interlock of one door holds nothing: a typo in the group's name. */
		for (size_t j = 0; d->interlock[0] && j < c->n_doors; j++)
			members += !strcmp(c->doors[j].interlock, d->interlock);
		if (d->interlock[0] && members < 2)
			fail(
			    ps, d->interlock_line, "interlock",
			    "door '%s' is the only door of interlock group '%s'; a group needs two "
			    "doors or more",
			    d->name, d->interlock);
	}
	for (size_t i = 0; i < c->n_readers && !ps->failed; i++) {
		struct reader_config *r = &c->readers[i];
		int di;

		if (!r->door[0]) {
			fail(ps, r->line, "door", "reader '%s' names no door", r->name);
			break;
		}
		di = config_door_find(c, r->door);
		if (di < 0) {
			fail(ps, ps->reader_door_line[i], "door", "no door '%s' is defined", r->door);
			break;
		}
		r->door_index = (unsigned)di;
		if (r->type == READER_WIEGAND && (!r->d0.set || !r->d1.set))
			fail(ps, r->line, r->d0.set ? "d1" : "d0",
			     "wiegand reader '%s' needs both d0 and d1 lines", r->name);
		else if (r->type == READER_NFC && !r->connstring[0])
			fail(ps, r->line, "connstring", "nfc reader '%s' needs a connstring", r->name);
		else if (r->type == READER_OSDP)
			osdp_validate(ps, i);
	}
}

int config_load(const char *path, struct config *ret, char *err, size_t errlen)
{
	struct parse_state ps = {.cfg = ret, .err = err, .errlen = errlen};
	int r;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->path, sizeof(ret->path), "%s", path);
	strcpy(ret->state_dir, DEFAULT_STATE_DIR);
	strcpy(ret->socket, DEFAULT_SOCKET);
	strcpy(ret->site_name, "aeogate");
	strcpy(ret->timezone, "UTC");
	strcpy(ret->durability, "normal");
	ret->storage_reserve = AEOGATE_STORAGE_RESERVE_DEFAULT;
	strcpy(ret->web_group, "aeogate-web");
	strcpy(ret->user, "aeogate");
	strcpy(ret->group, "aeogate");
	ret->socket_timeout_ms = AEOGATE_CTL_TIMEOUT_MS;
	ret->checkpoint_events = 1000;
	ret->checkpoint_minutes = 10;
	ret->backup_every_ms = 86400000;
	ret->backup_keep = 7;
	ret->alarm_ack_limit_ms = 3 * 60 * 1000;
	ret->pin_timeout_ms = 10 * 1000;
	ret->pin_attempts = 5;
	ret->duress_plus_one = true;
	ret->expiry_warning_days = 14;

	ps.f = fopen(path, "re");
	if (!ps.f) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	r = ini_parse_stream(count_lines, &ps, handler, &ps);
	fclose(ps.f);
	if (!ps.failed && r > 0)
		fail(&ps, r, "syntax", "not a section header or key = value line");
	if (!ps.failed && r < 0)
		fail(&ps, ps.line, "file", "cannot be parsed");
	if (!ps.failed)
		validate(&ps);
	return ps.failed ? -EINVAL : 0;
}

int config_door_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_doors; i++)
		if (!c->doors[i].removed && strcmp(c->doors[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int config_reader_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_readers; i++)
		if (!c->readers[i].removed && strcmp(c->readers[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}
