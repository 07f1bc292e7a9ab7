// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ls - list trn accelerator devices.
 *
 * Device facts come from libnrt, or from sysfs for a device another
 * process holds in exclusive_process mode (it cannot be opened); the inventory (serial, UUID, firmware,
 * PCIe link and its maximum, AER counts, NUMA node and CPU affinity, state)
 * from sysfs (nrt_facts.c), readable without root. Whatever cannot be read
 * is shown as "-" (null in JSON).
 *
 * NeuronLink topology (CONNECTED DEVICES, --topology, --expect, --json)
 * from nrt_topology_get(), link events (--watch-links) from the library's
 * link listener; the shape logic and drawings are in nrt_ls_topo.c.
 *
 * --wide adds the processes using each device, from the DRM fdinfo of
 * /proc (nrt_proc.c): an ordinary user sees only their own processes.
 *
 * Exit status: 0 on success, 1 if no device was found or a device could not
 * be read (the devices that could be read are still listed), or the wiring
 * does not match --expect, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "nrt.h"
#include "nrt_facts.h"
#include "nrt_ls_fmt.h"
#include "nrt_ls_rack.h"
#include "nrt_ls_topo.h"
#include "nrt_proc.h"
#include "nrt_tool.h"

static void nrt_ls_usage(FILE *out)
{
	fprintf(out,
		"Usage: nrt-ls [OPTION]...\n"
		"List the trn accelerator devices of this system.\n"
		"\n"
		"  -j, --json           print a JSON document instead of a table\n"
		"  -t, --topology       draw the NeuronLink wiring: a torus grid, a ring\n"
		"                       or a list of links\n"
		"  -e, --expect SHAPE   compare the wiring with SHAPE (torus:RxC or\n"
		"                       ring:N, positions by chip id); print mismatches\n"
		"  -e, --expect FILE    compare it with this host's cables in a rack file\n"
		"                       (nrt-rack(1)); the host is the devices' host_id\n"
		"  -w, --watch-links    print link events as they arrive, until interrupted\n"
		"  -W, --wide           add the inventory (serial, UUID, firmware, PCIe\n"
		"                       maximum, AER errors, CPU affinity, mode) and the\n"
		"                       processes using each device (the ones you may\n"
		"                       see: all of them as root)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 if no device was found, a device could\n"
		"not be read or the wiring does not match --expect, 2 on a usage error.\n");
}

/* --- sysfs facts ------------------------------------------------------ */

/*
 * The inventory of @row from sysfs (nrt_facts.c): the PCIe link from the
 * PCI core's attributes, readable without root, and the NUMA node.
 */
static void nrt_ls_sysfs_facts(const char *dir, struct nrt_ls_row *row)
{
	nrt_facts_read(dir, &row->facts);
	if (row->facts.link_speed_dgts && row->facts.link_width) {
		row->link_speed_dgts = row->facts.link_speed_dgts;
		row->link_width = row->facts.link_width;
	}
	if (row->facts.numa_node >= 0)
		row->numa_node = row->facts.numa_node;
}

/* --- gathering ------------------------------------------------------- */

static void nrt_ls_fill_row(const nrt_device_info *info, struct nrt_ls_row *row)
{
	memset(row, 0, sizeof(*row));
	row->index = info->index;
	row->minor = info->minor;
	snprintf(row->pci_bdf, sizeof(row->pci_bdf), "%s", info->pci_bdf);
	snprintf(row->device_node, sizeof(row->device_node), "%s",
		 info->device_node);
	row->chip_id = info->chip_id;
	row->neuron_cores = info->num_cores;
	row->hbm_bytes = info->hbm_size;
	row->numa_node = info->numa_node;
	row->hw_version_major = info->hw_version_major;
	row->hw_version_minor = info->hw_version_minor;
	row->driver_version_major = info->driver_version_major;
	row->driver_version_minor = info->driver_version_minor;
	row->driver_version_patch = info->driver_version_patch;
}

