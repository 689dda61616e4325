/* The host's stand-in spin locks (lock_host.c). */
#ifndef CAPOS_LOCK_HOST_H
#define CAPOS_LOCK_HOST_H

/* A panic returned to the test that expected it: the locks held on the
 * way to it are free again. */
void lock_host_panicked(void);

#endif
