// SPDX-License-Identifier: MIT
/*
 * libcurl's multi_socket API driven from the coroutine loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back without socket activity (CURLMOPT_TIMERFUNCTION).
 *
 * Sockets are watched by the coroutine of the transfer that uses them: the
 * coroutine in cmulti__perform awaits coro__poll on its transfer's socket
 * with the interest curl asked for and calls curl_multi_socket_action
 * itself, until curl reports the transfer done.  No coroutine per socket: a
 * request costs one poll, not a spawn, a poll, a cancel and an exit (the
 * keep-alive throughput and the 10,000-connection ramp both paid for those).
 * When curl changes the interest of a socket, moves it to another transfer
 * or removes it, the watching coroutine is interrupted (coro__interrupt)
 * and looks again.  A socket curl names without a transfer of ours, or a
 * second socket of one transfer (happy eyeballs), gets a poller coroutine
 * of its own, the general fallback.
 *
 * A transfer starts at once on its own coroutine: after adding its handle
 * it runs curl's due timers (the new handle's is due now) instead of
 * waiting for the timer coroutine to do it for everyone.  Each transfer
 * thus connects and, since a fresh loopback connection is writable at
 * once, sends its request before the next transfer starts: 10,000
 * concurrent requests reach the server spread over the ramp instead of
 * after 10,000 connects, and their responses come back just as spread.
 * The write-readiness of a fresh socket is only a hint to curl: it checks
 * the connect itself (poll with timeout 0) and keeps waiting if it is not
 * done.
 *
 * curl's timeout is one timer coroutine parked with a timeout (the
 * runtime's timer heap, no kernel timer of its own); it is woken only when
 * the deadline moves earlier than what it sleeps for.
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
#include <strings.h>

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
	/* curl resolves "localhost" and *.localhost itself, to both loopback
	 * addresses, whatever /etc/hosts says (RFC 6761; here it lists only
	 * 127.0.0.1): a server on ::1 answers `curl http://localhost:PORT`. */
	{
		size_t hl = strlen(host);

		if (!strcasecmp(host, "localhost") || (hl > 10 && !strcasecmp(host + hl - 10, ".localhost"))) {
			snprintf(entry, sizeof(entry), "%s:%s:127.0.0.1,[::1]", host, port);
			*out = curl_slist_append(NULL, entry);
			err = *out ? 0 : -ENOMEM;
			goto out;
		}
	}
	if (getaddrinfo(host, NULL, &hints, &ai) || !ai) {
		err = -EHOSTUNREACH;
		goto out;
	}
	/* Every address, in the resolver's order, as curl would have tried
	 * them in turn: HOST:PORT:ADDR[,ADDR]..., IPv6 in brackets. */
	{
		size_t len = (size_t)snprintf(entry, sizeof(entry), "%s:%s:", host, port);
		int n = 0;

		for (struct addrinfo *a = ai; a && len < sizeof(entry); a = a->ai_next) {
			char item[INET6_ADDRSTRLEN + 4];

			if (a->ai_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr, addr, sizeof(addr));
			else if (a->ai_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, addr,
					  sizeof(addr));
			else
				continue;
			snprintf(item, sizeof(item), a->ai_family == AF_INET6 ? "[%s]" : "%s", addr);
			if (len + strlen(item) + 2 > sizeof(entry))
				break;
			len += (size_t)snprintf(entry + len, sizeof(entry) - len, "%s%s", n++ ? "," : "", item);
		}
		if (!n) {
			err = -EHOSTUNREACH;
			goto out;
		}
	}
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

struct transfer;

/* A socket curl asked us to watch (curl_multi_assign'ed to it). */
struct csock {
	struct csock *prev, *next;	/* cmulti's list of poller sockets, for shutdown */
	struct cmulti *m;
	curl_socket_t fd;	/* CURL_SOCKET_BAD: a transfer's empty slot */
	int what;		/* CURL_POLL_IN / OUT / INOUT */
	bool removed;		/* curl is done with it: the poller exits */
	bool fresh;		/* new, wants OUT: try curl before polling */
	struct transfer *owner;	/* whose coroutine watches it; NULL: a poller coroutine */
	struct coro *co;	/* the poller; NULL until it starts (owner == NULL) */
};

