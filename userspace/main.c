// SPDX-License-Identifier: MIT
/* corolab: subcommand dispatch, like perf, bpftool and git. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "run a workload sequentially, on threads, coroutines or processes" },
	{ "trace", cmd_trace, "run a command under the eBPF tracer and reconcile with the kernel" },
	{ "serve", cmd_serve, "the built-in httpbin-compatible delay server" },
	{ "compare", cmd_compare, "compare run/trace JSON files side by side, with ratios" },
	{ "report", cmd_report, "write report.md and charts for a lab results directory" },
	{ "doctor", cmd_doctor, "what this kernel and machine support, and how to fix what is missing" },
};

static void usage(FILE *f)
{
	fprintf(f, "USAGE: corolab COMMAND [OPTIONS]\n\nCOMMANDS:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nEXAMPLES:\n"
		   "  corolab run sleep --mode all          # the write-up's 10 x 1 s sleep test, every mode\n"
		   "  corolab run http --mode coroutines    # 50 requests against the built-in server\n"
		   "  corolab trace --per-thread -- corolab run switch --mode threads\n"
		   "  corolab compare a.json b.json --fail-if 'wall_s>1.1x'\n"
		   "\n'corolab COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "corolab: unknown command '%s' (try 'corolab --help')\n", argv[1]);
	return 2;
}
