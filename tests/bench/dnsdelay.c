/*
 * dnsdelay.c: a DNS proxy that holds every answer back for D ms.
 *
 *	dnsdelay -l ADDR:PORT -u ADDR:PORT -d MS [-P PIDFILE] [-S STATSFILE]
 *
 * Queries that come in over UDP go upstream over UDP, each under an ID
 * of ours (eight connected sockets, 65536 IDs each), and the answer goes
 * back to the client D ms after it came from upstream.  A TCP client
 * gets a TCP connection of its own to upstream; each answer message on
 * it is held back the same way.  Since D is the same for every answer,
 * the held answers form a queue in arrival order and one timer serves
 * it.  recvmmsg/sendmmsg move UDP in batches, so the proxy carries tens
 * of thousands of queries a second on one core.
 *
 * SIGUSR1 writes the counters to STATSFILE (atomically, by rename);
 * SIGTERM or SIGINT end it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#endif
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define NUPSTREAM	8
#define NIDS		65536
#define BATCH		64
#define MSGMAX		65535
#define SLOT_STALE_MS	30000

struct held {
	STAILQ_ENTRY(held)	 next;
	uint64_t		 due;		/* ms, monotonic */
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	size_t			 len;
	unsigned char		 data[];
};
STAILQ_HEAD(heldq, held);

struct slot {
	uint64_t		 asked;		/* ms; 0 if free */
	uint16_t		 id;		/* the client's */
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
};

struct upstream {
	int			 fd;
	struct event		*ev;
	uint16_t		 nextid;
	struct slot		*slots;		/* NIDS */
};

struct tcpconn {
	struct bufferevent	*client;
	struct bufferevent	*up;
	struct heldq		 held;		/* answers, data[] is framed */
	struct event		*timer;
	int			 upclosed;
	LIST_ENTRY(tcpconn)	 entry;
};

struct stats {
	unsigned long	 udp_queries, udp_answers, tcp_queries, tcp_answers;
	unsigned long	 dropped, stale, tcp_conns;
	/* the most UDP questions out at once since the last stats file */
	unsigned long	 udp_outstanding_max;
};

static struct event_base	*base;
static int			 listen_fd;
static struct event		*ev_listen, *ev_timer;
static struct upstream		 ups[NUPSTREAM];
static int			 nextup;
static struct heldq		 udpheld = STAILQ_HEAD_INITIALIZER(udpheld);
static uint64_t			 delay_ms;
static struct sockaddr_storage	 upaddr;
static socklen_t		 upaddrlen;
static struct stats		 st;
static const char		*statsfile;
static LIST_HEAD(, tcpconn)	 conns = LIST_HEAD_INITIALIZER(conns);
static unsigned char		 bufs[BATCH][MSGMAX];

static void	usage(void);
static uint64_t	now_ms(void);
static int	parse_addr(const char *, struct sockaddr_storage *,
		    socklen_t *);
static int	udp_socket(const struct sockaddr_storage *, socklen_t, int);
static void	client_read(evutil_socket_t, short, void *);
static void	upstream_read(evutil_socket_t, short, void *);
static void	hold(struct heldq *, const struct sockaddr_storage *,
		    socklen_t, const unsigned char *, size_t, size_t);
static void	udp_release(evutil_socket_t, short, void *);
static void	arm(struct event *, struct heldq *);
static void	tcp_accept(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	tcp_client_read(struct bufferevent *, void *);
static void	tcp_up_read(struct bufferevent *, void *);
static void	tcp_event(struct bufferevent *, short, void *);
static void	tcp_release(evutil_socket_t, short, void *);
static void	tcp_free(struct tcpconn *);
static void	write_stats(evutil_socket_t, short, void *);
static void	stop(evutil_socket_t, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: dnsdelay -l ADDR:PORT -u ADDR:PORT -d MS "
	    "[-P pidfile] [-S statsfile]\n");
	exit(2);
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "127.0.0.1:53" or "[::1]:53" */
static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	int	 l = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (evutil_parse_sockaddr_port(s, (struct sockaddr *)ss, &l) == -1)
		return -1;
	*len = (socklen_t)l;
	return 0;
}

