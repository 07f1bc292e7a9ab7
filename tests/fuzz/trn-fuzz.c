// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * trn-fuzz: a coverage-guided fuzzer of the trn uapi, run as root in the
 * debug guest kernel (Documentation/testing.rst, "The uapi fuzzer").
 *
 * An input is a sequence of 32-byte records, each one operation: open or
 * close a device file, an ioctl of the driver (QUERY, BO_CREATE, BO_INFO,
 * SUBMIT with generated descriptor chains and programs, WAIT, PEER_IMPORT), a
 * syncobj or PRIME call, mmap/munmap/mremap of an object and accesses to
 * it, a request of the trn_link netlink family, a sysfs read or write, a
 * child that shares the files and is killed in the middle of its work. The
 * first byte picks the operation, the others its arguments, mostly valid:
 * handles, addresses and sizes are taken from what the input made before
 * (a device file or an object is made on demand), with now and then a
 * value that is not. Every input starts from nothing and closes everything
 * at its end.
 *
 * Coverage comes from KCOV: each worker process enables it for itself and
 * keeps the program counters that lie in trn.ko's code (the only code the
 * build instruments: make kernel-debug). An input that reaches a PC, or a
 * pair of successive PCs, no input reached before is kept in the corpus
 * directory. Workers run at once on the same devices, and the parent kills
 * one of them now and then and starts it again.
 *
 * Crashes: before running an input a worker writes it into its slot file
 * OUT/last.W (the last four inputs, see struct slot), on the host's output
 * share, so that the host finds it if the guest dies (tests/fuzz/run saves
 * them). The parent reads the kernel log; on a report (tests/vm/kernel-
 * reports) it copies every worker's last inputs and the log into
 * OUT/crashes/N/ and stops.
 *
 *   trn-fuzz --ko trn.ko --repo DIR --out DIR [--corpus DIR]... [--seconds N]
 *            [--workers N] [--seed N]        fuzz
 *   trn-fuzz --ko trn.ko --repo DIR --replay DIR|FILE...   run inputs once
 *
 * Output: TAP lines (prefix $T, or "fuzz") and "# fuzz:" figures: inputs
 * run, trn.ko PCs reached of those instrumented, source lines (addr2line
 * against trn.ko's debug information), corpus and crashes.
 *
 * This file holds the coverage, the corpus, the mutations, the workers and
 * main; the operations, the execution of an input and the devices are in
 * fuzz_uapi.c and fuzz_exec.c (fuzz.h).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcov.h>

#include "kdebug.h"
#include "fuzz.h"

#define COVER_SIZE	(1u << 18)	/* PCs one input may record */
#define EDGE_BITS	18
#define MAX_WORKERS	8
#define SLOTS		4
#define DBG_KCOV	"/sys/kernel/debug/kcov"

/* --- shared state --------------------------------------------------------- */

struct stats {
	uint64_t execs;
	uint64_t pcs;		/* distinct trn.ko PCs reached */
	uint64_t edges;		/* distinct (previous, current) PC pairs */
	uint64_t new_inputs;
	uint32_t stop;
};

static struct stats *stats;
static uint8_t *pcmap;		/* one byte per byte of trn.ko text */
static uint8_t *edgemap;	/* 1 << EDGE_BITS buckets */
static struct kd_text text;

/* What a worker saves before running an input (OUT/last.W, SLOTS of them). */
struct slot {
	uint32_t len;
	uint32_t seq;
	uint8_t data[4096 - 8];
};

static const char *tname = "fuzz";
static const char *outdir;
static const char *ko_path;

/* --- coverage ----------------------------------------------------------------------------- */

struct kcov {
	int fd;
	uint64_t *cover;
};

static int kcov_open(struct kcov *k)
{
	k->fd = open(DBG_KCOV, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (ioctl(k->fd, KCOV_INIT_TRACE, (unsigned long)COVER_SIZE))
		return -errno;
	k->cover = mmap(NULL, COVER_SIZE * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			MAP_SHARED, k->fd, 0);
	if (k->cover == MAP_FAILED)
		return -errno;
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC))
		return -errno;
	return 0;
}

