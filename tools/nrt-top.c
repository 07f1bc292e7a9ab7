// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top - what the trn devices, their NeuronCores, NeuronLinks and the
 * processes using them are doing.
 *
 * Three ways to run: a full-screen ncurses view (the default), plain text
 * or JSON snapshots on stdout (-b, --json), and a Prometheus endpoint
 * (--prometheus). Everything comes from sysfs, hwmon and the DRM fdinfo of
 * /proc (nrt_top_snap.c); nothing opens a device, so any user may run it.
 *
 * Exit status: 0 on success (also without devices), 1 on a runtime error
 * (output failed, no terminal, cannot listen), 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "nrt.h"
#include "nrt_tool.h"
#include "nrt_top_json.h"
#include "nrt_top_prom.h"
#include "nrt_top_snap.h"
#include "nrt_top_view.h"

#define NRT_TOP_NAME "nrt-top"
#define NRT_TOP_STR2(x) #x
#define NRT_TOP_STR(x) NRT_TOP_STR2(x)
#define NRT_TOP_VERSION NRT_TOP_STR(NRT_VERSION_MAJOR) "." \
	NRT_TOP_STR(NRT_VERSION_MINOR) "." NRT_TOP_STR(NRT_VERSION_PATCH)

#define NRT_TOP_BATCH_WIDTH 100

struct nrt_top_opts {
	bool batch;
	bool json;
	unsigned long iterations;  /* 0: forever */
	double delay_s;
	int width;                 /* batch columns */
	unsigned int port;         /* --prometheus; 0: off */
	const char *listen;
};

static volatile sig_atomic_t nrt_top_stop;

static void nrt_top_on_signal(int sig)
{
	(void)sig;
	nrt_top_stop = 1;
}

static void nrt_top_usage(FILE *out)
{
	fprintf(out,
		"Usage: " NRT_TOP_NAME " [OPTION]...\n"
		"Show what the trn devices, their NeuronCores and links, and the processes\n"
		"using them are doing.\n"
		"\n"
		"  -b, --batch            print plain-text snapshots instead of the\n"
		"                         full-screen view\n"
		"  -j, --json             print one JSON document per interval (one a line)\n"
		"  -n, --iterations N     stop after N snapshots (0: never, the default)\n"
		"  -d, --delay SECONDS    interval between snapshots (default 1, 0.1..3600)\n"
		"  -w, --width COLUMNS    width of batch output (default %d, 40..1000)\n"
		"  -P, --prometheus PORT  serve the metrics on http://ADDR:PORT/metrics\n"
		"  -L, --listen ADDR      address to serve them on (default 127.0.0.1)\n"
		"  -h, --help             print this help and exit\n"
		"  -V, --version          print the version and exit\n"
		"\n"
		"Keys of the full-screen view: h help, q quit, Tab/arrows/0-9 device,\n"
		"s sort, l links, p processes, a all processes, +/- interval.\n"
		"\n"
		"Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n",
		NRT_TOP_BATCH_WIDTH);
}

static unsigned long nrt_top_parse_ulong(const char *s, unsigned long max,
					 const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v > max)
		nrt_tool_usage_error("invalid %s '%s' (0..%lu)", what, s, max);
	return v;
}

