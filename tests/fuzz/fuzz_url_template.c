// SPDX-License-Identifier: MIT
/*
 * Description: libFuzzer harness for --url templates: http_url_expand (the
 * code the http workload runs per request) and http_url_template_check
 * (what `corolab run` validates up front).  Input: 1 byte output capacity
 * selector, 8 bytes request index, 8 bytes delay scale, then the template.
 * Checks: the output is NUL-terminated inside its capacity and errors are
 * the documented ones (the check also fills in a reason).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200], *tmpl, *out;
	size_t cap;
	long i;
	double scale;
	int err;

	if (size < 17)
		return 0;
	cap = data[0] < 200 ? data[0] : 2048;	/* small caps hit the bounds */
	memcpy(&i, data + 1, sizeof(i));
	memcpy(&scale, data + 9, sizeof(scale));
	tmpl = strndup((const char *)data + 17, size - 17);
	out = malloc(cap ? cap : 1);
	if (!tmpl || !out)
		goto out;
	err = http_url_expand(tmpl, i, scale, out, cap);
	if (!err && strnlen(out, cap) >= cap)
		abort();
	if (err && err != -EINVAL && err != -ENAMETOOLONG)
		abort();
	why[0] = 0;
	err = http_url_template_check(tmpl, why, sizeof(why));
	if (err && (err != -EINVAL || !why[0]) && err != -ENOMEM)
		abort();
out:
	free(tmpl);
	free(out);
	return 0;
}