struct cmulti {
	CURLM *multi;
	struct coro_loop *loop;
	struct csock *socks;	/* every poller not finished yet */
	bool timer_running;	/* a timer coroutine exists (maybe not started) */
	struct coro *timer_co;	/* the timer coroutine once started */
	uint64_t deadline;	/* curl's timeout; 0: none */
	uint64_t armed;		/* what the parked timer sleeps until; UINT64_MAX: no timeout */
	bool timer_parked;	/* the timer coroutine is inside coro__park */
	bool adding;		/* inside curl_multi_add_handle: the caller runs the timers next */
	int err;		/* first spawn failure, reported to transfers */
};

struct transfer {
	struct coro *co;	/* the coroutine in cmulti__perform */
	struct csock sock;	/* the socket it watches itself; fd BAD: none */
	CURLcode rc;
	bool done;
	bool kicked;		/* its await was interrupted by us: look again */
};

/* Make the coroutine watching s, or the transfer t, look again: interrupt
 * its await if it is in one (a running or already woken coroutine reads
 * the new state anyway).  *kicked, when given, tells a transfer's
 * coroutine that the -ECANCELED was ours, not its caller's (a poller has no
 * caller: -ECANCELED always means "look again" there). */
static void kick(struct coro *co, bool *kicked)
{
	if (co && co != coro__self() && coro__interrupt(co) == 0 && kicked)
		*kicked = true;
}

static void sock_kick(struct csock *s)
{
	if (s->owner)
		kick(s->owner->co, &s->owner->kicked);
	else
		kick(s->co, NULL);
}

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
		kick(t->co, &t->kicked);
	}
}

/* Calls into curl run on the loop's stack (coro__call): curl's call chains
 * are deep, and on the coroutine's own stack they touched two more pages of
 * every transfer's stack (20,000 page faults for 10,000 requests). */
struct curl_call {
	struct cmulti *m;
	CURL *e;
	curl_socket_t fd;
	int flags;
};

static int drive_call(void *arg)
{
	struct curl_call *a = arg;
	int running;

	curl_multi_socket_action(a->m->multi, a->fd, a->flags, &running);
	check_done(a->m);
	return 0;
}

static void drive(struct cmulti *m, curl_socket_t fd, int flags)
{
	struct curl_call a = { .m = m, .fd = fd, .flags = flags };

	coro__call(drive_call, &a);
}

static int remove_call(void *arg)
{
	struct curl_call *a = arg;

	curl_multi_remove_handle(a->m->multi, a->e);
	return 0;
}

static unsigned poll_events(int what)
{
	return (what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0);
}

static int select_flags(int r)
{
	if (r < 0)
		return CURL_CSELECT_ERR;
	return (r & POLLIN ? CURL_CSELECT_IN : 0) | (r & POLLOUT ? CURL_CSELECT_OUT : 0) |
	       (r & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);
}

