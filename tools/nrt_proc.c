// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The trn clients of every readable process, from /proc/PID/fdinfo.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nrt_proc.h"

#define NRT_PROC_DEFAULT_ROOT "/proc"
/* An fdinfo file of a DRM client is a few hundred bytes. */
#define NRT_PROC_FDINFO_MAX 4096

ssize_t nrt_proc_read_text(int dirfd, const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd, err;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

const char *nrt_proc_root(void)
{
	const char *root = secure_getenv("NRT_PROC_ROOT");

	return root && *root ? root : NRT_PROC_DEFAULT_ROOT;
}

/* --- fdinfo ------------------------------------------------------------- */

/*
 * Parse "<digits>[ <unit>]" of @len bytes at @s, where the units allowed
 * are the @nunits entries of @units with their multipliers. No unit means
 * a multiplier of 1 when @bare is set. Return: false if malformed or too
 * large.
 */
struct nrt_proc_unit {
	const char *name;
	unsigned int shift;
};

static bool nrt_proc_parse_value(const char *s, size_t len,
				 const struct nrt_proc_unit *units,
				 size_t nunits, bool bare, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, u;

	if (!len || !isdigit((unsigned char)s[0]))
		return false;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len) {
		if (!bare)
			return false;
		*out = v;
		return true;
	}
	for (u = 0; u < nunits; u++) {
		size_t ulen = strlen(units[u].name);

		if (len - i != ulen || memcmp(s + i, units[u].name, ulen))
			continue;
		if (units[u].shift && v > UINT64_MAX >> units[u].shift)
			return false;
		*out = v << units[u].shift;
		return true;
	}
	return false;
}

static const struct nrt_proc_unit nrt_proc_size_units[] = {
	{ "B", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 },
};
static const struct nrt_proc_unit nrt_proc_time_units[] = { { "ns", 0 } };

/* Copy the value of @len bytes to @dst if it fits, else leave @dst empty. */
static void nrt_proc_copy_str(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* What a key stores: a size, a time or a plain count, and where. */
struct nrt_proc_key {
	const char *key;
	size_t offset;
	const struct nrt_proc_unit *units;
	size_t nunits;
	bool bare;
};

#define NRT_PROC_FIELD(f) offsetof(struct nrt_proc_fdinfo, f)
#define NRT_PROC_SIZE(k, f) { k, NRT_PROC_FIELD(f), nrt_proc_size_units, \
	sizeof(nrt_proc_size_units) / sizeof(nrt_proc_size_units[0]), true }
#define NRT_PROC_TIME(k, f) { k, NRT_PROC_FIELD(f), nrt_proc_time_units, 1, false }
#define NRT_PROC_COUNT(k, f) { k, NRT_PROC_FIELD(f), NULL, 0, true }

static const struct nrt_proc_key nrt_proc_keys[] = {
	NRT_PROC_COUNT("drm-client-id", client_id),
	NRT_PROC_SIZE("drm-total-hbm", hbm_total),
	NRT_PROC_SIZE("drm-resident-hbm", hbm_resident),
	NRT_PROC_SIZE("drm-total-memory", host_total),
	NRT_PROC_SIZE("drm-resident-memory", host_resident),
	NRT_PROC_TIME("drm-engine-dma", dma_ns),
	NRT_PROC_TIME("drm-engine-core", core_ns),
	NRT_PROC_COUNT("drm-engine-capacity-dma", dma_capacity),
	NRT_PROC_COUNT("drm-engine-capacity-core", core_capacity),
};

/* One "key:<blanks>value" line of @len bytes, without its newline. */
static void nrt_proc_parse_line(const char *line, size_t len,
				struct nrt_proc_fdinfo *out)
{
	const char *colon = memchr(line, ':', len);
	const char *val;
	size_t klen, vlen, k;
	uint64_t v;

	if (!colon)
		return;
	klen = (size_t)(colon - line);
	val = colon + 1;
	vlen = len - klen - 1;
	while (vlen && (*val == ' ' || *val == '\t')) {
		val++;
		vlen--;
	}
	while (vlen && isspace((unsigned char)val[vlen - 1]))
		vlen--;