/* An unsigned sysfs attribute of @dir into *@v. Return: whether it could. */
static bool nrt_ls_attr_u64(const char *dir, const char *name, uint64_t *v)
{
	char buf[32], *end;

	if (!nrt_facts_attr(dir, name, buf, sizeof(buf)) || buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && !*end;
}

/*
 * Read @e into @row from sysfs alone, for a device that another process
 * holds in exclusive_process mode and so cannot be opened. Return: false
 * if the attributes could not be read.
 */
static bool nrt_ls_read_sysfs(const nrt_device_entry *e, struct nrt_ls_row *row)
{
	unsigned int hw_major, hw_minor, dv[3] = { 0, 0, 0 };
	uint64_t chip, cores, hbm;
	char buf[32];

	if (!nrt_ls_attr_u64(e->sysfs_dir, "chip_id", &chip) || chip > UINT32_MAX ||
	    !nrt_ls_attr_u64(e->sysfs_dir, "neuron_cores", &cores) || cores > UINT32_MAX ||
	    !nrt_ls_attr_u64(e->sysfs_dir, "hbm_size", &hbm) ||
	    !nrt_facts_attr(e->sysfs_dir, "hw_version", buf, sizeof(buf)) ||
	    sscanf(buf, "%u.%u", &hw_major, &hw_minor) != 2 ||
	    !nrt_facts_attr(e->sysfs_dir, "driver/module/version", buf, sizeof(buf)) ||
	    sscanf(buf, "%u.%u.%u", &dv[0], &dv[1], &dv[2]) < 2)
		return false;
	memset(row, 0, sizeof(*row));
	row->index = e->index;
	row->minor = e->minor;
	snprintf(row->pci_bdf, sizeof(row->pci_bdf), "%s", e->pci_bdf);
	snprintf(row->device_node, sizeof(row->device_node), "%s", e->device_node);
	row->chip_id = (uint32_t)chip;
	row->neuron_cores = (uint32_t)cores;
	row->hbm_bytes = hbm;
	row->numa_node = -1;
	row->hw_version_major = hw_major;
	row->hw_version_minor = hw_minor;
	row->driver_version_major = dv[0];
	row->driver_version_minor = dv[1];
	row->driver_version_patch = dv[2];
	return true;
}

/*
 * Read device @e into @row: by opening it, or from sysfs when another
 * process holds it exclusively. Return: false (after a message) on error.
 */
static bool nrt_ls_read_device(const nrt_device_entry *e, struct nrt_ls_row *row)
{
	unsigned int index = e->index;
	nrt_device_info info;
	nrt_device *dev;
	nrt_status st;
	char mode[32];

	st = nrt_device_open(index, &dev);
	if (st != NRT_SUCCESS) {
		if (nrt_facts_attr(e->sysfs_dir, "compute_mode", mode, sizeof(mode)) &&
		    !strcmp(mode, "exclusive_process") && nrt_ls_read_sysfs(e, row))
			return true;
		nrt_tool_error("device %u: %s", index,
			       nrt_tool_reason(st));
		return false;
	}
	memset(&info, 0, sizeof(info));
	info.struct_size = sizeof(info);
	st = nrt_device_get_info(dev, &info);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("device %u: %s", index,
			       nrt_tool_reason(st));
		nrt_device_close(dev);
		return false;
	}
	nrt_device_close(dev);
	nrt_ls_fill_row(&info, row);
	return true;
}

/* --- processes (--wide) ------------------------------------------------- */

/* Append ", PID COMMAND" to @buf unless @pid is there already (or no room). */
static void nrt_ls_add_process(char *buf, size_t size, const struct nrt_proc_client *c)
{
	char entry[64];
	size_t len = strlen(buf);

	snprintf(entry, sizeof(entry), "%s%ld %s", len ? ", " : "", (long)c->pid,
		 c->comm[0] ? c->comm : "?");
	if (len + strlen(entry) < size)
		strcat(buf, entry);
}

/*
 * Fill in the PROCESSES cells of @rows and, if @procs is set, an array of
 * clients per row. Return: false after a message if /proc cannot be read
 * or memory ran out.
 */
static bool nrt_ls_processes(struct nrt_ls_row *rows, size_t n,
			     struct json_object **procs)
{
	struct nrt_proc_client *c;
	size_t nc, i, r;
	bool ok = true;

	if (nrt_proc_scan(&c, &nc)) {
		nrt_tool_error("cannot list the processes in %s: %s",
			       nrt_proc_root(), strerror(errno));
		return false;
	}
	for (r = 0; procs && r < n; r++) {
		procs[r] = json_object_new_array();
		ok = ok && procs[r];
	}
	for (i = 0; ok && i < nc; i++) {
		for (r = 0; r < n; r++) {
			if (strcmp(rows[r].pci_bdf, c[i].fd.pdev))
				continue;
			/* A process with two clients of the device: listed once. */
			if (!i || c[i - 1].pid != c[i].pid ||
			    strcmp(c[i - 1].fd.pdev, c[i].fd.pdev))
				nrt_ls_add_process(rows[r].processes,
						   sizeof(rows[r].processes), &c[i]);
			if (procs) {
				struct json_object *p = nrt_ls_json_process(&c[i]);

				ok = p && !json_object_array_add(procs[r], p);
				if (!ok)
					json_object_put(p);
			}
		}
	}
	free(c);
	if (!ok)
		nrt_tool_error("out of memory");
	return ok;
}

