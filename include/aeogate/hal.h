/* SPDX-License-Identifier: MIT */
/*
 * The hardware contract. A door's lines (lock, contact, REX, tamper, LEDs,
 * buzzer) and a reader are each driven by one backend, a const ops struct in
 * its own file under hal/ (sim.c, gpio_gpiod.c, nfc_libnfc.c). The generic
 * rules -- lock polarity, locked-at-open, the order of operations -- live
 * once in hal/hal.c, never in a backend.
 *
 * Backends run on the controller's sd-event loop; a backend that must block
 * (libnfc) runs its own thread and hands reads to the loop through an fd.
 * Backends report upwards only through struct hal_callbacks, always on the
 * loop thread.
 */
#ifndef AEOGATE_HAL_H
#define AEOGATE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/config.h"
#include "aeogate/limits.h"

struct sd_event;

enum hal_read_kind {
	HAL_READ_WIEGAND, /* a card frame: bits for wiegand_decode */
	HAL_READ_UID,	  /* an ISO 14443A UID */
	HAL_READ_KEY,	  /* a keypad press */
	HAL_READ_FMT,	  /* formatted card data (OSDP FMT): characters, in text */
};

struct hal_read {
	enum hal_read_kind kind;
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	size_t nbits;
	uint8_t uid[AEOGATE_UID_MAX_BYTES];
	size_t uid_len;
	int key; /* 0-9, 10 = '*', 11 = '#' */
	char text[AEOGATE_FMT_MAX + 1];
};

enum hal_input {
	HAL_INPUT_CONTACT, /* active = door open */
	HAL_INPUT_REX,     /* active = button pressed */
	HAL_INPUT_TAMPER,  /* active = enclosure open */
	_HAL_INPUT_MAX,
};

enum hal_output {
	HAL_OUTPUT_LOCK,
	HAL_OUTPUT_LED_GREEN,
	HAL_OUTPUT_LED_RED,
	HAL_OUTPUT_BUZZER,
	_HAL_OUTPUT_MAX,
};

/* Set by main before anything is opened; called on the loop thread only. */
struct hal_callbacks {
	void *userdata;
	void (*read)(void *userdata, unsigned reader_index, const struct hal_read *r);
	void (*input)(void *userdata, unsigned door_index, enum hal_input in, bool active);
	void (*reader_status)(void *userdata, unsigned reader_index, bool online, const char *why);
	/*
	 * Anything else a reader reports (OSDP: reader.secure_channel,
	 * reader.keyset, reader.tamper): an event kind and its detail as JSON.
	 */
	void (*reader_event)(void *userdata, unsigned reader_index, const char *kind,
			     const char *detail);
	/* Reader noise: a frame that is not a card or a key. */
	void (*noise)(void *userdata, unsigned reader_index, const char *reason, size_t nbits);
};

struct hal_door;
struct hal_reader;

struct hal_door_ops {
	const char *name;
	/*
	 * Claims the door's output lines and drives every one of them to
	 * inactive, the lock to the level given (its locked level). Must not
	 * touch inputs yet: this runs before the database is opened.
	 */
	int (*open)(struct hal_door *d, bool lock_energized);
	/* Claims the inputs, reads their levels and starts delivering edges. */
	int (*start)(struct hal_door *d, struct sd_event *e);
	/* Drives an output; energized is the electrical level after active_low. */
	int (*set_output)(struct hal_door *d, enum hal_output o, bool energized);
	/* Current level of an input (true = active); -ENODEV when not wired. */
	int (*get_input)(struct hal_door *d, enum hal_input in, bool *ret_active);
	/* Releases everything; the caller has locked the door before. */
	void (*close)(struct hal_door *d);
};

