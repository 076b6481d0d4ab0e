// SPDX-License-Identifier: MIT
/* HTTP/1.x request-head parser (see http_parse.h).  Strict where leniency
 * would be a smuggling or crash risk (bare LF is accepted, obs-fold and
 * control characters are not, conflicting Content-Length is refused). */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http/http_parse.h"

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Find the end of the line starting at p: returns the index of '\n' or -1. */
static long line_end(const char *buf, size_t from, size_t len)
{
	const char *nl = memchr(buf + from, '\n', len - from);

	return nl ? (long)(nl - buf) : -1;
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* Does a comma-separated header value contain token lit? */
static bool list_has(const char *v, size_t n, const char *lit)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (token_eq(v + s, e - s, lit))
			return true;
	}
	return false;
}

static int parse_request_line(const char *p, size_t n, struct http_req *r)
{
	size_t i = 0, t0;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return -EBADMSG;
	r->method = p;
	r->method_len = i;
	t0 = ++i;
	/* request-target: visible ASCII only; origin-form or absolute-form. */
	while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i == t0 || i >= n || p[i] != ' ')
		return -EBADMSG;
	{
		const char *t = p + t0;
		size_t tl = i - t0;
		const char *q;

		if (t[0] != '/') {
			/* absolute-form: http://host/path -> keep the path. */
			const char *s;

			if (tl < 8 || strncasecmp(t, "http://", 7))
				return -EBADMSG;
			s = memchr(t + 7, '/', tl - 7);
			if (!s)
				return -EBADMSG;
			tl -= (size_t)(s - t);
			t = s;
		}
		q = memchr(t, '?', tl);
		r->path = t;
		r->path_len = q ? (size_t)(q - t) : tl;
		r->query = q ? q + 1 : NULL;
		r->query_len = q ? tl - r->path_len - 1 : 0;
	}
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) || (p[i + 7] != '0' && p[i + 7] != '1'))
		return -EBADMSG;
	r->minor = p[i + 7] - '0';
	return 0;
}

int http_parse_request(const char *buf, size_t len, size_t max_head, struct http_req *r)
{
	size_t pos = 0, scan = len < max_head ? len : max_head;
	bool have_cl = false, conn_close = false, conn_keep = false;
	long e;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: ignore at least one empty line before the request. */
	while (pos < scan && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	e = line_end(buf, pos, scan);
	if (e < 0)
		return len >= max_head ? -EMSGSIZE : 0;
	{
		size_t n = (size_t)e - pos;

		if (n && buf[pos + n - 1] == '\r')
			n--;
		if (parse_request_line(buf + pos, n, r))
			return -EBADMSG;
	}
	pos = (size_t)e + 1;
	for (;;) {
		size_t n, c, vs, ve;
		const char *l;

		e = line_end(buf, pos, scan);
		if (e < 0)
			return len >= max_head ? -EMSGSIZE : 0;
		l = buf + pos;
		n = (size_t)e - pos;
		if (n && l[n - 1] == '\r')
			n--;
		pos = (size_t)e + 1;
		if (n == 0)
			break;	/* end of head */
		if (r->nhdrs == HTTP_MAX_HEADERS)
			return -EMSGSIZE;
		for (c = 0; c < n && is_tchar((unsigned char)l[c]); c++)
			;
		/* No blank before the colon (smuggling vector), no obs-fold. */
		if (c == 0 || c >= n || l[c] != ':')
			return -EBADMSG;
		vs = c + 1;
		while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
			vs++;
		ve = n;
		while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
			ve--;
		for (size_t k = vs; k < ve; k++) {
			unsigned char ch = (unsigned char)l[k];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -EBADMSG;
		}
		{
			struct http_hdr *h = &r->hdrs[r->nhdrs++];

			h->name = l;
			h->name_len = (uint16_t)c;
			h->value = l + vs;
			h->value_len = (uint16_t)(ve - vs);
			if (http_hdr_is(h, "content-length")) {
				uint64_t v = 0;

				if (!h->value_len)
					return -EBADMSG;
				for (size_t k = 0; k < h->value_len; k++) {
					if (h->value[k] < '0' || h->value[k] > '9' || v > UINT64_MAX / 16)
						return -EBADMSG;
					v = v * 10 + (uint64_t)(h->value[k] - '0');
				}
				if (have_cl && v != r->content_length)
					return -EBADMSG;
				have_cl = true;
				r->content_length = v;
			} else if (http_hdr_is(h, "transfer-encoding")) {
				r->chunked = true;	/* any coding: we accept no such body */
			} else if (http_hdr_is(h, "connection")) {
				conn_close |= list_has(h->value, h->value_len, "close");
				conn_keep |= list_has(h->value, h->value_len, "keep-alive");
			} else if (http_hdr_is(h, "host")) {
				if (r->host)
					return -EBADMSG;
				r->host = h->value;
				r->host_len = h->value_len;
			}
		}
	}
	if (r->chunked && have_cl)
		return -EBADMSG;
	if (r->minor == 1 && !r->host)
		return -EBADMSG;	/* RFC 9112 3.2: HTTP/1.1 requires Host */
	r->keep_alive = r->minor == 1 ? !conn_close : conn_keep && !conn_close;
	return (int)pos;
}

bool http_hdr_is(const struct http_hdr *h, const char *name)
{
	return token_eq(h->name, h->name_len, name);
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 418: return "I'm a teapot";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
	}
}