/* --- link events -------------------------------------------------------- */

static volatile sig_atomic_t nrt_ls_stop;

static void nrt_ls_on_signal(int sig)
{
	(void)sig;
	nrt_ls_stop = 1;
}

static void nrt_ls_timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

/* --watch-links. Return: the exit status. */
static int nrt_ls_watch(bool json)
{
	struct sigaction sa;
	nrt_link_listener *l;
	nrt_link_event ev;
	nrt_status st;
	char ts[48], line[512];

	st = nrt_link_listener_open(&l);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("cannot watch links: %s",
			       nrt_tool_reason(st));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nrt_ls_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!nrt_ls_stop) {
		st = nrt_link_listener_next(l, 500, &ev);
		if (st == NRT_TIMEOUT)
			continue;
		nrt_ls_timestamp(ts, sizeof(ts));
		if (st == NRT_RESOURCE) {
			nrt_tool_error("%s %s", ts, nrt_tool_reason(st));
			continue;
		}
		if (st != NRT_SUCCESS) {
			nrt_tool_error("%s", nrt_tool_reason(st));
			nrt_link_listener_close(l);
			return 1;
		}
		if (json) {
			struct json_object *o = nrt_topo_json_event(&ev, ts);

			if (o)
				puts(json_object_to_json_string_ext(o,
								    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		} else {
			puts(nrt_topo_format_event(&ev, ts, line, sizeof(line)));
		}
		if (nrt_tool_flush()) {
			nrt_link_listener_close(l);
			return 1;
		}
	}
	nrt_link_listener_close(l);
	return 0;
}

/* --- topology ----------------------------------------------------------- */

/* A copy of all links of a snapshot (free()), or false after a message. */
static bool nrt_ls_topology(nrt_link **links, size_t *n, const char **source)
{
	nrt_topology *t;
	nrt_status st;
	size_t i;

	*links = NULL;
	*n = 0;
	st = nrt_topology_get(&t);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("cannot read the NeuronLink topology: %s",
			       nrt_tool_reason(st));
		return false;
	}
	*source = nrt_topology_get_source(t) == NRT_TOPOLOGY_NETLINK ?
		  "netlink" : "sysfs";
	*n = nrt_topology_num_links(t);
	*links = calloc(*n ? *n : 1, sizeof(**links));
	if (!*links) {
		nrt_topology_free(t);
		*n = 0;
		nrt_tool_error("out of memory");
		return false;
	}
	for (i = 0; i < *n; i++)
		(*links)[i] = *nrt_topology_link(t, i);
	nrt_topology_free(t);
	return true;
}

/* --- main ---------------------------------------------------------------- */

struct nrt_ls_opts {
	bool json;
	bool topology;          /* --topology */
	bool watch;             /* --watch-links */
	bool wide;
	bool have_expect;
	struct nrt_topo_shape expect;   /* --expect SHAPE */
	const char *expect_arg;
	bool have_rack;                 /* --expect FILE */
	struct nrt_rack rack;
};

/* The --expect shape to draw, or NULL (none, or a rack file). */
static const struct nrt_topo_shape *nrt_ls_shape(const struct nrt_ls_opts *o)
{
	return o->have_expect && !o->have_rack ? &o->expect : NULL;
}

/* --expect ARG names a rack file: an existing path, or one with '/' or '.'. */
static void nrt_ls_parse_expect(const char *arg, struct nrt_ls_opts *o)
{
	char err[NRT_RACK_ERR_LEN];

	o->expect_arg = arg;
	o->have_expect = true;
	if (!strchr(arg, '/') && !strchr(arg, '.') && access(arg, F_OK)) {
		if (nrt_topo_parse_shape(arg, &o->expect))
			nrt_tool_usage_error("invalid shape '%s' (torus:RxC, ring:N or a rack file)",
					     arg);
		return;
	}
	if (nrt_rack_load(arg, &o->rack, err, sizeof(err)))
		nrt_tool_usage_error("%s", err);
	o->have_rack = true;
}

