/*
 * policyconn.c: policy protocol connections, many at once on one
 * libevent loop.  Each connection reads into an evbuffer, cuts lines,
 * and hands them to policyproto.c; each complete request becomes a
 * ticket at the tail of the connection's queue and goes to the
 * handler.  Answers may come in any order: the queue writes them in
 * the order of the requests, each exactly once.  Reading stops while
 * a connection has POLICY_PIPELINE_MAX unanswered requests or its
 * answers are not being read, and everywhere while the server has
 * max_pending; so memory stays bounded whatever a client sends.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "policyconn.h"

#define READ_CHUNK	16384
#define OUT_HIGH	(256 * 1024)	/* answers unread: stop reading */
#define LOG_LEN		512
#define ACCEPT_REST_S	1	/* after accept() failed for want of fds */

struct policy_ticket {
	TAILQ_ENTRY(policy_ticket) next;
	struct conn		*conn;
	char			*answer;	/* NULL until answered */
	int			 answer_static;	/* not to be freed */
	void			*data;
	struct policy_request	 req;
};

TAILQ_HEAD(tickets, policy_ticket);

struct conn {
	TAILQ_ENTRY(conn)	 next;
	TAILQ_ENTRY(conn)	 paused_next;
	struct policy_server	*srv;
	int			 in, out;
	int			 pollable;	/* in is no regular file */
	int			 stdio;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_idle;
	struct evbuffer		*inbuf;
	struct evbuffer		*outbuf;
	struct tickets		 queue;		/* handed out, in order */
	int			 pending;	/* of queue, unanswered */
	struct policy_ticket	*reading_req;	/* lines so far, or NULL */
	int			 discarding;	/* inside a line too long */
	int			 reading;
	int			 paused;	/* on srv->paused */
	int			 eof;
	int			 busy;		/* inside process(): no close */
	int			 broken;	/* cannot write: close at once */
	char			 peer[32];
	char			 line[POLICY_LINE_MAX + 1];
};

struct policy_server {
	struct event_base	*base;
	struct policy_callbacks	 cb;
	TAILQ_HEAD(, conn)	 conns;
	TAILQ_HEAD(, conn)	 paused;	/* waiting for max_pending */
	int			 nconns, max_conns;
	int			 pending, max_pending;
	int			 listen_fd;
	struct event		*ev_accept;
	struct event		*ev_retry;	/* accept again after a failure */
	int			 accepting;
	int			 resting;	/* accept failed: wait a while */
	unsigned long		 nextid;
};