static void nrt_top_parse(int argc, char **argv, struct nrt_top_opts *o)
{
	static const struct option options[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "width", required_argument, NULL, 'w' },
		{ "prometheus", required_argument, NULL, 'P' },
		{ "listen", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	memset(o, 0, sizeof(*o));
	o->delay_s = 1;
	o->width = NRT_TOP_BATCH_WIDTH;
	while ((opt = getopt_long(argc, argv, "bjn:d:w:P:L:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'b':
			o->batch = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'n':
			o->iterations = nrt_top_parse_ulong(optarg, 1000000000ul,
							    "--iterations");
			break;
		case 'd':
			errno = 0;
			o->delay_s = strtod(optarg, &end);
			if (!*optarg || *end || errno || !isfinite(o->delay_s) ||
			    o->delay_s < 0.1 || o->delay_s > 3600)
				nrt_tool_usage_error("invalid --delay '%s' (0.1..3600 seconds)",
						     optarg);
			break;
		case 'w':
			o->width = (int)nrt_top_parse_ulong(optarg, 1000, "--width");
			if (o->width < 40)
				nrt_tool_usage_error("invalid --width '%s' (40..1000)", optarg);
			break;
		case 'P':
			o->port = (unsigned int)nrt_top_parse_ulong(optarg, 65535, "port");
			if (!o->port)
				nrt_tool_usage_error("invalid port '%s' (1..65535)", optarg);
			break;
		case 'L':
			o->listen = optarg;
			break;
		case 'h':
			nrt_top_usage(stdout);
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
	if (o->batch && o->json)
		nrt_tool_usage_error("--batch and --json exclude each other");
	if (o->port && (o->batch || o->json))
		nrt_tool_usage_error("--prometheus cannot be combined with --batch or --json");
	if (o->listen && !o->port)
		nrt_tool_usage_error("--listen needs --prometheus");
}

static void nrt_top_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nrt_top_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Ctrl-\ and a hangup also leave through endwin() */
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Sleep @s seconds, or less if a signal asks to stop. */
static void nrt_top_sleep(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - floor(s)) * 1e9),
	};

	while (!nrt_top_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A new snapshot with the rates since @prev; false (after a message) if not. */
static bool nrt_top_sample(struct nrt_top_snap *cur, const struct nrt_top_snap *prev)
{
	if (nrt_top_collect(cur)) {
		nrt_tool_error("out of memory");
		return false;
	}
	nrt_top_delta(cur, prev);
	return true;
}

static int nrt_top_print_batch(const struct nrt_top_snap *s, const struct nrt_top_opts *o)
{
	struct nrt_top_grid g = { 0 };
	struct nrt_top_view v;
	int rows, ret;

	nrt_top_view_init(&v, o->delay_s, NRT_TOP_VERSION);
	v.batch = true;
	v.links = true;
	v.all_procs = true;
	if (nrt_top_grid_resize(&g, o->width, nrt_top_render_rows(s, &v)))
		return -1;
	rows = nrt_top_render(&g, s, &v);
	ret = nrt_top_grid_print(&g, rows, stdout);
	if (!ret && putchar('\n') == EOF)
		ret = -1;
	nrt_top_grid_free(&g);
	return ret;
}

/* -b and --json: snapshots on stdout. Return: the exit status. */
static int nrt_top_stream(const struct nrt_top_opts *o)
{
	struct nrt_top_snap prev, cur;
	unsigned long i;
	bool warned = false;
	int ret = 0;

	if (!nrt_top_sample(&prev, NULL))
		return 1;
	for (i = 0; !o->iterations || i < o->iterations; i++) {
		nrt_top_sleep(o->delay_s);
		if (nrt_top_stop)
			break;
		if (!nrt_top_sample(&cur, &prev)) {
			ret = 1;
			break;
		}
		if (!cur.num_devs && !warned) {
			nrt_tool_error("no trn devices found (is the trn driver loaded?)");
			warned = true;
		}
		if ((o->json ? nrt_top_json_print(stdout, &cur) :
		     nrt_top_print_batch(&cur, o)) || fflush(stdout)) {
			nrt_tool_error("cannot write the output");
			nrt_top_snap_free(&cur);
			ret = 1;
			break;
		}
		nrt_top_snap_free(&prev);
		prev = cur;
	}
	nrt_top_snap_free(&prev);
	return ret;
}

/* --prometheus: serve until SIGINT or SIGTERM. Return: the exit status. */
static int nrt_top_serve(const struct nrt_top_opts *o)
{
	const char *addr = o->listen ? o->listen : "127.0.0.1";
	struct nrt_top_prom_server *srv;
	sigset_t set, old;
	int sig;

	/* The server's thread inherits the mask: the signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (nrt_top_prom_start(addr, o->port, (uint64_t)(o->delay_s * 1e9), &srv)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	nrt_tool_error("serving metrics on http://%s%s%s:%u/metrics",
		       strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", o->port);
	while (sigwait(&set, &sig))
		;
	nrt_top_prom_stop(srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* --- the full-screen view ------------------------------------------------- */

static const chtype nrt_top_curses_attrs[NRT_TOP_NATTRS] = {
	[NRT_TOP_A_NORMAL] = A_NORMAL,
	[NRT_TOP_A_BOLD] = A_BOLD,
	[NRT_TOP_A_TITLE] = A_REVERSE,
	[NRT_TOP_A_HEADER] = A_REVERSE,
	[NRT_TOP_A_SELECTED] = A_REVERSE | A_BOLD,
	[NRT_TOP_A_LOW] = A_NORMAL,
	[NRT_TOP_A_MID] = A_BOLD,
	[NRT_TOP_A_HIGH] = A_BOLD,
	[NRT_TOP_A_ALERT] = A_BOLD | A_UNDERLINE,
	[NRT_TOP_A_DIM] = A_DIM,
};

/* Color pairs per attribute where the terminal has colors (0: none). */
static short nrt_top_pairs[NRT_TOP_NATTRS];

static void nrt_top_curses_colors(void)
{
	static const struct { enum nrt_top_attr a; short fg, bg; } map[] = {
		{ NRT_TOP_A_TITLE, COLOR_BLACK, COLOR_CYAN },
		{ NRT_TOP_A_HEADER, COLOR_BLACK, COLOR_GREEN },
		{ NRT_TOP_A_SELECTED, COLOR_BLACK, COLOR_CYAN },
		{ NRT_TOP_A_LOW, COLOR_GREEN, -1 },
		{ NRT_TOP_A_MID, COLOR_YELLOW, -1 },
		{ NRT_TOP_A_HIGH, COLOR_RED, -1 },
		{ NRT_TOP_A_ALERT, COLOR_RED, -1 },
	};
	size_t i;

	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (init_pair((short)(i + 1), map[i].fg, map[i].bg) == OK)
			nrt_top_pairs[map[i].a] = (short)(i + 1);
	}
}

static void nrt_top_blit(const struct nrt_top_grid *g)
{
	int x, y;

	erase();
	for (y = 0; y < g->h; y++) {
		for (x = 0; x < g->w; x++) {
			size_t off = (size_t)y * (size_t)g->w + (size_t)x;
			unsigned char a = g->attr[off];
			chtype c = (chtype)(unsigned char)g->ch[off] |
				   nrt_top_curses_attrs[a] | COLOR_PAIR(nrt_top_pairs[a]);

			/* The bottom-right cell cannot be written without scrolling. */
			if (y == g->h - 1 && x == g->w - 1)
				continue;
			mvaddch(y, x, c);
		}
	}
	refresh();
}

static int nrt_top_curses_key(int ch)
{
	switch (ch) {
	case KEY_LEFT: return NRT_TOP_KEY_LEFT;
	case KEY_RIGHT: return NRT_TOP_KEY_RIGHT;
	case KEY_UP: return NRT_TOP_KEY_UP;
	case KEY_DOWN: return NRT_TOP_KEY_DOWN;
	case KEY_BTAB: return NRT_TOP_KEY_BTAB;
	case KEY_F(1): return NRT_TOP_KEY_F1;
	case KEY_F(6): return NRT_TOP_KEY_F6;
	case KEY_F(10): return NRT_TOP_KEY_F10;
	default: return ch;
	}
}

static uint64_t nrt_top_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The full-screen view. Return: the exit status. */
static int nrt_top_interactive(const struct nrt_top_opts *o)
{
	struct nrt_top_snap prev, cur;
	struct nrt_top_grid g = { 0 };
	struct nrt_top_view v;
	unsigned long updates = 0;
	uint64_t next;
	SCREEN *scr;
	int ret = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		nrt_tool_error("not a terminal: use --batch or --json");
		return 1;
	}
	if (!nrt_top_sample(&prev, NULL))
		return 1;
	setlocale(LC_ALL, "");
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		nrt_tool_error("cannot use the terminal (TERM=%s)",
			       getenv("TERM") ? getenv("TERM") : "");
		nrt_top_snap_free(&prev);
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	nrt_top_curses_colors();
	nrt_top_view_init(&v, o->delay_s, NRT_TOP_VERSION);
	/* The first rates come sooner than a whole interval. */
	next = nrt_top_now_ns() + (uint64_t)(fmin(v.interval_s, 0.5) * 1e9);
	while (!nrt_top_stop) {
		uint64_t now;
		int ch;

		if ((g.w != COLS || g.h != LINES || !g.ch) &&
		    nrt_top_grid_resize(&g, COLS, LINES)) {
			ret = 1;
			break;
		}
		nrt_top_render(&g, &prev, &v);
		nrt_top_blit(&g);
		now = nrt_top_now_ns();
		timeout(next > now ? (int)((next - now) / 1000000 + 1) : 0);
		ch = getch();
		if (ch == KEY_RESIZE || ch == ERR) {
			/* Resizing: COLS and LINES are new, the loop draws again. */
		} else if (nrt_top_view_key(&v, nrt_top_curses_key(ch), prev.num_devs) ==
			   NRT_TOP_QUIT) {
			break;
		} else if (ch == '+' || ch == '-' || ch == '=' || ch == '_') {
			next = nrt_top_now_ns() + (uint64_t)(v.interval_s * 1e9);
		}
		if (nrt_top_now_ns() < next)
			continue;
		if (!nrt_top_sample(&cur, &prev)) {
			ret = 1;
			break;
		}
		nrt_top_snap_free(&prev);
		prev = cur;
		next = nrt_top_now_ns() + (uint64_t)(v.interval_s * 1e9);
		if (o->iterations && ++updates >= o->iterations) {
			nrt_top_render(&g, &prev, &v);
			nrt_top_blit(&g);
			break;
		}
	}
	endwin();
	delscreen(scr);
	nrt_top_grid_free(&g);
	nrt_top_snap_free(&prev);
	return ret;
}

int main(int argc, char **argv)
{
	struct nrt_top_opts o;

	nrt_tool_init(NRT_TOP_NAME);
	nrt_top_parse(argc, argv, &o);
	if (o.port)
		return nrt_top_serve(&o);
	nrt_top_signals();
	if (o.batch || o.json)
		return nrt_top_stream(&o);
	return nrt_top_interactive(&o);
}