/* Run @in with coverage; true if it reached something new. */
static bool run_covered(struct kcov *k, const struct input *in)
{
	uint64_t n, i, prev = 0;
	bool fresh = false;

	__atomic_store_n(&k->cover[0], 0, __ATOMIC_RELAXED);
	exec_input(in);
	n = __atomic_load_n(&k->cover[0], __ATOMIC_RELAXED);
	if (n > COVER_SIZE - 1)
		n = COVER_SIZE - 1;
	for (i = 1; i <= n; i++) {
		uint64_t pc = k->cover[i], off, edge;

		if (pc < text.start || pc >= text.end)
			continue;
		off = pc - text.start;
		if (!__atomic_load_n(&pcmap[off], __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&pcmap[off], 1, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&stats->pcs, 1, __ATOMIC_RELAXED);
			fresh = true;
		}
		edge = ((prev * 0x9e3779b97f4a7c15ULL) ^ off) & ((1u << EDGE_BITS) - 1);
		if (!__atomic_load_n(&edgemap[edge], __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&edgemap[edge], 1, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&stats->edges, 1, __ATOMIC_RELAXED);
			fresh = true;
		}
		prev = off;
	}
	__atomic_add_fetch(&stats->execs, 1, __ATOMIC_RELAXED);
	return fresh;
}

/* --- the corpus ----------------------------------------------------------------------------- */

struct corpus {
	struct input *in;
	unsigned int n, cap;
	char (*names)[24];
};

static uint64_t input_hash(const struct input *in)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i;

	for (i = 0; i < in->len; i++)
		h = (h ^ in->data[i]) * 0x100000001b3ULL;
	return h;
}

static bool corpus_has(const struct corpus *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return true;
	return false;
}

static void corpus_add(struct corpus *c, const struct input *in, const char *name)
{
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 256;
		struct input *bigger = realloc(c->in, cap * sizeof(*c->in));
		char (*names)[24];

		if (!bigger)
			return;
		c->in = bigger;
		names = realloc(c->names, cap * sizeof(*c->names));
		if (!names)
			return;
		c->names = names;
		c->cap = cap;
	}
	c->in[c->n] = *in;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	c->n++;
}

static int read_input(const char *path, struct input *in)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, in->data, sizeof(in->data));
	close(fd);
	if (n < 0)
		return -errno;
	in->len = n - n % REC;
	return in->len ? 0 : -EINVAL;
}

