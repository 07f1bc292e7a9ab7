// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ctk - the trn container toolkit: CDI specifications.
 *
 *   nrt-ctk cdi generate [--output FILE] [--format yaml|json] ...
 *
 * writes a Container Device Interface specification for the devices libnrt
 * lists: kind "trn.dev/device", one CDI device per trn device by index
 * ("0", "1", ...) and by UUID when the driver reports one, and "all". Each
 * gives the container the device's node; the spec's own edits bind-mount
 * libnrt and the libraries it needs that are not in the C library
 * (read-only, into one directory of the container, which LD_LIBRARY_PATH
 * then names), so that an image without libnrt can use the devices.
 *
 * The document is built as a json-c tree, then written as JSON or, with
 * libyaml's emitter, as YAML; it goes to a temporary file next to the
 * output, which is renamed over it, so that a runtime never reads half a
 * spec. The CDI specification version written is 0.5.0, the newest that
 * Debian 12's podman 4.3 accepts, and all this spec needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>
#include <yaml.h>

#include "nrt.h"
#include "nrt_facts.h"
#include "nrt_json.h"
#include "nrt_tool.h"

#define CDI_VERSION "0.5.0"
#define CDI_KIND "trn.dev/device"
#define DEFAULT_OUTPUT "/etc/cdi/trn.yaml"
#define DEFAULT_LIB_DIR "/usr/lib/trn"

struct ctk_opts {
	const char *output;
	bool json;
	bool libs;
	const char *lib_dir;
};

static void ctk_usage(FILE *out)
{
	fprintf(out,
		"Usage: nrt-ctk cdi generate [OPTION]...\n"
		"Write a CDI specification (kind " CDI_KIND ") for the trn devices:\n"
		"one CDI device per device by index and by UUID, and \"all\".\n"
		"\n"
		"  -o, --output FILE    where to write it (default " DEFAULT_OUTPUT ";\n"
		"                       - for standard output)\n"
		"      --format FORMAT  yaml (default) or json; a FILE ending in .json\n"
		"                       is written as JSON\n"
		"      --lib-dir DIR    the container directory libnrt and its libraries\n"
		"                       are mounted in (default " DEFAULT_LIB_DIR ")\n"
		"      --no-libs        give the devices only, no library mounts\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 on a failure, 2 on a usage error.\n");
}

/* --- the document --------------------------------------------------------- */

/* containerEdits.deviceNodes entries of one device. */
static void ctk_add_node(struct json_object *nodes, const char *path, bool *ok)
{
	struct json_object *n = nrt_json_child(nodes, NULL, false, ok);

	nrt_json_str(n, "path", path, ok);
	nrt_json_str(n, "hostPath", path, ok);
	nrt_json_str(n, "permissions", "rw", ok);
}

static void ctk_add_device(struct json_object *devices, const char *name,
			   const char *const *nodes, size_t n, bool *ok)
{
	struct json_object *d = nrt_json_child(devices, NULL, false, ok), *edits, *dn;
	size_t i;

	nrt_json_str(d, "name", name, ok);
	edits = nrt_json_child(d, "containerEdits", false, ok);
	dn = nrt_json_child(edits, "deviceNodes", true, ok);
	for (i = 0; i < n; i++)
		ctk_add_node(dn, nodes[i], ok);
}

struct ctk_libs {
	char path[8][PATH_MAX];
	size_t n;
};

/* Collect the loaded objects libnrt needs that are not the C library's. */
static int ctk_lib_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	static const char *const wanted[] = {
		"libnrt.so", "libdrm.so", "libnl-3.so", "libnl-genl-3.so",
	};
	struct ctk_libs *l = data;
	const char *base;
	size_t i;

	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0] || l->n >= 8)
		return 0;
	base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (!strncmp(base, wanted[i], strlen(wanted[i]))) {
			snprintf(l->path[l->n++], PATH_MAX, "%s", info->dlpi_name);
			break;
		}
	}
	return 0;
}

