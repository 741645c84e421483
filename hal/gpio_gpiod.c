/* SPDX-License-Identifier: MIT */
/*
 * Doors and Wiegand readers on GPIO lines through libgpiod 1.6. Every
 * libgpiod call aeogate makes lives in this file, so a port to libgpiod 2
 * touches nothing else.
 *
 * Door inputs are debounced per line: each edge re-arms a CLOCK_MONOTONIC
 * timer debounce_ms ahead, and only when it fires is the line's level read
 * and, if it differs from the last reported one, reported.
 *
 * Wiegand pulses are framed on their kernel timestamps. Since Linux 5.7 the
 * v1 line-event timestamps libgpiod 1.6 hands out are CLOCK_MONOTONIC, the
 * clock of our frame-gap timer. Older kernels stamped them with
 * CLOCK_REALTIME; such a stamp is recognised by lying far ahead of the
 * monotonic clock and is shifted onto it, so the framer and the timer always
 * share one time base.
 */
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "aeogate/hal.h"
#include "aeogate/wiegand.h"

#define GPIOD_CONSUMER "aeogate"

/* Chips one door or reader spans: its lines are rarely on more than one. */
#define GPIOD_CHIPS_MAX 8

/*
 * Events read from one line per wakeup before the loop gets a turn; the
 * io source is level-triggered, so the rest are read on the next wakeup.
 */
#define GPIOD_EVENTS_PER_WAKEUP 256

/* A timestamp this far ahead of CLOCK_MONOTONIC is a CLOCK_REALTIME stamp. */
#define GPIOD_REALTIME_HINT_NS (86400ull * 1000000000ull)

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_USEC 1000ull
#define USEC_PER_MSEC 1000ull

struct gpiod_chips {
	struct {
		char name[sizeof(((struct line_spec *)0)->chip)];
		struct gpiod_chip *chip;
	} c[GPIOD_CHIPS_MAX];
	size_t n;
};

static int errno_or(int fallback)
{
	return errno > 0 ? -errno : -fallback;
}

static bool spec_wired(const struct line_spec *s)
{
	return s->set && !s->sim;
}

static int spec_flags(const struct line_spec *s)
{
	return s->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
}

static int chips_get(struct gpiod_chips *cs, const char *name, struct gpiod_chip **ret)
{
	struct gpiod_chip *chip;

	for (size_t i = 0; i < cs->n; i++) {
		if (strcmp(cs->c[i].name, name) == 0) {
			*ret = cs->c[i].chip;
			return 0;
		}
	}
	if (cs->n == GPIOD_CHIPS_MAX)
		return -E2BIG;

	/* A name (gpiochip0), a path, a label or a number, as gpiodetect shows. */
	errno = 0;
	chip = gpiod_chip_open_lookup(name);
	if (!chip)
		return errno_or(ENODEV);

	snprintf(cs->c[cs->n].name, sizeof(cs->c[cs->n].name), "%s", name);
	cs->c[cs->n].chip = chip;
	cs->n++;
	*ret = chip;
	return 0;
}

static void chips_close(struct gpiod_chips *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		gpiod_chip_close(cs->c[i].chip);
	cs->n = 0;
}

static int line_resolve(struct gpiod_chips *cs, const struct line_spec *s, struct gpiod_line **ret)
{
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	int r;

	if (!spec_wired(s) || s->chip[0] == '\0')
		return -EINVAL;
	r = chips_get(cs, s->chip, &chip);
	if (r < 0)
		return r;

	errno = 0;
	if (s->offset >= 0)
		line = gpiod_chip_get_line(chip, (unsigned)s->offset);
	else
		line = gpiod_chip_find_line(chip, s->line);
	if (!line)
		return errno_or(ENOENT);
	*ret = line;
	return 0;
}

