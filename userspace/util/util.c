// SPDX-License-Identifier: MIT
#include "util/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno)
		return -errno;
	if (*end || isnan(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *out_ns)
{
	static const struct { const char *sfx; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
	};
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno)
		return -errno;
	if (end == s || isnan(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx))
			continue;
		v *= units[i].mul;
		if (v > 1e18)
			return -ERANGE;
		*out_ns = (uint64_t)llround(v);
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	v *= mul;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int proc_status_field(const char *field, long *out)
{
	char line[256];
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/self/status", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) || line[flen] != ':')
			continue;
		*out = strtol(line + flen + 1, NULL, 10);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int proc_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

int proc_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own descriptor */
}

long proc_map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	long n = 0;
	int c;

	if (!f)
		return -errno;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	sigset_t stop, old;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* Ctrl-C or kill between open and rename would leave the temporary
	 * file behind: hold those signals until the file is in place (or
	 * gone); they are delivered right after. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	/* O_EXCL | O_NOFOLLOW: we run as root and results often go to /tmp,
	 * where anyone can plant a symlink at the predictable temporary name.
	 * A leftover of a dead process with our pid is removed (unlink does
	 * not follow symlinks) and the open retried once. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return err;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

json_t *json_text(const char *s, size_t n)
{
	char stackbuf[256], *out;
	size_t i = 0, o = 0;
	json_t *j;

	n = strnlen(s, n);
	out = n < sizeof(stackbuf) ? stackbuf : malloc(n + 1);
	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			     (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len && i + len <= n && (len > 1 || (c >= 0x20 && c != 0x7f));
		uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;

		for (size_t k = 1; ok && k < len; k++) {
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		}
		/* No overlong forms, surrogates or code points past U+10FFFF:
		 * jansson refuses those too. */
		if (ok && len > 1)
			ok = len == 2 ? cp >= 0x80 : len == 3 ? cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) :
							  cp >= 0x10000 && cp <= 0x10ffff;
		if (!ok) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	j = json_string(out);
	if (out != stackbuf)
		free(out);
	return j;
}

int json_write_file(json_t *root, const char *path)
{
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	int err;

	if (!s)
		return -ENOMEM;
	if (!strcmp(path, "-")) {
		err = (fputs(s, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout)) ? -EIO : 0;
	} else {
		size_t n = strlen(s);
		s[n] = '\n';	/* json_dumps' terminator becomes the final newline */
		err = write_file_atomic(path, s, n + 1);
	}
	free(s);
	return err;
}

int cgroup_read(const char *controller, const char *file, char *out, size_t len)
{
	char line[512], path[PATH_MAX], v1[PATH_MAX] = "", v2[PATH_MAX] = "";
	size_t cl = strlen(controller);
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	/* "ID:ctrl1,ctrl2:/path" (v1) or "0::/path" (v2). */
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		c2[strcspn(c2, "\n")] = 0;
		if (c2 == c1 + 1) {
			snprintf(v2, sizeof(v2), "%s", c2 + 1);
			continue;
		}
		for (char *t = c1 + 1; t < c2;) {
			size_t n = strcspn(t, ",:");

			if (n == cl && !strncmp(t, controller, cl))
				snprintf(v1, sizeof(v1), "%s", c2 + 1);
			t += n + 1;
		}
	}
	fclose(f);
	for (int k = 0; k < 2 && err; k++) {
		const char *cg = k == 0 ? v1 : v2;

		if (!*cg)
			continue;
		if (k == 0)
			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/%s", controller, cg, file);
		else
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", cg, file);
		err = read_first_line(path, out, len) ? -ENOENT : 0;
	}
	return err;
}

int read_first_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	out[0] = 0;
	if (!f)
		return -errno;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	else
		err = -EIO;
	fclose(f);
	return err;
}

int stderr_is_tty(void)
{
	return isatty(STDERR_FILENO);
}

double ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void cpu_idle_describe(char *out, size_t len)
{
	char drv[64], ns[32] = "";

	read_first_line("/sys/devices/system/cpu/cpuidle/current_driver", drv, sizeof(drv));
	/* haltpoll's window, only when haltpoll is the driver in use. */
	if (!strcmp(drv, "haltpoll"))
		read_first_line("/sys/module/haltpoll/parameters/guest_halt_poll_ns", ns, sizeof(ns));
	if (!drv[0] || !strcmp(drv, "none"))
		snprintf(out, len, "no cpuidle driver (the architecture's default idle)");
	else if (!strcmp(ns, "0"))
		snprintf(out, len, "cpuidle %s, no polling before halt: waking an idle CPU is an IPI "
			 "(in a VM, an exit)", drv);
	else if (ns[0])
		snprintf(out, len, "cpuidle %s, polls up to %s ns before halting", drv, ns);
	else
		snprintf(out, len, "cpuidle %s", drv);
}
