// SPDX-License-Identifier: MIT
/*
 * libcurl's multi_socket API driven from the coroutine loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back without socket activity (CURLMOPT_TIMERFUNCTION).  Each socket
 * gets a poller coroutine that awaits coro__poll (an io_uring poll) with the
 * interest curl asked for, then calls curl_multi_socket_action.  When curl
 * changes the interest of a socket whose poller is waiting, the poller's
 * poll is cancelled and re-armed; when curl removes the socket, the poller
 * is cancelled and exits.  curl's timeout is one timer coroutine parked with
 * a timeout (the runtime's timer heap, no kernel timer of its own).  A
 * transfer's coroutine adds its easy handle and parks until the
 * CURLMSG_DONE for that handle unparks it.
 *
 * curl forbids calling curl_multi_socket_action from inside its callbacks;
 * the callbacks here only record state and wake coroutines, which call back
 * into curl from their own stacks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/curl_glue.h"

const char *const http_class_names[HTTP_NCLASSES] = {
	"ok", "refused", "timeout", "http_status", "reset", "other",
};

enum http_class http_classify(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 400 ? HTTP_F_STATUS : HTTP_OK;
	case CURLE_COULDNT_CONNECT:
		return HTTP_F_REFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_F_TIMEOUT;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return HTTP_F_RESET;
	default:
		return HTTP_F_OTHER;
	}
}

static size_t count_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	*(uint64_t *)arg += size * n;
	return size * n;
}

int http_easy_setup(CURL *e, const char *url, uint64_t timeout_ns,
		    struct curl_slist *resolve, uint64_t *bytes)
{
	long ms = timeout_ns ? (long)((timeout_ns + 999999) / 1000000) : 0;
	CURLcode rc = CURLE_OK;

	/* Every option: one failure check at the end (curl keeps going). */
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, count_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, bytes);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");	/* ignore *_proxy env */
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "corolab/1");
	if (resolve)
		rc |= curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
	return rc ? -EINVAL : 0;
}

int http_resolve_once(const char *url, struct curl_slist **out)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL, entry[512];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	unsigned char tmp[16];
	char addr[INET6_ADDRSTRLEN];
	int err = 0;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		err = -EINVAL;
		goto out;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		err = -EINVAL;
		goto out;
	}
	/* IPv6 literals come back in brackets; literals need no resolver. */
	if (host[0] == '[' || inet_pton(AF_INET, host, tmp) == 1)
		goto out;
	if (getaddrinfo(host, NULL, &hints, &ai) || !ai) {
		err = -EHOSTUNREACH;
		goto out;
	}
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr, sizeof(addr));
	snprintf(entry, sizeof(entry), ai->ai_family == AF_INET6 ? "%s:%s:[%s]" : "%s:%s:%s",
		 host, port, addr);
	*out = curl_slist_append(NULL, entry);
	if (!*out)
		err = -ENOMEM;
out:
	if (ai)
		freeaddrinfo(ai);
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return err;
}

/* ---- multi_socket on the loop ------------------------------------------- */

struct csock {
	struct csock *prev, *next;	/* cmulti's list, for shutdown */
	struct cmulti *m;
	curl_socket_t fd;
	int what;		/* CURL_POLL_IN / OUT / INOUT */
	bool removed;		/* curl is done with it: the poller exits */
	bool polling;		/* the poller is inside coro__poll */
	struct coro *co;	/* the poller; NULL until it starts */
};

struct cmulti {
	CURLM *multi;
	struct coro_loop *loop;
	struct csock *socks;	/* every poller not finished yet */
	bool timer_running;	/* a timer coroutine exists (maybe not started) */
	struct coro *timer_co;	/* the timer coroutine once started */
	uint64_t deadline;	/* curl's timeout; 0: none */
	bool timer_parked;	/* the timer coroutine is inside coro__park */
	int err;		/* first spawn failure, reported to transfers */
};

struct transfer {
	struct coro *co;
	CURLcode rc;
	bool done;
};

/* Collect finished transfers and wake their coroutines. */
static void check_done(struct cmulti *m)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (!t)
			continue;
		t->rc = msg->data.result;
		t->done = true;
		coro__unpark(t->co, 0);
	}
}

