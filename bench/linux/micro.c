/*
 * The in-guest rows: kernel entry, cross-process and cross-thread round
 * trips, locks, thread creation and sleep. docs/benchmarks.md says which
 * capOS row each one stands beside and why it is the same work.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int pong_cpu = -1;

void
pin_to_cpu(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
	}
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		err = errno;
		report_error("pinning to cpu %d: %s", cpu, strerror(err));
	}
}

/* Set by a batch whose operation failed; its row is then not reported. */
static int batch_errno;

void
batch_failed(int err)
{
	if (batch_errno == 0)
		batch_errno = err;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * One untimed warm-up batch (caches, lazily mapped pages, the partner's
 * first wake-up), then BENCH_BATCHES timed ones. The median batch shrugs
 * off an interrupt or a host preemption that lands in one of them.
 */
int
measure(const char *what, batch_fn *fn, void *ctx, uint64_t n, double *cycles)
{
	uint64_t t[BENCH_BATCHES];
	int i;

	batch_errno = 0;
	fn(ctx, n);
	for (i = 0; i < BENCH_BATCHES && batch_errno == 0; i++)
		t[i] = fn(ctx, n);
	if (batch_errno != 0) {
		report_error("%s: %s", what, strerror(batch_errno));
		return -1;
	}
	qsort(t, BENCH_BATCHES, sizeof t[0], cmp_u64);
	*cycles = (double)t[BENCH_BATCHES / 2] / (double)n;
	return 0;
}

static uint64_t
getppid_batch(void *ctx, uint64_t n)
{
	uint64_t i, t0;

	(void)ctx;
	t0 = tsc_read();
	/* syscall() rather than getppid(): the call must enter the kernel
	 * every time, whatever the C library caches. */
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return tsc_read() - t0;
}

int
row_getppid(uint64_t n, double *cycles)
{
	return measure("getppid", getppid_batch, NULL, n, cycles);
}

static uint64_t
devnull_batch(void *ctx, uint64_t n)
{
	int fd = *(int *)ctx;
	uint64_t i, t0;
	char c = 0;

	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		if (write(fd, &c, 1) != 1) {
			batch_failed(errno);
			break;
		}
	}
	return tsc_read() - t0;
}

int
row_write_devnull(uint64_t n, double *cycles)
{
	int fd, r;

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		report_error("write_devnull: open /dev/null: %s", strerror(errno));
		return -1;
	}
	r = measure("write_devnull", devnull_batch, &fd, n, cycles);
	close(fd);
	return r;
}

/* Returns 0, or -1 with errno set (EPIPE for end of file). */
static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = EPIPE;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The largest message a pipe row sends; below PIPE_BUF, so atomic. */
#define PIPE_MSG_MAX 256

/* Two pipes to a child process that answers every size-byte request with
 * a size-byte reply until the request pipe closes. */
struct pipe_peer {
	int to_child;
	int from_child;
	pid_t pid;
	size_t size;
	char buf[PIPE_MSG_MAX];
};

static int
pipe_peer_start(struct pipe_peer *p, size_t size)
{
	int req[2], rep[2], err;

	if (pipe2(req, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) != 0) {
		err = errno;
		close(req[0]);
		close(req[1]);
		errno = err;
		return -1;
	}
	p->size = size;
	memset(p->buf, 'x', sizeof p->buf);
	p->pid = fork();
	if (p->pid == 0) {
		if (pong_cpu >= 0)
			pin_to_cpu(pong_cpu);
		close(req[1]);
		close(rep[0]);
		/* The parent closing the request pipe ends the loop. */
		while (read_full(req[0], p->buf, size) == 0 &&
		    write_full(rep[1], p->buf, size) == 0)
			;
		_exit(0);
	}
	err = errno;
	close(req[0]);
	close(rep[1]);
	p->to_child = req[1];
	p->from_child = rep[0];
	if (p->pid < 0) {
		close(p->to_child);
		close(p->from_child);
		errno = err;
		return -1;
	}
	return 0;
}

static void
pipe_peer_stop(struct pipe_peer *p)
{
	close(p->to_child);
	close(p->from_child);
	waitpid(p->pid, NULL, 0);
}

static uint64_t
pipe_pingpong_batch(void *ctx, uint64_t n)
{
	struct pipe_peer *p = ctx;
	uint64_t i, t0;

	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		if (write_full(p->to_child, p->buf, p->size) != 0 ||
		    read_full(p->from_child, p->buf, p->size) != 0) {
			batch_failed(errno);
			break;
		}
	}
	return tsc_read() - t0;
}

/* Keeps up to 32 requests outstanding: the next is written as soon as a
 * reply has been read, so the pipes never hold more than 32 of each. */
static uint64_t
pipe_inflight_batch(void *ctx, uint64_t n)
{
	struct pipe_peer *p = ctx;
	uint64_t sent = 0, done = 0, t0;

	t0 = tsc_read();
	while (done < n) {
		while (sent < n && sent - done < 32) {
			if (write_full(p->to_child, p->buf, p->size) != 0)
				goto fail;
			sent++;
		}
		if (read_full(p->from_child, p->buf, p->size) != 0)
			goto fail;
		done++;
	}
	return tsc_read() - t0;
fail:
	batch_failed(errno);
	return tsc_read() - t0;
}

static int
pipe_row(const char *what, batch_fn *fn, size_t size, uint64_t n,
    double *cycles)
{
	struct pipe_peer p;
	int r;

	if (pipe_peer_start(&p, size) != 0) {
		report_error("%s: starting the peer: %s", what, strerror(errno));
		return -1;
	}
	r = measure(what, fn, &p, n, cycles);
	pipe_peer_stop(&p);
	return r;
}