static int
udp_socket(const struct sockaddr_storage *ss, socklen_t len, int bindit)
{
	int	 fd, sz = 8 * 1024 * 1024, on = 1;

	if ((fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (bindit) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (const struct sockaddr *)ss, len) == -1) {
			close(fd);
			return -1;
		}
	} else if (connect(fd, (const struct sockaddr *)ss, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Queries from UDP clients: a fresh ID each, then upstream. */
static void
client_read(evutil_socket_t fd, short what, void *arg)
{
	struct mmsghdr		 msgs[BATCH];
	struct iovec		 iov[BATCH];
	struct sockaddr_storage	 from[BATCH];
	struct upstream		*u;
	struct slot		*s;
	uint64_t		 now;
	uint16_t		 id;
	int			 i, n, rounds;

	(void)what;
	(void)arg;
	for (rounds = 0; rounds < 16; rounds++) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = MSGMAX;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if ((n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return;
		now = now_ms();
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_len < 12) {
				st.dropped++;
				continue;
			}
			st.udp_queries++;
			if (st.udp_queries - st.udp_answers - st.dropped >
			    st.udp_outstanding_max)
				st.udp_outstanding_max = st.udp_queries -
				    st.udp_answers - st.dropped;
			u = &ups[nextup];
			nextup = (nextup + 1) % NUPSTREAM;
			id = u->nextid++;
			s = &u->slots[id];
			if (s->asked != 0)
				st.stale++;	/* never answered: reuse */
			s->asked = now;
			s->id = (uint16_t)(bufs[i][0] << 8 | bufs[i][1]);
			memcpy(&s->from, &from[i], msgs[i].msg_hdr.msg_namelen);
			s->fromlen = msgs[i].msg_hdr.msg_namelen;
			bufs[i][0] = id >> 8;
			bufs[i][1] = id & 0xff;
			if (send(u->fd, bufs[i], msgs[i].msg_len, 0) == -1) {
				st.dropped++;
				s->asked = 0;
			}
		}
		if (n < BATCH)
			return;
	}
}

/* Answers from upstream: back to the client's ID, then held. */
static void
upstream_read(evutil_socket_t fd, short what, void *arg)
{
	struct upstream	*u = arg;
	struct mmsghdr	 msgs[BATCH];
	struct iovec	 iov[BATCH];
	struct slot	*s;
	uint16_t	 id;
	int		 i, n, rounds, held = 0;

	(void)what;
	for (rounds = 0; rounds < 16; rounds++) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = MSGMAX;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_len < 12) {
				st.dropped++;
				continue;
			}
			id = (uint16_t)(bufs[i][0] << 8 | bufs[i][1]);
			s = &u->slots[id];
			if (s->asked == 0) {
				st.dropped++;	/* late twin of a reused ID */
				continue;
			}
			s->asked = 0;
			bufs[i][0] = s->id >> 8;
			bufs[i][1] = s->id & 0xff;
			hold(&udpheld, &s->from, s->fromlen, bufs[i],
			    msgs[i].msg_len, 0);
			held = 1;
		}
		if (n < BATCH)
			break;
	}
	if (held) {
		if (delay_ms == 0)
			udp_release(-1, 0, NULL);
		else if (!evtimer_pending(ev_timer, NULL))
			arm(ev_timer, &udpheld);
	}
}

/* Queue an answer; for TCP the 2-octet length goes in front. */
static void
hold(struct heldq *q, const struct sockaddr_storage *to, socklen_t tolen,
    const unsigned char *data, size_t len, size_t frame)
{
	struct held	*h;

	if ((h = malloc(sizeof(*h) + len + frame)) == NULL) {
		st.dropped++;
		return;
	}
	h->due = now_ms() + delay_ms;
	if (to != NULL)
		memcpy(&h->to, to, tolen);
	h->tolen = tolen;
	if (frame) {
		h->data[0] = len >> 8;
		h->data[1] = len & 0xff;
	}
	memcpy(h->data + frame, data, len);
	h->len = len + frame;
	STAILQ_INSERT_TAIL(q, h, next);
}