static int poller_main(void *arg)
{
	struct csock *s = arg;
	struct cmulti *m = s->m;

	s->co = coro__self();
	while (!s->removed) {
		int r;

		if (s->fresh) {
			s->fresh = false;
			r = POLLOUT;
		} else {
			r = coro__poll(s->fd, poll_events(s->what), 0);
		}
		if (s->removed)
			break;
		if (r == -ECANCELED)
			continue;	/* interest changed (or shutdown): look again */
		drive(m, s->fd, select_flags(r));
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

/* curl is done with s (REMOVE: curl forgets it right after this callback,
 * no need to unassign) or moved it to another transfer (unassign). */
static void sock_release(struct cmulti *m, struct csock *s, bool unassign)
{
	if (unassign)
		curl_multi_assign(m->multi, s->fd, NULL);
	if (s->owner) {
		s->fd = CURL_SOCKET_BAD;
		s->what = 0;
		s->fresh = false;
	} else {
		s->removed = true;
	}
	sock_kick(s);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cmulti *m = userp;
	struct csock *s = socketp;
	struct transfer *t = NULL;

	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_release(m, s, false);
		return 0;
	}
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
	if (s && s->owner && s->owner != t) {
		/* A connection handed from one transfer to the next. */
		sock_release(m, s, true);
		s = NULL;
	}
	if (s) {
		if (s->what != what) {
			s->what = what;
			sock_kick(s);
		}
		return 0;
	}
	if (t && t->sock.fd == CURL_SOCKET_BAD) {
		s = &t->sock;
		s->fd = fd;
		s->what = what;
		s->fresh = what & CURL_POLL_OUT;
		curl_multi_assign(m->multi, fd, s);
		sock_kick(s);
		return 0;
	}
	/* No transfer of ours, or its second socket: a poller of its own. */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->m = m;
	s->fd = fd;
	s->what = what;
	s->fresh = what & CURL_POLL_OUT;
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

/* Wake the timer coroutine if curl's deadline is now earlier than what it
 * sleeps for; a later one it finds when it wakes (moving deadlines later,
 * as every socket action does, costs nothing). */
static void timer_sync(struct cmulti *m)
{
	if (m->deadline && m->timer_co && m->timer_parked && m->deadline < m->armed)
		coro__unpark(m->timer_co, 0);
}

static int timer_main(void *arg)
{
	struct cmulti *m = arg;

	m->timer_co = coro__self();
	while (m->multi) {
		uint64_t now = coro__now_ns();
		int r;

		if (m->deadline && m->deadline <= now) {
			m->deadline = 0;
			drive(m, CURL_SOCKET_TIMEOUT, 0);
			continue;
		}
		m->armed = m->deadline ? m->deadline : UINT64_MAX;
		m->timer_parked = true;
		r = coro__park(m->deadline ? m->deadline - now : 0);
		m->timer_parked = false;
		if (r == -ECANCELED)
			break;
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
	if (!m->timer_running && m->deadline) {
		/* Lives until cmulti__shutdown, parked while there is no deadline. */
		if (coro__spawn(m->loop, timer_main, m, "curl-timer", NULL)) {
			m->err = -ENOMEM;
			return -1;
		}
		m->timer_running = true;
	}
	if (!m->adding)
		timer_sync(m);
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
	struct csock *s = &t.sock;
	int err = 0;

	if (!t.co)
		return -EPERM;
	s->m = m;
	s->fd = CURL_SOCKET_BAD;
	s->owner = &t;
	curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
	m->adding = true;
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK) {	/* shallow: no coro__call */
		m->adding = false;
		curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
		return -EINVAL;
	}
	m->adding = false;
	/* Start now, on this stack: the new handle's timer is due. */
	drive(m, CURL_SOCKET_TIMEOUT, 0);
	timer_sync(m);
	while (!t.done) {
		curl_socket_t fd = s->fd;
		int r;

		if (fd == CURL_SOCKET_BAD) {
			r = coro__park(0);	/* until a socket or the end */
		} else if (s->fresh) {
			s->fresh = false;
			r = POLLOUT;
		} else {
			r = coro__poll(fd, poll_events(s->what), 0);
		}
		if (r == -ECANCELED && !t.kicked) {
			err = -ECANCELED;	/* cancelled by our caller */
			break;
		}
		t.kicked = false;
		if (t.done || r == -ECANCELED || fd == CURL_SOCKET_BAD || s->fd != fd)
			continue;	/* something changed: look again */
		drive(m, fd, select_flags(r));
	}
	coro__call(remove_call, &(struct curl_call){ .m = m, .e = e });
	curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
	if (s->fd != CURL_SOCKET_BAD) {
		/* curl still watches a socket we watched: hand it to a poller
		 * (our slot goes away with this frame). */
		struct csock *p = calloc(1, sizeof(*p));

		curl_multi_assign(m->multi, s->fd, NULL);
		if (p) {
			*p = (struct csock){ .m = m, .fd = s->fd, .what = s->what };
			if (coro__spawn(m->loop, poller_main, p, "curl-sock", NULL)) {
				free(p);
			} else {
				curl_multi_assign(m->multi, p->fd, p);
				p->next = m->socks;
				if (m->socks)
					m->socks->prev = p;
				m->socks = p;
			}
		}
	}
	return err ? err : (int)t.rc;
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
		sock_kick(s);
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
