/* SPDX-License-Identifier: MIT */
/*
 * The gpiod backend (hal/gpio_gpiod.c) driven through hal.h against the
 * libgpiod double, in-process, on a real sd-event loop. The loop runs until
 * the expected callback arrives (bounded), so debounce and frame-gap timers
 * are the real ones. Chips: AEOGATE_FAKE_GPIO_CHIPS from CMake.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "aeogate/hal.h"
#include "aeogate/wiegand.h"
#include "fake_gpiod.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

struct seen_input {
	unsigned door;
	enum hal_input in;
	bool active;
};

static struct seen_input inputs[64];
static size_t n_inputs;
static struct hal_read reads[16];
static unsigned read_reader[16];
static size_t n_reads;
static char noise_reason[16][32];
static size_t noise_bits[16];
static size_t n_noise;

static void on_read(void *ud, unsigned reader, const struct hal_read *r)
{
	CHECK(n_reads < 16);
	read_reader[n_reads] = reader;
	reads[n_reads++] = *r;
}

static void on_input(void *ud, unsigned door, enum hal_input in, bool active)
{
	CHECK(n_inputs < 64);
	inputs[n_inputs++] = (struct seen_input){door, in, active};
}

static void on_noise(void *ud, unsigned reader, const char *reason, size_t nbits)
{
	CHECK(n_noise < 16);
	snprintf(noise_reason[n_noise], sizeof(noise_reason[0]), "%s", reason);
	noise_bits[n_noise++] = nbits;
}

static const struct hal_callbacks cb = {
    .read = on_read,
    .input = on_input,
    .noise = on_noise,
};

static void reset_seen(void)
{
	n_inputs = n_reads = n_noise = 0;
}

static char *control(const char *req)
{
	char *reply = fake_gpio_control(req);

	CHECK(reply);
	return reply;
}

static void control_ok(const char *req)
{
	char *reply = control(req);

	if (strstr(reply, "error")) {
		fprintf(stderr, "control '%s': %s", req, reply);
		exit(1);
	}
	free(reply);
}

static int level(const char *chip, unsigned off)
{
	char req[64], *reply;
	int v;

	snprintf(req, sizeof(req), "get %s %u", chip, off);
	reply = control(req);
	CHECK(sscanf(reply, "ok %d", &v) == 1);
	free(reply);
	return v;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Runs the loop until *count reaches want, or for ms when want is 0. */
static void run_until(sd_event *e, size_t *count, size_t want, unsigned ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (mono_ns() < end && (want == 0 || *count < want))
		CHECK(sd_event_run(e, 5 * 1000) >= 0);
}

static void line_spec(struct line_spec *s, const char *chip, const char *line, bool active_low)
{
	memset(s, 0, sizeof(*s));
	s->set = true;
	snprintf(s->chip, sizeof(s->chip), "%s", chip);
	snprintf(s->line, sizeof(s->line), "%s", line);
	s->offset = line[0] >= '0' && line[0] <= '9' ? atoi(line) : -1;
	s->active_low = active_low;
}

/* A Wiegand frame on chip lines d0/d1, timestamps ending now. */
static void send_frame(unsigned d0, unsigned d1, const char *bits, unsigned interval_us)
{
	size_t n = strlen(bits), cap = n * 128 + 1, off = 0;
	uint64_t start = mono_ns() - (n - 1) * interval_us * 1000ull - 50000;
	char *req = malloc(cap);

	CHECK(req);
	for (size_t i = 0; i < n; i++) {
		unsigned l = bits[i] == '1' ? d1 : d0;
		uint64_t t = start + i * interval_us * 1000ull;

		off += snprintf(req + off, cap - off, "edge gpiochip0 %u falling %llu\n", l,
				(unsigned long long)t);
		off += snprintf(req + off, cap - off, "edge gpiochip0 %u rising %llu\n", l,
				(unsigned long long)(t + 50000));
	}
	control_ok(req);
	free(req);
}

