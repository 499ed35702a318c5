/* backoff.h: how long a daemon job waits before it is started again. Pure functions, so the
 * policy can be read and tested apart from the state machine that uses it (supervisor.c). */
#pragma once

/* The delay before the next start after `streak` unstable runs in a row (streak >= 1):
 * initial_s, doubling with each run, capped at max_s. 0 for streak 0 (a stable run: restart at
 * once). A cap below initial_s caps the first delay too. */
double backoff_delay(double initial_s, double max_s, unsigned streak);

/* How long a run must have lasted to count as stable, which resets the streak: it reached
 * RUNNING (startsecs) and outlived the longest delay (max_s). A job that keeps crashing after
 * a few seconds thus waits longer and longer, one that crashes once a day restarts at once. */
double backoff_stable_s(double startsecs, double max_s);
