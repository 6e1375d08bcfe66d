/*
 * io_sleep.h - the purest I/O-bound pair: a task only waits --delay-us.
 */
#ifndef IO_SLEEP_H
#define IO_SLEEP_H

#include <stdint.h>

#define IO_SLEEP_DEFAULT_DELAY_US 1000 /* 1 ms, a fast database query */

/* io_sleep_result - what task `id` reports after waiting delay_us: depends
 * on both, so a model that skipped or shortened the wait in its parameters
 * shows a different checksum. */
uint64_t io_sleep_result(uint64_t id, uint64_t delay_us);

#endif