/* Every input file of @dir not loaded yet (names are their hashes). */
static unsigned int corpus_load(struct corpus *c, const char *dir)
{
	struct dirent *ent;
	unsigned int added = 0;
	char path[PATH_MAX];
	struct input in;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.' || strlen(ent->d_name) >= 24 ||
		    corpus_has(c, ent->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (read_input(path, &in))
			continue;
		corpus_add(c, &in, ent->d_name);
		added++;
	}
	closedir(d);
	return added;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* --- mutation --------------------------------------------------------------------------------- */

static void random_record(uint64_t *rng, uint8_t *rec)
{
	unsigned int i;

	for (i = 0; i < REC; i += 8) {
		uint64_t v = rng_next(rng);

		memcpy(rec + i, &v, 8);
	}
	/* Small values are the valid ones, mostly. */
	for (i = 1; i < REC; i++)
		if (rng_below(rng, 3))
			rec[i] %= 1 + rng_below(rng, 8) * 32;
}

static void generate(uint64_t *rng, struct input *in)
{
	unsigned int n = 2 + rng_below(rng, 14), i;

	in->len = n * REC;
	for (i = 0; i < n; i++)
		random_record(rng, in->data + i * REC);
}

static void mutate(uint64_t *rng, struct input *in, const struct corpus *c)
{
	unsigned int rounds = 1 + rng_below(rng, 4), nrec, k, j;
	static const uint8_t interesting[] = { 0, 1, 2, 7, 8, 0x10, 0x1f, 0x20, 0x3f, 0x40,
					       0x7f, 0x80, 0xfe, 0xff };

	while (rounds--) {
		nrec = in->len / REC;
		k = rng_below(rng, nrec);
		switch (rng_below(rng, 9)) {
		case 0:	/* flip a bit */
			in->data[k * REC + rng_below(rng, REC)] ^= 1 << rng_below(rng, 8);
			break;
		case 1:	/* an interesting byte */
			in->data[k * REC + 1 + rng_below(rng, REC - 1)] =
				interesting[rng_below(rng, sizeof(interesting))];
			break;
		case 2:	/* another operation, same arguments */
			in->data[k * REC] = rng_next(rng);
			break;
		case 3:	/* a new record */
			random_record(rng, in->data + k * REC);
			break;
		case 4:	/* insert one */
			if (nrec < MAX_RECS) {
				memmove(in->data + (k + 1) * REC, in->data + k * REC,
					(nrec - k) * REC);
				random_record(rng, in->data + k * REC);
				in->len += REC;
			}
			break;
		case 5:	/* remove one */
			if (nrec > 1) {
				memmove(in->data + k * REC, in->data + (k + 1) * REC,
					(nrec - k - 1) * REC);
				in->len -= REC;
			}
			break;
		case 6:	/* repeat one */
			if (nrec < MAX_RECS) {
				memmove(in->data + (k + 1) * REC, in->data + k * REC,
					(nrec - k) * REC);
				in->len += REC;
			}
			break;
		case 7:	/* records of another input */
			if (c->n) {
				const struct input *o = &c->in[rng_below(rng, c->n)];
				unsigned int on = o->len / REC, from = rng_below(rng, on);
				unsigned int cnt = 1 + rng_below(rng, on - from);

				if (cnt > MAX_RECS - nrec)
					cnt = MAX_RECS - nrec;
				memmove(in->data + (k + cnt) * REC, in->data + k * REC,
					(nrec - k) * REC);
				memcpy(in->data + k * REC, o->data + from * REC, cnt * REC);
				in->len += cnt * REC;
			}
			break;
		default: /* arithmetic on a byte */
			j = k * REC + 1 + rng_below(rng, REC - 1);
			in->data[j] += (int)rng_below(rng, 9) - 4;
			break;
		}
	}
}

/* --- workers ----------------------------------------------------------------------------------- */

static const char *const *seed_dirs;
static unsigned int nseed_dirs;
static char corpus_dir[PATH_MAX];

static void worker(unsigned int w, uint64_t seed, uint64_t deadline_ms)
{
	char path[PATH_MAX + 32], name[24];
	struct corpus c = { 0 };
	struct slot *slots;
	struct kcov k;
	uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + w + 1;
	unsigned int i, execs = 0;
	int slot_fd;
	struct input in;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	if (kcov_open(&k)) {
		fprintf(stderr, "trn-fuzz: worker %u: cannot enable KCOV\n", w);
		_exit(3);
	}
	nl_setup();
	snprintf(path, sizeof(path), "%s/last.%u", outdir, w);
	slot_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	slots = calloc(1, sizeof(*slots));
	for (i = 0; i < nseed_dirs; i++)
		corpus_load(&c, seed_dirs[i]);
	corpus_load(&c, corpus_dir);

	while (!__atomic_load_n(&stats->stop, __ATOMIC_RELAXED) && kd_now_ms() < deadline_ms) {
		if (!c.n || !rng_below(&rng, 10)) {
			generate(&rng, &in);
		} else {
			in = c.in[rng_below(&rng, c.n)];
			mutate(&rng, &in, &c);
		}
		/* Where the host finds it if the kernel dies running it. */
		if (slot_fd >= 0 && slots) {
			slots->len = in.len;
			slots->seq = execs;
			memcpy(slots->data, in.data, in.len);
			if (pwrite(slot_fd, slots, 8 + in.len,
				   (off_t)(execs % SLOTS) * sizeof(*slots)) < 0) {
				/* the slot is a help only */
			}
		}
		if (run_covered(&k, &in)) {
			snprintf(name, sizeof(name), "%016" PRIx64, input_hash(&in));
			snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
			if (!write_file(path, in.data, in.len)) {
				corpus_add(&c, &in, name);
				__atomic_add_fetch(&stats->new_inputs, 1, __ATOMIC_RELAXED);
			}
		}
		if (!(++execs % 64))
			corpus_load(&c, corpus_dir);
	}
	_exit(0);
}

static pid_t start_worker(unsigned int w, uint64_t seed, uint64_t deadline_ms)
{
	pid_t pid = fork();

	if (!pid)
		worker(w, seed, deadline_ms);
	return pid;
}

/* --- crashes ------------------------------------------------------------------------------------ */

static unsigned int crashes;

/* The last inputs of workers 0 .. @nworkers - 1 into files of @dir. */
static unsigned int save_slots(unsigned int nworkers, const char *dir)
{
	char path[PATH_MAX + 64];
	unsigned int w, i, n = 0;
	struct slot s;

	for (w = 0; w < nworkers; w++) {
		int fd;

		snprintf(path, sizeof(path), "%s/last.%u", outdir, w);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		for (i = 0; i < SLOTS; i++) {
			if (pread(fd, &s, sizeof(s), (off_t)i * sizeof(s)) < 8 || !s.len ||
			    s.len > sizeof(s.data))
				continue;
			snprintf(path, sizeof(path), "%s/w%u-seq%u", dir, w, s.seq);
			if (!write_file(path, s.data, s.len))
				n++;
		}
		close(fd);
	}
	return n;
}

/* Copy each worker's last inputs and the kernel log into OUT/crashes/N/. */
static void save_crash(unsigned int nworkers, const char *log)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];

	snprintf(dir, sizeof(dir), "%s/crashes", outdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/crashes/%u", outdir, crashes++);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/kernel.log", dir);
	write_file(path, log, strlen(log));
	save_slots(nworkers, dir);
}

