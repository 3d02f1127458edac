/*
 * proto.c: the smtpd-filters(7) protocol on stdin and stdout.
 *
 * Input is read into an evbuffer and cut into lines; each line is
 * parsed into its fields and handed to a callback.  Output goes through
 * another evbuffer written whenever stdout can take it, so a slow smtpd
 * never blocks the loop (and the DNS answers it carries).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "proto.h"
#include "fields.h"

/* Stop reading while this much output waits for smtpd; resume below. */
#define OUT_HIGH	(4 * 1024 * 1024)
#define OUT_LOW		(1024 * 1024)
#define READ_CHUNK	65536
#define LOG_LEN		1024
#define MAX_FIELDS	8

enum long_mode {
	LONG_NONE,
	LONG_STREAM,		/* copy the rest of the line to stdout */
	LONG_DISCARD		/* drop the rest of the line */
};

struct psession {
	RB_ENTRY(psession)	 entry;
	struct proto_session	 s;
};

RB_HEAD(psessions, psession);

/*
 * libbsd's tree.h marks its static functions __unused, which libbsd
 * leaves undefined (a Linux struct has a member of that name): define
 * it only where the macros expand, after every header.
 */
#define __unused	__attribute__((__unused__))
static int	psession_cmp(struct psession *, struct psession *);
RB_PROTOTYPE_STATIC(psessions, psession, entry, psession_cmp);

static void	plog(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));
static void	stop(int);
static void	in_cb(evutil_socket_t, short, void *);
static void	out_cb(evutil_socket_t, short, void *);
static void	resume_cb(evutil_socket_t, short, void *);
static void	flush_out(void);
static void	process_input(void);
static void	long_line(void);
static void	stream_end(void);
static void	dispatch(char *);
static int	check_version(const char *);
static void	do_config(char *);
static void	do_ready(void);
static void	do_report(char **, int);
static void	do_filter(char **, int);
static struct proto_session *session_get(const char *);
static void	session_end(const char *);
static struct evbuffer *out_buf(void);
static void	emit(const char *, ...);
static void	emit_text(const char *, const char *);

RB_GENERATE_STATIC(psessions, psession, entry, psession_cmp);
#undef __unused

static struct {
	struct event_base		*base;
	const struct proto_callbacks	*cb;
	struct event			*ev_in;
	struct event			*ev_out;
	struct event			*ev_resume;
	struct evbuffer			*in;
	struct evbuffer			*out;
	struct evbuffer			*deferred; /* while a line streams */
	struct psessions		 sessions;
	int				 handshake_done;
	int				 reading;
	int				 dispatching;
	int				 stopped;
	int				 status;
	enum long_mode			 long_mode;
	char				 version[8];
	char				 line[PROTO_LINE_MAX + 1];
} p;

static int
psession_cmp(struct psession *a, struct psession *b)
{
	return a->s.id < b->s.id ? -1 : a->s.id > b->s.id;
}

static void
plog(const char *fmt, ...)
{
	char	 buf[LOG_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p.cb->log != NULL)
		p.cb->log(buf);
}

