// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device enumeration: the trn devices this process sees, found without
 * opening one.
 *
 * Every /sys/class/accel/accelN whose device/driver link points at the
 * "trn" driver is a trn device. Its device link names the PCI function
 * (basename "DDDD:BB:DD.F"), and the devices are ordered by that address.
 * Of those, the process sees the ones that have a node in /dev/accel: a
 * character device with the device's number (sysfs "dev"), under any name,
 * or, when there is none, a file named accelN that is not the node of
 * another device. In a container given some of the nodes, with the host's
 * sysfs, the others are not there. NRT_VISIBLE_DEVICES then selects and
 * orders some of those (nrt_enum_select()), and the result is numbered
 * from 0: entry i is device index i. The roots of sysfs and /dev can be
 * redirected with NRT_SYSFS_ROOT and NRT_DEV_ROOT for testing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nrt_enum.h"

#define NRT_DRIVER_NAME "trn"
#define NRT_DEFAULT_SYSFS_ROOT "/sys"
#define NRT_DEFAULT_DEV_ROOT "/dev"

/* One trn device as found in sysfs. */
struct nrt_entry {
	unsigned int minor;
	unsigned int domain, bus, dev, fn;
	char pci_bdf[sizeof(((nrt_device_info *)0)->pci_bdf)];
	char node[NAME_MAX + 1];        /* its name in <dev>/accel, if seen */
};

struct nrt_entry_list {
	struct nrt_entry *v;
	size_t n;
	size_t cap;
};

static const char *nrt_root(const char *var, const char *def)
{
	const char *root = secure_getenv(var);

	return root && *root ? root : def;
}

static const char *nrt_sysfs_root(void)
{
	return nrt_root("NRT_SYSFS_ROOT", NRT_DEFAULT_SYSFS_ROOT);
}

static const char *nrt_dev_root(void)
{
	return nrt_root("NRT_DEV_ROOT", NRT_DEFAULT_DEV_ROOT);
}

/*
 * Parse a decimal number as the kernel prints it: digits only, no sign,
 * spaces, leading zeros or trailing characters.
 */
static bool nrt_parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return false;
	*out = (unsigned int)v;
	return true;
}

static int nrt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse between @min and @max hex digits at *@p and advance *@p past them. */
static bool nrt_parse_hex(const char **p, size_t min, size_t max,
			  unsigned int *out)
{
	unsigned int v = 0;
	size_t i;
	int h;

	for (i = 0; i < max && (h = nrt_hexval((*p)[i])) >= 0; i++)
		v = v << 4 | (unsigned int)h;
	if (i < min)
		return false;
	*p += i;
	*out = v;
	return true;
}

/* Parse a PCI address "DDDD:BB:DD.F" as the kernel names PCI devices. */
static bool nrt_parse_bdf(const char *s, struct nrt_entry *e)
{
	const char *p = s;

	if (!nrt_parse_hex(&p, 4, 8, &e->domain) || *p++ != ':' ||
	    !nrt_parse_hex(&p, 2, 2, &e->bus) || *p++ != ':' ||
	    !nrt_parse_hex(&p, 2, 2, &e->dev) || *p++ != '.' ||
	    !nrt_parse_hex(&p, 1, 1, &e->fn) || *p)
		return false;
	if (e->dev > 0x1f || e->fn > 7)
		return false;
	if (strlen(s) >= sizeof(e->pci_bdf))
		return false;
	strcpy(e->pci_bdf, s);
	return true;
}

/*
 * Read the target of the symbolic link at @path and return a pointer to its
 * last component inside @buf, or NULL if @path is not a readable link.
 */