static void	slog(struct policy_server *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static struct conn *conn_new(struct policy_server *, int, int, int,
		    char *, size_t);
static void	conn_close(struct conn *);
static void	conn_pace(struct conn *);
static void	conn_maybe_end(struct conn *);
static int	conn_want(const struct conn *);
static void	process(struct conn *);
static void	take_line(struct conn *, size_t);
static struct policy_ticket *current(struct conn *);
static void	flush(struct conn *);
static void	resume_paused(struct policy_server *);
static void	free_ticket(struct policy_ticket *);
static void	read_cb(evutil_socket_t, short, void *);
static void	write_cb(evutil_socket_t, short, void *);
static void	idle_cb(evutil_socket_t, short, void *);
static void	accept_cb(evutil_socket_t, short, void *);
static void	accept_pace(struct policy_server *);
static void	retry_cb(evutil_socket_t, short, void *);

static void
slog(struct policy_server *srv, const char *fmt, ...)
{
	char	 buf[LOG_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (srv->cb.log != NULL)
		srv->cb.log(buf, srv->cb.arg);
}

struct policy_server *
policy_server_new(struct event_base *base, const struct policy_callbacks *cb,
    int max_conns, int max_pending)
{
	struct policy_server	*srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->cb = *cb;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->paused);
	srv->max_conns = max_conns > 0 ? max_conns : 1;
	srv->max_pending = max_pending > 0 ? max_pending : 1;
	srv->listen_fd = -1;
	return srv;
}

static struct conn *
conn_new(struct policy_server *srv, int in, int out, int stdio, char *err,
    size_t errlen)
{
	struct conn	*c;
	struct stat	 sb;
	int		 fl;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->srv = srv;
	c->in = in;
	c->out = out;
	c->stdio = stdio;
	TAILQ_INIT(&c->queue);
	c->pollable = fstat(in, &sb) == 0 && !S_ISREG(sb.st_mode);
	/* a slow reader of answers must never block the loop */
	if (c->pollable && ((fl = fcntl(in, F_GETFL)) == -1 ||
	    fcntl(in, F_SETFL, fl | O_NONBLOCK) == -1)) {
		(void)snprintf(err, errlen, "fcntl: %s", strerror(errno));
		free(c);
		return NULL;
	}
	if (out != in && fstat(out, &sb) == 0 && !S_ISREG(sb.st_mode) &&
	    ((fl = fcntl(out, F_GETFL)) == -1 ||
	    fcntl(out, F_SETFL, fl | O_NONBLOCK) == -1)) {
		(void)snprintf(err, errlen, "fcntl: %s", strerror(errno));
		free(c);
		return NULL;
	}
	c->inbuf = evbuffer_new();
	c->outbuf = evbuffer_new();
	c->ev_read = event_new(srv->base, in, c->pollable ?
	    EV_READ | EV_PERSIST : 0, read_cb, c);
	c->ev_write = event_new(srv->base, out, EV_WRITE, write_cb, c);
	c->ev_idle = evtimer_new(srv->base, idle_cb, c);
	if (c->inbuf == NULL || c->outbuf == NULL || c->ev_read == NULL ||
	    c->ev_write == NULL || c->ev_idle == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		if (c->inbuf != NULL)
			evbuffer_free(c->inbuf);
		if (c->outbuf != NULL)
			evbuffer_free(c->outbuf);
		if (c->ev_read != NULL)
			event_free(c->ev_read);
		if (c->ev_write != NULL)
			event_free(c->ev_write);
		if (c->ev_idle != NULL)
			event_free(c->ev_idle);
		free(c);
		return NULL;
	}
	(void)snprintf(c->peer, sizeof(c->peer), "conn=%lu", ++srv->nextid);
	TAILQ_INSERT_TAIL(&srv->conns, c, next);
	srv->nconns++;
	return c;
}

int
policy_server_stdio(struct policy_server *srv, int in, int out, char *err,
    size_t errlen)
{
	struct conn	*c;

	if ((c = conn_new(srv, in, out, 1, err, errlen)) == NULL)
		return -1;
	conn_pace(c);
	return 0;
}

int
policy_server_listen(struct policy_server *srv, int fd, char *err,
    size_t errlen)
{
	srv->listen_fd = fd;
	if ((srv->ev_accept = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    accept_cb, srv)) == NULL ||
	    (srv->ev_retry = evtimer_new(srv->base, retry_cb, srv)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	accept_pace(srv);
	return 0;
}

/* Accept while below max_conns; the backlog holds the rest. */
static void
accept_pace(struct policy_server *srv)
{
	int	 want = srv->ev_accept != NULL && !srv->resting &&
	    srv->nconns < srv->max_conns;

	if (want && !srv->accepting)
		(void)event_add(srv->ev_accept, NULL);
	else if (!want && srv->accepting)
		(void)event_del(srv->ev_accept);
	srv->accepting = want;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_server	*srv = arg;

	(void)fd;
	(void)what;
	srv->resting = 0;
	accept_pace(srv);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_server	*srv = arg;
	struct conn		*c;
	char			 err[128];
	int			 s;
	struct timeval		 tv = { ACCEPT_REST_S, 0 };

	(void)what;
	while (srv->nconns < srv->max_conns) {
		if ((s = accept(fd, NULL, NULL)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				break;
			/*
			 * Out of descriptors, say: the socket stays readable,
			 * and trying again at once would spin.  Rest a while.
			 */
			slog(srv, "accept: %s: not accepting for %d s",
			    strerror(errno), ACCEPT_REST_S);
			srv->resting = 1;
			(void)evtimer_add(srv->ev_retry, &tv);
			break;
		}
		if ((c = conn_new(srv, s, s, 0, err, sizeof(err))) == NULL) {
			slog(srv, "connection refused: %s", err);
			(void)close(s);
			continue;
		}
		conn_pace(c);
	}
	accept_pace(srv);
}

/* Could another request be taken from this connection? */
static int
conn_want(const struct conn *c)
{
	return !c->eof && c->pending < POLICY_PIPELINE_MAX &&
	    c->srv->pending < c->srv->max_pending &&
	    evbuffer_get_length(c->outbuf) < OUT_HIGH;
}

/* Keep the read event on exactly while a request could be taken. */
static void
conn_pace(struct conn *c)
{
	struct timeval	 tv;
	int		 want = conn_want(c);

	if (!want && !c->eof && c->srv->pending >= c->srv->max_pending &&
	    !c->paused) {
		c->paused = 1;
		TAILQ_INSERT_TAIL(&c->srv->paused, c, paused_next);
	}
	if (want && !c->reading) {
		c->reading = 1;
		if (c->pollable)
			(void)event_add(c->ev_read, NULL);
		else
			event_active(c->ev_read, EV_READ, 0);
	} else if (!want && c->reading) {
		c->reading = 0;
		if (c->pollable)
			(void)event_del(c->ev_read);
	}
	if (!c->stdio) {
		/* a connection that sends nothing goes in the end */
		tv.tv_sec = POLICY_IDLE_S;
		tv.tv_usec = 0;
		(void)evtimer_add(c->ev_idle, &tv);
	}
}

static void
resume_paused(struct policy_server *srv)
{
	struct conn	*c;

	while (srv->pending < srv->max_pending &&
	    (c = TAILQ_FIRST(&srv->paused)) != NULL) {
		TAILQ_REMOVE(&srv->paused, c, paused_next);
		c->paused = 0;
		process(c);
	}
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->pending > 0) {
		conn_pace(c);
		return;
	}
	slog(c->srv, "%s idle for %d s: closed", c->peer, POLICY_IDLE_S);
	conn_close(c);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	int		 n;

	(void)what;
	if (!c->reading)
		return;
	n = evbuffer_read(c->inbuf, fd, READ_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		slog(c->srv, "%s read: %s", c->peer, strerror(errno));
		conn_close(c);
		return;
	}
	if (n == 0)
		c->eof = 1;
	/* a regular file is read on until it ends */
	c->reading = 0;
	if (c->pollable)
		(void)event_del(c->ev_read);
	process(c);
}

static void
free_ticket(struct policy_ticket *t)
{
	/* policy_reply's answer without memory is static */
	if (!t->answer_static)
		free(t->answer);
	free(t);
}

/* The ticket the next line belongs to, made at its first line. */
static struct policy_ticket *
current(struct conn *c)
{
	struct policy_ticket	*t;

	if (c->reading_req != NULL)
		return c->reading_req;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->conn = c;
	policy_request_init(&t->req);
	c->reading_req = t;
	return t;
}

/* One line of len octets (its newline after them) off the input. */
static void
take_line(struct conn *c, size_t len)
{
	struct policy_ticket	*t;
	struct policy_server	*srv = c->srv;

	if ((t = current(c)) == NULL) {
		slog(srv, "%s out of memory: closed", c->peer);
		c->eof = 1;
		(void)evbuffer_drain(c->inbuf, len + 1);
		return;
	}
	if (c->discarding) {
		/* the end of a line too long: the request knows */
		c->discarding = 0;
		(void)evbuffer_drain(c->inbuf, len + 1);
		(void)policy_line(&t->req, "x", 1);
		return;
	}
	if (len > POLICY_LINE_MAX) {
		policy_request_fault(&t->req, "line too long");
		(void)evbuffer_drain(c->inbuf, len + 1);
		(void)policy_line(&t->req, "x", 1);
		return;
	}
	(void)evbuffer_remove(c->inbuf, c->line, len);
	(void)evbuffer_drain(c->inbuf, 1);
	if (policy_line(&t->req, c->line, len) != POLICY_END)
		return;
	/* a whole request: in the queue first, the handler may answer now */
	c->reading_req = NULL;
	TAILQ_INSERT_TAIL(&c->queue, t, next);
	c->pending++;
	srv->pending++;
	srv->cb.request(t, &t->req, srv->cb.arg);
}

/* Take the whole lines waiting, as far as there is room. */
static void
process(struct conn *c)
{
	struct evbuffer_ptr	 eol;
	size_t			 buffered;

	if (c->busy)
		return;		/* the outer call goes on with the lines */
	c->busy = 1;
	while (c->pending < POLICY_PIPELINE_MAX &&
	    c->srv->pending < c->srv->max_pending &&
	    evbuffer_get_length(c->outbuf) < OUT_HIGH) {
		eol = evbuffer_search_eol(c->inbuf, NULL, NULL,
		    EVBUFFER_EOL_LF);
		if (eol.pos != -1) {
			take_line(c, (size_t)eol.pos);
			continue;
		}
		buffered = evbuffer_get_length(c->inbuf);
		if (buffered > POLICY_LINE_MAX) {
			/* drop what there is; the rest of the line follows */
			(void)evbuffer_drain(c->inbuf, buffered);
			if (current(c) != NULL)
				policy_request_fault(&c->reading_req->req,
				    "line too long");
			c->discarding = 1;
		}
		break;
	}
	if (c->eof && evbuffer_search_eol(c->inbuf, NULL, NULL,
	    EVBUFFER_EOL_LF).pos == -1) {
		if ((c->reading_req != NULL &&
		    c->reading_req->req.nattrs > 0) || c->discarding ||
		    evbuffer_get_length(c->inbuf) > 0)
			slog(c->srv, "%s request cut short by the end of "
			    "input: not answered", c->peer);
		free(c->reading_req);
		c->reading_req = NULL;
		c->discarding = 0;
		(void)evbuffer_drain(c->inbuf, evbuffer_get_length(c->inbuf));
	}
	c->busy = 0;
	flush(c);
	conn_pace(c);
	conn_maybe_end(c);
}

void
policy_reply(struct policy_ticket *t, const char *text)
{
	static char		 dunno[] = "action=DUNNO\n\n";
	struct conn		*c = t->conn;
	struct policy_server	*srv = c->srv;
	char			 buf[POLICY_ANSWER_MAX];

	if (t->answer != NULL)
		return;		/* answered once already: never twice */
	if (policy_answer(text, buf, sizeof(buf)) == -1) {
		slog(srv, "%s answer unusable, DUNNO instead: %.80s",
		    c->peer, text);
		(void)policy_answer("DUNNO", buf, sizeof(buf));
	}
	if ((t->answer = strdup(buf)) == NULL) {
		t->answer = dunno;	/* still one answer, in its place */
		t->answer_static = 1;
	}
	c->pending--;
	srv->pending--;
	if (c->busy)
		return;		/* process() goes on when it is done */
	/* answers out, and lines already read may be taken now */
	process(c);
	resume_paused(srv);
}

/* The answered tickets at the head, into the output, in order. */
static void
flush(struct conn *c)
{
	struct policy_ticket	*t;
	int			 n;

	while ((t = TAILQ_FIRST(&c->queue)) != NULL && t->answer != NULL) {
		TAILQ_REMOVE(&c->queue, t, next);
		if (evbuffer_add(c->outbuf, t->answer,
		    strlen(t->answer)) == -1)
			c->broken = 1;
		free_ticket(t);
	}
	while (evbuffer_get_length(c->outbuf) > 0) {
		n = evbuffer_write(c->outbuf, c->out);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			(void)event_add(c->ev_write, NULL);
			return;
		}
		if (n <= 0) {
			/* the client is gone: nobody reads what is left */
			slog(c->srv, "%s write: %s", c->peer,
			    n == 0 ? "nothing written" : strerror(errno));
			(void)evbuffer_drain(c->outbuf,
			    evbuffer_get_length(c->outbuf));
			c->broken = 1;
			return;
		}
	}
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	flush(c);
	conn_pace(c);
	conn_maybe_end(c);
}

/* At the end of input, once every answer is out, the connection ends. */
static void
conn_maybe_end(struct conn *c)
{
	if (c->busy)
		return;
	if (c->broken || (c->eof && TAILQ_EMPTY(&c->queue) &&
	    c->reading_req == NULL && evbuffer_get_length(c->outbuf) == 0))
		conn_close(c);
}

static void
conn_close(struct conn *c)
{
	struct policy_server	*srv = c->srv;
	struct policy_ticket	*t;
	int			 stdio = c->stdio;

	while ((t = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, t, next);
		if (t->answer == NULL) {
			c->pending--;
			srv->pending--;
			srv->cb.cancel(t, srv->cb.arg);
		}
		free_ticket(t);
	}
	free(c->reading_req);
	if (c->paused)
		TAILQ_REMOVE(&srv->paused, c, paused_next);
	TAILQ_REMOVE(&srv->conns, c, next);
	srv->nconns--;
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_idle);
	evbuffer_free(c->inbuf);
	evbuffer_free(c->outbuf);
	if (!stdio)
		(void)close(c->in);
	free(c);
	if (stdio)
		(void)event_base_loopexit(srv->base, NULL);
	accept_pace(srv);
	resume_paused(srv);
}

void
policy_server_stop(struct policy_server *srv)
{
	struct conn	*c;

	if (srv->ev_accept != NULL) {
		event_free(srv->ev_accept);
		srv->ev_accept = NULL;
		srv->accepting = 0;
	}
	if (srv->ev_retry != NULL) {
		event_free(srv->ev_retry);
		srv->ev_retry = NULL;
	}
	if (srv->listen_fd != -1) {
		(void)close(srv->listen_fd);
		srv->listen_fd = -1;
	}
	/* nothing resumes a paused connection while all of them close */
	srv->max_pending = 0;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_close(c);
}

void
policy_server_free(struct policy_server *srv)
{
	if (srv == NULL)
		return;
	policy_server_stop(srv);
	free(srv);
}

void
policy_ticket_set(struct policy_ticket *t, void *data)
{
	t->data = data;
}

void *
policy_ticket_get(const struct policy_ticket *t)
{
	return t->data;
}

const char *
policy_ticket_peer(const struct policy_ticket *t)
{
	return t->conn->peer;
}