static void test_lock_levels_and_order(void)
{
	struct door_config strike = {.lock_type = LOCK_STRIKE, .backend = DOOR_BACKEND_GPIOD};
	struct door_config mag = {.lock_type = LOCK_MAGLOCK, .backend = DOOR_BACKEND_GPIOD};
	struct hal_door a = {.index = 0, .cfg = &strike, .ops = &hal_door_gpiod_ops, .cb = &cb};
	struct hal_door b = {.index = 1, .cfg = &mag, .ops = &hal_door_gpiod_ops, .cb = &cb};
	char *log;

	line_spec(&strike.lock, "gpiochip0", "17", false);
	line_spec(&strike.led_green, "gpiochip0", "22", false);
	line_spec(&strike.buzzer, "fake-expander", "3", true); /* a chip by label */
	line_spec(&mag.lock, "gpiochip0", "18", false);

	control_ok("set gpiochip0 17 1\nset gpiochip0 18 0");
	CHECK(hal_door_gpiod_ops.open(&a, hal_lock_level(LOCK_STRIKE, false)) == 0);
	CHECK(hal_door_gpiod_ops.open(&b, hal_lock_level(LOCK_MAGLOCK, false)) == 0);
	CHECK(level("gpiochip0", 17) == 0); /* strike: de-energized is locked */
	CHECK(level("gpiochip0", 18) == 1); /* maglock: energized is locked */
	CHECK(level("gpiochip0", 22) == 0);
	CHECK(level("gpiochip1", 3) == 1); /* active-low buzzer off: high */

	log = control("log");
	CHECK(strncmp(log, "1 request gpiochip0 17 output value=0 level=0", 45) == 0);
	CHECK(strstr(log,
		     "request gpiochip1 3 output value=0 level=1 active_low=1 consumer=aeogate"));
	free(log);

	CHECK(hal_door_gpiod_ops.set_output(&a, HAL_OUTPUT_LOCK, true) == 0);
	CHECK(level("gpiochip0", 17) == 1 && a.outputs[HAL_OUTPUT_LOCK]);
	CHECK(hal_door_gpiod_ops.set_output(&a, HAL_OUTPUT_LED_RED, true) == -ENODEV);

	/* A claimed line cannot be claimed twice, even through another handle. */
	struct hal_door c = {.index = 2, .cfg = &mag, .ops = &hal_door_gpiod_ops, .cb = &cb};
	CHECK(hal_door_gpiod_ops.open(&c, true) == -EBUSY);

	hal_door_gpiod_ops.close(&a);
	hal_door_gpiod_ops.close(&b);
	log = control("log");
	CHECK(strstr(log, "release gpiochip0 17"));
	CHECK(strstr(log, "release gpiochip0 18"));
	free(log);
	printf("ok - lock levels, boot order, release\n");
}