static const char *nrt_link_basename(const char *path, char *buf, size_t size)
{
	ssize_t len;
	const char *slash;

	len = readlink(path, buf, size - 1);
	if (len <= 0 || (size_t)len >= size - 1)
		return NULL;
	buf[len] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/*
 * Read the small file at @path into @buf, NUL-terminated.
 * Return: true if it could be read and was not empty.
 */
static bool nrt_read_small(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	do {
		len = read(fd, buf, size - 1);
	} while (len < 0 && errno == EINTR);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	return true;
}

/*
 * Read a decimal integer (optionally negative) from a sysfs attribute.
 * Return: true and the value in *@out, or false if unreadable or malformed.
 */
static bool nrt_read_int_attr(const char *path, int *out)
{
	char buf[32];
	long v;
	char *end;

	if (!nrt_read_small(path, buf, sizeof(buf)))
		return false;

	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && strcmp(end, "\n")) ||
	    v < INT_MIN || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

static bool nrt_module_loaded(void)
{
	char path[PATH_MAX];
	struct stat st;
	int len;

	len = snprintf(path, sizeof(path), "%s/module/" NRT_DRIVER_NAME,
		       nrt_sysfs_root());
	if (len < 0 || (size_t)len >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int nrt_entry_cmp(const void *a, const void *b)
{
	const struct nrt_entry *x = a, *y = b;
	const unsigned int kx[] = { x->domain, x->bus, x->dev, x->fn, x->minor };
	const unsigned int ky[] = { y->domain, y->bus, y->dev, y->fn, y->minor };
	size_t i;

	for (i = 0; i < sizeof(kx) / sizeof(kx[0]); i++) {
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	}
	return 0;
}

static nrt_status nrt_entry_add(struct nrt_entry_list *list,
				const struct nrt_entry *e)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct nrt_entry *v;

		v = realloc(list->v, cap * sizeof(*v));
		if (!v)
			return nrt_fail(NRT_RESOURCE, "out of memory");
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = *e;
	return NRT_SUCCESS;
}

/*
 * Check whether the class device @name in @class_dir is a trn device and if
 * so fill in @e. Return: true for a trn device.
 */
static bool nrt_probe_entry(const char *class_dir, const char *name,
			    struct nrt_entry *e)
{
	char path[PATH_MAX];
	char target[PATH_MAX];
	const char *base;
	int len;

	if (strncmp(name, "accel", 5) || !nrt_parse_uint(name + 5, &e->minor))
		return false;

	len = snprintf(path, sizeof(path), "%s/%s/device/driver", class_dir,
		       name);
	if (len < 0 || (size_t)len >= sizeof(path))
		return false;
	base = nrt_link_basename(path, target, sizeof(target));
	if (!base || strcmp(base, NRT_DRIVER_NAME))
		return false;

	/* Drop "/driver" to get the device link itself. */
	path[(size_t)len - strlen("/driver")] = '\0';
	base = nrt_link_basename(path, target, sizeof(target));
	return base && nrt_parse_bdf(base, e);
}

/* Find all trn devices, sorted by PCI address. */
static nrt_status nrt_enumerate(struct nrt_entry_list *list)
{
	char class_dir[PATH_MAX];
	struct dirent *de;
	nrt_status st = NRT_SUCCESS;
	DIR *dir;
	int len;

	list->v = NULL;
	list->n = list->cap = 0;

	len = snprintf(class_dir, sizeof(class_dir), "%s/class/accel",
		       nrt_sysfs_root());
	if (len < 0 || (size_t)len >= sizeof(class_dir))
		return nrt_fail(NRT_INVALID, "sysfs path too long: %s/class/accel",
				nrt_sysfs_root());

	dir = opendir(class_dir);
	if (!dir) {
		int err = errno;

		/* No accel class at all: no accel driver has registered. */
		if (err == ENOENT)
			return NRT_SUCCESS;
		return nrt_fail_errno(err == EACCES || err == EPERM ?
				      NRT_PERMISSION : NRT_FAILURE,
				      err, "cannot read %s", class_dir);
	}

	for (;;) {
		struct nrt_entry e;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno)
				st = nrt_fail_errno(NRT_FAILURE, errno,
						    "cannot read %s", class_dir);
			break;
		}
		if (!nrt_probe_entry(class_dir, de->d_name, &e))
			continue;
		st = nrt_entry_add(list, &e);
		if (st != NRT_SUCCESS)
			break;
	}
	closedir(dir);

	if (st != NRT_SUCCESS) {
		free(list->v);
		list->v = NULL;
		list->n = list->cap = 0;
		return st;
	}
	if (list->n > 1)
		qsort(list->v, list->n, sizeof(*list->v), nrt_entry_cmp);
	return NRT_SUCCESS;
}