static void
arm(struct event *ev, struct heldq *q)
{
	struct held	*h;
	struct timeval	 tv;
	uint64_t	 now = now_ms(), wait;

	if ((h = STAILQ_FIRST(q)) == NULL)
		return;
	wait = h->due > now ? h->due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Send every UDP answer whose time has come, in batches. */
static void
udp_release(evutil_socket_t fd, short what, void *arg)
{
	struct mmsghdr	 msgs[BATCH];
	struct iovec	 iov[BATCH];
	struct held	*h, *batch[BATCH];
	uint64_t	 now = now_ms();
	int		 n, i, sent;

	(void)fd;
	(void)what;
	(void)arg;
	for (;;) {
		n = 0;
		while (n < BATCH && (h = STAILQ_FIRST(&udpheld)) != NULL &&
		    h->due <= now) {
			STAILQ_REMOVE_HEAD(&udpheld, next);
			batch[n] = h;
			iov[n].iov_base = h->data;
			iov[n].iov_len = h->len;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			msgs[n].msg_hdr.msg_name = &h->to;
			msgs[n].msg_hdr.msg_namelen = h->tolen;
			n++;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i += sent) {
			sent = sendmmsg(listen_fd, msgs + i, (unsigned int)(n - i),
			    0);
			if (sent <= 0) {
				st.dropped += (unsigned long)(n - i);
				break;
			}
			st.udp_answers += (unsigned long)sent;
		}
		for (i = 0; i < n; i++)
			free(batch[i]);
	}
	arm(ev_timer, &udpheld);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct tcpconn	*c;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	STAILQ_INIT(&c->held);
	st.tcp_conns++;
	c->client = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->up = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(base, tcp_release, c);
	if (c->client == NULL || c->up == NULL || c->timer == NULL ||
	    bufferevent_socket_connect(c->up, (struct sockaddr *)&upaddr,
	    (int)upaddrlen) == -1) {
		tcp_free(c);
		return;
	}
	LIST_INSERT_HEAD(&conns, c, entry);
	bufferevent_setcb(c->client, tcp_client_read, NULL, tcp_event, c);
	bufferevent_setcb(c->up, tcp_up_read, NULL, tcp_event, c);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
	bufferevent_enable(c->up, EV_READ | EV_WRITE);
}

/* Queries go up as they are, counted by their frames. */
static void
tcp_client_read(struct bufferevent *bev, void *arg)
{
	struct tcpconn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	unsigned char	 hdr[2];
	size_t		 len;

	while (evbuffer_get_length(in) >= 2) {
		(void)evbuffer_copyout(in, hdr, 2);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			break;
		st.tcp_queries++;
		(void)evbuffer_remove_buffer(in, bufferevent_get_output(c->up),
		    len + 2);
	}
}

/* Answers are held, message by message. */
static void
tcp_up_read(struct bufferevent *bev, void *arg)
{
	struct tcpconn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	unsigned char	 hdr[2];
	size_t		 len;

	while (evbuffer_get_length(in) >= 2) {
		(void)evbuffer_copyout(in, hdr, 2);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			break;
		(void)evbuffer_drain(in, 2);
		(void)evbuffer_remove(in, bufs[0], len);
		hold(&c->held, NULL, 0, bufs[0], len, 2);
	}
	if (delay_ms == 0)
		tcp_release(-1, 0, c);
	else if (!evtimer_pending(c->timer, NULL))
		arm(c->timer, &c->held);
}

static void
tcp_release(evutil_socket_t fd, short what, void *arg)
{
	struct tcpconn	*c = arg;
	struct held	*h;
	uint64_t	 now = now_ms();

	(void)fd;
	(void)what;
	while ((h = STAILQ_FIRST(&c->held)) != NULL && h->due <= now) {
		STAILQ_REMOVE_HEAD(&c->held, next);
		(void)bufferevent_write(c->client, h->data, h->len);
		st.tcp_answers++;
		free(h);
	}
	if (STAILQ_EMPTY(&c->held) && c->upclosed)
		tcp_free(c);
	else
		arm(c->timer, &c->held);
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcpconn	*c = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (bev == c->up && !STAILQ_EMPTY(&c->held)) {
		c->upclosed = 1;	/* send what is held, then close */
		return;
	}
	tcp_free(c);
}

static void
tcp_free(struct tcpconn *c)
{
	struct held	*h;

	if (c->entry.le_prev != NULL)
		LIST_REMOVE(c, entry);
	while ((h = STAILQ_FIRST(&c->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->held, next);
		free(h);
	}
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->client != NULL)
		bufferevent_free(c->client);
	if (c->up != NULL)
		bufferevent_free(c->up);
	free(c);
}

static void
write_stats(evutil_socket_t fd, short what, void *arg)
{
	char	 tmp[1100];
	FILE	*f;

	(void)fd;
	(void)what;
	(void)arg;
	if (statsfile == NULL)
		return;
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", statsfile);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "udp_queries=%lu\nudp_answers=%lu\ntcp_queries=%lu\n"
	    "tcp_answers=%lu\ntcp_conns=%lu\ndropped=%lu\nstale=%lu\n"
	    "udp_outstanding_max=%lu\n",
	    st.udp_queries, st.udp_answers, st.tcp_queries, st.tcp_answers,
	    st.tcp_conns, st.dropped, st.stale, st.udp_outstanding_max);
	st.udp_outstanding_max = 0;
	if (fclose(f) == 0)
		(void)rename(tmp, statsfile);
}