int
proto_init(struct event_base *base, const struct proto_callbacks *cb,
    char *err, size_t errlen)
{
	int	 fl;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.cb = cb;
	RB_INIT(&p.sessions);

	/*
	 * Under smtpd fd 0 and 1 are one socketpair; in tests two pipes.
	 * Either way neither may block the loop.
	 */
	if ((fl = fcntl(0, F_GETFL)) == -1 ||
	    fcntl(0, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (fl = fcntl(1, F_GETFL)) == -1 ||
	    fcntl(1, F_SETFL, fl | O_NONBLOCK) == -1) {
		(void)snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return -1;
	}
	if ((p.in = evbuffer_new()) == NULL ||
	    (p.out = evbuffer_new()) == NULL ||
	    (p.deferred = evbuffer_new()) == NULL ||
	    (p.ev_in = event_new(base, 0, EV_READ | EV_PERSIST, in_cb,
	    NULL)) == NULL ||
	    (p.ev_out = event_new(base, 1, EV_WRITE, out_cb, NULL)) == NULL ||
	    (p.ev_resume = event_new(base, -1, 0, resume_cb, NULL)) == NULL ||
	    event_add(p.ev_in, NULL) == -1) {
		(void)snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	p.reading = 1;
	return 0;
}

int
proto_status(void)
{
	return p.status;
}

const char *
proto_version(void)
{
	return p.version;
}

void
proto_shutdown(void)
{
	struct psession	*ps, *next;
	int		 fl;

	/* Best effort: smtpd may already be gone. */
	if (p.out != NULL && evbuffer_get_length(p.out) > 0 &&
	    (fl = fcntl(1, F_GETFL)) != -1 &&
	    fcntl(1, F_SETFL, fl & ~O_NONBLOCK) != -1) {
		while (evbuffer_get_length(p.out) > 0)
			if (evbuffer_write(p.out, 1) <= 0)
				break;
	}
	RB_FOREACH_SAFE(ps, psessions, &p.sessions, next) {
		RB_REMOVE(psessions, &p.sessions, ps);
		if (p.cb->session_free != NULL)
			p.cb->session_free(&ps->s);
		free(ps);
	}
	if (p.ev_in != NULL)
		event_free(p.ev_in);
	if (p.ev_out != NULL)
		event_free(p.ev_out);
	if (p.ev_resume != NULL)
		event_free(p.ev_resume);
	if (p.in != NULL)
		evbuffer_free(p.in);
	if (p.out != NULL)
		evbuffer_free(p.out);
	if (p.deferred != NULL)
		evbuffer_free(p.deferred);
	p.ev_in = p.ev_out = p.ev_resume = NULL;
	p.in = p.out = p.deferred = NULL;
}

/* End the loop: 0 for a normal end, -1 for a refusal. */
static void
stop(int status)
{
	if (!p.stopped) {
		p.stopped = 1;
		p.status = status;
	}
	event_base_loopbreak(p.base);
}

static void
in_cb(evutil_socket_t fd, short events, void *arg)
{
	int	 n;

	(void)events;
	(void)arg;
	n = evbuffer_read(p.in, fd, READ_CHUNK);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		plog("reading from smtpd: %s", strerror(errno));
		stop(0);
		return;
	}
	if (n == 0) {
		if (evbuffer_get_length(p.in) > 0 && p.long_mode == LONG_NONE)
			plog("input ended inside a line; %zu octets ignored",
			    evbuffer_get_length(p.in));
		if (p.long_mode == LONG_STREAM)
			stream_end();
		stop(0);
		return;
	}
	process_input();
	flush_out();
}

/* Lines read before a pause wait in the buffer: take them now. */
static void
resume_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	process_input();
	flush_out();
}

static void
out_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	flush_out();
}