/* --- which of them the process sees ---------------------------------------- */

/* A file of <dev>/accel: its name, and its device number if it is a node. */
struct nrt_node {
	char name[NAME_MAX + 1];
	bool chr;
	dev_t rdev;
};

/*
 * The files of <dev>/accel, sorted by name (none if it does not exist).
 * Return: NRT_SUCCESS, or NRT_RESOURCE.
 */
static nrt_status nrt_scan_nodes(struct nrt_node **out, size_t *n)
{
	char path[PATH_MAX];
	struct nrt_node *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int len;

	*out = NULL;
	*n = 0;
	len = snprintf(path, sizeof(path), "%s/accel", nrt_dev_root());
	if (len < 0 || (size_t)len >= sizeof(path))
		return NRT_SUCCESS;
	dir = opendir(path);
	if (!dir)
		return NRT_SUCCESS;
	while ((de = readdir(dir))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(dir), de->d_name, &st, 0))
			continue;
		if (*n == cap) {
			struct nrt_node *nv;

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				return nrt_fail(NRT_RESOURCE, "out of memory");
			}
			v = nv;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", de->d_name);
		v[*n].chr = S_ISCHR(st.st_mode);
		v[*n].rdev = st.st_rdev;
		(*n)++;
	}
	closedir(dir);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), (int (*)(const void *, const void *))strcmp);
	*out = v;
	return NRT_SUCCESS;
}

/* The device number sysfs gives accel minor @minor ("261:3"), if any. */
static bool nrt_sysfs_devt(unsigned int minor, dev_t *out)
{
	char path[PATH_MAX], buf[32];
	unsigned int maj, min;
	char end;
	int len;

	len = snprintf(path, sizeof(path), "%s/class/accel/accel%u/dev",
		       nrt_sysfs_root(), minor);
	if (len < 0 || (size_t)len >= sizeof(path) ||
	    !nrt_read_small(path, buf, sizeof(buf)))
		return false;
	if (sscanf(buf, "%u:%u%c", &maj, &min, &end) != 3 || end != '\n')
		return false;
	*out = makedev(maj, min);
	return true;
}

/* The name of the node of @e among @nodes, or NULL if it has none. */
static const char *nrt_find_node(const struct nrt_entry *e,
				 const struct nrt_node *nodes, size_t n)
{
	char own[32];
	const char *found = NULL;
	bool known;
	dev_t devt;
	size_t i;

	snprintf(own, sizeof(own), "accel%u", e->minor);
	known = nrt_sysfs_devt(e->minor, &devt);
	for (i = 0; known && i < n; i++) {
		if (!nodes[i].chr || nodes[i].rdev != devt)
			continue;
		if (!strcmp(nodes[i].name, own))
			return nodes[i].name;
		if (!found)
			found = nodes[i].name;
	}
	if (found)
		return found;
	/* No node by number: accelN, unless it is another device's node. */
	for (i = 0; i < n; i++) {
		if (strcmp(nodes[i].name, own))
			continue;
		return !nodes[i].chr || !known ? nodes[i].name : NULL;
	}
	return NULL;
}

/* Keep the devices of @list that have a node, with its name. */
static nrt_status nrt_keep_visible(struct nrt_entry_list *list)
{
	struct nrt_node *nodes;
	size_t n, i, kept = 0;
	nrt_status st;

	st = nrt_scan_nodes(&nodes, &n);
	if (st != NRT_SUCCESS)
		return st;
	for (i = 0; i < list->n; i++) {
		const char *name = nrt_find_node(&list->v[i], nodes, n);

		if (!name) {
			nrt_log(NRT_LOG_DEBUG, "%s (accel%u): no node in %s/accel, not visible",
				list->v[i].pci_bdf, list->v[i].minor, nrt_dev_root());
			continue;
		}
		list->v[kept] = list->v[i];
		snprintf(list->v[kept].node, sizeof(list->v[kept].node), "%s", name);
		kept++;
	}
	list->n = kept;
	free(nodes);
	return NRT_SUCCESS;
}