/*
 * The spec's own edits: each library bind-mounted read-only at DIR/<its
 * soname> (the name the dynamic linker looks for), and LD_LIBRARY_PATH.
 */
static void ctk_add_libs(struct json_object *root, const struct ctk_opts *o, bool *ok)
{
	struct json_object *edits, *mounts, *m, *opts, *env;
	char real[PATH_MAX], cpath[PATH_MAX + 64], envv[PATH_MAX + 32];
	struct ctk_libs libs = { .n = 0 };
	size_t i;

	dl_iterate_phdr(ctk_lib_cb, &libs);
	if (!libs.n)
		nrt_tool_die("cannot find the libnrt this program uses");
	edits = nrt_json_child(root, "containerEdits", false, ok);
	env = nrt_json_child(edits, "env", true, ok);
	snprintf(envv, sizeof(envv), "LD_LIBRARY_PATH=%s", o->lib_dir);
	nrt_json_str(env, NULL, envv, ok);
	mounts = nrt_json_child(edits, "mounts", true, ok);
	for (i = 0; i < libs.n; i++) {
		const char *base = strrchr(libs.path[i], '/');

		if (!realpath(libs.path[i], real))
			nrt_tool_die("%s: %s", libs.path[i], strerror(errno));
		snprintf(cpath, sizeof(cpath), "%s/%s", o->lib_dir, base ? base + 1 : libs.path[i]);
		m = nrt_json_child(mounts, NULL, false, ok);
		nrt_json_str(m, "hostPath", real, ok);
		nrt_json_str(m, "containerPath", cpath, ok);
		opts = nrt_json_child(m, "options", true, ok);
		nrt_json_str(opts, NULL, "ro", ok);
		nrt_json_str(opts, NULL, "nosuid", ok);
		nrt_json_str(opts, NULL, "nodev", ok);
		nrt_json_str(opts, NULL, "bind", ok);
	}
}

static struct json_object *ctk_spec(const struct ctk_opts *o)
{
	struct json_object *root = json_object_new_object(), *devices;
	const char **nodes;
	nrt_device_list *l;
	struct nrt_facts f;
	char name[32];
	bool ok = root != NULL;
	nrt_status st;
	size_t n, i;

	st = nrt_device_list_get(&l);
	if (st != NRT_SUCCESS)
		nrt_tool_die("cannot list the devices: %s", nrt_tool_reason(st));
	n = nrt_device_list_count(l);
	if (!n)
		nrt_tool_die("no trn device to describe");
	nodes = nrt_tool_xmalloc(n * sizeof(*nodes));
	nrt_json_str(root, "cdiVersion", CDI_VERSION, &ok);
	nrt_json_str(root, "kind", CDI_KIND, &ok);
	devices = nrt_json_child(root, "devices", true, &ok);
	for (i = 0; i < n; i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		nodes[i] = e->device_node;
		snprintf(name, sizeof(name), "%u", e->index);
		ctk_add_device(devices, name, &nodes[i], 1, &ok);
		nrt_facts_read(e->sysfs_dir, &f);
		if (f.uuid[0])
			ctk_add_device(devices, f.uuid, &nodes[i], 1, &ok);
	}
	ctk_add_device(devices, "all", nodes, n, &ok);
	if (o->libs)
		ctk_add_libs(root, o, &ok);
	free(nodes);
	nrt_device_list_free(l);
	if (!ok)
		nrt_tool_die("out of memory");
	return root;
}

/* --- YAML, with libyaml's emitter ---------------------------------------- */

static bool ctk_yaml_scalar(yaml_emitter_t *em, const char *s, bool plain)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
				     plain, !plain, plain ? YAML_ANY_SCALAR_STYLE :
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