/* --- coverage figures --------------------------------------------------------------------------- */

/* Call sites of the KCOV hook in trn.ko: the PCs there are to reach. */
static unsigned int kcov_sites(const char *ko)
{
	const Elf64_Shdr *sh;
	const Elf64_Ehdr *eh;
	unsigned int i, n = 0;
	struct stat st;
	void *map;
	int fd;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	eh = map;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)st.st_size)
		goto out;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *symtab, *strtab, *target;
		const Elf64_Rela *rela;
		const char *names = (const char *)map + sh[eh->e_shstrndx].sh_offset;
		uint64_t j;

		if (sh[i].sh_type != SHT_RELA || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_info >= eh->e_shnum)
			continue;
		target = &sh[sh[i].sh_info];
		if (!(target->sh_flags & SHF_EXECINSTR) ||
		    !strncmp(names + target->sh_name, ".init", 5))
			continue;
		symtab = &sh[sh[i].sh_link];
		if (symtab->sh_link >= eh->e_shnum)
			continue;
		strtab = &sh[symtab->sh_link];
		rela = (const Elf64_Rela *)((const char *)map + sh[i].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*rela); j++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)((const char *)map +
				symtab->sh_offset) + ELF64_R_SYM(rela[j].r_info);
			const char *name = (const char *)map + strtab->sh_offset + sym->st_name;

			if (!strcmp(name, "__sanitizer_cov_trace_pc"))
				n++;
		}
	}
out:
	munmap(map, st.st_size);
	return n;
}

/*
 * Source lines of the PCs reached, by addr2line against trn.ko's debug
 * information (section-relative addresses); the list goes to OUT/lines.txt.
 * Returns the number of distinct lines.
 */
static unsigned int covered_lines(void)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	unsigned int s, lines = 0;
	uint64_t off;

	snprintf(path, sizeof(path), "%s/pcs.txt", outdir);
	for (s = 0; s < text.nsec; s++) {
		FILE *f = fopen(path, "we");

		if (!f)
			return 0;
		for (off = 0; off < text.sec[s].size; off++) {
			uint64_t at = text.sec[s].addr - text.start + off;

			/* KCOV gives return addresses: the call is just before. */
			if (at < text.end - text.start && pcmap[at])
				fprintf(f, "0x%" PRIx64 "\n", off ? off - 1 : 0);
		}
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "addr2line -e '%s' -j '%s' < '%s/pcs.txt' | grep -v '^[?][?]' %s '%s/lines.txt'",
			 ko_path, text.sec[s].name, outdir, s ? ">>" : ">", outdir);
		if (system(cmd) < 0)
			return 0;
	}
	snprintf(cmd, sizeof(cmd), "sed 's/ (discriminator [0-9]*)//' '%s/lines.txt' | sort -u -o '%s/lines.txt'",
		 outdir, outdir);
	if (system(cmd))
		return 0;
	snprintf(path, sizeof(path), "%s/lines.txt", outdir);
	{
		FILE *f = fopen(path, "re");
		char line[512];

		if (!f)
			return 0;
		while (fgets(line, sizeof(line), f))
			lines++;
		fclose(f);
	}
	return lines;
}

/* --- main --------------------------------------------------------------------------------------- */

static void *shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void print_figures(uint64_t secs, unsigned int sites)
{
	unsigned int lines = covered_lines();

	printf("# %s: %" PRIu64 " inputs run in %" PRIu64 " s (%.1f/s), trn.ko PCs reached: %" PRIu64
	       " of %u instrumented (%.1f%%), %u source lines, %" PRIu64 " PC pairs, %" PRIu64
	       " new inputs, %u crashes\n",
	       tname, stats->execs, secs, secs ? (double)stats->execs / secs : 0.0, stats->pcs,
	       sites, sites ? 100.0 * stats->pcs / sites : 0.0, lines, stats->edges,
	       stats->new_inputs, crashes);
}