/* Whether @e's uuid attribute is @uuid (case does not matter). */
static bool nrt_uuid_is(const struct nrt_entry *e, const char *uuid)
{
	char path[PATH_MAX], buf[64];
	int len;

	len = snprintf(path, sizeof(path), "%s/class/accel/accel%u/device/uuid",
		       nrt_sysfs_root(), e->minor);
	if (len < 0 || (size_t)len >= sizeof(path) ||
	    !nrt_read_small(path, buf, sizeof(buf)))
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] && !strcasecmp(buf, uuid);
}

/*
 * The device one entry of NRT_VISIBLE_DEVICES names: a decimal index into
 * @list, or a UUID. Return: its position in @list, or -1.
 */
static long nrt_select_one(const struct nrt_entry_list *list, const char *tok)
{
	unsigned int idx;
	size_t i;

	/* An index is digits alone: a UUID may begin with a digit too. */
	if (*tok && !tok[strspn(tok, "0123456789")]) {
		/* Leading zeros are allowed here: "01" is device 1. */
		while (tok[0] == '0' && tok[1])
			tok++;
		return nrt_parse_uint(tok, &idx) && idx < list->n ? (long)idx : -1;
	}
	for (i = 0; i < list->n; i++)
		if (nrt_uuid_is(&list->v[i], tok))
			return (long)i;
	return -1;
}

/* Say once per process that NRT_VISIBLE_DEVICES was cut short. */
static void nrt_select_warn(const char *value, const char *tok, const char *why)
{
	static atomic_bool warned;

	if (nrt_log_enabled(NRT_LOG_WARN) && !atomic_exchange(&warned, true))
		nrt_log(NRT_LOG_WARN,
			"NRT_VISIBLE_DEVICES=%s: entry \"%s\" %s: it and the entries after it are ignored",
			value, tok, why);
}

/*
 * Apply NRT_VISIBLE_DEVICES to @list: its entries, in their order. The
 * list stops at the first entry that is empty, names no visible device or
 * names one a second time.
 */