static int poller_main(void *arg)
{
	struct csock *s = arg;
	struct cmulti *m = s->m;
	int running;

	s->co = coro__self();
	while (!s->removed) {
		unsigned ev = (s->what & CURL_POLL_IN ? POLLIN : 0) | (s->what & CURL_POLL_OUT ? POLLOUT : 0);
		int r, flags = 0;

		s->polling = true;
		r = coro__poll(s->fd, ev, 0);
		s->polling = false;
		if (s->removed)
			break;
		if (r == -ECANCELED)
			continue;	/* interest changed: poll again */
		if (r < 0)
			flags = CURL_CSELECT_ERR;
		else
			flags = (r & POLLIN ? CURL_CSELECT_IN : 0) | (r & POLLOUT ? CURL_CSELECT_OUT : 0) |
				(r & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(m->multi, s->fd, flags, &running);
		check_done(m);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		m->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
	return 0;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cmulti *m = userp;
	struct csock *s = socketp;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			s->removed = true;
			curl_multi_assign(m->multi, fd, NULL);
			/* A poller inside coro__poll is woken; one that is
			 * running (it called curl) sees removed when it loops. */
			if (s->polling && s->co)
				coro__cancel(s->co);
		}
		return 0;
	}
	if (s) {
		if (s->what != what) {
			s->what = what;
			if (s->polling && s->co && s->co != coro__self())
				coro__cancel(s->co);
		}
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->m = m;
	s->fd = fd;
	s->what = what;
	if (coro__spawn(m->loop, poller_main, s, "curl-sock", NULL)) {
		free(s);
		return -1;
	}
	curl_multi_assign(m->multi, fd, s);
	s->next = m->socks;
	if (m->socks)
		m->socks->prev = s;
	m->socks = s;
	return 0;
}

static int timer_main(void *arg)
{
	struct cmulti *m = arg;
	int running;

	m->timer_co = coro__self();
	while (m->deadline && m->multi) {
		uint64_t now = coro__now_ns(), wait = m->deadline > now ? m->deadline - now : 1;
		int r;

		m->timer_parked = true;
		r = coro__park(wait);	/* an unpark means: the deadline moved */
		m->timer_parked = false;
		if (r != -ETIMEDOUT)
			continue;
		if (!m->deadline || coro__now_ns() < m->deadline)
			continue;
		m->deadline = 0;
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		check_done(m);
	}
	m->timer_co = NULL;
	m->timer_running = false;
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct cmulti *m = userp;

	(void)multi;
	if (timeout_ms < 0) {
		m->deadline = 0;
	} else {
		/* 0 ms means "as soon as possible": 1 ns from now. */
		m->deadline = coro__now_ns() + (timeout_ms ? (uint64_t)timeout_ms * 1000000ull : 1);
	}
	if (m->timer_running) {
		/* Not started yet: it reads the deadline when it starts. */
		if (m->timer_co && m->timer_parked)
			coro__unpark(m->timer_co, 0);
	} else if (m->deadline) {
		if (coro__spawn(m->loop, timer_main, m, "curl-timer", NULL)) {
			m->err = -ENOMEM;
			return -1;
		}
		m->timer_running = true;
	}
	return 0;
}

int cmulti__new(struct cmulti **out, struct coro_loop *loop)
{
	struct cmulti *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return -ENOMEM;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* Keep every connection the run opens: trimming the cache walks it. */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, 100000L);
	*out = m;
	return 0;
}

int cmulti__perform(struct cmulti *m, CURL *e)
{
	struct transfer t = { .co = coro__self() };
	int r;

	if (!t.co)
		return -EPERM;
	curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK)
		return -EINVAL;
	while (!t.done) {
		r = coro__park(0);
		if (r == -ECANCELED && !t.done) {
			curl_multi_remove_handle(m->multi, e);
			curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
			return -ECANCELED;
		}
	}
	curl_multi_remove_handle(m->multi, e);
	curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
	return (int)t.rc;
}

void cmulti__shutdown(struct cmulti *m)
{
	if (!m || !m->multi)
		return;
	/* Closes the cached connections; curl reports their removal through
	 * on_socket, but make sure every poller goes whatever curl does. */
	curl_multi_cleanup(m->multi);
	m->multi = NULL;
	for (struct csock *s = m->socks; s; s = s->next) {
		s->removed = true;
		if (s->polling && s->co)
			coro__cancel(s->co);
	}
	m->deadline = 0;
	if (m->timer_co && m->timer_parked)
		coro__unpark(m->timer_co, 0);
}

void cmulti__free(struct cmulti *m)
{
	if (!m)
		return;
	if (m->multi)
		curl_multi_cleanup(m->multi);
	free(m);
}
