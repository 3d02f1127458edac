/*
 * stream.c: "spfgate filter": one query per input line (IP SENDER HELO),
 * one JSON object per line out, in input order.  Lines are evaluated
 * concurrently, up to max-inflight at once, so one slow DNS answer
 * holds back only the output behind it, never the evaluations.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "spfgate.h"

#define MAX_LINE	4096
#define IN_MAX		(4 * MAX_LINE)
/*
 * Reads of IN_MAX per wake-up of the reader.  One read (about 270 lines
 * of the bench's) per turn of the event loop left the evaluations in
 * flight at 580-600 of --max-inflight 1000 in a cold pass, the queue
 * at its cap only 11-23% of the time: a turn that ends hundreds of
 * evaluations refilled fewer than it ended.
 */
#define READS_MAX	64
/*
 * Lines started per wake-up of the reader, which then queues itself
 * behind what they set going.  When answers come from the cache at
 * once, starting every line the room allows (1000 at --max-inflight
 * 1000) before any ends keeps a thousand messages' memory live, out of
 * the CPU's caches; a smaller batch ends before the next is taken.
 */
#define LINES_MAX	64
#define JSON_MAX	SPF_JSON_LEN	/* one result and its line number */
/*
 * Answers waiting to be written: written when full, and once per turn
 * of the event loop, not one write(2) per line.
 */
#define OUT_MAX		(4 * SPF_JSON_LEN)

/* Recipients a line may name after its HELO field. */
#define MAX_RCPTS	100
/*
 * Ended entries kept for the next lines: a calloc and a free a line.
 * Their texts are not kept: most answers wait for one before them
 * (lines end in the order of their DNS steps, not of their input), and
 * a text buffer kept by every entry would add a kilobyte to each
 * evaluation in flight, of the 8 KiB issue 16 allows it.
 */
#define SPARE_MAX	1024

struct entry {
	TAILQ_ENTRY(entry)	 next;
	struct stream		*st;
	unsigned long		 lineno;
	struct spf_message	*msg;		/* its check, until answered */
	char			*text;		/* NULL until answered */
	size_t			 textlen;
	char			**rcpts;	/* its recipients, if any */
	int			 nrcpts;
};

struct stream {
	const struct spf_config	*cfg;
	struct event_base	*base;
	struct spf_checker	*checker;
	struct event		*ev_read;
	int			 pollable;	/* stdin is no regular file */
	int			 reading;
	int			 eof;
	TAILQ_HEAD(, entry)	 queue;
	int			 queued;
	TAILQ_HEAD(, entry)	 spares;	/* ended, for reuse */
	int			 nspares;
	unsigned long		 lineno;
	char			 in[IN_MAX];	/* read, not yet taken as lines */
	size_t			 inlen;
	int			 discarding;	/* inside a line too long */
	int			 failed;	/* out of memory: stop */
	struct spf_json		*json;		/* every answer built in it */
	struct event		*ev_write;	/* the turn's answers out */
	char			 out[OUT_MAX];	/* answers, in input order */
	size_t			 outlen;
};

static void	read_cb(evutil_socket_t, short, void *);
static int	read_some(struct stream *, int);
static void	handle_line(struct stream *, char *, size_t);
static void	answered(const struct spf_verdict *,
		    const struct spf_trace *, void *);
static void	end_entry(struct stream *, struct entry *);
static void	free_entry(struct entry *);
static void	error_entry(struct stream *, const char *);
static void	keep(struct stream *, struct entry *, struct spf_json *);
static void	fail(struct stream *);
static struct entry *new_entry(struct stream *);
static void	flush(struct stream *);
static void	emit(struct stream *, const char *, size_t);
static int	write_out(struct stream *);
static void	write_cb(evutil_socket_t, short, void *);
static void	pace(struct stream *);
static int	room(const struct stream *);
static int	take_lines(struct stream *, int *);
static int	split_fields(char *, char **, int);

/* Without memory no line can be answered: stop, and say so. */
static void
fail(struct stream *st)
{
	fprintf(stderr, "spfgate: out of memory\n");
	st->failed = 1;
	event_base_loopbreak(st->base);
}

static struct entry *
new_entry(struct stream *st)
{
	struct entry	*e;

	if ((e = TAILQ_FIRST(&st->spares)) != NULL) {
		TAILQ_REMOVE(&st->spares, e, next);
		st->nspares--;
	} else if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->st = st;
	e->lineno = st->lineno;
	TAILQ_INSERT_TAIL(&st->queue, e, next);
	st->queued++;
	return e;
}

