// SPDX-License-Identifier: MIT
/*
 * Description: libFuzzer harness for the JSON reader behind `corolab
 * compare` and `corolab report` (userspace/report/rdoc.c).  The input is a
 * file's bytes, loaded through a memfd path (/proc/self/fd/N: no temporary
 * files) with rdoc__load exactly as compare does, flattened entry by entry,
 * then compared with itself through cmd_compare (stdout/stderr are closed
 * by the runner, -close_fd_mask=3).  A refused file must say why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "report/rdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256] = "";
	struct rdoc d;
	int fd = memfd_create("fuzz-rdoc", MFD_CLOEXEC), ret;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = rdoc__load(&d, path, err, sizeof(err));
	if (ret) {
		if (!err[0])
			abort();	/* an error must name what is wrong */
	} else {
		struct flat f = { 0 };

		for (size_t i = 0; i < d.n; i++) {
			(void)flat__add_entry(&f, &d.e[i]);
			(void)rj_num(d.e[i].run ? d.e[i].run : d.e[i].trace, "totals.ctx_switches.voluntary");
			(void)rj_str(d.e[i].run ? d.e[i].run : d.e[i].trace, "mode");
		}
		for (size_t i = 0; i < f.n; i++)
			if (flat__get(&f, f.kv[i].key) == NULL)
				abort();
		flat__free(&f);
		rdoc__free(&d);
		{
			char *argv[] = { "compare", "--fail-if", "wall_s>1.1x", path, path, NULL };

			(void)cmd_compare(5, argv);
		}
	}
	close(fd);
	return 0;
}