static void
stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	write_stats(-1, 0, NULL);
	event_base_loopexit(base, NULL);
}

int
main(int argc, char *argv[])
{
	struct event_config	*ecfg;
	struct evconnlistener	*tl;
	struct sockaddr_storage	 laddr;
	struct event		*sig[3];
	struct tcpconn		*c;
	socklen_t		 laddrlen = 0;
	const char		*listen_s = NULL, *up_s = NULL, *pidfile = NULL;
	const char		*errstr = NULL;
	FILE			*f;
	long			 d = -1;
	char			*end;
	int			 ch, i;

	while ((ch = getopt(argc, argv, "l:u:d:P:S:")) != -1) {
		switch (ch) {
		case 'l':
			listen_s = optarg;
			break;
		case 'u':
			up_s = optarg;
			break;
		case 'd':
			d = strtol(optarg, &end, 10);
			if (*end != '\0' || d < 0 || d > 60000)
				errstr = "bad delay";
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'S':
			statsfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (listen_s == NULL || up_s == NULL || d < 0 || errstr != NULL)
		usage();
	delay_ms = (uint64_t)d;
	if (parse_addr(listen_s, &laddr, &laddrlen) == -1 ||
	    parse_addr(up_s, &upaddr, &upaddrlen) == -1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((ecfg = event_config_new()) == NULL)
		return 1;
	(void)event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	if ((base = event_base_new_with_config(ecfg)) == NULL)
		return 1;
	event_config_free(ecfg);
	if ((listen_fd = udp_socket(&laddr, laddrlen, 1)) == -1) {
		fprintf(stderr, "dnsdelay: udp %s: %s\n", listen_s,
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < NUPSTREAM; i++) {
		if ((ups[i].fd = udp_socket(&upaddr, upaddrlen, 0)) == -1 ||
		    (ups[i].slots = calloc(NIDS, sizeof(struct slot))) == NULL) {
			fprintf(stderr, "dnsdelay: upstream %s: %s\n", up_s,
			    strerror(errno));
			return 1;
		}
		ups[i].nextid = (uint16_t)(i * 7919);
		ups[i].ev = event_new(base, ups[i].fd, EV_READ | EV_PERSIST,
		    upstream_read, &ups[i]);
		event_add(ups[i].ev, NULL);
	}
	ev_listen = event_new(base, listen_fd, EV_READ | EV_PERSIST,
	    client_read, NULL);
	event_add(ev_listen, NULL);
	ev_timer = evtimer_new(base, udp_release, NULL);
	tl = evconnlistener_new_bind(base, tcp_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (struct sockaddr *)&laddr, (int)laddrlen);
	if (tl == NULL) {
		fprintf(stderr, "dnsdelay: tcp %s: %s\n", listen_s,
		    strerror(errno));
		return 1;
	}
	sig[0] = evsignal_new(base, SIGUSR1, write_stats, NULL);
	sig[1] = evsignal_new(base, SIGTERM, stop, NULL);
	sig[2] = evsignal_new(base, SIGINT, stop, NULL);
	for (i = 0; i < 3; i++)
		evsignal_add(sig[i], NULL);
	if (pidfile != NULL && (f = fopen(pidfile, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	event_base_dispatch(base);
	while ((c = LIST_FIRST(&conns)) != NULL)
		tcp_free(c);
	evconnlistener_free(tl);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	for (i = 0; i < NUPSTREAM; i++) {
		event_free(ups[i].ev);
		close(ups[i].fd);
		free(ups[i].slots);
	}
	event_free(ev_listen);
	event_free(ev_timer);
	close(listen_fd);
	event_base_free(base);
	return 0;
}
