// SPDX-License-Identifier: MIT
/* Description: coroutine I/O through io_uring: pipe read/write, poll, TCP
 * accept/connect/send/recv on 127.0.0.1, linked timeouts (-ETIMEDOUT),
 * cancelling a pending read (-ECANCELED), and no leaked descriptors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro/coro.h"
#include "test.h"
#include "util/util.h"

static int pfd[2];

static int reader(void *arg)
{
	char buf[16] = { 0 };
	ssize_t n;

	(void)arg;
	T_ASSERT(coro__poll(pfd[0], POLLIN, 0) & POLLIN, "poll");
	n = coro__read(pfd[0], buf, sizeof(buf), 0);
	T_ASSERT(n == 5 && !memcmp(buf, "hello", 5), "read %zd", n);
	/* Nothing more comes: the timeout fires. */
	n = coro__read(pfd[0], buf, sizeof(buf), 20000000);
	T_ASSERT(n == -ETIMEDOUT, "read with timeout gave %zd", n);
	return 0;
}

static int writer(void *arg)
{
	(void)arg;
	coro__sleep_ns(5000000);
	T_ASSERT(coro__write(pfd[1], "hello", 5, 0) == 5, "write");
	return 0;
}

static int blocked_reader(void *arg)
{
	char buf[4];

	(void)arg;
	return (int)coro__read(pfd[0], buf, sizeof(buf), 0);
}

static int cancel_it(void *arg)
{
	coro__sleep_ns(2000000);
	T_ASSERT(coro__cancel(arg) == 0, "cancel");
	return 0;
}

static struct sockaddr_in addr;
static int lfd;

static int server(void *arg)
{
	char buf[64];
	int fd;
	ssize_t n;

	(void)arg;
	fd = coro__accept(lfd, NULL, NULL, SOCK_CLOEXEC, 0);
	T_ASSERT(fd >= 0, "accept %d", fd);
	n = coro__recv(fd, buf, sizeof(buf), 0, 0);
	T_ASSERT(n == 4 && !memcmp(buf, "ping", 4), "recv %zd", n);
	T_ASSERT(coro__send(fd, "pong", 4, 0, 0) == 4, "send");
	close(fd);
	return 0;
}

static int client(void *arg)
{
	char buf[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	(void)arg;
	T_ASSERT(fd >= 0, "socket");
	T_ASSERT(coro__connect(fd, (struct sockaddr *)&addr, sizeof(addr), 1000000000) == 0, "connect");
	T_ASSERT(coro__send(fd, "ping", 4, 0, 0) == 4, "send");
	n = coro__recv(fd, buf, sizeof(buf), 0, 1000000000);
	T_ASSERT(n == 4 && !memcmp(buf, "pong", 4), "recv %zd", n);
	n = coro__recv(fd, buf, sizeof(buf), 0, 1000000000);
	T_ASSERT(n == 0, "eof %zd", n);
	close(fd);
	return 0;
}

int main(void)
{
	struct coro_loop *l;
	struct coro *c;
	socklen_t alen = sizeof(addr);
	int fds_before = proc_fd_count(), rc, err;

	err = loop__new(&l, NULL);
	if (err == -ENOSYS || err == -EPERM)
		T_SKIP("io_uring unavailable (%s)", strerror(-err));
	T_ASSERT(err == 0, "loop__new %d", err);

	T_ASSERT(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
	coro__spawn(l, reader, NULL, "reader", NULL);
	coro__spawn(l, writer, NULL, "writer", NULL);
	T_ASSERT(loop__run(l) == 0, "run pipes");

	coro__spawn(l, blocked_reader, NULL, "blocked", &c);
	coro__spawn(l, cancel_it, c, "canceller", NULL);
	T_ASSERT(loop__run(l) == 0, "run cancel");
	T_ASSERT(coro__join(c, &rc) == 0 && rc == -ECANCELED, "cancelled read gave %d", rc);
	close(pfd[0]);
	close(pfd[1]);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind");
	T_ASSERT(listen(lfd, 16) == 0, "listen");
	T_ASSERT(getsockname(lfd, (struct sockaddr *)&addr, &alen) == 0, "getsockname");
	coro__spawn(l, server, NULL, "server", NULL);
	coro__spawn(l, client, NULL, "client", NULL);
	T_ASSERT(loop__run(l) == 0, "run tcp");
	close(lfd);

	loop__free(l);
	T_ASSERT(proc_fd_count() == fds_before, "fd leak: %d before, %d after", fds_before,
		 proc_fd_count());
	return T_EXIT_PASS;
}