/* Write what stdout takes now; wait for it to take the rest. */
static void
flush_out(void)
{
	size_t	 len;
	int	 n;

	if (p.out == NULL)
		return;
	while ((len = evbuffer_get_length(p.out)) > 0) {
		if ((n = evbuffer_write(p.out, 1)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* smtpd has gone: the same as the end of input. */
			plog("writing to smtpd: %s", strerror(errno));
			evbuffer_drain(p.out, len);
			stop(0);
			return;
		}
		if (n == 0)
			break;
	}
	len = evbuffer_get_length(p.out);
	if (len > 0 && !event_pending(p.ev_out, EV_WRITE, NULL))
		event_add(p.ev_out, NULL);
	/* Each input line makes output: stop reading while smtpd lags. */
	if (len > OUT_HIGH && p.reading) {
		event_del(p.ev_in);
		p.reading = 0;
	} else if (len < OUT_LOW && !p.reading && !p.stopped) {
		event_add(p.ev_in, NULL);
		p.reading = 1;
		event_active(p.ev_resume, 0, 0);
	}
}

static void
process_input(void)
{
	struct evbuffer_ptr	 ptr;
	size_t			 eol, len;

	while (!p.stopped && p.reading) {
		if (p.long_mode != LONG_NONE) {
			ptr = evbuffer_search(p.in, "\n", 1, NULL);
			len = ptr.pos == -1 ? evbuffer_get_length(p.in) :
			    (size_t)ptr.pos;
			if (p.long_mode == LONG_STREAM)
				evbuffer_remove_buffer(p.in, p.out, len);
			else
				evbuffer_drain(p.in, len);
			if (ptr.pos == -1)
				return;
			evbuffer_drain(p.in, 1);
			if (p.long_mode == LONG_STREAM)
				stream_end();
			p.long_mode = LONG_NONE;
			continue;
		}
		ptr = evbuffer_search_eol(p.in, NULL, &eol, EVBUFFER_EOL_LF);
		if (ptr.pos == -1 || (size_t)ptr.pos > PROTO_LINE_MAX) {
			if (evbuffer_get_length(p.in) <= PROTO_LINE_MAX)
				return;
			p.dispatching = 1;
			long_line();
			p.dispatching = 0;
			continue;
		}
		len = ptr.pos;
		evbuffer_remove(p.in, p.line, len);
		p.line[len] = '\0';
		evbuffer_drain(p.in, eol);
		p.dispatching = 1;
		dispatch(p.line);
		p.dispatching = 0;
		if (evbuffer_get_length(p.out) > OUT_HIGH)
			flush_out();
	}
}

/*
 * A line longer than we hold.  Its prefix says what it is: a data-line
 * is streamed through (or dropped) as it arrives, any other request is
 * answered and the rest of it discarded, so we never lose the framing
 * and never leave a request unanswered.
 */
static void
long_line(void)
{
	char			*f[MAX_FIELDS];
	struct proto_session	*s;
	size_t			 skip;
	int			 n;

	evbuffer_copyout(p.in, p.line, PROTO_LINE_MAX);
	p.line[PROTO_LINE_MAX] = '\0';
	p.long_mode = LONG_DISCARD;

	n = split(p.line, f, MAX_FIELDS);
	if (n < 7 || strcmp(f[0], "filter") != 0 ||
	    strcmp(f[1], p.version) != 0 ||
	    (s = session_get(f[5])) == NULL || parse_id(f[6], NULL) == -1) {
		plog("line of more than %d octets discarded", PROTO_LINE_MAX);
		evbuffer_drain(p.in, PROTO_LINE_MAX);
		return;
	}
	skip = n == MAX_FIELDS ? (size_t)(f[7] - p.line) : PROTO_LINE_MAX;
	evbuffer_drain(p.in, skip);
	if (strcmp(f[4], "data-line") != 0) {
		plog("session=%s %s request of more than %d octets, "
		    "proceeding", s->idstr, f[4], PROTO_LINE_MAX);
		proto_proceed(s, f[6]);
		return;
	}
	if (p.cb->data_line_long != NULL &&
	    p.cb->data_line_long(s, f[6], n == MAX_FIELDS ? f[7] : "") ==
	    PROTO_LINE_DROP)
		return;
	emit("filter-dataline|%s|%s|", s->idstr, f[6]);
	p.long_mode = LONG_STREAM;
}

/* The streamed line is complete: what waited for it may follow. */
static void
stream_end(void)
{
	evbuffer_add(p.out, "\n", 1);
	evbuffer_add_buffer(p.out, p.deferred);
}

/*
 * The first version seen is the one smtpd speaks.  One we do not know
 * means fields we would misread: refuse to run rather than answer
 * wrongly.  A different version later is a malformed line.
 */
static int
check_version(const char *v)
{
	if (p.version[0] == '\0') {
		if (!known_version(v)) {
			plog("smtpd speaks filter protocol version \"%.16s\"; "
			    "filter-spf knows 0.6 (OpenSMTPD 6.7 to 7.3) and "
			    "0.7 (7.4 and later): refusing to run", v);
			stop(-1);
			return -1;
		}
		(void)strlcpy(p.version, v, sizeof(p.version));
		return 0;
	}
	if (strcmp(v, p.version) != 0) {
		plog("line with protocol version \"%.16s\" (not %s) ignored",
		    v, p.version);
		return -1;
	}
	return 0;
}

static void
dispatch(char *line)
{
	char	*f[MAX_FIELDS];
	int	 n;

	if (strncmp(line, "config|", 7) == 0) {
		do_config(line + 7);
		return;
	}
	if (strncmp(line, "report|", 7) == 0) {
		n = split(line, f, 7);
		if (n < 6) {
			plog("malformed report line ignored: %.200s", f[0]);
			return;
		}
		if (check_version(f[1]) == 0)
			do_report(f, n);
		return;
	}
	if (strncmp(line, "filter|", 7) == 0) {
		n = split(line, f, 8);
		if (n < 7) {
			plog("malformed filter line ignored: %.200s", f[0]);
			return;
		}
		if (check_version(f[1]) == 0)
			do_filter(f, n);
		return;
	}
	if (line[0] == '\0')
		plog("empty line ignored");
	else
		plog("unknown line ignored: %.200s", line);
}

static void
do_config(char *kv)
{
	char	*key = kv, *value;

	if ((value = strchr(kv, '|')) != NULL)
		*value++ = '\0';
	else
		value = "";
	if (p.handshake_done) {
		plog("config line after the handshake ignored: %.200s", key);
		return;
	}
	if (strcmp(key, "ready") == 0) {
		do_ready();
		return;
	}
	/* smtpd 7.4 and later announce the version in the handshake. */
	if (strcmp(key, "protocol") == 0 && check_version(value) == -1)
		return;
	if (p.cb->config != NULL)
		p.cb->config(key, value);
}

/* Register for what the filter has callbacks for, then start. */
static void
do_ready(void)
{
	p.handshake_done = 1;
	if (p.cb->ready != NULL && p.cb->ready() == -1) {
		stop(-1);
		return;
	}
	if (p.cb->link_connect != NULL)
		emit("register|report|smtp-in|link-connect\n");
	if (p.cb->link_identify != NULL)
		emit("register|report|smtp-in|link-identify\n");
	if (p.cb->link_auth != NULL)
		emit("register|report|smtp-in|link-auth\n");
	/* Always: it is where session state is freed. */
	emit("register|report|smtp-in|link-disconnect\n");
	if (p.cb->helo != NULL)
		emit("register|filter|smtp-in|helo\n");
	if (p.cb->ehlo != NULL)
		emit("register|filter|smtp-in|ehlo\n");
	if (p.cb->mail_from != NULL)
		emit("register|filter|smtp-in|mail-from\n");
	if (p.cb->rcpt_to != NULL)
		emit("register|filter|smtp-in|rcpt-to\n");
	if (p.cb->data_line != NULL)
		emit("register|filter|smtp-in|data-line\n");
	emit("register|ready\n");
}

/* report|version|time|subsystem|event|session[|params] */
static void
do_report(char **f, int n)
{
	struct proto_session	*s;
	char			*a[4];
	struct proto_src	 src;
	const char		*ev = f[4];
	int			 m;

	if (strcmp(f[3], "smtp-in") != 0)
		return;
	if (strcmp(ev, "link-disconnect") == 0) {
		session_end(f[5]);
		return;
	}
	if (strcmp(ev, "link-connect") != 0 &&
	    strcmp(ev, "link-identify") != 0 &&
	    strcmp(ev, "link-auth") != 0)
		return;		/* not registered for: nothing to keep */
	if ((s = session_get(f[5])) == NULL)
		return;
	if (n < 7) {
		plog("session=%s %s without parameters ignored", s->idstr, ev);
		return;
	}
	if (strcmp(ev, "link-connect") == 0) {
		/* rdns|fcrdns|src|dest */
		if ((m = split(f[6], a, 4)) < 3) {
			plog("session=%s malformed link-connect ignored",
			    s->idstr);
			return;
		}
		if (p.cb->link_connect != NULL) {
			src_read(a[2], &src);
			if (src.kind == PROTO_SRC_UNUSABLE)
				plog("session=%s link-connect with an unusable "
				    "client address \"%.64s\"", s->idstr, a[2]);
			p.cb->link_connect(s, a[0], a[1], &src, m > 3 ? a[3] :
			    "");
		}
	} else if (strcmp(ev, "link-identify") == 0) {
		/* method|identity */
		if (split(f[6], a, 2) < 2) {
			plog("session=%s malformed link-identify ignored",
			    s->idstr);
			return;
		}
		if (p.cb->link_identify != NULL)
			p.cb->link_identify(s, a[0], a[1]);
	} else {
		char	*user, *result;

		/*
		 * 0.6: username|result, 0.7: result|username.  Only the
		 * last field may hold a '|', so in 0.6 the result is
		 * what follows the last one.
		 */
		if (strcmp(p.version, "0.6") == 0) {
			if ((result = strrchr(f[6], '|')) == NULL) {
				plog("session=%s malformed link-auth ignored",
				    s->idstr);
				return;
			}
			*result++ = '\0';
			user = f[6];
		} else {
			if (split(f[6], a, 2) < 2) {
				plog("session=%s malformed link-auth ignored",
				    s->idstr);
				return;
			}
			result = a[0];
			user = a[1];
		}
		if (p.cb->link_auth != NULL)
			p.cb->link_auth(s, user, result);
	}
}

/* filter|version|time|subsystem|phase|session|token[|params] */
static void
do_filter(char **f, int n)
{
	struct proto_session	*s;
	const char		*phase = f[4], *tok = f[6];
	const char		*param = n > 7 ? f[7] : "";

	if ((s = session_get(f[5])) == NULL)
		return;
	if (parse_id(tok, NULL) == -1) {
		plog("session=%s %s request with a malformed token ignored",
		    s->idstr, phase);
		return;
	}
	if (strcmp(f[3], "smtp-in") != 0) {
		plog("session=%s request for subsystem %.32s, proceeding",
		    s->idstr, f[3]);
		proto_proceed(s, tok);
		return;
	}
	if (strcmp(phase, "data-line") == 0) {
		if (p.cb->data_line != NULL)
			p.cb->data_line(s, tok, param);
		else
			proto_dataline(s, tok, param);
	} else if (strcmp(phase, "mail-from") == 0 && p.cb->mail_from != NULL)
		p.cb->mail_from(s, tok, param);
	else if (strcmp(phase, "rcpt-to") == 0 && p.cb->rcpt_to != NULL)
		p.cb->rcpt_to(s, tok, param);
	else if (strcmp(phase, "helo") == 0 && p.cb->helo != NULL)
		p.cb->helo(s, tok, param);
	else if (strcmp(phase, "ehlo") == 0 && p.cb->ehlo != NULL)
		p.cb->ehlo(s, tok, param);
	else {
		/* Not ours to judge, but smtpd waits for an answer. */
		plog("session=%s unexpected %.32s request, proceeding",
		    s->idstr, phase);
		proto_proceed(s, tok);
	}
}

/* The session with this id, made at its first event. */
static struct proto_session *
session_get(const char *idstr)
{
	struct psession	 key, *ps;
	uint64_t	 id;

	if (parse_id(idstr, &id) == -1) {
		plog("malformed session id \"%.32s\"; line ignored", idstr);
		return NULL;
	}
	key.s.id = id;
	if ((ps = RB_FIND(psessions, &p.sessions, &key)) != NULL)
		return &ps->s;
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		plog("session=%s: out of memory; line ignored", idstr);
		return NULL;
	}
	ps->s.id = id;
	(void)strlcpy(ps->s.idstr, idstr, sizeof(ps->s.idstr));
	if (p.cb->session_new != NULL &&
	    (ps->s.data = p.cb->session_new(&ps->s)) == NULL) {
		plog("session=%s: out of memory; line ignored", idstr);
		free(ps);
		return NULL;
	}
	RB_INSERT(psessions, &p.sessions, ps);
	return &ps->s;
}

