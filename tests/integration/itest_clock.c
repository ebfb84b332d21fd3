/*
 * CLOCK_MONOTONIC helpers (see itest_clock.h).
 */
#include "itest_clock.h"

#include <errno.h>
#include <time.h>

int64_t itest_clock_now_ms(void)
{
	struct timespec now;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void itest_clock_sleep_ms(int64_t duration_ms)
{
	struct timespec remaining = {
		.tv_sec = duration_ms / 1000,
		.tv_nsec = (duration_ms % 1000) * 1000000,
	};

	while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR)
		;
}
