/* SPDX-License-Identifier: MIT */
/*
 * In-process control of the libgpiod double, for test programs that link
 * it directly. Out-of-process tests use the control socket (fake-gpio).
 */
#ifndef AEOGATE_FAKE_GPIOD_H
#define AEOGATE_FAKE_GPIOD_H

/*
 * Runs a control request (one command per line, see fake_gpiod.c) exactly
 * as the socket would. Returns the malloc'd reply, or NULL on ENOMEM.
 */
char *fake_gpio_control(const char *request);

#endif