static nrt_status nrt_select(struct nrt_entry_list *list)
{
	const char *value = secure_getenv("NRT_VISIBLE_DEVICES");
	struct nrt_entry *v;
	char *copy, *tok, *save = NULL, *p;
	bool *taken;
	size_t n = 0;

	if (!value)
		return NRT_SUCCESS;
	copy = strdup(value);
	v = calloc(list->n ? list->n : 1, sizeof(*v));
	taken = calloc(list->n ? list->n : 1, sizeof(*taken));
	if (!copy || !v || !taken) {
		free(copy);
		free(v);
		free(taken);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	/* strtok_r() would skip empty entries: split by hand. */
	for (tok = copy; *value && tok; tok = save) {
		long i;

		p = strchr(tok, ',');
		save = p ? p + 1 : NULL;
		if (p)
			*p = '\0';
		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t")] = '\0';
		i = *tok ? nrt_select_one(list, tok) : -1;
		if (i < 0 || taken[i]) {
			nrt_select_warn(value, tok, i < 0 ?
					"names no device this process sees" :
					"names a device a second time");
			break;
		}
		taken[i] = true;
		v[n++] = list->v[i];
	}
	nrt_log(NRT_LOG_DEBUG, "NRT_VISIBLE_DEVICES=%s: %zu of %zu devices", value,
		n, list->n);
	free(copy);
	free(taken);
	free(list->v);
	list->v = v;
	list->n = list->cap = n;
	return NRT_SUCCESS;
}

static nrt_status nrt_no_driver(void)
{
	return nrt_fail(NRT_NO_DRIVER,
			"the " NRT_DRIVER_NAME " kernel module is not loaded");
}

/*
 * The devices this process sees, in index order: NRT_NO_DRIVER when sysfs
 * has none and the module is not loaded.
 */
static nrt_status nrt_enum_seen(struct nrt_entry_list *list)
{
	nrt_status st;

	st = nrt_enumerate(list);
	if (st != NRT_SUCCESS)
		return st;
	if (list->n == 0)
		return nrt_module_loaded() ? NRT_SUCCESS : nrt_no_driver();
	st = nrt_keep_visible(list);
	if (st == NRT_SUCCESS)
		st = nrt_select(list);
	if (st != NRT_SUCCESS) {
		free(list->v);
		list->v = NULL;
		list->n = list->cap = 0;
	}
	return st;
}

NRT_API nrt_status nrt_device_count(unsigned int *count)
{
	NRT_API_SCOPE();
	struct nrt_entry_list list;
	nrt_status st;

	if (!count)
		return nrt_fail(NRT_INVALID, "nrt_device_count: count is NULL");
	*count = 0;

	st = nrt_enum_seen(&list);
	if (st != NRT_SUCCESS)
		return st;
	free(list.v);
	*count = list.n > UINT_MAX ? UINT_MAX : (unsigned int)list.n;
	return NRT_SUCCESS;
}

const char *nrt_sysfs_path(void)
{
	return nrt_sysfs_root();
}

/* The device node of @src into @e. */
static nrt_status nrt_node_path(const struct nrt_entry *src, struct nrt_dev_ent *e)
{
	int len = snprintf(e->device_node, sizeof(e->device_node),
			   "%s/accel/%s", nrt_dev_root(), src->node);

	if (len < 0 || (size_t)len >= sizeof(e->device_node))
		return nrt_fail(NRT_INVALID, "device node path too long: %s/accel/%s",
				nrt_dev_root(), src->node);
	return NRT_SUCCESS;
}

nrt_status nrt_enum_devices(struct nrt_dev_ent **out, size_t *n)
{
	struct nrt_entry_list list;
	struct nrt_dev_ent *v = NULL;
	nrt_status st;
	size_t i;

	*out = NULL;
	*n = 0;
	st = nrt_enum_seen(&list);
	if (st != NRT_SUCCESS || list.n == 0) {
		free(list.v);
		return st;
	}
	v = calloc(list.n, sizeof(*v));
	if (!v) {
		free(list.v);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (i = 0; i < list.n && st == NRT_SUCCESS; i++) {
		v[i].minor = list.v[i].minor;
		memcpy(v[i].pci_bdf, list.v[i].pci_bdf, sizeof(v[i].pci_bdf));
		st = nrt_node_path(&list.v[i], &v[i]);
	}
	free(list.v);
	if (st != NRT_SUCCESS) {
		free(v);
		return st;
	}
	*out = v;
	*n = list.n;
	return NRT_SUCCESS;
}

nrt_status nrt_enum_device(unsigned int index, struct nrt_dev_ent *e)
{
	struct nrt_dev_ent *v;
	nrt_status st;
	size_t n;

	st = nrt_enum_devices(&v, &n);
	if (st != NRT_SUCCESS)
		return st;
	if (index >= n) {
		free(v);
		return nrt_fail(NRT_NO_DEVICE,
				"no " NRT_DRIVER_NAME " device with index %u (%zu present)",
				index, n);
	}
	*e = v[index];
	free(v);
	return NRT_SUCCESS;
}

int nrt_enum_numa_node(unsigned int minor)
{
	char path[PATH_MAX];
	int len, node;

	len = snprintf(path, sizeof(path), "%s/class/accel/accel%u/device/numa_node",
		       nrt_sysfs_root(), minor);
	if (len < 0 || (size_t)len >= sizeof(path) ||
	    !nrt_read_int_attr(path, &node) || node < 0)
		return -1;
	return node;
}

/* --- the public list ------------------------------------------------------ */

struct nrt_device_list {
	size_t n;
	nrt_device_entry *ents;         /* their sysfs_dir point into @paths */
	char *paths;
};

NRT_API nrt_status nrt_device_list_get(nrt_device_list **out)
{
	NRT_API_SCOPE();
	struct nrt_device_list *l;
	struct nrt_dev_ent *v;
	size_t n, i, len, off = 0;
	nrt_status st;

	if (!out)
		return nrt_fail(NRT_INVALID, "nrt_device_list_get: out is NULL");
	st = nrt_enum_devices(&v, &n);
	if (st != NRT_SUCCESS)
		return st;
	/* Every sysfs_dir is as long: the minor has at most 10 digits. */
	len = strlen(nrt_sysfs_root()) + sizeof("/class/accel/accel4294967295/device");
	l = calloc(1, sizeof(*l));
	if (l) {
		l->ents = calloc(n ? n : 1, sizeof(*l->ents));
		l->paths = calloc(n ? n : 1, len);
	}
	if (!l || !l->ents || !l->paths) {
		if (l) {
			free(l->ents);
			free(l->paths);
		}
		free(l);
		free(v);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (i = 0; i < n; i++, off += len) {
		nrt_device_entry *e = &l->ents[i];

		e->index = (unsigned int)i;
		e->minor = v[i].minor;
		memcpy(e->pci_bdf, v[i].pci_bdf, sizeof(e->pci_bdf));
		memcpy(e->device_node, v[i].device_node, sizeof(e->device_node));
		snprintf(l->paths + off, len, "%s/class/accel/accel%u/device",
			 nrt_sysfs_root(), v[i].minor);
		e->sysfs_dir = l->paths + off;
	}
	free(v);
	l->n = n;
	*out = l;
	return NRT_SUCCESS;
}

NRT_API size_t nrt_device_list_count(const nrt_device_list *l)
{
	return l ? l->n : 0;
}

NRT_API const nrt_device_entry *nrt_device_list_entry(const nrt_device_list *l,
						      size_t i)
{
	return l && i < l->n ? &l->ents[i] : NULL;
}

NRT_API void nrt_device_list_free(nrt_device_list *l)
{
	if (!l)
		return;
	free(l->ents);
	free(l->paths);
	free(l);
}

/* --- the cores a process sees ---------------------------------------------- */

/* Parse "N" or "A-B" (A <= B) of NRT_VISIBLE_CORES. */
static bool nrt_parse_core_range(const char *tok, unsigned int *lo, unsigned int *hi)
{
	char buf[32];
	char *dash;

	if (strlen(tok) >= sizeof(buf))
		return false;
	strcpy(buf, tok);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!nrt_parse_uint(buf, lo))
		return false;
	if (!dash) {
		*hi = *lo;
		return true;
	}
	return nrt_parse_uint(dash + 1, hi) && *hi >= *lo;
}

static void nrt_cores_warn(const char *value, const char *tok, const char *why)
{
	static atomic_bool warned;

	if (nrt_log_enabled(NRT_LOG_WARN) && !atomic_exchange(&warned, true))
		nrt_log(NRT_LOG_WARN,
			"NRT_VISIBLE_CORES=%s: entry \"%s\" %s: it and the entries after it are ignored",
			value, tok, why);
}

nrt_status nrt_enum_cores(unsigned int ncores, unsigned int **map, unsigned int *n)
{
	const char *value = secure_getenv("NRT_VISIBLE_CORES");
	char *copy = NULL, *tok, *next, *p;
	unsigned int *v, lo, hi, c, k = 0;
	bool *taken = NULL, stop = false;

	*map = NULL;
	*n = 0;
	v = calloc(ncores ? ncores : 1, sizeof(*v));
	if (value) {
		copy = strdup(value);
		taken = calloc(ncores ? ncores : 1, sizeof(*taken));
	}
	if (!v || (value && (!copy || !taken))) {
		free(v);
		free(copy);
		free(taken);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	if (!value) {
		for (k = 0; k < ncores; k++)
			v[k] = k;
	}
	for (tok = copy; value && *value && tok && !stop; tok = next) {
		p = strchr(tok, ',');
		next = p ? p + 1 : NULL;
		if (p)
			*p = '\0';
		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t")] = '\0';
		if (!nrt_parse_core_range(tok, &lo, &hi) || hi >= ncores) {
			nrt_cores_warn(value, tok, "is not a core of the device, or a range of them");
			break;
		}
		for (c = lo; c <= hi; c++) {
			if (taken[c]) {
				nrt_cores_warn(value, tok, "names a core a second time");
				stop = true;
				break;
			}
			taken[c] = true;
			v[k++] = c;
		}
	}
	free(copy);
	free(taken);
	*map = v;
	*n = k;
	return NRT_SUCCESS;
}
