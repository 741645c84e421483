/* SPDX-License-Identifier: MIT */
/*
 * The audit service: its settings and keys, what it does for each stored
 * event and on each tick, and what it signs. The checkpoints themselves
 * are in checkpoint.c, the head record in head.c, alarms in alarms.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "audit-internal.h"
#include "core.h"
#include "util.h"

void audit_report(struct audit *a, int priority, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!a->settings.report)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->settings.report(a->settings.report_data, priority, line);
}

static int audit_start(struct audit *a, struct core *c, const char *state_dir,
		       const struct audit_settings *settings, char *err, size_t errlen)
{
	struct checkpoint cp;
	bool created = false;
	int64_t last_alarm = 0, head = 0;
	char hash[EVENT_HASH_HEX];
	int r;

	a->core = c;
	a->settings = *settings;
	a->n_retention = settings->n_retention <= AEOGATE_RETENTION_RULES_MAX
			     ? settings->n_retention
			     : AEOGATE_RETENTION_RULES_MAX;
	if (a->n_retention)
		memcpy(a->retention, settings->retention, a->n_retention * sizeof(a->retention[0]));
	a->settings.retention = NULL;
	a->prune_next_mono = core_mono_ms(c) + AUDIT_PRUNE_FIRST_DELAY_MS;
	r = devkey_load_or_create(state_dir, &a->key, &created);
	if (r < 0) {
		snprintf(err, errlen, "%s/device.key: %s", state_dir,
			 r == -EPERM	 ? "readable by group or others; chmod 600 it"
			 : r == -EBADMSG ? "not an Ed25519 secret key"
					 : strerror(-r));
		return r;
	}
	crypto_auth_keygen(a->mac_key);
	if (snprintf(a->state_dir, sizeof(a->state_dir), "%s", state_dir) >=
	    (int)sizeof(a->state_dir)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		return -ENAMETOOLONG;
	}
	a->have_head = false;
	r = audit_start_check(a, err, errlen);
	if (r < 0)
		return r;
	r = store_checkpoint_last(core_store(c), &cp);
	if (r == 0)
		a->last_cp_seq = cp.seq;
	else if (r != -ENOENT)
		goto err_store;
	a->last_cp_mono = core_mono_ms(c);
	if ((r = store_event_last(core_store(c), &head, hash)) < 0)
		goto err_store;
	a->events_since_cp = head - a->last_cp_seq;
	/*
	 * Alarms of events stored while nobody counted them (a crash between the
	 * two writes). Every event up to the last checkpoint went through
	 * audit_on_event before the checkpoint was signed, so only what follows
	 * both the last alarm and the last checkpoint needs a look: a start
	 * costs at most checkpoint_events rows, not the whole log.
	 */
	if ((r = store_alarm_last_seq(core_store(c), &last_alarm)) < 0)
		goto err_store;
	if (last_alarm < a->last_cp_seq)
		last_alarm = a->last_cp_seq;
	if ((r = audit_alarms_raise_after(a, last_alarm)) < 0)
		goto err_store;
	/* The public half, so a backup of this database can be checked without a key given. */
	if ((r = store_device_key_record(core_store(c), a->key.id, a->key.pk_hex,
					 core_wall_ms(c))) < 0)
		goto err_store;
	a->clock_synced = clock_synced();
	/* What the start signed is on disk before the first read is decided. */
	audit_head_flush(a);
	a->ready = true;
	return 0;
err_store:
	snprintf(err, errlen, "audit: %s", store_last_error(core_store(c)));
	return r;
}

