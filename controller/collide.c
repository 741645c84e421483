/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "aeogate/wiegand.h"
#include "collide.h"
#include "store.h"

/* Readers that decode Wiegand frames (an NFC reader reads UIDs, never frames). */
static bool reader_decodes_frames(const struct reader_config *rc)
{
	return rc->type != READER_NFC;
}

static void readers_append(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);
	int n;

	if (used + 4 >= len || strcmp(buf + (used >= 3 ? used - 3 : 0), "...") == 0)
		return;
	n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
	if (n < 0 || (size_t)n >= len - used)
		snprintf(buf + used, len - used, "%s...", used ? ", " : "");
}

static int store_lookup(void *userdata, const char *credential, char *person, size_t len)
{
	struct credential other;
	int r = store_credential_get(userdata, credential, &other);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	snprintf(person, len, "%s", other.person);
	return 1;
}

int collide_find(const struct config *cfg, struct store *s, const char *credential,
		 struct collision *ret, size_t max)
{
	return collide_find_in(cfg, credential, store_lookup, s, ret, max);
}

int collide_find_in(const struct config *cfg, const char *credential, collide_lookup_fn lookup,
		    void *userdata, struct collision *ret, size_t max)
{
	struct wiegand_card card;
	size_t n = 0;

	if (wiegand_card_from_string(credential, &card) < 0)
		return 0;
	for (size_t i = 0; i < cfg->n_readers; i++) {
		const struct reader_config *rc = &cfg->readers[i];
		struct wiegand_card aliases[AEOGATE_FORMATS_MAX];
		int m;

		if (rc->removed) /* a reload took it out */
			continue;
		if (!reader_decodes_frames(rc) || !(rc->formats_mask & (1u << card.format)))
			continue;
		m = wiegand_aliases(&card, rc->formats_mask, aliases, AEOGATE_FORMATS_MAX);
		for (int k = 0; k < m; k++) {
			char id[AEOGATE_CREDENTIAL_MAX + 1], holder[AEOGATE_ID_MAX + 1];
			size_t j;
			int r;

			if (wiegand_card_to_string(&aliases[k], id, sizeof(id)) < 0)
				continue;
			for (j = 0; j < n && strcmp(ret[j].credential, id) != 0; j++)
				;
			if (j < n) {
				readers_append(ret[j].readers, sizeof(ret[j].readers), rc->name);
				continue;
			}
			r = lookup(userdata, id, holder, sizeof(holder));
			if (r < 0)
				return r;
			if (r == 0 || n == max)
				continue;
			memset(&ret[n], 0, sizeof(ret[n]));
			snprintf(ret[n].credential, sizeof(ret[n].credential), "%s", id);
			snprintf(ret[n].person, sizeof(ret[n].person), "%s", holder);
			readers_append(ret[n].readers, sizeof(ret[n].readers), rc->name);
			n++;
		}
	}
	return (int)n;
}

struct scan {
	const struct config *cfg;
	struct store *store;
	int (*cb)(const char *a, const char *person_a, const struct collision *b, void *userdata);
	void *userdata;
	int pairs;
};

static int scan_one(const struct credential *c, void *userdata)
{
	struct scan *sc = userdata;
	struct collision found[AEOGATE_FORMATS_MAX];
	int n = collide_find(sc->cfg, sc->store, c->id, found, AEOGATE_FORMATS_MAX);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int r;

		/* Each pair is met from both sides; report it from the first. */
		if (strcmp(c->id, found[i].credential) > 0)
			continue;
		sc->pairs++;
		r = sc->cb(c->id, c->person, &found[i], sc->userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

int collide_scan(const struct config *cfg, struct store *s,
		 int (*cb)(const char *a, const char *person_a, const struct collision *b,
			   void *userdata),
		 void *userdata)
{
	struct scan sc = {.cfg = cfg, .store = s, .cb = cb, .userdata = userdata};
	unsigned paired = 0;

	/* Formats that share their frame with another format a reader also accepts. */
	for (size_t i = 0; i < cfg->n_readers; i++) {
		const struct reader_config *rc = &cfg->readers[i];

		if (rc->removed || !reader_decodes_frames(rc))
			continue;
		for (unsigned f = 0; f < _WIEGAND_FORMAT_MAX; f++)
			for (unsigned g = 0; g < _WIEGAND_FORMAT_MAX; g++)
				if (f != g && (rc->formats_mask & (1u << f)) &&
				    (rc->formats_mask & (1u << g)) &&
				    wiegand_format_bits(f) == wiegand_format_bits(g))
					paired |= 1u << f;
	}
	for (unsigned f = 0; f < _WIEGAND_FORMAT_MAX; f++) {
		char prefix[16];
		int r;

		if (!(paired & (1u << f)))
			continue;
		snprintf(prefix, sizeof(prefix), "%s:", wiegand_format_name(f));
		r = store_credential_list_prefix(s, prefix, scan_one, &sc);
		if (r != 0)
			return r;
	}
	return sc.pairs;
}

struct warn_ctx {
	void (*log)(void *userdata, int priority, const char *line);
	void *userdata;
};

static int warn_pair(const char *a, const char *person_a, const struct collision *b, void *userdata)
{
	struct warn_ctx *w = userdata;
	char line[1024];

	snprintf(line, sizeof(line),
		 "badges %s ('%s') and %s ('%s') are the same frame on %s: its reads are denied "
		 "ambiguous_credential until one badge is replaced or no reader accepts both "
		 "formats",
		 a, person_a, b->credential, b->person, b->readers);
	w->log(w->userdata, LOG_WARNING, line);
	return 0;
}

void collide_warn(const struct config *cfg, struct store *s,
		  void (*log)(void *userdata, int priority, const char *line), void *userdata)
{
	struct warn_ctx w = {.log = log, .userdata = userdata};
	char line[160];
	int r = collide_scan(cfg, s, warn_pair, &w);

	if (r < 0) {
		snprintf(line, sizeof(line), "cannot check enrolled badges for collisions: %s",
			 strerror(-r));
		log(userdata, LOG_WARNING, line);
	}
}
