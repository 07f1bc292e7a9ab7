// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KOBJ_CHANGE uevents of a trn device with TRN_EVENT=EVENT, as udev
 * rules see them (tests/vm/t/87-power.sh): it listens, prints "ready", then
 * one line per event with its TRN_* variables but TRN_EVENT,
 *
 *   uevent TRN_THROTTLE=power_cap
 *
 * until it has seen COUNT of them for device BDF, or SECONDS have passed.
 * Exit 0 if it saw COUNT, 1 if not, 2 if it could not listen.
 *
 *   uevent_watch BDF EVENT COUNT SECONDS
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

/* A uevent: NUL-separated "ACTION@DEVPATH", then KEY=VALUE strings. */
static bool uevent(const char *buf, size_t len, const char *bdf, const char *event)
{
	char want[64], line[1024];
	size_t o = 0;
	const char *p;
	bool match = false;

	if (!strstr(buf, bdf) || strncmp(buf, "change@", 7))
		return false;
	snprintf(want, sizeof(want), "TRN_EVENT=%s", event);
	line[0] = '\0';
	for (p = buf + strlen(buf) + 1; p < buf + len; p += strlen(p) + 1) {
		if (!strcmp(p, want))
			match = true;
		else if (!strncmp(p, "TRN_", 4) && o < sizeof(line))
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %s", p);
	}
	if (!match)
		return false;
	printf("uevent%s\n", line);
	fflush(stdout);
	return true;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	struct pollfd pfd;
	int count, seen = 0;
	char buf[8192];
	time_t end;
	ssize_t n;

	if (argc != 5) {
		fprintf(stderr, "usage: uevent_watch BDF EVENT COUNT SECONDS\n");
		return 2;
	}
	count = atoi(argv[3]);
	end = time(NULL) + atoi(argv[4]);
	pfd.fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (pfd.fd < 0 || bind(pfd.fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("uevent socket");
		return 2;
	}
	pfd.events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	while (seen < count && time(NULL) < end) {
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		if (!(pfd.revents & POLLIN))
			continue;
		n = recv(pfd.fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		seen += uevent(buf, (size_t)n, argv[1], argv[2]);
	}
	close(pfd.fd);
	return seen >= count ? 0 : 1;
}
