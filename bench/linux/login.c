/*
 * The shell rows' Linux side (docs/benchmarks.md): busybox login and
 * busybox sh driven through a pseudo-terminal, as the capOS bench program
 * drives capos-shell through the TerminalSession it serves.
 *
 *   busybox_login    from writing the password's Enter to the shell's
 *                    prompt arriving: busybox login checks the password
 *                    against /etc/shadow (SHA-512 crypt, 5000 rounds),
 *                    changes to the user and starts its login shell,
 *                    which reads /etc/profile and prints PS1. Each login
 *                    is a fresh `login` on a fresh pty, ended with exit.
 *   busybox_sh_true  from writing "true" and Enter to the next prompt,
 *                    in one logged-in shell: the line discipline, the
 *                    shell reading, parsing and running a builtin, and
 *                    the prompt.
 *
 * The account (admin, password capos-dev, NOT FOR PRODUCTION) and
 * PS1='admin@linux> ' are written into the image by mkinitramfs.py.
 * Output from the pty is read into a window of WINDOW bytes that keeps
 * its tail, so a prompt split across reads is still found.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define WINDOW		4096
#define WAIT_MS		20000
#define PROMPT		"admin@linux> "

struct term {
	int fd;
	pid_t pid;
	char win[WINDOW + 1];
	size_t len;
};

/* devpts for posix_openpt; once. */
static int
pts_ready(void)
{
	static int done;

	if (done)
		return 0;
	if (mkdir("/dev/pts", 0755) != 0 && errno != EEXIST)
		return -1;
	if (mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=666") != 0 &&
	    errno != EBUSY)
		return -1;
	done = 1;
	return 0;
}

/* Starts busybox login on a new pty; 0, or an errno value. */
static int
term_login(struct term *t)
{
	char *const argv[] = { "login", NULL };
	char *const envp[] = { "PATH=/bin", "TERM=vt100", NULL };
	const char *name;
	int s;

	memset(t, 0, sizeof(*t));
	if (pts_ready() != 0)
		return errno;
	if ((t->fd = posix_openpt(O_RDWR | O_NOCTTY)) < 0)
		return errno;
	if (grantpt(t->fd) != 0 || unlockpt(t->fd) != 0 ||
	    (name = ptsname(t->fd)) == NULL) {
		close(t->fd);
		return errno;
	}
	if ((t->pid = fork()) < 0) {
		close(t->fd);
		return errno;
	}
	if (t->pid == 0) {
		setsid();
		if ((s = open(name, O_RDWR)) < 0)
			_exit(127);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		close(t->fd);
		execve("/bin/busybox", argv, envp);
		_exit(127);
	}
	return 0;
}

/*
 * Reads until `want` has appeared in what the pty printed since the last
 * wait; *at (if not NULL) is the TSC when it arrived. 0, or an errno value
 * (ETIMEDOUT, or EIO when the other side closed).
 */
static int
term_wait(struct term *t, const char *want, uint64_t *at)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	size_t k = strlen(want);
	ssize_t n;

	t->len = 0;
	for (;;) {
		t->win[t->len] = '\0';
		if (t->len >= k && memmem(t->win, t->len, want, k) != NULL) {
			if (at != NULL)
				*at = tsc_read();
			return 0;
		}
		if (t->len == WINDOW) {
			/* Keep the tail, which may hold the start of want. */
			memmove(t->win, t->win + WINDOW - k, k);
			t->len = k;
		}
		if (poll(&p, 1, WAIT_MS) <= 0)
			return ETIMEDOUT;
		n = read(t->fd, t->win + t->len, WINDOW - t->len);
		if (n <= 0)
			return EIO;
		t->len += (size_t)n;
	}
}

static int
term_type(struct term *t, const char *s)
{
	size_t n = strlen(s);

	return write(t->fd, s, n) == (ssize_t)n ? 0 : errno;
}

/* Ends the shell and waits for it. */
static void
term_close(struct term *t)
{
	int status;

	(void)term_type(t, "exit\n");
	close(t->fd);
	if (waitpid(t->pid, &status, 0) != t->pid)
		kill(t->pid, SIGKILL);
}

/* Logs in; the TSC cycles from the password's Enter to the prompt in
 * *cycles. 0, or an errno value (the term is closed then). */