/* Parse the command line; exit on --help, --version or a usage error. */
static void nrt_ls_parse(int argc, char **argv, struct nrt_ls_opts *o)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "topology", no_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'e' },
		{ "watch-links", no_argument, NULL, 'w' },
		{ "wide", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "jte:wWhV", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o->json = true;
			break;
		case 't':
			o->topology = true;
			break;
		case 'e':
			if (o->have_rack)
				nrt_rack_free(&o->rack);
			o->have_rack = false;
			nrt_ls_parse_expect(optarg, o);
			break;
		case 'w':
			o->watch = true;
			break;
		case 'W':
			o->wide = true;
			break;
		case 'h':
			nrt_ls_usage(stdout);
			exit(nrt_tool_flush());
		case 'V':
			exit(nrt_tool_version());
		default:
			/* getopt_long() has already said what was wrong. */
			nrt_tool_usage_error(NULL);
		}
	}
	if (optind < argc)
		nrt_tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->watch && (o->topology || o->have_expect || o->wide))
		nrt_tool_usage_error("--watch-links cannot be combined with --topology, --expect or --wide");
}

/* What nrt-ls found, to print. */
struct nrt_ls_found {
	struct nrt_ls_row *rows;        /* the devices that could be read */
	size_t n;
	bool topo;                      /* the topology could be read */
	nrt_link *links;
	size_t n_links;
	const char *source;             /* of the topology */
	bool have_detected;
	struct nrt_topo_shape detected;
	struct nrt_topo_mismatch *mm;   /* with --expect */
	size_t n_mm;
	uint32_t host;                  /* with --expect FILE: this host */
	struct json_object **procs;     /* --wide --json: each row's processes */
	bool failed;                    /* something could not be read */
};

static void nrt_ls_found_free(struct nrt_ls_found *f)
{
	size_t i;

	for (i = 0; f->procs && i < f->n; i++)
		json_object_put(f->procs[i]);
	free(f->procs);
	free(f->rows);
	free(f->mm);
	free(f->links);
}

/*
 * The devices, as libnrt lists and numbers them, each opened for its
 * properties. Return: 0, or 1 after a message if there is none to show.
 */
static int nrt_ls_devices(struct nrt_ls_found *f)
{
	nrt_device_list *l;
	nrt_status st;
	size_t count, i;

	st = nrt_device_list_get(&l);
	if (st == NRT_NO_DRIVER) {
		nrt_tool_error("no trn devices found: %s (try: modprobe trn)",
			       nrt_tool_reason(st));
		return 1;
	}
	if (st != NRT_SUCCESS) {
		nrt_tool_error("cannot list trn devices: %s", nrt_tool_reason(st));
		return 1;
	}
	count = nrt_device_list_count(l);
	if (count == 0) {
		nrt_device_list_free(l);
		nrt_tool_error("no trn devices found (the trn driver is loaded, but no device is bound, has a node in /dev/accel or is selected by NRT_VISIBLE_DEVICES)");
		return 1;
	}
	f->rows = calloc(count, sizeof(*f->rows));
	if (!f->rows) {
		nrt_device_list_free(l);
		nrt_tool_error("out of memory");
		return 1;
	}
	for (i = 0; i < count; i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		if (!nrt_ls_read_device(e, &f->rows[f->n])) {
			f->failed = true;
			continue;
		}
		nrt_ls_sysfs_facts(e->sysfs_dir, &f->rows[f->n]);
		f->n++;
	}
	nrt_device_list_free(l);
	return 0;
}

/*
 * The wiring, each device's CONNECTED DEVICES, the shape detected and the
 * mismatches with --expect. Return: 0, or 1 after a message when the
 * output needs the wiring and it could not be read.
 */
static int nrt_ls_wiring(const struct nrt_ls_opts *o, struct nrt_ls_found *f)
{
	size_t i;

	f->source = "sysfs";
	f->topo = nrt_ls_topology(&f->links, &f->n_links, &f->source);
	if (!f->topo) {
		f->failed = true;
		if (o->topology || o->have_expect)
			return 1;
	}
	for (i = 0; i < f->n; i++)
		nrt_topo_connected(f->links, f->n_links, f->rows[i].index,
				   f->rows[i].connected, sizeof(f->rows[i].connected));
	f->have_detected = nrt_topo_detect(f->links, f->n_links, &f->detected);
	if (o->have_rack) {
		char err[NRT_RACK_ERR_LEN];

		if (nrt_ls_rack_host(&o->rack, f->links, f->n_links, &f->host, err,
				     sizeof(err))) {
			nrt_tool_error("%s: %s", o->expect_arg, err);
			return 1;
		}
		if (nrt_ls_rack_compare(&o->rack, f->host, f->links, f->n_links,
					&f->mm, &f->n_mm)) {
			nrt_tool_error("out of memory");
			return 1;
		}
		return 0;
	}
	if (o->have_expect &&
	    nrt_topo_compare(&o->expect, f->links, f->n_links, &f->mm, &f->n_mm)) {
		nrt_tool_error("out of memory");
		return 1;
	}
	return 0;
}

