/*
 * The Linux baseline guest's benchmark program: it runs as /init, prints
 * one "[bench] ..." line per measurement on the serial console (the
 * protocol in docs/benchmarks.md), serves the TCP rows, and powers off.
 */
#ifndef LINUXBENCH_BENCH_H
#define LINUXBENCH_BENCH_H

#include <stdint.h>
#include <sys/types.h>

/* Guest TCP port of the network rows' server; the harness forwards to it. */
#define BENCH_NET_PORT 5001
/* busybox telnetd for bench/telnet.py, under bench_telnetd=1. */
#define BENCH_TELNET_PORT 23
/* Dropbear for bench/ssh.py, under bench_sshd=1. */
#define BENCH_SSH_PORT 22

/* Timed batches per row; the row's value is the median batch. Odd. */
#define BENCH_BATCHES 7

/* tsc.c */
extern double tsc_hz;
uint64_t tsc_read(void);
double tsc_calibrate(void);

/* report.c: the guest line protocol. */
void report_start(void);
void report_tsc(double hz);
void report_row(const char *key, double value, const char *unit,
    uint64_t iters);
void report_net(int port);
void report_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void report_end(void);

/* Runs n operations and returns the TSC cycles they took. */
typedef uint64_t batch_fn(void *ctx, uint64_t n);

/*
 * micro.c: each row runs BENCH_BATCHES timed batches of n operations after
 * one untimed warm-up batch and stores the median cost of one operation in
 * TSC cycles. Returns 0, or -1 after reporting what failed. measure() does
 * this for one batch function; a batch calls batch_failed() with an errno
 * value when an operation fails, and the row is then an error.
 */
int measure(const char *what, batch_fn *fn, void *ctx, uint64_t n,
    double *cycles);
void batch_failed(int err);
/* The CPU the answering side of the ping-pong rows pins itself to (the
 * futex thread, the futex and pipe child processes), or -1: anywhere. */
extern int pong_cpu;
/* Pins the calling thread to cpu, or to every CPU when cpu is -1. */
void pin_to_cpu(int cpu);
int row_getppid(uint64_t n, double *cycles);
int row_write_devnull(uint64_t n, double *cycles);
int row_pipe_pingpong_1(uint64_t n, double *cycles);
int row_pipe_pingpong_256(uint64_t n, double *cycles);
int row_pipe_calls_32inflight(uint64_t n, double *cycles);
int row_futex_pingpong_xproc(uint64_t n, double *cycles);
int row_futex_pingpong(uint64_t n, double *cycles);
int row_pthread_mutex(uint64_t n, double *cycles);
int row_pthread_spawn_join(uint64_t n, double *cycles);
int row_nanosleep_1ms_overshoot(uint64_t n, double *cycles);

/* smp.c: the rows of the -smp pass (bench_smp=1). */
int row_futex_pingpong_2cpu(uint64_t n, double *cycles);
int row_futex_pingpong_xproc_2cpu(uint64_t n, double *cycles);
int row_pipe_pingpong_1_2cpu(uint64_t n, double *cycles);
void scale_rows(double tsc_hz);

/* crypto.c: lib/crypto over wolfCrypt, the capOS bench program's work
 * (bench/programs/bench/cryptowork.h). */
int row_ed25519_sign(uint64_t n, double *cycles);
int row_x25519(uint64_t n, double *cycles);
int row_chacha20poly1305(uint64_t n, double *cycles);

/* login.c: busybox login and sh through a pty (the shell rows). */
int row_busybox_login(uint64_t n, double *cycles);
int row_busybox_sh_true(uint64_t n, double *cycles);
/* The telnet row (bench/telnet.py): busybox telnetd with login. */
pid_t telnetd_start(int port);
/* The SSH rows (bench/ssh.py): Dropbear. */
pid_t sshd_start(int port);
/* Ends a server started above and reaps it; one that had already exited
 * is an error, since every login after it would have been refused. */
void server_stop(pid_t pid, const char *name);

/* count.c: /init run as /bin/count. */
int count_main(void);

/* netserve.c: serve the TCP rows until told to quit or left idle. */
void net_serve(int port, int idle_seconds);

#endif