static void
error_entry(struct stream *st, const char *why)
{
	struct entry	*e;
	struct spf_json	*j = st->json;

	if ((e = new_entry(st)) == NULL) {
		fail(st);
		return;
	}
	spf_json_reset(j);
	spf_json_object(j, NULL);
	spf_json_str(j, "error", why);
	spf_json_int(j, "line", (long)e->lineno);
	spf_json_end(j);
	keep(st, e, j);
}

/*
 * The entry's line, the object or that it was too long: out at once
 * when every line before it is, else kept until they are.
 */
static void
keep(struct stream *st, struct entry *e, struct spf_json *j)
{
	const char	*text = spf_json_text(j);
	char		 buf[64];
	size_t		 len;

	if (text == NULL) {
		(void)snprintf(buf, sizeof(buf), "{\"error\":\"result too "
		    "long\",\"line\":%lu}", e->lineno);
		text = buf;
	}
	len = strlen(text);
	if (e == TAILQ_FIRST(&st->queue)) {
		TAILQ_REMOVE(&st->queue, e, next);
		st->queued--;
		end_entry(st, e);
		emit(st, text, len);
		flush(st);
		return;
	}
	/* its length known: no strdup to count it again */
	if ((e->text = malloc(len + 1)) == NULL) {
		fail(st);
		return;
	}
	memcpy(e->text, text, len + 1);
	e->textlen = len;
}

/*
 * Tab-separated fields when the line has a tab (a HELO may hold
 * spaces), else space-separated ones.  Returns the count, -1 if more.
 */
static int
split_fields(char *line, char **f, int max)
{
	const char	*sep = strchr(line, '\t') != NULL ? "\t" : " ";
	char		*p = line;
	int		 n = 0;

	if (*sep == ' ') {
		while (*p == ' ')
			p++;
		while (*p != '\0') {
			if (n == max)
				return -1;
			f[n++] = p;
			while (*p != '\0' && *p != ' ')
				p++;
			while (*p == ' ')
				*p++ = '\0';
		}
		return n;
	}
	for (;;) {
		if (n == max)
			return -1;
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/* An entry out of the queue: a spare for the next line, or freed. */
static void
end_entry(struct stream *st, struct entry *e)
{
	int	 i;

	if (st->nspares == SPARE_MAX) {
		free_entry(e);
		return;
	}
	for (i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->text);
	memset(e, 0, sizeof(*e));
	TAILQ_INSERT_HEAD(&st->spares, e, next);
	st->nspares++;
}

static void
free_entry(struct entry *e)
{
	int	 i;

	for (i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->text);
	free(e);
}

static void
handle_line(struct stream *st, char *line, size_t len)
{
	struct entry	*e;
	char		*f[3 + MAX_RCPTS], err[512];
	const char	*sender;
	int		 i, n;

	st->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		error_entry(st, "NUL octet in line");
		return;
	}
	n = split_fields(line, f, 3 + MAX_RCPTS);
	if (n < 2) {
		error_entry(st, n == -1 ? "more than 100 recipients" :
		    "expected IP SENDER [HELO [RECIPIENT...]]");
		return;
	}
	sender = strcmp(f[1], "<>") == 0 ? "" : f[1];
	if ((e = new_entry(st)) == NULL) {
		fail(st);
		return;
	}
	/* an entry waits in the queue: only a line's own recipients */
	if (n > 3 && (e->rcpts = reallocarray(NULL, (size_t)(n - 3),
	    sizeof(*e->rcpts))) == NULL) {
		fail(st);
		return;
	}
	for (i = 3; i < n; i++) {
		if ((e->rcpts[e->nrcpts] = strdup(f[i])) == NULL) {
			fail(st);
			return;
		}
		e->nrcpts++;
	}
	if ((e->msg = spf_message_start(st->checker, f[0], sender, n > 2 ?
	    f[2] : "", 0, answered, e, err, sizeof(err))) == NULL) {
		TAILQ_REMOVE(&st->queue, e, next);
		st->queued--;
		end_entry(st, e);
		error_entry(st, err);
	}
}

static void
answered(const struct spf_verdict *v, const struct spf_trace *t, void *arg)
{
	struct entry	*e = arg;
	struct stream	*st = e->st;
	struct spf_json	*j = st->json;
	int		 i;

	(void)t;
	e->msg = NULL;		/* it ends when this returns */
	spf_json_reset(j);
	spf_json_object(j, NULL);
	spf_json_verdict(j, v, st->cfg);
	if (e->nrcpts > 0) {
		spf_json_array(j, "recipients");
		for (i = 0; i < e->nrcpts; i++)
			spf_json_recipient(j, v, st->cfg, e->rcpts[i]);
		spf_json_end(j);
	}
	spf_json_int(j, "line", (long)e->lineno);
	spf_json_end(j);
	keep(st, e, j);
	if (st->failed)
		return;
	pace(st);
}

/*
 * Out with the answered entries at the head, in input order, and the
 * turn's write asked for.
 */
static void
flush(struct stream *st)
{
	static const struct timeval	 now = { 0, 0 };
	struct entry			*e;

	while (!st->failed && (e = TAILQ_FIRST(&st->queue)) != NULL &&
	    e->text != NULL) {
		TAILQ_REMOVE(&st->queue, e, next);
		st->queued--;
		emit(st, e->text, e->textlen);
		end_entry(st, e);
	}
	/* a timer due now runs after the callbacks already active */
	if (st->outlen > 0 && !evtimer_pending(st->ev_write, NULL))
		evtimer_add(st->ev_write, &now);
	if (st->eof && st->inlen == 0 && TAILQ_EMPTY(&st->queue))
		event_base_loopexit(st->base, NULL);
}

/* One line into the output, written first if it would not fit. */
static void
emit(struct stream *st, const char *text, size_t len)
{
	if (st->failed)
		return;
	/* a text is under JSON_MAX, the buffer a few times that */
	if (st->outlen + len + 1 > sizeof(st->out) && write_out(st) == -1)
		return;
	memcpy(st->out + st->outlen, text, len);
	st->out[st->outlen + len] = '\n';
	st->outlen += len + 1;
}

/* Write what is buffered, waiting while stdout is full: 0, or -1. */
static int
write_out(struct stream *st)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < st->outlen) {
		n = write(STDOUT_FILENO, st->out + off, st->outlen - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			/* a stdout that shares stdin's O_NONBLOCK */
			pfd.fd = STDOUT_FILENO;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n == -1) {
			fprintf(stderr, "spfgate: write: %s\n",
			    strerror(errno));
			st->failed = 1;
			event_base_loopbreak(st->base);
			st->outlen = 0;
			return -1;
		}
		off += (size_t)n;
	}
	st->outlen = 0;
	return 0;
}