static void
session_end(const char *idstr)
{
	struct psession	 key, *ps;

	if (parse_id(idstr, &key.s.id) == -1) {
		plog("malformed session id \"%.32s\"; line ignored", idstr);
		return;
	}
	if ((ps = RB_FIND(psessions, &p.sessions, &key)) == NULL)
		return;
	RB_REMOVE(psessions, &p.sessions, ps);
	if (p.cb->session_free != NULL)
		p.cb->session_free(&ps->s);
	free(ps);
}

/*
 * While a long data-line streams through, its end has not come yet:
 * answers made meanwhile (DNS results for other sessions) wait.
 */
static struct evbuffer *
out_buf(void)
{
	return p.long_mode == LONG_STREAM ? p.deferred : p.out;
}

static void
emit(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (evbuffer_add_vprintf(out_buf(), fmt, ap) == -1)
		plog("out of memory for output");
	va_end(ap);
}

/*
 * Text inside a line, with the characters in bad (which would break the
 * framing, or the SMTP reply) made spaces.
 */
static void
emit_text(const char *s, const char *bad)
{
	size_t	 n;

	while (*s != '\0') {
		n = strcspn(s, bad);
		evbuffer_add(out_buf(), s, n);
		s += n;
		if (*s != '\0') {
			evbuffer_add(out_buf(), " ", 1);
			s++;
		}
	}
}

void
proto_proceed(struct proto_session *s, const char *token)
{
	emit("filter-result|%s|%s|proceed\n", s->idstr, token);
	if (!p.dispatching)
		flush_out();
}

void
proto_reject(struct proto_session *s, const char *token, const char *reply)
{
	emit("filter-result|%s|%s|reject|", s->idstr, token);
	emit_text(reply, "\r\n");
	emit("\n");
	if (!p.dispatching)
		flush_out();
}

void
proto_dataline(struct proto_session *s, const char *token, const char *line)
{
	emit("filter-dataline|%s|%s|", s->idstr, token);
	/* A bare CR is message content: only LF ends our line. */
	emit_text(line, "\n");
	emit("\n");
	/* Inside a batch of input lines, in_cb writes them all at once. */
	if (!p.dispatching)
		flush_out();
}