static int
login_once(struct term *t, uint64_t *cycles)
{
	uint64_t t0, t1;
	int err;

	if ((err = term_login(t)) != 0)
		return err;
	if ((err = term_wait(t, "login: ", NULL)) != 0 ||
	    (err = term_type(t, "admin\n")) != 0 ||
	    (err = term_wait(t, "Password: ", NULL)) != 0)
		goto fail;
	t0 = tsc_read();
	if ((err = term_type(t, "capos-dev\n")) != 0 ||
	    (err = term_wait(t, PROMPT, &t1)) != 0)
		goto fail;
	*cycles = t1 - t0;
	return 0;
fail:
	term_close(t);
	return err;
}

static uint64_t
login_batch(void *ctx, uint64_t n)
{
	struct term *t = ctx;
	uint64_t sum = 0, c;
	int err;

	for (uint64_t i = 0; i < n; i++) {
		if ((err = login_once(t, &c)) != 0) {
			batch_failed(err);
			return sum;
		}
		sum += c;
		term_close(t);
	}
	return sum;
}

int
row_busybox_login(uint64_t n, double *cycles)
{
	static struct term t;

	return measure("busybox_login", login_batch, &t, n, cycles);
}

static uint64_t
true_batch(void *ctx, uint64_t n)
{
	struct term *t = ctx;
	uint64_t sum = 0, t0, t1;
	int err;

	for (uint64_t i = 0; i < n; i++) {
		t0 = tsc_read();
		if ((err = term_type(t, "true\n")) != 0 ||
		    (err = term_wait(t, PROMPT, &t1)) != 0) {
			batch_failed(err);
			return sum;
		}
		sum += t1 - t0;
	}
	return sum;
}

int
row_busybox_sh_true(uint64_t n, double *cycles)
{
	static struct term t;
	uint64_t c;
	int err, rc;

	if ((err = login_once(&t, &c)) != 0) {
		report_error("busybox_sh_true: login: %s", strerror(err));
		return -1;
	}
	rc = measure("busybox_sh_true", true_batch, &t, n, cycles);
	term_close(&t);
	return rc;
}

/*
 * The telnet row's Linux side (bench/telnet.py): busybox telnetd on port,
 * running /bin/login on a fresh pty for each connection, in the foreground
 * (-F) so that /init can end it. Returns its pid, or -1 after reporting.
 */
pid_t
telnetd_start(int port)
{
	char portarg[16];
	char *const argv[] = { "telnetd", "-F", "-p", portarg,
	    "-l", "/bin/login", NULL };
	char *const envp[] = { "PATH=/bin", NULL };
	pid_t pid;

	if (pts_ready() != 0) {
		report_error("telnetd: devpts: %s", strerror(errno));
		return -1;
	}
	snprintf(portarg, sizeof portarg, "%d", port);
	pid = fork();
	if (pid == 0) {
		execve("/bin/busybox", argv, envp);
		_exit(127);
	}
	if (pid < 0)
		report_error("telnetd: fork: %s", strerror(errno));
	return pid;
}

/*
 * The SSH rows' Linux side (bench/ssh.py): Dropbear on port, in the
 * foreground (-F) so that /init can end it, logging to the console (-E),
 * public keys only (-s), host keys made when a client first asks (-R).
 * Each login runs the account's shell on a fresh pty (or on pipes without
 * one). Returns its pid, or -1 after reporting.
 */
pid_t
sshd_start(int port)
{
	char portarg[16];
	char *const argv[] = { "dropbear", "-F", "-E", "-s", "-R", "-p",
	    portarg, NULL };
	char *const envp[] = { "PATH=/bin", NULL };
	pid_t pid;

	if (pts_ready() != 0) {
		report_error("dropbear: devpts: %s", strerror(errno));
		return -1;
	}
	snprintf(portarg, sizeof portarg, "%d", port);
	pid = fork();
	if (pid == 0) {
		execve("/usr/sbin/dropbear", argv, envp);
		_exit(127);
	}
	if (pid < 0)
		report_error("dropbear: fork: %s", strerror(errno));
	return pid;
}

void
server_stop(pid_t pid, const char *name)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) == pid) {
		report_error("%s exited early (status 0x%x)", name, status);
		return;
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}