/* Makes a line's event fd non-blocking so a wakeup can drain it. */
static int line_event_fd(struct gpiod_line *line)
{
	int fd, fl;

	fd = gpiod_line_event_get_fd(line);
	if (fd < 0)
		return errno_or(EBADF);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return fd;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Arms a oneshot CLOCK_MONOTONIC timer at usec, creating it on first use. */
static int timer_arm(sd_event *e, sd_event_source **s, uint64_t usec, sd_event_time_handler_t cb,
		     void *ud)
{
	int r;

	if (!*s)
		/* Accuracy 1 us: the default 250 ms slack would stretch a 7 ms debounce. */
		return sd_event_add_time(e, s, CLOCK_MONOTONIC, usec, 1, cb, ud);
	r = sd_event_source_set_time(*s, usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

/* ---- doors ---- */

struct gpiod_door;

struct gpiod_input {
	struct gpiod_door *door;
	enum hal_input in;
	struct gpiod_line *line;
	sd_event_source *io;
	sd_event_source *timer;
	int last_edge; /* level the latest edge implies, -1 before any */
};

struct gpiod_door {
	struct hal_door *d;
	sd_event *e;
	struct gpiod_chips chips;
	struct gpiod_line *out[_HAL_OUTPUT_MAX];
	struct gpiod_input in[_HAL_INPUT_MAX];
};

static const struct line_spec *door_output_spec(const struct door_config *c, enum hal_output o)
{
	switch (o) {
	case HAL_OUTPUT_LOCK:
		return &c->lock;
	case HAL_OUTPUT_LED_GREEN:
		return &c->led_green;
	case HAL_OUTPUT_LED_RED:
		return &c->led_red;
	case HAL_OUTPUT_BUZZER:
		return &c->buzzer;
	default:
		return NULL;
	}
}

static const struct line_spec *door_input_spec(const struct door_config *c, enum hal_input in)
{
	switch (in) {
	case HAL_INPUT_CONTACT:
		return &c->contact;
	case HAL_INPUT_REX:
		return &c->rex;
	case HAL_INPUT_TAMPER:
		return &c->tamper;
	default:
		return NULL;
	}
}

static void gpiod_door_free(struct gpiod_door *gd)
{
	if (!gd)
		return;
	for (int i = 0; i < _HAL_INPUT_MAX; i++) {
		struct gpiod_input *inp = &gd->in[i];

		sd_event_source_disable_unref(inp->io);
		sd_event_source_disable_unref(inp->timer);
		if (inp->line)
			gpiod_line_release(inp->line);
	}
	for (int o = 0; o < _HAL_OUTPUT_MAX; o++)
		if (gd->out[o])
			gpiod_line_release(gd->out[o]);
	chips_close(&gd->chips);
	sd_event_unref(gd->e);
	free(gd);
}

static int gpiod_door_open(struct hal_door *d, bool lock_energized)
{
	struct gpiod_door *gd;
	int r;

	if (!spec_wired(&d->cfg->lock))
		return -EINVAL;

	gd = calloc(1, sizeof(*gd));
	if (!gd)
		return -ENOMEM;
	gd->d = d;

	/* The lock comes first: HAL_OUTPUT_LOCK is the first output. */
	for (int o = 0; o < _HAL_OUTPUT_MAX; o++) {
		const struct line_spec *s = door_output_spec(d->cfg, o);
		bool level = o == HAL_OUTPUT_LOCK ? lock_energized : false;
		struct gpiod_line *line;

		if (!spec_wired(s))
			continue;
		r = line_resolve(&gd->chips, s, &line);
		if (r < 0)
			goto err_free;
		errno = 0;
		if (gpiod_line_request_output_flags(line, GPIOD_CONSUMER, spec_flags(s), level) <
		    0) {
			r = errno_or(EIO);
			goto err_free;
		}
		gd->out[o] = line;
		d->outputs[o] = level;
	}

	d->priv = gd;
	return 0;

err_free:
	gpiod_door_free(gd);
	return r;
}

static int gpiod_input_settled(sd_event_source *s, uint64_t usec, void *ud)
{
	struct gpiod_input *inp = ud;
	struct hal_door *d = inp->door->d;
	int v;

	v = gpiod_line_get_value(inp->line);
	if (v < 0)
		v = inp->last_edge;
	if (v < 0)
		return 0;
	if ((bool)v == d->inputs[inp->in])
		return 0;

	d->inputs[inp->in] = v;
	if (d->cb && d->cb->input)
		d->cb->input(d->cb->userdata, d->index, inp->in, v);
	return 0;
}

static int gpiod_input_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct gpiod_input *inp = ud;
	struct gpiod_door *gd = inp->door;
	struct gpiod_line_event ev;
	unsigned debounce_ms = gd->d->cfg->debounce_ms;
	uint64_t now;
	int n = 0;

	while (n < GPIOD_EVENTS_PER_WAKEUP) {
		if (gpiod_line_event_read(inp->line, &ev) < 0)
			break;
		inp->last_edge = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
		n++;
	}
	if (n == 0)
		return 0;

	/*
	 * debounce_ms 0 (the config's default is 7) still defers the read to
	 * the timer, so a burst of edges read at once is one report. A
	 * returned error would disable this source for good: keep going.
	 */
	if (sd_event_now(gd->e, CLOCK_MONOTONIC, &now) < 0)
		now = clock_ns(CLOCK_MONOTONIC) / NSEC_PER_USEC;
	timer_arm(gd->e, &inp->timer, now + debounce_ms * USEC_PER_MSEC, gpiod_input_settled, inp);
	return 0;
}

static int gpiod_door_start(struct hal_door *d, struct sd_event *e)
{
	struct gpiod_door *gd = d->priv;
	int r;

	if (!gd || gd->e)
		return -EINVAL;
	gd->e = sd_event_ref(e);

	for (int i = 0; i < _HAL_INPUT_MAX; i++) {
		const struct line_spec *s = door_input_spec(d->cfg, i);
		struct gpiod_input *inp = &gd->in[i];
		struct gpiod_line *line;
		int fd, v;

		inp->door = gd;
		inp->in = i;
		inp->last_edge = -1;
		if (!spec_wired(s))
			continue;

		r = line_resolve(&gd->chips, s, &line);
		if (r < 0)
			goto err_release;
		errno = 0;
		if (gpiod_line_request_both_edges_events_flags(line, GPIOD_CONSUMER,
							       spec_flags(s)) < 0) {
			r = errno_or(EIO);
			goto err_release;
		}
		inp->line = line;

		fd = line_event_fd(line);
		if (fd < 0) {
			r = fd;
			goto err_release;
		}
		errno = 0;
		v = gpiod_line_get_value(line);
		if (v < 0) {
			r = errno_or(EIO);
			goto err_release;
		}
		d->inputs[i] = v;

		r = sd_event_add_io(e, &inp->io, fd, EPOLLIN, gpiod_input_io, inp);
		if (r < 0)
			goto err_release;
	}

	/* Report the levels read once, so the door state is right without an edge. */
	for (int i = 0; i < _HAL_INPUT_MAX; i++)
		if (gd->in[i].line && d->cb && d->cb->input)
			d->cb->input(d->cb->userdata, d->index, i, d->inputs[i]);
	return 0;

err_release:
	for (int i = 0; i < _HAL_INPUT_MAX; i++) {
		struct gpiod_input *inp = &gd->in[i];

		inp->io = sd_event_source_disable_unref(inp->io);
		if (inp->line)
			gpiod_line_release(inp->line);
		inp->line = NULL;
	}
	gd->e = sd_event_unref(gd->e);
	return r;
}

static int gpiod_door_set_output(struct hal_door *d, enum hal_output o, bool energized)
{
	struct gpiod_door *gd = d->priv;

	if (!gd || (unsigned)o >= _HAL_OUTPUT_MAX)
		return -EINVAL;
	if (!gd->out[o])
		return -ENODEV;
	errno = 0;
	if (gpiod_line_set_value(gd->out[o], energized) < 0)
		return errno_or(EIO);
	d->outputs[o] = energized;
	return 0;
}

static int gpiod_door_get_input(struct hal_door *d, enum hal_input in, bool *ret_active)
{
	struct gpiod_door *gd = d->priv;

	if (!gd || (unsigned)in >= _HAL_INPUT_MAX)
		return -EINVAL;
	if (!spec_wired(door_input_spec(d->cfg, in)) || !gd->in[in].line)
		return -ENODEV;
	*ret_active = d->inputs[in];
	return 0;
}

static void gpiod_door_close(struct hal_door *d)
{
	gpiod_door_free(d->priv);
	d->priv = NULL;
}

const struct hal_door_ops hal_door_gpiod_ops = {
    .name = "gpiod",
    .open = gpiod_door_open,
    .start = gpiod_door_start,
    .set_output = gpiod_door_set_output,
    .get_input = gpiod_door_get_input,
    .close = gpiod_door_close,
};

/* ---- Wiegand readers ---- */

struct wiegand_reader;

struct wiegand_line {
	struct wiegand_reader *wr;
	struct gpiod_line *line;
	sd_event_source *io;
};

struct wiegand_reader {
	struct hal_reader *r;
	sd_event *e;
	struct gpiod_chips chips;
	struct wiegand_line d[2]; /* index = the bit a pulse on it carries */
	sd_event_source *timer;
	struct wiegand_framer framer;
};

struct wiegand_pulse {
	uint64_t ts_ns;
	int bit;
};

static void wiegand_reader_free(struct wiegand_reader *wr)
{
	if (!wr)
		return;
	for (int i = 0; i < 2; i++) {
		sd_event_source_disable_unref(wr->d[i].io);
		if (wr->d[i].line)
			gpiod_line_release(wr->d[i].line);
	}
	sd_event_source_disable_unref(wr->timer);
	chips_close(&wr->chips);
	sd_event_unref(wr->e);
	free(wr);
}

static void wiegand_report(struct wiegand_reader *wr, const struct wiegand_frame *f)
{
	struct hal_reader *r = wr->r;
	const struct hal_callbacks *cb = r->cb;
	struct hal_read hr;

	switch (f->kind) {
	case WIEGAND_FRAME_CARD:
		memset(&hr, 0, sizeof(hr));
		hr.kind = HAL_READ_WIEGAND;
		hr.nbits = f->nbits;
		memcpy(hr.bits, f->bits, f->nbits);
		if (cb && cb->read)
			cb->read(cb->userdata, r->index, &hr);
		break;
	case WIEGAND_FRAME_KEY:
		memset(&hr, 0, sizeof(hr));
		hr.kind = HAL_READ_KEY;
		hr.key = f->key;
		if (cb && cb->read)
			cb->read(cb->userdata, r->index, &hr);
		break;
	case WIEGAND_FRAME_NOISE:
		r->noise_count++;
		if (cb && cb->noise)
			cb->noise(cb->userdata, r->index, f->noise_reason, f->nbits);
		break;
	case WIEGAND_FRAME_NONE:
		break;
	}
}

static int wiegand_gap(sd_event_source *s, uint64_t usec, void *ud);

static void wiegand_arm(struct wiegand_reader *wr)
{
	uint64_t deadline = wiegand_framer_deadline(&wr->framer);

	if (deadline == 0) {
		if (wr->timer)
			sd_event_source_set_enabled(wr->timer, SD_EVENT_OFF);
		return;
	}
	timer_arm(wr->e, &wr->timer, (deadline + NSEC_PER_USEC - 1) / NSEC_PER_USEC, wiegand_gap,
		  wr);
}

static int wiegand_gap(sd_event_source *s, uint64_t usec, void *ud)
{
	struct wiegand_reader *wr = ud;
	struct wiegand_frame f;

	wiegand_framer_flush(&wr->framer, clock_ns(CLOCK_MONOTONIC), &f);
	wiegand_report(wr, &f);
	wiegand_arm(wr);
	return 0;
}

/* Reads up to max pending pulses of one line into p; returns how many. */
static size_t wiegand_drain(struct wiegand_line *wl, int bit, struct wiegand_pulse *p, size_t max)
{
	struct gpiod_line_event ev;
	size_t n = 0;

	while (n < max && gpiod_line_event_read(wl->line, &ev) == 0) {
		p[n].ts_ns = (uint64_t)ev.ts.tv_sec * NSEC_PER_SEC + (uint64_t)ev.ts.tv_nsec;
		p[n].bit = bit;
		n++;
	}
	return n;
}

/*
 * Any wakeup drains both D0 and D1: a frame's pulses alternate between the
 * two fds, and the framer must see them in timestamp order. Pulses keep
 * arriving while we read: a D0 pulse queued after D0 was drained can be
 * older than a D1 pulse read just after. So both lines are drained again
 * until a whole round finds nothing (or the batch is full), and only then
 * is the batch sorted and framed.
 */
static int wiegand_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct wiegand_reader *wr = ((struct wiegand_line *)ud)->wr;
	struct wiegand_pulse p[2 * GPIOD_EVENTS_PER_WAKEUP];
	const size_t cap = sizeof(p) / sizeof(p[0]);
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), offset = 0;
	size_t n = 0, got;

	do {
		got = 0;
		for (int bit = 0; bit < 2 && n < cap; bit++) {
			size_t room = cap - n < GPIOD_EVENTS_PER_WAKEUP ? cap - n
								: GPIOD_EVENTS_PER_WAKEUP;
			size_t k = wiegand_drain(&wr->d[bit], bit, p + n, room);

			n += k;
			got += k;
		}
	} while (got && n < cap);
	if (n == 0)
		return 0;

	/* Insertion sort: a wakeup holds a few pulses, already nearly in order. */
	for (size_t i = 1; i < n; i++) {
		struct wiegand_pulse k = p[i];
		size_t j = i;

		for (; j > 0 && p[j - 1].ts_ns > k.ts_ns; j--)
			p[j] = p[j - 1];
		p[j] = k;
	}

	if (p[n - 1].ts_ns > mono + GPIOD_REALTIME_HINT_NS)
		offset = clock_ns(CLOCK_REALTIME) - mono;

	for (size_t i = 0; i < n; i++) {
		struct wiegand_frame f;
		uint64_t ts = p[i].ts_ns;

		if (offset && ts > offset)
			ts -= offset;
		wiegand_framer_pulse(&wr->framer, p[i].bit, ts, &f);
		wiegand_report(wr, &f);
	}
	wiegand_arm(wr);
	return 0;
}