struct hal_reader_ops {
	const char *name;
	int (*open)(struct hal_reader *r, struct sd_event *e);
	void (*close)(struct hal_reader *r);
	/*
	 * Optional (NULL: the reader has no LEDs, buzzer or display of its
	 * own; the door's lines give feedback). A grant (green for ms) or a
	 * denial (red and a beep), and a line of text on its display.
	 */
	int (*feedback)(struct hal_reader *r, bool granted, unsigned ms);
	int (*text)(struct hal_reader *r, const char *text);
	/*
	 * Optional. The door's lock moved (released or locked): a reader with
	 * its own LED shows it as the LED's permanent state.
	 */
	void (*door_state)(struct hal_reader *r, bool released);
	/* Optional: drives the reader's output n, on or off; ms > 0 for that long only. */
	int (*output)(struct hal_reader *r, unsigned n, bool on, unsigned ms);
	/* Optional: gives the reader a new bus address and line speed; the CP follows. */
	int (*comset)(struct hal_reader *r, unsigned address, unsigned baud);
};

/* One per configured door; created by hal_door_open, lives until hal_door_close. */
struct hal_door {
	unsigned index;
	const struct door_config *cfg;
	const struct hal_door_ops *ops;
	const struct hal_callbacks *cb;
	void *priv;                          /* backend state */
	bool outputs[_HAL_OUTPUT_MAX];       /* last electrical level written */
	bool inputs[_HAL_INPUT_MAX];         /* last level reported (sim keeps it here) */
	bool lock_released;                  /* logical state of the lock */
};

/* One per configured reader. */
struct hal_reader {
	unsigned index;
	const struct reader_config *cfg;
	const struct hal_reader_ops *ops;
	const struct hal_callbacks *cb;
	void *priv;
	bool online;
	uint64_t noise_count;
};

extern const struct hal_door_ops hal_door_sim_ops;
extern const struct hal_door_ops hal_door_gpiod_ops;
extern const struct hal_reader_ops hal_reader_sim_ops;
extern const struct hal_reader_ops hal_reader_wiegand_ops;
extern const struct hal_reader_ops hal_reader_nfc_ops;
extern const struct hal_reader_ops hal_reader_osdp_ops;

/*
 * Opens a door with the backend its config names and drives its lock to
 * the locked level. Negative errno when a line cannot be claimed.
 */
int hal_door_open(struct hal_door *d, unsigned index, const struct door_config *cfg,
		  const struct hal_callbacks *cb);
int hal_door_start(struct hal_door *d, struct sd_event *e);

/* Releases (true) or locks (false) the lock, honouring the lock type. */
int hal_door_set_lock(struct hal_door *d, bool released);
int hal_door_set_output(struct hal_door *d, enum hal_output o, bool on);
int hal_door_get_input(struct hal_door *d, enum hal_input in, bool *ret_active);

/* Locks the door and releases its lines; accepts a door never opened. */
void hal_door_close(struct hal_door *d);

int hal_reader_open(struct hal_reader *r, unsigned index, const struct reader_config *cfg,
		    const struct hal_callbacks *cb, struct sd_event *e);
void hal_reader_close(struct hal_reader *r);
/* -EOPNOTSUPP when the reader's backend has no such output. */
int hal_reader_feedback(struct hal_reader *r, bool granted, unsigned ms);
int hal_reader_text(struct hal_reader *r, const char *text);
void hal_reader_door_state(struct hal_reader *r, bool released);
int hal_reader_output(struct hal_reader *r, unsigned n, bool on, unsigned ms);
int hal_reader_comset(struct hal_reader *r, unsigned address, unsigned baud);

/*
 * The simulated board (hal/sim.c). A sim door's inputs change and a sim
 * reader is presented a card only through these; they call the callbacks
 * synchronously, exactly as a hardware backend would from its fd handler.
 * -EOPNOTSUPP when the door or reader is not simulated.
 */
int hal_sim_door_set_input(struct hal_door *d, enum hal_input in, bool active);
int hal_sim_reader_present(struct hal_reader *r, const struct hal_read *read);

/* Electrical level that means "lock released" for a lock type. */
static inline bool hal_lock_level(enum lock_type t, bool released)
{
	return t == LOCK_STRIKE ? released : !released;
}

#endif
