/* SPDX-License-Identifier: MIT */
/*
 * libcurl glue for the http workload: easy-handle setup and failure classes
 * shared by every mode, and curl's multi_socket API driven from a coroutine
 * loop (curl_glue.c).  Returns 0 / -errno; never prints.
 */
#ifndef COROLAB_CURL_GLUE_H
#define COROLAB_CURL_GLUE_H

#include <curl/curl.h>
#include <stdint.h>

#include "coro/coro.h"

enum http_class {
	HTTP_OK,
	HTTP_F_REFUSED,		/* CURLE_COULDNT_CONNECT */
	HTTP_F_TIMEOUT,		/* CURLE_OPERATION_TIMEDOUT */
	HTTP_F_STATUS,		/* a response with status >= 400 */
	HTTP_F_RESET,		/* recv/send error, empty reply, partial body */
	HTTP_F_OTHER,
	HTTP_NCLASSES
};

extern const char *const http_class_names[HTTP_NCLASSES];	/* JSON keys */

enum http_class http_classify(CURLcode rc, long status);

/* Configure e for one GET of url: no signals, timeouts, body counted into
 * *bytes, optional CURLOPT_RESOLVE list (so no resolver runs). */
int http_easy_setup(CURL *e, const char *url, uint64_t timeout_ns,
		    struct curl_slist *resolve, uint64_t *bytes);

/* curl's multi_socket API on the calling thread's coroutine loop: each
 * transfer's coroutine watches its own socket (a poller coroutine only for
 * sockets without one), one timer coroutine for curl's timeout.
 * cmulti__perform must run inside a coroutine of loop. */
struct cmulti;
int cmulti__new(struct cmulti **m, struct coro_loop *loop);
/* Run one transfer to completion on the calling coroutine: it starts the
 * transfer at once and polls the transfer's socket itself.  Returns the
 * transfer's CURLcode (>= 0), or -errno if it could not start (-ECANCELED
 * when the coroutine was cancelled: the transfer is abandoned). */
int cmulti__perform(struct cmulti *m, CURL *e);
/* Inside the loop, once no transfer is running: close curl's connections
 * and stop the pollers and the timer so that the loop can end. */
void cmulti__shutdown(struct cmulti *m);
void cmulti__free(struct cmulti *m);	/* after the loop finished */

/* "http://127.0.0.1:8080/x" -> a CURLOPT_RESOLVE list for its host when the
 * host is a name (resolved now, once, with getaddrinfo), NULL for IP
 * literals; -errno on a bad URL or failed resolution. */
int http_resolve_once(const char *url, struct curl_slist **out);

#endif
