/*
 * /init of the Linux baseline guest. It reads the boot clock before doing
 * anything else, runs the in-guest rows, brings the network up for the
 * harness's TCP rows, and powers the machine off.
 *
 * The kernel passes unknown command-line words of the form name=value to
 * init as environment variables; "bench_quick=1" selects the short
 * iteration counts that `make bench-smoke` uses; "bench_telnetd=1" runs
 * no rows and serves busybox telnetd for `make bench-telnet` instead,
 * "bench_sshd=1" Dropbear for `make bench-ssh`, and "bench_smp=1" runs
 * only the rows of the -smp pass (smp.c), without the network;
 * "bench_net=1" only the TCP rows (the TCP pass, with two CPUs). Run as
 * /bin/count (a link to /init) it is count (count.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../programs/bench/cryptowork.h"
#include "bench.h"

/* With nothing from the harness for this long, the guest gives up. */
#define NET_IDLE_S 120

enum unit { CYCLES, MICROSECONDS, MILLISECONDS, CALLS_PER_SECOND,
	MIB_PER_SECOND };

static const char *const unit_names[] = {
	[CYCLES] = "cycles",
	[MICROSECONDS] = "us",
	[MILLISECONDS] = "ms",
	[CALLS_PER_SECOND] = "calls/s",
	[MIB_PER_SECOND] = "MiB/s",
};

struct row {
	const char *key;
	int (*run)(uint64_t n, double *cycles);
	enum unit unit;
	uint64_t iters;		/* per batch */
	uint64_t quick_iters;	/* per batch, bench_quick=1 */
	uint64_t bytes;		/* per operation, for MiB/s */
};

/* With these batch sizes no row takes more than about 4 s under TCG on a
 * development machine, and all of them together about 18 s. */
static const struct row rows[] = {
	{ "getppid", row_getppid, CYCLES, 200000, 2000, 0 },
	{ "write_devnull", row_write_devnull, CYCLES, 200000, 2000, 0 },
	{ "pipe_pingpong_1", row_pipe_pingpong_1, CYCLES, 10000, 100, 0 },
	{ "pipe_pingpong_256", row_pipe_pingpong_256, CYCLES, 10000, 100, 0 },
	{ "pipe_calls_32inflight", row_pipe_calls_32inflight,
	    CALLS_PER_SECOND, 20000, 200, 0 },
	{ "futex_pingpong_xproc", row_futex_pingpong_xproc, CYCLES, 10000,
	    100, 0 },
	{ "futex_pingpong", row_futex_pingpong, CYCLES, 10000, 100, 0 },
	{ "pthread_mutex", row_pthread_mutex, CYCLES, 1000000, 10000, 0 },
	{ "pthread_spawn_join", row_pthread_spawn_join, MICROSECONDS, 2000,
	    20, 0 },
	{ "nanosleep_1ms_overshoot", row_nanosleep_1ms_overshoot,
	    MICROSECONDS, 20, 2, 0 },
	/* The capOS bench program runs the same batch sizes and has no
	 * quick mode; bench_quick=1 shortens only this side. */
	{ "ed25519_sign", row_ed25519_sign, CYCLES, 20, 2, 0 },
	{ "x25519", row_x25519, CYCLES, 20, 2, 0 },
	{ "chacha20poly1305", row_chacha20poly1305, MIB_PER_SECOND, 20, 2,
	    CRYPTOWORK_AEAD_LEN },
	/* The shell rows (login.c): one login a batch, as on capOS; the
	 * same 20 lines a batch as the capOS shell's call row. */
	{ "busybox_login", row_busybox_login, MILLISECONDS, 1, 1, 0 },
	{ "busybox_sh_true", row_busybox_sh_true, MICROSECONDS, 20, 2, 0 },
};

/*
 * The ping-pong rows of the -smp pass, sides pinned to CPUs 0 and 1; the
 * scaling rows follow them (scale_rows). A round trip across CPUs under
 * multi-threaded TCG on a loaded 2-core host took up to 2 ms (each
 * wake-up waits for the host to run the other CPU's thread), so batches
 * are a tenth of the one-CPU rows': 10000 made one boot outlast the
 * harness's 300 s.
 */