int audit_new(struct audit **ret, struct core *c, const char *state_dir,
	      const struct audit_settings *settings, char *err, size_t errlen)
{
	struct audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		snprintf(err, errlen, "audit: out of memory");
		return -ENOMEM;
	}
	r = audit_start(a, c, state_dir, settings, err, errlen);
	if (r < 0) {
		audit_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void audit_free(struct audit *a)
{
	if (!a)
		return;
	audit_head_stop(a);
	sodium_memzero(a, sizeof(*a)); /* the device key and the MAC key */
	free(a);
}

void audit_stop(struct audit *a)
{
	char hash[EVENT_HASH_HEX];
	int64_t seq;

	if (!a->ready || store_event_last(core_store(a->core), &seq, hash) < 0 || seq == 0)
		return;
	audit_head_flush(a);
	/* The head record covers system.stop: a clean stop leaves nothing unsigned. */
	if (seq > a->last_cp_seq || !a->have_head || a->head.seq < seq) {
		if (audit_checkpoint_at(a, seq, hash, NULL) < 0)
			audit_report(a, LOG_WARNING, "audit: cannot sign a checkpoint at stop: %s",
				     store_last_error(core_store(a->core)));
	}
	/* On disk before the store closes: the last word of a clean stop. */
	audit_head_flush(a);
}

void audit_on_event(struct audit *a, const struct event *e)
{
	if (!a->ready)
		return;
	/*
	 * A failure here is not lost: audit_new replays alarm events after the
	 * last checkpoint at the next start, and no checkpoint is signed past
	 * an alarm that could not be recorded.
	 */
	if (audit_alarm_raise(a, e) < 0)
		a->alarm_backlog = true;
	a->events_since_cp++;
	if (a->batch) {
		a->batch_seq = e->seq;
		memcpy(a->batch_hash, e->hash, EVENT_HASH_HEX);
		return;
	}
	if (a->settings.checkpoint_events && a->events_since_cp >= a->settings.checkpoint_events)
		(void)audit_checkpoint_at(a, e->seq, e->hash, NULL);
}

void audit_batch_begin(struct audit *a)
{
	if (!a)
		return;
	a->batch = true;
	a->batch_seq = 0;
}

void audit_batch_end(struct audit *a)
{
	if (!a || !a->batch)
		return;
	a->batch = false;
	if (a->ready && a->batch_seq && a->settings.checkpoint_events &&
	    a->events_since_cp >= a->settings.checkpoint_events)
		(void)audit_checkpoint_at(a, a->batch_seq, a->batch_hash, NULL);
}

/*
 * Records when the clock's synchronization flips (a time service lost or
 * regained), so an auditor knows which stretch of timestamps a time
 * service vouched for; system.start and clock.jump carry the state too.
 */
static void clock_sync_check(struct audit *a)
{
	int now = clock_synced();
	char detail[64];

	if (now < 0 || now == a->clock_synced)
		return;
	snprintf(detail, sizeof(detail), "{\"clock_synced\":%s,\"was\":%s}", now ? "true" : "false",
		 a->clock_synced < 0 ? "null"
		 : a->clock_synced   ? "true"
				     : "false");
	struct event e = {.kind = "clock.sync_changed", .detail = detail};
	/* A failed write is queued by core_emit (or counted lost): do not record it twice. */
	(void)core_emit(a->core, &e);
	a->clock_synced = now;
}

void audit_tick(struct audit *a)
{
	int64_t due;

	if (!a->ready)
		return;
	clock_sync_check(a);
	audit_prune_tick(a);
	if (!a->settings.checkpoint_minutes || a->events_since_cp == 0)
		return;
	due = a->last_cp_mono + (int64_t)a->settings.checkpoint_minutes * 60 * 1000;
	if (core_mono_ms(a->core) >= due)
		(void)audit_checkpoint_head(a, NULL);
}

const char *audit_key_id(struct audit *a)
{
	return a->key.id;
}

const char *audit_public_key(struct audit *a)
{
	return a->key.pk_hex;
}

int audit_sign(struct audit *a, const char *text, char *ret_sig, size_t len)
{
	char sig[DEVKEY_SIG_HEX];
	int r;

	if (len < DEVKEY_SIG_HEX)
		return -ENOBUFS;
	r = devkey_sign(&a->key, text, strlen(text), sig);
	if (r < 0)
		return r;
	memcpy(ret_sig, sig, DEVKEY_SIG_HEX);
	return 0;
}

void audit_mac(struct audit *a, const char *text, char ret[AUDIT_MAC_HEX])
{
	unsigned char mac[crypto_auth_BYTES];

	crypto_auth(mac, (const unsigned char *)text, strlen(text), a->mac_key);
	sodium_bin2hex(ret, AUDIT_MAC_HEX, mac, sizeof(mac));
}

unsigned audit_alarm_ack_limit_ms(struct audit *a)
{
	return a->settings.alarm_ack_limit_ms ? a->settings.alarm_ack_limit_ms
					      : AUDIT_ALARM_ACK_LIMIT_MS_DEFAULT;
}