int
row_pipe_pingpong_1(uint64_t n, double *cycles)
{
	return pipe_row("pipe_pingpong_1", pipe_pingpong_batch, 1, n, cycles);
}

int
row_pipe_pingpong_256(uint64_t n, double *cycles)
{
	return pipe_row("pipe_pingpong_256", pipe_pingpong_batch, 256, n,
	    cycles);
}

int
row_pipe_calls_32inflight(uint64_t n, double *cycles)
{
	return pipe_row("pipe_calls_32inflight", pipe_inflight_batch, 8, n,
	    cycles);
}

/*
 * Futex ping-pong. The word says whose turn it is; each side sleeps in
 * FUTEX_WAIT until the other hands the turn over, so every half round trip
 * is a wake-up of a sleeping thread (no spinning).
 */
enum { TURN_PING, TURN_PONG, TURN_STOP };

struct futex_pair {
	uint32_t turn;
	int private_flag;	/* FUTEX_PRIVATE_FLAG between threads, 0 across processes */
};

static void
futex_wait(struct futex_pair *f, uint32_t expected)
{
	syscall(SYS_futex, &f->turn, FUTEX_WAIT | f->private_flag, expected,
	    NULL, NULL, 0);
}

static void
futex_pass(struct futex_pair *f, uint32_t turn)
{
	__atomic_store_n(&f->turn, turn, __ATOMIC_RELEASE);
	syscall(SYS_futex, &f->turn, FUTEX_WAKE | f->private_flag, 1, NULL,
	    NULL, 0);
}

static void
futex_pong(struct futex_pair *f)
{
	uint32_t t;

	for (;;) {
		while ((t = __atomic_load_n(&f->turn, __ATOMIC_ACQUIRE)) ==
		    TURN_PING)
			futex_wait(f, TURN_PING);
		if (t == TURN_STOP)
			return;
		futex_pass(f, TURN_PING);
	}
}

static void *
futex_pong_thread(void *arg)
{
	if (pong_cpu >= 0)
		pin_to_cpu(pong_cpu);
	futex_pong(arg);
	return NULL;
}

static uint64_t
futex_ping_batch(void *ctx, uint64_t n)
{
	struct futex_pair *f = ctx;
	uint64_t i, t0;

	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		futex_pass(f, TURN_PONG);
		while (__atomic_load_n(&f->turn, __ATOMIC_ACQUIRE) == TURN_PONG)
			futex_wait(f, TURN_PONG);
	}
	return tsc_read() - t0;
}

int
row_futex_pingpong(uint64_t n, double *cycles)
{
	struct futex_pair f = { TURN_PING, FUTEX_PRIVATE_FLAG };
	pthread_t t;
	int err, r;

	err = pthread_create(&t, NULL, futex_pong_thread, &f);
	if (err != 0) {
		report_error("futex_pingpong: pthread_create: %s", strerror(err));
		return -1;
	}
	r = measure("futex_pingpong", futex_ping_batch, &f, n, cycles);
	futex_pass(&f, TURN_STOP);
	pthread_join(t, NULL);
	return r;
}

int
row_futex_pingpong_xproc(uint64_t n, double *cycles)
{
	struct futex_pair *f;
	pid_t pid;
	int r;

	f = mmap(NULL, sizeof *f, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED) {
		report_error("futex_pingpong_xproc: mmap: %s", strerror(errno));
		return -1;
	}
	f->turn = TURN_PING;
	f->private_flag = 0;
	pid = fork();
	if (pid == 0) {
		if (pong_cpu >= 0)
			pin_to_cpu(pong_cpu);
		futex_pong(f);
		_exit(0);
	}
	if (pid < 0) {
		report_error("futex_pingpong_xproc: fork: %s", strerror(errno));
		munmap(f, sizeof *f);
		return -1;
	}
	r = measure("futex_pingpong_xproc", futex_ping_batch, f, n, cycles);
	futex_pass(f, TURN_STOP);
	waitpid(pid, NULL, 0);
	munmap(f, sizeof *f);
	return r;
}

static uint64_t
mutex_batch(void *ctx, uint64_t n)
{
	pthread_mutex_t *m = ctx;
	uint64_t i, t0;

	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
	}
	return tsc_read() - t0;
}

int
row_pthread_mutex(uint64_t n, double *cycles)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	return measure("pthread_mutex", mutex_batch, &m, n, cycles);
}

static void *
thread_return(void *arg)
{
	return arg;
}

static uint64_t
spawn_join_batch(void *ctx, uint64_t n)
{
	uint64_t i, t0;
	pthread_t t;
	int err;

	(void)ctx;
	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		err = pthread_create(&t, NULL, thread_return, NULL);
		if (err == 0)
			err = pthread_join(t, NULL);
		if (err != 0) {
			batch_failed(err);
			break;
		}
	}
	return tsc_read() - t0;
}

int
row_pthread_spawn_join(uint64_t n, double *cycles)
{
	return measure("pthread_spawn_join", spawn_join_batch, NULL, n, cycles);
}

#define SLEEP_NS 1000000L

static uint64_t
sleep_batch(void *ctx, uint64_t n)
{
	struct timespec ts = { 0, SLEEP_NS };
	uint64_t i, t0;
	int err;

	(void)ctx;
	t0 = tsc_read();
	for (i = 0; i < n; i++) {
		err = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		if (err != 0) {
			batch_failed(err);
			break;
		}
	}
	return tsc_read() - t0;
}

/* Reports how far past the requested 1 ms a sleep returns, in cycles. */
int
row_nanosleep_1ms_overshoot(uint64_t n, double *cycles)
{
	double slept;

	if (measure("nanosleep_1ms_overshoot", sleep_batch, NULL, n,
	    &slept) != 0)
		return -1;
	*cycles = slept - tsc_hz * (double)SLEEP_NS / 1e9;
	return 0;
}
