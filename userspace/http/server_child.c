// SPDX-License-Identifier: MIT
/*
 * The built-in server in a child process, so that none of its work (CPU,
 * context switches, page faults) is counted as the workload's.  fork without
 * exec: the test programs link the library without main.c, so
 * /proc/self/exe is not always corolab; the child runs server__run directly
 * under the name "corolab-serve".  Call this before the workload starts any
 * thread (fork copies only the calling thread).
 *
 * rusage: reaping the child adds its usage to RUSAGE_CHILDREN of the parent,
 * which no figure reads: the http workload reports RUSAGE_SELF, and in
 * processes mode the pool's workers' own wait4 rusage (exec's pool).  `corolab
 * run` starts and stops the server outside its measured window (run.c), so
 * the fork and the wait for the port are not the workload's either.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "http/http.h"

static void tell_port(void *arg, const char *addr, int port)
{
	int fd = *(int *)arg;

	(void)addr;
	dprintf(fd, "%d\n", port);
	close(fd);
	*(int *)arg = -1;
}

int server_child__start(struct server_child *sc, const struct serve_opts *o)
{
	int p[2], err;
	char buf[32];
	ssize_t n = 0;
	pid_t pid;

	sc->pid = -1;
	sc->port = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		int wfd = p[1];

		close(p[0]);
		prctl(PR_SET_NAME, "corolab-serve");
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);	/* the parent is already gone */
		serve_raise_nofile();
		_exit(server__run(o, tell_port, &wfd, NULL) ? 1 : 0);
	}
	close(p[1]);
	/* Wait up to 5 s for the port line. */
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int r = poll(&pfd, 1, 5000);
		ssize_t k;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		k = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n);
		if (k <= 0)
			break;
		n += k;
		if (memchr(buf, '\n', (size_t)n) || (size_t)n >= sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	buf[n] = 0;
	sc->pid = pid;
	sc->port = atoi(buf);
	if (sc->port <= 0) {
		server_child__stop(sc);
		return -EIO;
	}
	return 0;
}

int server_child__stop(struct server_child *sc)
{
	int status;

	if (sc->pid <= 0)
		return 0;
	kill(sc->pid, SIGTERM);
	while (waitpid(sc->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			sc->pid = -1;
			return -errno;
		}
	}
	sc->pid = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