static const struct row smp_rows[] = {
	{ "futex_pingpong_2cpu", row_futex_pingpong_2cpu, CYCLES, 1000, 100,
	    0 },
	{ "futex_pingpong_xproc_2cpu", row_futex_pingpong_xproc_2cpu, CYCLES,
	    1000, 100, 0 },
	{ "pipe_pingpong_1_2cpu", row_pipe_pingpong_1_2cpu, CYCLES, 1000, 100,
	    0 },
};

static double
convert(double cycles, const struct row *r)
{
	switch (r->unit) {
	case CYCLES:
		return cycles;
	case MICROSECONDS:
		return cycles / tsc_hz * 1e6;
	case MILLISECONDS:
		return cycles / tsc_hz * 1e3;
	case CALLS_PER_SECOND:
		return tsc_hz / cycles;
	case MIB_PER_SECOND:
		return (double)r->bytes * tsc_hz / cycles / (1024.0 * 1024.0);
	}
	return 0;
}

/* Loads the NIC driver and configures eth0 with busybox. */
static int
net_up(void)
{
	char *const argv[] = { "sh", "/etc/net-up.sh", NULL };
	char *const envp[] = { "PATH=/bin", NULL };
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0) {
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		report_error("net-up: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		report_error("net-up: exit status 0x%x", status);
		return -1;
	}
	return 0;
}

/* bench_telnetd=1 or bench_sshd=1: no in-guest rows; the server takes
 * logins for the host's client while the TCP bench server waits for the
 * host's stop command. */
static void
serve_logins(pid_t (*start)(int port), int port, const char *name)
{
	pid_t pid;

	if (net_up() == 0 && (pid = start(port)) > 0) {
		net_serve(BENCH_NET_PORT, NET_IDLE_S);
		server_stop(pid, name);
	}
	report_end();
	fflush(stdout);
	reboot(RB_POWER_OFF);
}

/* Runs and reports count rows, with their quick batch sizes if asked. */
static void
run_rows(const struct row *first, size_t count, int quick)
{
	double cycles;
	uint64_t n;

	for (const struct row *r = first; r < first + count; r++) {
		n = quick ? r->quick_iters : r->iters;
		if (r->run(n, &cycles) == 0)
			report_row(r->key, convert(cycles, r),
			    unit_names[r->unit], n * BENCH_BATCHES);
	}
}

int
main(int argc, char **argv)
{
	struct timespec boot;
	const char *quick, *telnet, *sshd, *smp, *net, *name;

	name = argc > 0 ? strrchr(argv[0], '/') : NULL;
	if (argc > 0 && strcmp(name != NULL ? name + 1 : argv[0],
	    "count") == 0)
		return count_main();
	clock_gettime(CLOCK_BOOTTIME, &boot);
	setvbuf(stdout, NULL, _IOLBF, 0);
	report_start();
	report_row("boot_to_init",
	    (double)boot.tv_sec * 1e3 + (double)boot.tv_nsec / 1e6, "ms", 1);

	quick = getenv("bench_quick");
	telnet = getenv("bench_telnetd");
	sshd = getenv("bench_sshd");
	smp = getenv("bench_smp");
	net = getenv("bench_net");
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0)
		report_error("mount /dev: %s", strerror(errno));
	if (telnet != NULL && strcmp(telnet, "1") == 0) {
		serve_logins(telnetd_start, BENCH_TELNET_PORT, "telnetd");
		return 0;
	}
	if (sshd != NULL && strcmp(sshd, "1") == 0) {
		serve_logins(sshd_start, BENCH_SSH_PORT, "dropbear");
		return 0;
	}
	tsc_hz = tsc_calibrate();
	report_tsc(tsc_hz);
	if (smp != NULL && strcmp(smp, "1") == 0) {
		run_rows(smp_rows, sizeof smp_rows / sizeof smp_rows[0],
		    quick != NULL && strcmp(quick, "1") == 0);
		scale_rows(tsc_hz);
		report_end();
		fflush(stdout);
		reboot(RB_POWER_OFF);
		return 0;
	}
	/* bench_net=1 (the TCP pass): only the host's TCP rows. */
	if (net == NULL || strcmp(net, "1") != 0)
		run_rows(rows, sizeof rows / sizeof rows[0],
		    quick != NULL && strcmp(quick, "1") == 0);
	if (net_up() == 0)
		net_serve(BENCH_NET_PORT, NET_IDLE_S);
	report_end();
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
