/*
 * The shell rows of make bench (shellwork.c): the bench program as the
 * terminal of the bench system's capos-shell.
 */
#ifndef BENCH_SHELLWORK_H
#define BENCH_SHELLWORK_H

#include <stdint.h>

#include "rt.h"

/* The bench system's development account (system/bench.capnp); NOT FOR
 * PRODUCTION. */
#define SHELLWORK_USER		"admin"
#define SHELLWORK_PASSWORD	"capos-dev"

/* Waits until auth has finished starting, so no row is timed while its
 * start-up computes; 0, or -1 without a sessionManager. */
int shell_rows_sync(void);

/*
 * Runs the rows: batches timed logins into login[] (cycles each, one
 * untimed first), then batches timed batches of `call` lines into
 * call[] (cycles per call). Returns the calls per batch, or -1 when the
 * shell did not do what a person would see it do.
 */
int shell_rows(uint64_t *login, uint64_t *call, int batches);

#endif