/* --wide: the processes of each row, and for --json their objects. */
static void nrt_ls_wide_processes(const struct nrt_ls_opts *o,
				  struct nrt_ls_found *f)
{
	if (o->json) {
		f->procs = calloc(f->n ? f->n : 1, sizeof(*f->procs));
		if (!f->procs) {
			nrt_tool_error("out of memory");
			f->failed = true;
			return;
		}
	}
	if (!nrt_ls_processes(f->rows, f->n, f->procs))
		f->failed = true;
}

/* --json. Return: 0, or -1 if out of memory or writing failed. */
static int nrt_ls_print_json_doc(const struct nrt_ls_opts *o,
				 struct nrt_ls_found *f)
{
	struct nrt_ls_json_extra x = { NULL, f->procs, NULL };
	size_t i;
	int ret;

	if (f->topo) {
		x.dev_links = calloc(f->n ? f->n : 1, sizeof(*x.dev_links));
		if (!x.dev_links)
			return -1;
		for (i = 0; i < f->n; i++)
			x.dev_links[i] = nrt_topo_json_device_links(f->links, f->n_links,
								    f->rows[i].index);
		x.topology = nrt_topo_json(f->links, f->n_links, f->source,
					   f->have_detected ? &f->detected : NULL,
					   o->have_expect ? o->expect_arg : NULL,
					   f->mm, f->n_mm);
	}
	ret = nrt_ls_print_json(stdout, f->rows, f->n, &x);
	free(x.dev_links);
	return ret;
}

/* --topology and --expect as text. Return: 0, or -1 if writing failed. */
static int nrt_ls_print_wiring(const struct nrt_ls_opts *o,
			       const struct nrt_ls_found *f)
{
	char name[NRT_RACK_NAME_LEN + 32];
	size_t i;

	if (o->topology && nrt_topo_draw(stdout, f->links, f->n_links, nrt_ls_shape(o)))
		return -1;
	if (!o->have_expect)
		return 0;
	if (o->have_rack)
		snprintf(name, sizeof(name), "%s host %u",
			 o->rack.name[0] ? o->rack.name : "rack", (unsigned int)f->host);
	else
		nrt_topo_shape_name(&o->expect, name, sizeof(name));
	if (o->topology)
		putchar('\n');
	for (i = 0; i < f->n_mm; i++)
		printf("%s\n", f->mm[i].message);
	if (f->n_mm)
		printf("%s: %zu mismatch%s\n", name, f->n_mm, f->n_mm == 1 ? "" : "es");
	else
		printf("%s: all %u chips wired as expected, all links up\n", name,
		       o->have_rack ? nrt_ls_rack_chips(&o->rack, f->host) :
		       nrt_topo_shape_chips(&o->expect));
	return 0;
}

int main(int argc, char **argv)
{
	struct nrt_ls_found f = { 0 };
	struct nrt_ls_opts o;
	int ret;

	nrt_tool_init("nrt-ls");
	nrt_ls_parse(argc, argv, &o);
	if (o.watch)
		return nrt_ls_watch(o.json);

	ret = nrt_ls_devices(&f);
	if (!ret)
		ret = nrt_ls_wiring(&o, &f);
	if (ret) {
		nrt_ls_found_free(&f);
		if (o.have_rack)
			nrt_rack_free(&o.rack);
		return ret;
	}
	if (o.wide)
		nrt_ls_wide_processes(&o, &f);

	if (o.json)
		ret = nrt_ls_print_json_doc(&o, &f);
	else if (o.topology || o.have_expect)
		ret = nrt_ls_print_wiring(&o, &f);
	else
		ret = f.n ? nrt_ls_print_table(stdout, f.rows, f.n, o.wide) : 0;
	nrt_ls_found_free(&f);
	if (o.have_rack)
		nrt_rack_free(&o.rack);
	if (ret) {
		nrt_tool_error("cannot write the output");
		return 1;
	}
	return nrt_tool_flush() || f.failed || f.n_mm ? 1 : 0;
}
