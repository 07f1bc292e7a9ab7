// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Helpers for the tools of the debug guest kernel; see kdebug.h.
 */
#include "kdebug.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t kd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool kd_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int kd_write(const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	ssize_t n;
	int fd, len, ret = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int kd_read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* --- where a module's code is ------------------------------------------- */

static int kd_section_addr(const char *module, const char *name, uint64_t *addr)
{
	char path[256];

	if (strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/module/%s/sections/%s", module, name);
	return kd_read_u64(path, addr);
}

int kd_module_text(const char *ko, const char *module, struct kd_text *t)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *names;
	struct stat st;
	void *map;
	int fd, ret = -ENOENT;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->start = UINT64_MAX;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)st.st_size ||
	    eh->e_shstrndx >= eh->e_shnum) {
		ret = -EINVAL;
		goto out;
	}
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	if (sh[eh->e_shstrndx].sh_offset >= (uint64_t)st.st_size) {
		ret = -EINVAL;
		goto out;
	}
	names = (const char *)map + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name;
		uint64_t addr;

		if ((sh[i].sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR) ||
		    !sh[i].sh_size || !strncmp(name, ".init", 5))
			continue;
		if (kd_section_addr(module, name, &addr) || !addr)
			continue;
		if (t->nsec < KD_MAX_SECTIONS && strlen(name) < sizeof(t->sec[0].name)) {
			strcpy(t->sec[t->nsec].name, name);
			t->sec[t->nsec].addr = addr;
			t->sec[t->nsec].size = sh[i].sh_size;
			t->nsec++;
		}
		if (addr < t->start)
			t->start = addr;
		if (addr + sh[i].sh_size > t->end)
			t->end = addr + sh[i].sh_size;
		ret = 0;
	}
out:
	munmap(map, st.st_size);
	return ret;
}

/* --- the kernel log ------------------------------------------------------ */

/* The report patterns, one per line, joined into one alternative. */
static char *kd_load_patterns(const char *file)
{
	char line[512], *re = NULL;
	size_t len = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");
		char *bigger;

		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		bigger = realloc(re, len + n + 4);
		if (!bigger) {
			free(re);
			fclose(f);
			return NULL;
		}
		re = bigger;
		len += sprintf(re + len, "%s(%s)", len ? "|" : "", line);
	}
	fclose(f);
	return re;
}

int kd_kmsg_open(struct kd_kmsg *k, const char *reports, const char *allow)
{
	char *re;
	int ret;

	memset(k, 0, sizeof(*k));
	re = kd_load_patterns(reports);
	if (!re)
		return -ENOENT;
	ret = regcomp(&k->report, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (ret)
		return -EINVAL;
	if (allow && *allow) {
		if (regcomp(&k->allow, allow, REG_EXTENDED | REG_NOSUB)) {
			regfree(&k->report);
			return -EINVAL;
		}
		k->have_allow = true;
	}
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		ret = -errno;
		regfree(&k->report);
		if (k->have_allow)
			regfree(&k->allow);
		return ret;
	}
	lseek(k->fd, 0, SEEK_END);
	return 0;
}

void kd_kmsg_close(struct kd_kmsg *k)
{
	if (k->fd > 0)
		close(k->fd);
	regfree(&k->report);
	if (k->have_allow)
		regfree(&k->allow);
	k->fd = -1;
}

int kd_kmsg_poll(struct kd_kmsg *k, FILE *log, char *first, size_t len)
{
	char rec[8192];
	int reports = 0;

	if (first && len)
		first[0] = '\0';
	for (;;) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);
		char *msg, *end;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? reports : -errno;
		if (n == 0)
			return reports;
		rec[n] = '\0';
		/* "prio,seq,time,flags;text\n" then " KEY=value" lines */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (log)
			fprintf(log, "%s\n", msg);
		if (k->have_allow && !regexec(&k->allow, msg, 0, NULL, 0)) {
			k->expect_trace = true;
			continue;
		}
		if (strstr(msg, "Call Trace:") && k->expect_trace)
			continue;
		if (regexec(&k->report, msg, 0, NULL, 0))
			continue;
		if (!strstr(msg, "Call Trace:"))
			k->expect_trace = false;
		if (!reports++ && first && len)
			snprintf(first, len, "%s", msg);
	}
}

void kd_kmsg_mark(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n;

	n = snprintf(buf, sizeof(buf), "trn-debug: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, buf, strlen(buf)) < 0) {
		/* nothing to do: the mark is only a help */
	}
	close(fd);
}
