/* SPDX-License-Identifier: MIT */
/*
 * The simulated board: doors whose outputs are remembered and whose inputs
 * change on request, and readers that are presented cards on request. Reads
 * and input changes go through the same callbacks as real hardware, so the
 * controller cannot tell the difference.
 */
#include <errno.h>

#include "aeogate/hal.h"

static int sim_door_open(struct hal_door *d, bool lock_energized)
{
	d->outputs[HAL_OUTPUT_LOCK] = lock_energized;
	return 0;
}

static int sim_door_start(struct hal_door *d, struct sd_event *e)
{
	return 0;
}

static int sim_door_set_output(struct hal_door *d, enum hal_output o, bool energized)
{
	return 0;
}

static int sim_door_get_input(struct hal_door *d, enum hal_input in, bool *ret_active)
{
	*ret_active = d->inputs[in];
	return 0;
}

static void sim_door_close(struct hal_door *d)
{
}

const struct hal_door_ops hal_door_sim_ops = {
	.name = "sim",
	.open = sim_door_open,
	.start = sim_door_start,
	.set_output = sim_door_set_output,
	.get_input = sim_door_get_input,
	.close = sim_door_close,
};

static int sim_reader_open(struct hal_reader *r, struct sd_event *e)
{
	r->online = true;
	return 0;
}

static void sim_reader_close(struct hal_reader *r)
{
	r->online = false;
}

const struct hal_reader_ops hal_reader_sim_ops = {
	.name = "sim",
	.open = sim_reader_open,
	.close = sim_reader_close,
};

int hal_sim_door_set_input(struct hal_door *d, enum hal_input in, bool active)
{
	if (d->ops != &hal_door_sim_ops)
		return -EOPNOTSUPP;
	if ((unsigned)in >= _HAL_INPUT_MAX)
		return -EINVAL;
	d->inputs[in] = active;
	d->cb->input(d->cb->userdata, d->index, in, active);
	return 0;
}

int hal_sim_reader_present(struct hal_reader *r, const struct hal_read *read)
{
	if (r->ops != &hal_reader_sim_ops)
		return -EOPNOTSUPP;
	r->cb->read(r->cb->userdata, r->index, read);
	return 0;
}