static void test_inputs_debounced(sd_event *e)
{
	struct door_config cfg = {.lock_type = LOCK_STRIKE, .debounce_ms = 7};
	struct hal_door d = {.index = 3, .cfg = &cfg, .ops = &hal_door_gpiod_ops, .cb = &cb};
	bool active;

	line_spec(&cfg.lock, "gpiochip0", "17", false);
	line_spec(&cfg.contact, "gpiochip0", "4", false);
	line_spec(&cfg.rex, "gpiochip0", "DOOR_REX", false); /* by name: line 5 */
	line_spec(&cfg.tamper, "gpiochip0", "6", true);

	reset_seen();
	control_ok("set gpiochip0 4 1\nset gpiochip0 5 0\nset gpiochip0 6 1");
	CHECK(hal_door_gpiod_ops.open(&d, false) == 0);
	CHECK(n_inputs == 0); /* open claims outputs only */
	CHECK(hal_door_gpiod_ops.get_input(&d, HAL_INPUT_CONTACT, &active) == -ENODEV);
	CHECK(hal_door_gpiod_ops.start(&d, e) == 0);

	/* Initial levels, reported once: contact open, REX idle, tamper closed. */
	CHECK(n_inputs == 3);
	CHECK(inputs[0].in == HAL_INPUT_CONTACT && inputs[0].active && inputs[0].door == 3);
	CHECK(inputs[1].in == HAL_INPUT_REX && !inputs[1].active);
	CHECK(inputs[2].in == HAL_INPUT_TAMPER && !inputs[2].active);
	CHECK(hal_door_gpiod_ops.get_input(&d, HAL_INPUT_CONTACT, &active) == 0 && active);

	/* A real change is reported after the debounce. */
	reset_seen();
	control_ok("edge gpiochip0 4 falling");
	run_until(e, &n_inputs, 1, 500);
	CHECK(n_inputs == 1 && inputs[0].in == HAL_INPUT_CONTACT && !inputs[0].active);
	CHECK(hal_door_gpiod_ops.get_input(&d, HAL_INPUT_CONTACT, &active) == 0 && !active);

	/* A 50 us glitch, and a bounce ending where it began, are no changes. */
	reset_seen();
	control_ok("edge gpiochip0 5 rising\nedge gpiochip0 5 falling");
	control_ok("edge gpiochip0 4 rising\nedge gpiochip0 4 falling\nedge gpiochip0 4 rising\n"
		   "edge gpiochip0 4 falling");
	run_until(e, &n_inputs, 0, 60);
	CHECK(n_inputs == 0);

	/* Bouncing that settles on a new level is one report. */
	control_ok("edge gpiochip0 5 rising\nedge gpiochip0 5 falling\nedge gpiochip0 5 rising");
	run_until(e, &n_inputs, 1, 500);
	run_until(e, &n_inputs, 0, 30);
	CHECK(n_inputs == 1 && inputs[0].in == HAL_INPUT_REX && inputs[0].active);

	/* Active-low tamper: a physical low is an open enclosure. */
	reset_seen();
	control_ok("edge gpiochip0 6 falling");
	run_until(e, &n_inputs, 1, 500);
	CHECK(n_inputs == 1 && inputs[0].in == HAL_INPUT_TAMPER && inputs[0].active);

	hal_door_gpiod_ops.close(&d);
	printf("ok - inputs: initial levels, debounce, active-low\n");
}