/* Emit @v: strings quoted (so that "0" stays a string), the rest as is. */
static bool ctk_yaml_value(yaml_emitter_t *em, struct json_object *v)
{
	yaml_event_t ev;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return false;
		json_object_object_foreach(v, key, val) {
			if (!ctk_yaml_scalar(em, key, true) || !ctk_yaml_value(em, val))
				return false;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	case json_type_array:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return false;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!ctk_yaml_value(em, json_object_array_get_idx(v, i)))
				return false;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	case json_type_string:
		return ctk_yaml_scalar(em, json_object_get_string(v), false);
	default:
		return ctk_yaml_scalar(em, json_object_to_json_string(v), true);
	}
}

static int ctk_write_yaml(FILE *out, struct json_object *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	bool ok;

	if (!yaml_emitter_initialize(&em))
		return -1;
	yaml_emitter_set_output_file(&em, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && ctk_yaml_value(&em, doc);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
	return ok ? 0 : -1;
}

static int ctk_write(FILE *out, struct json_object *doc, bool json)
{
	if (json)
		return nrt_json_print(out, doc, JSON_C_TO_STRING_PRETTY |
				      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (fputs("# Generated by nrt-ctk cdi generate: the trn devices of this host.\n",
		  out) == EOF)
		return -1;
	return ctk_write_yaml(out, doc);
}

/* Write @doc to @path through a temporary file and a rename. */
static void ctk_output(const struct ctk_opts *o, struct json_object *doc)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;
	int fd;

	if (!strcmp(o->output, "-")) {
		if (ctk_write(stdout, doc, o->json))
			nrt_tool_die("cannot write the output");
		return;
	}
	snprintf(dir, sizeof(dir), "%s", o->output);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			nrt_tool_die("cannot create %s: %s", dir, strerror(errno));
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", o->output);
	fd = mkstemp(tmp);
	if (fd < 0)
		nrt_tool_die("cannot create %s: %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f || fchmod(fd, 0644) || ctk_write(f, doc, o->json) || fflush(f) ||
	    fsync(fd) || fclose(f)) {
		unlink(tmp);
		nrt_tool_die("cannot write %s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, o->output)) {
		unlink(tmp);
		nrt_tool_die("cannot rename %s to %s: %s", tmp, o->output, strerror(errno));
	}
}

int main(int argc, char **argv)
{
	enum { OPT_FORMAT = 256, OPT_LIB_DIR, OPT_NO_LIBS };
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "lib-dir", required_argument, NULL, OPT_LIB_DIR },
		{ "no-libs", no_argument, NULL, OPT_NO_LIBS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctk_opts o = { DEFAULT_OUTPUT, false, true, DEFAULT_LIB_DIR };
	const char *format = NULL;
	struct json_object *doc;
	size_t len;
	int opt;

	nrt_tool_init("nrt-ctk");
	while ((opt = getopt_long(argc, argv, "o:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o.output = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "yaml") && strcmp(optarg, "json"))
				nrt_tool_usage_error("invalid format '%s' (yaml or json)", optarg);
			format = optarg;
			break;
		case OPT_LIB_DIR:
			if (optarg[0] != '/')
				nrt_tool_usage_error("--lib-dir needs an absolute path");
			o.lib_dir = optarg;
			break;
		case OPT_NO_LIBS:
			o.libs = false;
			break;
		case 'h':
			ctk_usage(stdout);
			return nrt_tool_flush() ? 2 : 0;
		case 'V':
			return nrt_tool_version() ? 2 : 0;
		default:
			nrt_tool_usage_error(NULL);
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "cdi") ||
	    strcmp(argv[optind + 1], "generate"))
		nrt_tool_usage_error("the command is: nrt-ctk cdi generate [OPTION]...");
	len = strlen(o.output);
	o.json = format ? !strcmp(format, "json") :
		 len > 5 && !strcmp(o.output + len - 5, ".json");
	doc = ctk_spec(&o);
	ctk_output(&o, doc);
	json_object_put(doc);
	if (strcmp(o.output, "-"))
		fprintf(stderr, "nrt-ctk: wrote %s\n", o.output);
	return nrt_tool_flush();
}