	if (klen == strlen("drm-driver") && !memcmp(line, "drm-driver", klen)) {
		nrt_proc_copy_str(out->driver, sizeof(out->driver), val, vlen);
		return;
	}
	if (klen == strlen("drm-pdev") && !memcmp(line, "drm-pdev", klen)) {
		nrt_proc_copy_str(out->pdev, sizeof(out->pdev), val, vlen);
		return;
	}
	for (k = 0; k < sizeof(nrt_proc_keys) / sizeof(nrt_proc_keys[0]); k++) {
		const struct nrt_proc_key *key = &nrt_proc_keys[k];

		if (klen != strlen(key->key) || memcmp(line, key->key, klen))
			continue;
		if (nrt_proc_parse_value(val, vlen, key->units, key->nunits,
					 key->bare, &v))
			memcpy((char *)out + key->offset, &v, sizeof(v));
		return;
	}
}

bool nrt_proc_parse_fdinfo(const char *text, struct nrt_proc_fdinfo *out)
{
	const char *p = text;
	size_t k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < sizeof(nrt_proc_keys) / sizeof(nrt_proc_keys[0]); k++)
		memcpy((char *)out + nrt_proc_keys[k].offset,
		       &(uint64_t){ NRT_PROC_NA }, sizeof(uint64_t));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		nrt_proc_parse_line(p, len, out);
		p += len + (nl ? 1 : 0);
	}
	return !strcmp(out->driver, "trn") && out->pdev[0] &&
	       out->client_id != NRT_PROC_NA;
}

/* --- the process scan ----------------------------------------------------- */

struct nrt_proc_list {
	struct nrt_proc_client *v;
	size_t n, cap;
};

static int nrt_proc_add(struct nrt_proc_list *l, const struct nrt_proc_client *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nrt_proc_client *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *c;
	return 0;
}

/* Parse a file name of digits only as a number; -1 for any other name. */
static long nrt_proc_number(const char *name)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)name[0]))
		return -1;
	errno = 0;
	v = strtol(name, &end, 10);
	return errno || *end || v > INT_MAX ? -1 : v;
}

/*
 * An fd whose link can be read and does not name an accel device node
 * (a file, socket or pipe) is no DRM client: skip reading its fdinfo.
 * A link that cannot be read (another user's process, a test tree without
 * fd/) says nothing: its fdinfo decides.
 */
static bool nrt_proc_maybe_accel(int piddir, const char *fdname)
{
	char path[NAME_MAX + 4], target[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "fd/%s", fdname);
	len = readlinkat(piddir, path, target, sizeof(target) - 1);
	if (len < 0)
		return true;
	target[len] = '\0';
	return strstr(target, "accel") != NULL;
}

static void nrt_proc_identity(int piddir, struct nrt_proc_client *c)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];
	struct stat st;
	ssize_t len, i;

	c->uid = fstat(piddir, &st) ? (uid_t)-1 : st.st_uid;
	if (c->uid != (uid_t)-1 &&
	    !getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &res) && res &&
	    strlen(pw.pw_name) < sizeof(c->user))
		strcpy(c->user, pw.pw_name);
	else
		snprintf(c->user, sizeof(c->user), "%ld",
			 c->uid == (uid_t)-1 ? -1L : (long)c->uid);

	len = nrt_proc_read_text(piddir, "comm", c->comm, sizeof(c->comm));
	if (len <= 0)
		c->comm[0] = '\0';
	else if (c->comm[len - 1] == '\n')
		c->comm[--len] = '\0';
	/*
	 * Any process names itself (prctl(PR_SET_NAME)): only printable ASCII
	 * reaches terminals, JSON and Prometheus labels.
	 */
	for (i = 0; i < len; i++) {
		if (!isprint((unsigned char)c->comm[i]))
			c->comm[i] = '?';
	}

	len = nrt_proc_read_text(piddir, "cmdline", c->cmdline,
				 sizeof(c->cmdline));
	/* Arguments are NUL-separated (and end with a NUL). */
	while (len > 0 && c->cmdline[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++) {
		if (c->cmdline[i] == '\0' || !isprint((unsigned char)c->cmdline[i]))
			c->cmdline[i] = ' ';
	}
	if (len <= 0)
		snprintf(c->cmdline, sizeof(c->cmdline), "%s", c->comm);
	else
		c->cmdline[len] = '\0';
}

