/*
 * Monotonic milliseconds for polling deadlines and for reporting recovery
 * times: wall-clock jumps must not shorten or stretch a test's patience.
 */
#ifndef INTUKA_ITEST_CLOCK_H
#define INTUKA_ITEST_CLOCK_H

#include <stdint.h>

int64_t itest_clock_now_ms(void);

/* Sleeps the whole interval even when a signal interrupts it. */
void itest_clock_sleep_ms(int64_t duration_ms);

#endif
