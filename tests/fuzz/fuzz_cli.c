// SPDX-License-Identifier: MIT
/*
 * Description: libFuzzer harness for the `corolab run` command line and the
 * number parsers behind every subcommand's options.  The input is split at
 * NUL bytes into arguments; each goes through parse_long, parse_double,
 * parse_duration_ns and parse_size (results checked against their bounds),
 * then all of them through cmd_run as `run --dry-run ARGS...`, which parses
 * and validates exactly as a real run would and returns before running
 * anything (--dry-run comes first, so no fuzzed "--" can hide it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/util.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parsers(const char *s)
{
	long l;
	double d;
	uint64_t u;

	if (!parse_long(s, -5, 1000000, &l) && (l < -5 || l > 1000000))
		abort();
	if (!parse_double(s, 0, 1000, &d) && !(d >= 0 && d <= 1000))
		abort();
	(void)parse_duration_ns(s, &u);
	if (!parse_size(s, 8192, 1ull << 30, &u) && (u < 8192 || u > 1ull << 30))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 3];
	int argc = 0, rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	argv[argc++] = "run";
	argv[argc++] = "--dry-run";
	for (size_t off = 0; off <= size && argc < MAX_ARGS + 2;) {
		char *a = copy + off;

		parsers(a);
		argv[argc++] = a;
		off += strlen(a) + 1;
	}
	argv[argc] = NULL;
	rc = cmd_run(argc, argv);
	if (rc != 0 && rc != 2)
		abort();	/* validation only: success or usage error */
	free(copy);
	return 0;
}