static int wiegand_reader_open(struct hal_reader *r, struct sd_event *e)
{
	const struct reader_config *c = r->cfg;
	const struct line_spec *specs[2] = {&c->d0, &c->d1};
	struct wiegand_timing timing = {0};
	struct wiegand_reader *wr;
	int ret;

	if (c->type != READER_WIEGAND || !spec_wired(&c->d0) || !spec_wired(&c->d1))
		return -EINVAL;

	wr = calloc(1, sizeof(*wr));
	if (!wr)
		return -ENOMEM;
	wr->r = r;
	wr->e = sd_event_ref(e);
	timing.frame_gap_ns = (uint64_t)c->frame_gap_ms * USEC_PER_MSEC * NSEC_PER_USEC;
	wiegand_framer_init(&wr->framer, &timing);

	for (int i = 0; i < 2; i++) {
		struct wiegand_line *wl = &wr->d[i];
		struct gpiod_line *line;
		int fd;

		wl->wr = wr;
		ret = line_resolve(&wr->chips, specs[i], &line);
		if (ret < 0)
			goto err_free;
		/* D0 and D1 on one line would be claimed twice: the kernel says EBUSY. */
		errno = 0;
		if (gpiod_line_request_falling_edge_events_flags(line, GPIOD_CONSUMER,
								 spec_flags(specs[i])) < 0) {
			ret = errno_or(EIO);
			goto err_free;
		}
		wl->line = line;
		fd = line_event_fd(line);
		if (fd < 0) {
			ret = fd;
			goto err_free;
		}
		ret = sd_event_add_io(e, &wl->io, fd, EPOLLIN, wiegand_io, wl);
		if (ret < 0)
			goto err_free;
	}

	r->priv = wr;
	r->online = true;
	return 0;

err_free:
	wiegand_reader_free(wr);
	return ret;
}

static void wiegand_reader_close(struct hal_reader *r)
{
	wiegand_reader_free(r->priv);
	r->priv = NULL;
	r->online = false;
}

const struct hal_reader_ops hal_reader_wiegand_ops = {
    .name = "wiegand",
    .open = wiegand_reader_open,
    .close = wiegand_reader_close,
};
