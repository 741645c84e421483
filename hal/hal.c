/* SPDX-License-Identifier: MIT */
/*
 * The generic half of the HAL: picks the backend a config names and keeps
 * the rules every backend shares (lock polarity, locked at open and close)
 * in one place.
 */
#include <errno.h>
#include <string.h>

#include "aeogate/hal.h"

static const struct hal_door_ops *door_backend(const struct door_config *cfg)
{
	return cfg->backend == DOOR_BACKEND_GPIOD ? &hal_door_gpiod_ops : &hal_door_sim_ops;
}

static const struct hal_reader_ops *reader_backend(const struct reader_config *cfg)
{
	switch (cfg->type) {
	case READER_WIEGAND:
		return &hal_reader_wiegand_ops;
	case READER_NFC:
		return &hal_reader_nfc_ops;
	case READER_OSDP:
		return &hal_reader_osdp_ops;
	case READER_SIM:
		return &hal_reader_sim_ops;
	}
	return NULL;
}

int hal_door_open(struct hal_door *d, unsigned index, const struct door_config *cfg,
		  const struct hal_callbacks *cb)
{
	bool locked_level = hal_lock_level(cfg->lock_type, false);
	int r;

	memset(d, 0, sizeof(*d));
	d->index = index;
	d->cfg = cfg;
	d->cb = cb;
	d->ops = door_backend(cfg);
	r = d->ops->open(d, locked_level);
	if (r < 0) {
		d->ops = NULL;
		return r;
	}
	d->outputs[HAL_OUTPUT_LOCK] = locked_level;
	d->lock_released = false;
	return 0;
}

int hal_door_start(struct hal_door *d, struct sd_event *e)
{
	if (!d->ops)
		return -ENODEV;
	return d->ops->start(d, e);
}

int hal_door_set_output(struct hal_door *d, enum hal_output o, bool on)
{
	int r;

	if (!d->ops)
		return -ENODEV;
	if ((unsigned)o >= _HAL_OUTPUT_MAX)
		return -EINVAL;
	r = d->ops->set_output(d, o, on);
	if (r < 0)
		return r;
	d->outputs[o] = on;
	return 0;
}

int hal_door_set_lock(struct hal_door *d, bool released)
{
	int r = hal_door_set_output(d, HAL_OUTPUT_LOCK, hal_lock_level(d->cfg->lock_type, released));

	if (r < 0)
		return r;
	d->lock_released = released;
	return 0;
}

int hal_door_get_input(struct hal_door *d, enum hal_input in, bool *ret_active)
{
	if (!d->ops)
		return -ENODEV;
	if ((unsigned)in >= _HAL_INPUT_MAX)
		return -EINVAL;
	return d->ops->get_input(d, in, ret_active);
}

void hal_door_close(struct hal_door *d)
{
	if (!d || !d->ops)
		return;
	/* Whatever happened before, the last thing we do to a door is lock it. */
	(void)hal_door_set_lock(d, false);
	d->ops->close(d);
	d->ops = NULL;
}

int hal_reader_open(struct hal_reader *r, unsigned index, const struct reader_config *cfg,
		    const struct hal_callbacks *cb, struct sd_event *e)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->index = index;
	r->cfg = cfg;
	r->cb = cb;
	r->ops = reader_backend(cfg);
	if (!r->ops)
		return -EINVAL;
	ret = r->ops->open(r, e);
	if (ret < 0)
		r->ops = NULL;
	return ret;
}

void hal_reader_close(struct hal_reader *r)
{
	if (!r || !r->ops)
		return;
	r->ops->close(r);
	r->ops = NULL;
}

int hal_reader_feedback(struct hal_reader *r, bool granted, unsigned ms)
{
	if (!r || !r->ops || !r->ops->feedback)
		return -EOPNOTSUPP;
	return r->ops->feedback(r, granted, ms);
}

int hal_reader_text(struct hal_reader *r, const char *text)
{
	if (!r || !r->ops || !r->ops->text)
		return -EOPNOTSUPP;
	return r->ops->text(r, text);
}

void hal_reader_door_state(struct hal_reader *r, bool released)
{
	if (r && r->ops && r->ops->door_state)
		r->ops->door_state(r, released);
}

int hal_reader_output(struct hal_reader *r, unsigned n, bool on, unsigned ms)
{
	if (!r || !r->ops || !r->ops->output)
		return -EOPNOTSUPP;
	return r->ops->output(r, n, on, ms);
}

int hal_reader_comset(struct hal_reader *r, unsigned address, unsigned baud)
{
	if (!r || !r->ops || !r->ops->comset)
		return -EOPNOTSUPP;
	return r->ops->comset(r, address, baud);
}