/* The answers of this turn of the event loop, in one write. */
static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)write_out(arg);
}

/*
 * Room for another line: max-inflight evaluations, and a queue of
 * waiting answers a few times that, so memory stays bounded.
 */
static int
room(const struct stream *st)
{
	return !st->failed &&
	    spf_checker_inflight(st->checker) < st->cfg->max_inflight &&
	    st->queued < st->cfg->max_inflight * 4;
}

/* Keep the reader running exactly while a line could be taken. */
static void
pace(struct stream *st)
{
	int	 want = room(st) && (!st->eof || st->inlen > 0);

	if (want && !st->reading) {
		st->reading = 1;
		if (st->pollable && !st->eof &&
		    memchr(st->in, '\n', st->inlen) == NULL)
			event_add(st->ev_read, NULL);
		else
			event_active(st->ev_read, EV_READ, 0);
	} else if (!want && st->reading) {
		st->reading = 0;
		if (st->pollable)
			event_del(st->ev_read);
	}
}

/*
 * Start the buffered lines while there is room, at most *budget of
 * them (counted down); returns 1 if a whole line is still waiting.
 */
static int
take_lines(struct stream *st, int *budget)
{
	char	*nl;
	size_t	 off = 0, len;

	while (*budget > 0 && room(st) && (nl = memchr(st->in + off, '\n',
	    st->inlen - off)) != NULL) {
		len = (size_t)(nl - (st->in + off));
		*nl = '\0';
		if (st->discarding) {
			st->discarding = 0;
			st->lineno++;
			error_entry(st, "line too long");
		} else
			handle_line(st, st->in + off, len);
		off += len + 1;
		(*budget)--;
	}
	/* what is left to the front once, not after every line */
	st->inlen -= off;
	memmove(st->in, st->in + off, st->inlen);
	return memchr(st->in, '\n', st->inlen) != NULL;
}

