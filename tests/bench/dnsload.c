/*
 * dnsload.c: how much a DNS server (here: the delaying proxy) carries.
 *
 *	dnsload -s ADDR:PORT -w WINDOW -n COUNT [-t TIMEOUT_MS] < names
 *
 * Reads "NAME TYPE" lines (TYPE is A, AAAA, TXT, MX or PTR) and asks
 * them in turn over UDP, COUNT questions in all (the list repeats),
 * WINDOW of them outstanding at any time.  A question unanswered after
 * TIMEOUT ms (default 2000) counts as lost and frees its place.
 * Prints one line: asked, answered, lost, queries/s, p50 and p99 ms.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/util.h>

#define NIDS	65536

struct q {
	unsigned char	 pkt[300];
	size_t		 len;
};

struct pending {
	uint64_t	 sent;		/* us; 0 if free */
};

static uint64_t	now_us(void);
static int	encode(const char *, const char *, struct q *);
static int	cmp_u64(const void *, const void *);

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A query for name/type, recursion desired, ID filled in later. */
static int
encode(const char *name, const char *type, struct q *q)
{
	unsigned char	*p = q->pkt;
	const char	*s = name, *dot;
	size_t		 l;
	int		 t;

	if (strcmp(type, "A") == 0)
		t = 1;
	else if (strcmp(type, "AAAA") == 0)
		t = 28;
	else if (strcmp(type, "TXT") == 0)
		t = 16;
	else if (strcmp(type, "MX") == 0)
		t = 15;
	else if (strcmp(type, "PTR") == 0)
		t = 12;
	else
		return -1;
	memset(p, 0, 12);
	p[2] = 0x01;			/* RD */
	p[5] = 1;			/* QDCOUNT */
	p += 12;
	while (*s != '\0') {
		dot = strchr(s, '.');
		l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || (size_t)(p - q->pkt) + l + 6 >
		    sizeof(q->pkt))
			return -1;
		*p++ = (unsigned char)l;
		memcpy(p, s, l);
		p += l;
		s += l;
		if (*s == '.')
			s++;
	}
	*p++ = 0;
	*p++ = 0;
	*p++ = (unsigned char)t;
	*p++ = 0;
	*p++ = 1;
	q->len = (size_t)(p - q->pkt);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	struct pending		*pend;
	struct pollfd		 pfd;
	struct q		*qs = NULL, *q;
	uint64_t		*lat, start, now, t, scanned = 0;
	const char		*server = NULL;
	char			 line[512], name[300], type[16];
	unsigned char		 buf[4096];
	long			 window = 1000, count = 10000, timeout = 2000;
	long			 nq = 0, cap = 0, asked = 0, answered = 0, lost = 0;
	long			 out = 0, i, nlat = 0;
	uint16_t		 id = 0;
	ssize_t			 n;
	int			 ch, fd, sl = sizeof(ss);

	while ((ch = getopt(argc, argv, "s:w:n:t:")) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'w':
			window = strtol(optarg, NULL, 10);
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (server == NULL || window < 1 || window > 30000 || count < 1 ||
	    evutil_parse_sockaddr_port(server, (struct sockaddr *)&ss,
	    &sl) == -1)
		goto usage;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "%299s %15s", name, type) != 2)
			continue;
		if (nq == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((qs = reallocarray(qs, (size_t)cap,
			    sizeof(*qs))) == NULL)
				return 1;
		}
		if (encode(name, type, &qs[nq]) == 0)
			nq++;
	}
	if (nq == 0)
		goto usage;
	if ((pend = calloc(NIDS, sizeof(*pend))) == NULL ||
	    (lat = calloc((size_t)count, sizeof(*lat))) == NULL)
		return 1;
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, (socklen_t)sl) == -1) {
		perror("dnsload: socket");
		return 1;
	}
	i = 8 * 1024 * 1024;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &i, sizeof(int));
	pfd.fd = fd;
	pfd.events = POLLIN;
	start = now_us();
	while (answered + lost < count) {
		now = now_us();
		while (out < window && asked < count) {
			q = &qs[asked % nq];
			if (pend[id].sent != 0) {	/* wrapped onto one out */
				id++;
				continue;
			}
			q->pkt[0] = id >> 8;
			q->pkt[1] = id & 0xff;
			if (send(fd, q->pkt, q->len, 0) == -1) {
				if (errno == EAGAIN || errno == ENOBUFS)
					break;
				perror("dnsload: send");
				return 1;
			}
			pend[id++].sent = now;
			asked++;
			out++;
		}
		if (poll(&pfd, 1, 10) == -1 && errno != EINTR)
			return 1;
		while ((n = recv(fd, buf, sizeof(buf), 0)) >= 12) {
			t = now_us();
			i = buf[0] << 8 | buf[1];
			if (pend[i].sent == 0)
				continue;	/* late: already counted lost */
			lat[nlat++] = t - pend[i].sent;
			pend[i].sent = 0;
			answered++;
			out--;
		}
		now = now_us();
		if (out > 0 && (asked == count || out >= window) &&
		    now - scanned > 100000) {
			scanned = now;
			for (i = 0; i < NIDS; i++) {
				if (pend[i].sent != 0 && now - pend[i].sent >
				    (uint64_t)timeout * 1000) {
					pend[i].sent = 0;
					lost++;
					out--;
				}
			}
		}
	}
	t = now_us() - start;
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp_u64);
	printf("asked=%ld answered=%ld lost=%ld qps=%.0f p50_ms=%.2f "
	    "p99_ms=%.2f\n", asked, answered, lost, answered * 1e6 / (double)t,
	    nlat ? lat[nlat / 2] / 1000.0 : 0, nlat ? lat[nlat * 99 / 100] /
	    1000.0 : 0);
	return 0;
usage:
	fprintf(stderr, "usage: dnsload -s ADDR:PORT [-w window] [-n count] "
	    "[-t timeout_ms] < names\n");
	return 2;
}