/*
 * Run every input of @paths (files, or directories of them) once, in this
 * process; their coverage becomes the baseline. Returns how many of them
 * made the kernel report something.
 */
static unsigned int replay(const char *const *paths, int npaths, struct kd_kmsg *km,
			   struct kcov *k)
{
	char first[256], path[PATH_MAX + 256];
	struct input in;
	unsigned int ran = 0, bad = 0;
	int i;

	for (i = 0; i < npaths; i++) {
		struct dirent **list;
		struct stat st;
		int n, j;

		if (stat(paths[i], &st))
			continue;
		n = S_ISDIR(st.st_mode) ? scandir(paths[i], &list, NULL, alphasort) : -2;
		for (j = 0; n == -2 ? j < 1 : j < n; j++) {
			if (n == -2)
				snprintf(path, sizeof(path), "%s", paths[i]);
			else if (list[j]->d_name[0] == '.')
				continue;
			else
				snprintf(path, sizeof(path), "%s/%s", paths[i], list[j]->d_name);
			if (read_input(path, &in))
				continue;
			run_covered(k, &in);
			ran++;
			if (kd_kmsg_poll(km, NULL, first, sizeof(first)) > 0) {
				printf("# %s: %s: kernel report: %s\n", tname, path, first);
				bad++;
			}
		}
		if (n >= 0) {
			for (j = 0; j < n; j++)
				free(list[j]);
			free(list);
		}
	}
	printf("%s - %s: replay of %u inputs: %s\n", bad ? "not ok" : "ok", tname, ran,
	       bad ? "kernel reports (above)" : "no kernel report");
	return bad;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: trn-fuzz --ko PATH --repo DIR --out DIR [--corpus DIR]... [--seconds N]\n"
		   "                [--workers N] [--seed N] [--kill-every S]\n"
		   "       trn-fuzz --ko PATH --repo DIR --out DIR --replay DIR|FILE...\n"
		   "       trn-fuzz --out DIR --salvage DEST   (the last inputs, after a crash)\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ko", required_argument, NULL, 'k' },
		{ "repo", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "corpus", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'S' },
		{ "kill-every", required_argument, NULL, 'K' },
		{ "replay", no_argument, NULL, 'R' },
		{ "salvage", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *seeds[16];
	char reports[PATH_MAX], first[256], *log = NULL;
	const char *repo = ".";
	unsigned int nworkers = 2, seconds = 60, kill_every = 5, sites, w;
	uint64_t seed = (uint64_t)time(NULL), t0, deadline, next_kill;
	pid_t pids[MAX_WORKERS] = { 0 };
	bool do_replay = false;
	const char *salvage = NULL;
	unsigned int bad = 0;
	struct kd_kmsg km;
	struct kcov kc;
	size_t loglen = 0;
	FILE *logf;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': ko_path = optarg; break;
		case 'r': repo = optarg; break;
		case 'o': outdir = optarg; break;
		case 'c':
			if (nseed_dirs < 16)
				seeds[nseed_dirs++] = optarg;
			break;
		case 's': seconds = strtoul(optarg, NULL, 0); break;
		case 'w': nworkers = strtoul(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'K': kill_every = strtoul(optarg, NULL, 0); break;
		case 'R': do_replay = true; break;
		case 'V': salvage = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (salvage && outdir) {
		/* On the host, after the guest died: what the workers last ran. */
		mkdir(salvage, 0755);
		printf("%u inputs saved in %s\n", save_slots(MAX_WORKERS, salvage), salvage);
		return 0;
	}
	if (!ko_path || !outdir || !nworkers || nworkers > MAX_WORKERS) {
		usage(stderr);
		return 2;
	}
	seed_dirs = seeds;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("T"))
		tname = getenv("T");
	mkdir(outdir, 0755);
	snprintf(corpus_dir, sizeof(corpus_dir), "%s/corpus", outdir);
	mkdir(corpus_dir, 0755);

	ret = kd_module_text(ko_path, "trn", &text);
	if (ret) {
		printf("not ok - %s: cannot locate trn.ko's code (%s)\n", tname, strerror(-ret));
		return 1;
	}
	find_devices();
	find_sysfs();
	if (!ndevs) {
		printf("not ok - %s: no trn device\n", tname);
		return 1;
	}
	stats = shared(sizeof(*stats));
	pcmap = shared(text.end - text.start);
	edgemap = shared(1u << EDGE_BITS);
	if (!stats || !pcmap || !edgemap) {
		printf("not ok - %s: out of memory\n", tname);
		return 1;
	}
	sites = kcov_sites(ko_path);
	snprintf(reports, sizeof(reports), "%s/tests/vm/kernel-reports", repo);
	if (kd_kmsg_open(&km, reports, NULL)) {
		printf("not ok - %s: cannot read the kernel log\n", tname);
		return 1;
	}
	printf("# %s: %u devices, %u sysfs files, trn.ko text 0x%" PRIx64 "-0x%" PRIx64
	       ", %u KCOV sites, seed %" PRIu64 "\n",
	       tname, ndevs, nsysfs, text.start, text.end, sites, seed);

	/* The inputs given (--replay) or the seeds, once: the baseline. */
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	if (kcov_open(&kc)) {
		printf("not ok - %s: cannot enable KCOV (%s)\n", tname, strerror(errno));
		return 1;
	}
	nl_setup();
	t0 = kd_now_ms();
	if (do_replay) {
		bad = replay((const char *const *)argv + optind, argc - optind, &km, &kc);
		print_figures((kd_now_ms() - t0) / 1000, sites);
		return bad ? 1 : 0;
	}
	if (nseed_dirs)
		bad = replay(seeds, nseed_dirs, &km, &kc);

	logf = open_memstream(&log, &loglen);
	deadline = t0 + (uint64_t)seconds * 1000;
	next_kill = t0 + (uint64_t)kill_every * 1000;
	for (w = 0; w < nworkers; w++)
		pids[w] = start_worker(w, seed, deadline);
	while (kd_now_ms() < deadline) {
		int status;
		pid_t pid;

		usleep(200000);
		if (kd_kmsg_poll(&km, logf, first, sizeof(first)) > 0) {
			/* Let the report finish before saving it. */
			usleep(500000);
			kd_kmsg_poll(&km, logf, NULL, 0);
			fflush(logf);
			printf("not ok - %s: kernel report while fuzzing: %s\n", tname, first);
			save_crash(nworkers, log);
			printf("# %s: inputs and kernel log saved in %s/crashes/%u\n", tname, outdir,
			       crashes - 1);
			break;
		}
		/* Keep the log short between reports. */
		fflush(logf);
		if (loglen > (1u << 20)) {
			fclose(logf);
			free(log);
			log = NULL;
			logf = open_memstream(&log, &loglen);
		}
		/* Restart workers that ended, kill one now and then. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (w = 0; w < nworkers; w++)
				if (pids[w] == pid) {
					if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
						printf("# %s: worker %u died of signal %d\n", tname,
						       w, WTERMSIG(status));
					pids[w] = kd_now_ms() + 1000 < deadline ?
						  start_worker(w, seed + kd_now_ms(), deadline) : 0;
				}
		if (kill_every && kd_now_ms() >= next_kill) {
			w = rand() % nworkers;
			if (pids[w] > 0)
				kill(pids[w], SIGKILL);
			next_kill = kd_now_ms() + 1000 + (uint64_t)(rand() % (2 * kill_every)) * 1000 / 2;
		}
	}
	/* Workers stop by themselves; one stuck for a minute is killed, and
	 * one that does not die either (in the kernel) is left behind. */
	__atomic_store_n(&stats->stop, 1, __ATOMIC_RELAXED);
	for (w = 0; w < nworkers; w++) {
		uint64_t until = kd_now_ms() + 60000;
		bool killed = false;

		while (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == 0) {
			if (kd_now_ms() > until) {
				if (killed) {
					printf("not ok - %s: worker %u does not end (pid %d)\n",
					       tname, w, pids[w]);
					crashes++;
					break;
				}
				kill(pids[w], SIGKILL);
				killed = true;
				until = kd_now_ms() + 60000;
			}
			usleep(50000);
		}
	}
	/* What the last inputs left behind may still be reported. */
	usleep(500000);
	if (!crashes && kd_kmsg_poll(&km, logf, first, sizeof(first)) > 0) {
		fflush(logf);
		printf("not ok - %s: kernel report while fuzzing: %s\n", tname, first);
		save_crash(nworkers, log);
	}
	if (!crashes)
		printf("ok - %s: %u s of fuzzing with %u workers: no kernel report\n", tname,
		       seconds, nworkers);
	print_figures((kd_now_ms() - t0) / 1000, sites);
	fclose(logf);
	free(log);
	return crashes || bad ? 1 : 0;
}