/*
 * One read into the buffer: 0, or -1 when nothing more is there now
 * (EAGAIN) or ever (end of input, st->eof set).
 */
static int
read_some(struct stream *st, int fd)
{
	ssize_t		 n;
	char		*nl;

	if (st->inlen == sizeof(st->in)) {
		/* no newline in a full buffer: the line is too long */
		st->discarding = 1;
		st->inlen = 0;
	}
	n = read(fd, st->in + st->inlen, sizeof(st->in) - st->inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return -1;
		fprintf(stderr, "spfgate: read: %s\n", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		st->eof = 1;
		/* a last line without its newline is still a line */
		if (st->inlen > 0 || st->discarding) {
			st->in[st->inlen < sizeof(st->in) ? st->inlen :
			    sizeof(st->in) - 1] = '\n';
			st->inlen = st->inlen < sizeof(st->in) ? st->inlen + 1 :
			    sizeof(st->in);
		}
		return -1;
	}
	if (st->discarding) {
		/* drop what is left of the long line */
		if ((nl = memchr(st->in + st->inlen, '\n', (size_t)n)) ==
		    NULL) {
			st->inlen = 0;
			return 0;
		}
		n -= nl - (st->in + st->inlen);
		memmove(st->in, nl, (size_t)n);
		st->inlen = 0;
	}
	st->inlen += (size_t)n;
	return 0;
}

/* Take lines, reading more while there is room for them. */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*st = arg;
	int		 reads, budget = LINES_MAX;

	(void)what;
	if (!st->reading)
		return;
	for (reads = 0; reads < READS_MAX; reads++)
		if (take_lines(st, &budget) || !room(st) || st->eof ||
		    read_some(st, fd) == -1)
			break;
	(void)take_lines(st, &budget);
	flush(st);
	/* re-arm: the reader stays on only while a line could be taken */
	st->reading = 0;
	if (st->pollable)
		event_del(st->ev_read);
	pace(st);
}

int
cmd_filter(const struct spf_config *cfg)
{
	struct stream	 st;
	struct stat	 sb;
	struct entry	*e;
	char		 err[512];

	memset(&st, 0, sizeof(st));
	TAILQ_INIT(&st.queue);
	TAILQ_INIT(&st.spares);
	st.cfg = cfg;
	if ((st.base = event_base_new()) == NULL) {
		fprintf(stderr, "spfgate: cannot create event loop\n");
		return EXIT_ERROR;
	}
	if ((st.checker = spf_checker_new(cfg, st.base, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "spfgate: %s\n", err);
		return EXIT_ERROR;
	}
	if (spf_checker_notice(st.checker) != NULL)
		fprintf(stderr, "spfgate: %s\n", spf_checker_notice(st.checker));
	if ((st.json = spf_json_new(JSON_MAX)) == NULL ||
	    (st.ev_write = evtimer_new(st.base, write_cb, &st)) == NULL) {
		fprintf(stderr, "spfgate: out of memory\n");
		return EXIT_ERROR;
	}
	st.pollable = fstat(STDIN_FILENO, &sb) == 0 && !S_ISREG(sb.st_mode);
	if (st.pollable)
		(void)fcntl(STDIN_FILENO, F_SETFL,
		    fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	st.ev_read = event_new(st.base, STDIN_FILENO,
	    st.pollable ? EV_READ | EV_PERSIST : 0, read_cb, &st);
	if (st.ev_read == NULL) {
		fprintf(stderr, "spfgate: cannot watch stdin\n");
		return EXIT_ERROR;
	}
	pace(&st);
	event_base_dispatch(st.base);
	flush(&st);
	(void)write_out(&st);
	event_free(st.ev_write);
	spf_json_free(st.json);
	event_free(st.ev_read);
	/*
	 * A write error or no memory stops the loop with checks in flight:
	 * they end before the checker (spf.h), which takes their storage.
	 */
	while ((e = TAILQ_FIRST(&st.queue)) != NULL) {
		TAILQ_REMOVE(&st.queue, e, next);
		spf_message_cancel(e->msg);
		free_entry(e);
	}
	spf_checker_free(st.checker);
	while ((e = TAILQ_FIRST(&st.spares)) != NULL) {
		TAILQ_REMOVE(&st.spares, e, next);
		free_entry(e);
	}
	event_base_free(st.base);
	return st.failed ? EXIT_ERROR : 0;
}