static void test_wiegand(sd_event *e)
{
	struct reader_config c0 = {.type = READER_WIEGAND, .frame_gap_ms = 25};
	struct reader_config c1 = {.type = READER_WIEGAND}; /* default gap */
	struct hal_reader r0 = {.index = 0, .cfg = &c0, .ops = &hal_reader_wiegand_ops, .cb = &cb};
	struct hal_reader r1 = {.index = 1, .cfg = &c1, .ops = &hal_reader_wiegand_ops, .cb = &cb};
	uint8_t bits[64];
	char s[65];
	int n;

	line_spec(&c0.d0, "gpiochip0", "10", false);
	line_spec(&c0.d1, "gpiochip0", "11", false);
	line_spec(&c1.d0, "gpiochip0", "12", false);
	line_spec(&c1.d1, "gpiochip0", "13", false);
	CHECK(hal_reader_wiegand_ops.open(&r0, e) == 0);
	CHECK(hal_reader_wiegand_ops.open(&r1, e) == 0);

	/* Hand-encoded H10301 12:3456: even parity, 8+16 bits, odd parity. */
	n = 0;
	{
		uint32_t v = (12u << 16) | 3456u;
		int ones_hi = 0, ones_lo = 0;

		for (int i = 23; i >= 0; i--) {
			int b = (v >> i) & 1;

			if (i >= 12)
				ones_hi += b;
			else
				ones_lo += b;
		}
		bits[n++] = ones_hi & 1;
		for (int i = 23; i >= 0; i--)
			bits[n++] = (v >> i) & 1;
		bits[n++] = !(ones_lo & 1);
	}
	for (int i = 0; i < n; i++)
		s[i] = bits[i] ? '1' : '0';
	s[n] = '\0';

	reset_seen();
	send_frame(10, 11, s, 2000);
	run_until(e, &n_reads, 1, 1000);
	CHECK(n_reads == 1 && read_reader[0] == 0 && reads[0].kind == HAL_READ_WIEGAND);
	CHECK(reads[0].nbits == 26 && memcmp(reads[0].bits, bits, 26) == 0);

	/* Pulses closer than the minimum interval are noise, never a read. */
	reset_seen();
	send_frame(10, 11, s, 100);
	run_until(e, &n_noise, 1, 1000);
	CHECK(n_reads == 0 && n_noise == 1 && strcmp(noise_reason[0], "pulse_too_close") == 0);
	CHECK(noise_bits[0] == 26 && r0.noise_count == 1);

	/* A keypad burst: 4 bits, key 7. */
	reset_seen();
	send_frame(12, 13, "0111", 2000);
	run_until(e, &n_reads, 1, 1000);
	CHECK(n_reads == 1 && read_reader[0] == 1 && reads[0].kind == HAL_READ_KEY &&
	      reads[0].key == 7);

	/* Two readers' frames interleaved: each framer sees only its own lines. */
	reset_seen();
	{
		size_t cap = 26 * 4 * 96 + 1, off = 0;
		char *req = malloc(cap);
		uint64_t start = mono_ns() - 60 * 1000000ull;

		CHECK(req);
		for (int i = 0; i < 26; i++) {
			uint64_t t = start + i * 2000000ull;
			unsigned a = bits[i] ? 11 : 10, b = bits[25 - i] ? 13 : 12;

			off += snprintf(req + off, cap - off,
					"edge gpiochip0 %u falling %llu\n"
					"edge gpiochip0 %u rising %llu\n"
					"edge gpiochip0 %u falling %llu\n"
					"edge gpiochip0 %u rising %llu\n",
					a, (unsigned long long)t, a, (unsigned long long)t + 50000,
					b, (unsigned long long)t + 1000000, b,
					(unsigned long long)t + 1050000);
		}
		control_ok(req);
		free(req);
	}
	run_until(e, &n_reads, 2, 1000);
	CHECK(n_reads == 2 && n_noise == 0);
	for (size_t i = 0; i < 2; i++) {
		CHECK(reads[i].nbits == 26);
		for (int k = 0; k < 26; k++)
			CHECK(reads[i].bits[k] == (read_reader[i] == 0 ? bits[k] : bits[25 - k]));
	}
	CHECK(read_reader[0] != read_reader[1]);

	/* A truncated frame and a lone pulse. */
	reset_seen();
	send_frame(10, 11, "10110011101", 2000);
	run_until(e, &n_noise, 1, 1000);
	CHECK(n_noise == 1 && strcmp(noise_reason[0], "short_frame") == 0 && noise_bits[0] == 11);
	reset_seen();
	send_frame(12, 13, "1", 2000);
	run_until(e, &n_noise, 1, 1000);
	CHECK(n_noise == 1 && strcmp(noise_reason[0], "lone_pulse") == 0 && n_reads == 0);

	/* D0 and D1 on one line cannot both be claimed. */
	struct reader_config bad = c0;
	struct hal_reader rb = {.index = 2, .cfg = &bad, .ops = &hal_reader_wiegand_ops, .cb = &cb};
	line_spec(&bad.d0, "gpiochip0", "20", false);
	line_spec(&bad.d1, "gpiochip0", "20", false);
	CHECK(hal_reader_wiegand_ops.open(&rb, e) == -EBUSY);
	line_spec(&bad.d1, "gpiochip0", "NO_SUCH_LINE", false);
	CHECK(hal_reader_wiegand_ops.open(&rb, e) == -ENOENT);
	line_spec(&bad.d1, "gpiochip9", "1", false);
	CHECK(hal_reader_wiegand_ops.open(&rb, e) < 0);

	hal_reader_wiegand_ops.close(&r0);
	hal_reader_wiegand_ops.close(&r1);
	printf("ok - wiegand: card, too close, keypad, interleaved, short, lone, bad lines\n");
}

int main(void)
{
	sd_event *e = NULL;

	CHECK(getenv("AEOGATE_FAKE_GPIO_CHIPS"));
	CHECK(sd_event_new(&e) >= 0);
	test_lock_levels_and_order();
	test_inputs_debounced(e);
	test_wiegand(e);
	sd_event_unref(e);
	return 0;
}