/* Add the trn clients of one process; -1 only when out of memory. */
static int nrt_proc_scan_pid(int rootfd, const char *name, pid_t pid,
			     struct nrt_proc_list *l)
{
	struct nrt_proc_client c;
	char text[NRT_PROC_FDINFO_MAX];
	size_t first = l->n, i;
	ssize_t len;
	bool have_identity = false;
	struct dirent *de;
	int piddir, fdinfo;
	DIR *dir;
	int ret = 0;

	piddir = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return 0;
	fdinfo = openat(piddir, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fdinfo < 0 ? NULL : fdopendir(fdinfo);
	if (!dir) {
		if (fdinfo >= 0)
			close(fdinfo);
		close(piddir);
		return 0;
	}
	while ((de = readdir(dir))) {
		bool dup = false;

		if (nrt_proc_number(de->d_name) < 0 ||
		    !nrt_proc_maybe_accel(piddir, de->d_name))
			continue;
		len = nrt_proc_read_text(fdinfo, de->d_name, text, sizeof(text));
		if (len <= 0)
			continue;
		/* A file larger than the buffer: its cut-off last line is no value */
		if ((size_t)len == sizeof(text) - 1 && text[len - 1] != '\n') {
			char *nl = strrchr(text, '\n');

			if (!nl)
				continue;
			nl[1] = '\0';
		}
		memset(&c, 0, sizeof(c));
		if (!nrt_proc_parse_fdinfo(text, &c.fd))
			continue;
		for (i = first; i < l->n && !dup; i++)
			dup = l->v[i].fd.client_id == c.fd.client_id &&
			      !strcmp(l->v[i].fd.pdev, c.fd.pdev);
		if (dup)
			continue;
		if (!have_identity) {
			nrt_proc_identity(piddir, &c);
			have_identity = true;
		} else {
			c.uid = l->v[first].uid;
			memcpy(c.user, l->v[first].user, sizeof(c.user));
			memcpy(c.comm, l->v[first].comm, sizeof(c.comm));
			memcpy(c.cmdline, l->v[first].cmdline, sizeof(c.cmdline));
		}
		c.pid = pid;
		if (nrt_proc_add(l, &c)) {
			ret = -1;
			break;
		}
	}
	closedir(dir);
	close(piddir);
	return ret;
}

static int nrt_proc_cmp(const void *a, const void *b)
{
	const struct nrt_proc_client *x = a, *y = b;
	int c;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	c = strcmp(x->fd.pdev, y->fd.pdev);
	if (c)
		return c;
	if (x->fd.client_id != y->fd.client_id)
		return x->fd.client_id < y->fd.client_id ? -1 : 1;
	return 0;
}

int nrt_proc_scan(struct nrt_proc_client **out, size_t *n)
{
	struct nrt_proc_list l = { NULL, 0, 0 };
	struct dirent *de;
	int rootfd, err;
	DIR *dir;

	*out = NULL;
	*n = 0;
	rootfd = open(nrt_proc_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	dir = fdopendir(rootfd);
	if (!dir) {
		err = errno;
		close(rootfd);
		errno = err;
		return -1;
	}
	while ((de = readdir(dir))) {
		long pid = nrt_proc_number(de->d_name);

		if (pid <= 0)
			continue;
		if (nrt_proc_scan_pid(rootfd, de->d_name, (pid_t)pid, &l)) {
			closedir(dir);
			free(l.v);
			errno = ENOMEM;
			return -1;
		}
	}
	closedir(dir);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), nrt_proc_cmp);
	*out = l.v;
	*n = l.n;
	return 0;
}
