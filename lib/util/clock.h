/*
 * clock.h - deadlines in milliseconds on the monotonic clock
 *
 * Pools that wait for a free connection or slot (the callout backends,
 * the Redis store) measure their deadlines here, on CLOCK_MONOTONIC, so a
 * change of the wall clock never stretches or cuts a wait.  A condition
 * variable passed to clock_cond_wait must have been created with
 * clock_cond_init (its clock set to CLOCK_MONOTONIC).  Reentrant.
 */
#ifndef DOORMAN_CLOCK_H
#define DOORMAN_CLOCK_H

#include <pthread.h>
#include <stdint.h>

/* clock_ms - now, in milliseconds of the monotonic clock */
int64_t clock_ms(void);

/* clock_cond_init - a condition variable that waits on the monotonic clock */
void clock_cond_init(pthread_cond_t *cv);

/* clock_cond_wait - wait on cv (mu held) until signalled or deadline_ms
 * (clock_ms time); returns -1 when the deadline has passed, else 0 (the
 * caller checks its condition again: wake-ups may be spurious). */
int clock_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms);

#endif
