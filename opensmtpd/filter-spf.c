/*
 * filter-spf: SPF (RFC 7208) for OpenSMTPD, as a proc-exec filter.
 *
 *	filter "spf" proc-exec "/usr/libexec/opensmtpd/filter-spf"
 *	listen on 0.0.0.0 filter "spf"
 *
 * The client address comes from link-connect, the HELO name from
 * link-identify (or the helo/ehlo requests), and check_host() runs at
 * the mail-from request, in the same event loop as the protocol, so a
 * session waiting for DNS holds up no other.  The core's verdict says
 * what to do: its reply, if any, answers MAIL FROM; its headers, if
 * they go on, are put on top of the message as it passes through the
 * data-line requests.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "spf.h"
#include "proto.h"

#define AR_PEEK		8192	/* of a held A-R field, for its id */
#define WATCHDOG_MIN_S	10
#define WATCHDOG_SLACK_S 30

static const char ar_name[] = "Authentication-Results";

/* Where an incoming Authentication-Results header stands. */
enum ar_state {
	AR_NONE,		/* not inside one */
	AR_PENDING,		/* authserv-id not seen yet: lines held */
	AR_DROP			/* ours: its continuation lines go too */
};

struct sess {
	struct proto_session	*ps;
	char			 client[SPF_ADDR_LEN + 8]; /* for logs */
	char			 ip[SPF_ADDR_LEN];	/* "" if unknown */
	char			 helo[SPF_DOMAIN_LEN];
	const char		*local;		/* why local, or NULL */
	int			 authenticated;

	/* The mail-from request waiting for its SPF result. */
	struct spf_query	*query;
	struct event		*watchdog;
	char			 token[PROTO_ID_LEN];

	/* The current transaction. */
	int			 strip;		/* remove forged A-R */
	char			*hdr[2];	/* lines to insert */

	/* The message as it passes through data-line requests. */
	int			 in_data;
	int			 in_header;
	enum ar_state		 ar;
	struct evbuffer		*held;		/* A-R lines, '\n' ended */
};

static void	 proto_log(const char *);
static void	 on_config(const char *, const char *);
static int	 on_ready(void);
static void	*session_new(struct proto_session *);
static void	 session_free(struct proto_session *);
static void	 on_connect(struct proto_session *, const char *,
		    const char *, const struct proto_src *, const char *);
static void	 on_identify(struct proto_session *, const char *,
		    const char *);
static void	 on_auth(struct proto_session *, const char *, const char *);
static void	 on_helo(struct proto_session *, const char *, const char *);
static void	 on_mail_from(struct proto_session *, const char *,
		    const char *);
static void	 on_data_line(struct proto_session *, const char *,
		    const char *);
static enum proto_dataline_verdict on_data_line_long(struct proto_session *,
		    const char *, const char *);
static void	 check_done(const struct spf_result *, void *);
static void	 answer(struct sess *, const struct spf_verdict *);
static void	 watchdog_cb(evutil_socket_t, short, void *);
static void	 answer_pending(struct sess *, const char *);
static void	 tx_reset(struct sess *);
static void	 set_helo(struct sess *, const char *);
static void	 keep_headers(struct sess *, const struct spf_verdict *);
static void	 message_begin(struct sess *, const char *);
static int	 is_ar_header(const char *);
static int	 authserv_id(const char *, char *, size_t);
static int	 ours(const char *);
static int	 ar_decide(struct sess *, const char *, const char *, int);
static void	 ar_finish(struct sess *, const char *);
static void	 held_flush(struct sess *, const char *);

static struct spf_config	 cfg;
static struct spf_checker	*checker;
static struct event_base	*base;
static char			 admd[SPF_DOMAIN_LEN];
static int			 receiver_given;
static int			 session_timeout = 300;
static char			 smtpd_version[32];

static const struct proto_callbacks callbacks = {
	.log = proto_log,
	.config = on_config,
	.ready = on_ready,
	.session_new = session_new,
	.session_free = session_free,
	.link_connect = on_connect,
	.link_identify = on_identify,
	.link_auth = on_auth,
	.helo = on_helo,
	.ehlo = on_helo,
	.mail_from = on_mail_from,
	.data_line = on_data_line,
	.data_line_long = on_data_line_long,
};

/* stderr is smtpd's mail log for us (or syslog, as configured). */
static void
proto_log(const char *msg)
{
	spf_log(&cfg, "%s", msg);
}

static void
on_config(const char *key, const char *value)
{
	const char	*errstr;
	int		 t;

	if (strcmp(key, "admd") == 0)
		(void)strlcpy(admd, value, sizeof(admd));
	else if (strcmp(key, "smtpd-version") == 0)
		(void)strlcpy(smtpd_version, value, sizeof(smtpd_version));
	else if (strcmp(key, "smtp-session-timeout") == 0) {
		t = strtonum(value, 1, 86400, &errstr);
		if (errstr == NULL)
			session_timeout = t;
	}
}

/*
 * The handshake is over: we know smtpd's authserv-id (admd), which is
 * ours too unless the config names a receiver, so the checker is made
 * now, with the name it will write into the headers.
 */
static int
on_ready(void)
{
	char		 err[512];
	const char	*notice;

	if (!receiver_given && admd[0] != '\0')
		(void)strlcpy(cfg.receiver, admd, sizeof(cfg.receiver));
	if ((checker = spf_checker_new(&cfg, base, err, sizeof(err))) ==
	    NULL) {
		spf_log(&cfg, "filter-spf: %s", err);
		return -1;
	}
	spf_log(&cfg, "filter-spf ready: smtpd %s, authserv-id %s, %s",
	    smtpd_version[0] != '\0' ? smtpd_version : "(unknown)",
	    cfg.receiver, spf_checker_describe(checker));
	if ((notice = spf_checker_notice(checker)) != NULL)
		spf_log(&cfg, "filter-spf: %s", notice);
	return 0;
}

static void *
session_new(struct proto_session *ps)
{
	struct sess	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ps = ps;
	(void)strlcpy(s->client, "unknown", sizeof(s->client));
	if ((s->watchdog = evtimer_new(base, watchdog_cb, s)) == NULL ||
	    (s->held = evbuffer_new()) == NULL) {
		if (s->watchdog != NULL)
			event_free(s->watchdog);
		free(s);
		return NULL;
	}
	return s;
}

/* link-disconnect: nothing of the session may outlive it. */
static void
session_free(struct proto_session *ps)
{
	struct sess	*s = ps->data;

	if (s == NULL)
		return;
	if (s->query != NULL)
		spf_query_cancel(s->query);
	evtimer_del(s->watchdog);
	event_free(s->watchdog);
	tx_reset(s);
	evbuffer_free(s->held);
	free(s);
	ps->data = NULL;
}

static void
on_connect(struct proto_session *ps, const char *rdns, const char *fcrdns,
    const struct proto_src *src, const char *dest)
{
	struct sess	*s = ps->data;

	(void)rdns;
	(void)fcrdns;
	(void)dest;
	s->ip[0] = '\0';
	s->local = NULL;
	(void)strlcpy(s->client, src->text, sizeof(s->client));
	switch (src->kind) {
	case PROTO_SRC_LOCAL:
		s->local = "local";
		break;
	case PROTO_SRC_ADDR:
		(void)strlcpy(s->ip, src->ip, sizeof(s->ip));
		(void)strlcpy(s->client, s->ip, sizeof(s->client));
		if (src->loopback)
			s->local = "loopback";
		break;
	default:
		break;
	}
}

static void
on_identify(struct proto_session *ps, const char *method,
    const char *identity)
{
	(void)method;
	set_helo(ps->data, identity);
}

static void
on_auth(struct proto_session *ps, const char *username, const char *result)
{
	struct sess	*s = ps->data;

	(void)username;
	if (strcmp(result, "pass") == 0)
		s->authenticated = 1;
}

static void
on_helo(struct proto_session *ps, const char *token, const char *identity)
{
	set_helo(ps->data, identity);
	proto_proceed(ps, token);
}

static void
set_helo(struct sess *s, const char *identity)
{
	/* Too long to be a domain: an unusable HELO, not a cut one. */
	if (strlcpy(s->helo, identity, sizeof(s->helo)) >= sizeof(s->helo))
		s->helo[0] = '\0';
}

static void
on_mail_from(struct proto_session *ps, const char *token,
    const char *address)
{
	struct sess	*s = ps->data;
	const char	*why = NULL;
	char		 err[SPF_PROBLEM_LEN];
	struct spf_verdict v;
	struct timeval	 tv;
	int		 wd;

	/* smtpd sends none while one waits; answer both if it did. */
	if (s->query != NULL)
		answer_pending(s, "a new mail-from request came first");
	tx_reset(s);

	if (s->local != NULL)
		why = s->local;
	else if (s->authenticated)
		why = "authenticated";
	else if (s->ip[0] != '\0' && spf_config_skips(&cfg, s->ip))
		why = "skip-network";
	if (why != NULL) {
		spf_log(&cfg, "session=%s client=%s mailfrom=<%s> skipped=%s "
		    "action=proceed", ps->idstr, s->client, address, why);
		proto_proceed(ps, token);
		return;
	}
	/* Untrusted from here on: a forged verdict of ours must go. */
	s->strip = 1;
	if (s->ip[0] == '\0') {
		spf_log(&cfg, "session=%s client=%s mailfrom=<%s> "
		    "error=\"no client address\" action=proceed", ps->idstr,
		    s->client, address);
		proto_proceed(ps, token);
		return;
	}
	if (checker == NULL) {
		spf_log(&cfg, "session=%s mail-from before the handshake; "
		    "proceeding", ps->idstr);
		proto_proceed(ps, token);
		return;
	}
	(void)strlcpy(s->token, token, sizeof(s->token));
	s->query = spf_query_start(checker, s->ip, address, s->helo, 0,
	    check_done, s, err, sizeof(err));
	if (s->query == NULL) {
		/* as the Exim module: a temperror, for the policy to handle */
		spf_verdict_unchecked(&cfg, SPF_TEMPERROR, s->ip, address,
		    s->helo, err, &v);
		answer(s, &v);
		return;
	}
	/*
	 * The core promises one callback; should it ever break that
	 * promise the session must not hang until smtpd's own timeout.
	 */
	wd = session_timeout - WATCHDOG_SLACK_S;
	if (wd < WATCHDOG_MIN_S)
		wd = WATCHDOG_MIN_S;
	tv.tv_sec = wd;
	tv.tv_usec = 0;
	evtimer_add(s->watchdog, &tv);
}

static void
check_done(const struct spf_result *r, void *arg)
{
	struct sess		*s = arg;
	struct spf_verdict	 v;

	s->query = NULL;
	evtimer_del(s->watchdog);
	spf_verdict(r, &cfg, &v);
	answer(s, &v);
}

/* The core's verdict, as smtpd's answer to the mail-from request. */
static void
answer(struct sess *s, const struct spf_verdict *v)
{
	if (v->headers)
		keep_headers(s, v);
	if (v->reply[0] != '\0')
		proto_reject(s->ps, s->token, v->reply);
	else
		proto_proceed(s->ps, s->token);
	spf_log(&cfg, "session=%s %s ms=%ld", s->ps->idstr, v->log_line,
	    v->result.elapsed_ms);
}

static void
watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	answer_pending(arg, "no SPF result in time");
}

/* Give up on the waiting check: an internal error proceeds. */
static void
answer_pending(struct sess *s, const char *why)
{
	long	 ms = spf_query_elapsed_ms(s->query);

	spf_query_cancel(s->query);
	s->query = NULL;
	evtimer_del(s->watchdog);
	spf_log(&cfg, "session=%s client=%s error=\"%s\" action=proceed ms=%ld",
	    s->ps->idstr, s->client, why, ms);
	proto_proceed(s->ps, s->token);
}

static void
tx_reset(struct sess *s)
{
	free(s->hdr[0]);
	free(s->hdr[1]);
	s->hdr[0] = s->hdr[1] = NULL;
	s->strip = 0;
	s->in_data = s->in_header = 0;
	s->ar = AR_NONE;
	evbuffer_drain(s->held, evbuffer_get_length(s->held));
}

static void
keep_headers(struct sess *s, const struct spf_verdict *v)
{
	if (v->received_spf[0] != '\0' &&
	    (s->hdr[0] = strdup(v->received_spf)) == NULL)
		spf_log(&cfg, "session=%s out of memory for Received-SPF",
		    s->ps->idstr);
	if (v->authres[0] != '\0' &&
	    (s->hdr[1] = strdup(v->authres)) == NULL)
		spf_log(&cfg, "session=%s out of memory for "
		    "Authentication-Results", s->ps->idstr);
}

/*
 * Data lines.  Our headers go in before the first line (smtpd's own
 * Received:), RFC 7208 9.1; the header section is watched for
 * Authentication-Results fields with our authserv-id, which a client
 * must not be able to bring in (RFC 8601 5); every other line goes back
 * exactly as it came, dot-stuffing and all, up to the final ".".
 */
static void
on_data_line(struct proto_session *ps, const char *token, const char *line)
{
	struct sess	*s = ps->data;

	if (!s->in_data)
		message_begin(s, token);
	if (strcmp(line, ".") == 0) {
		ar_finish(s, token);
		proto_dataline(ps, token, ".");
		tx_reset(s);		/* the next message needs its own */
		return;
	}
	if (!s->in_header) {
		proto_dataline(ps, token, line);
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* A continuation line of the field before. */
		if (s->ar == AR_DROP)
			return;
		if (s->ar == AR_PENDING) {
			evbuffer_add_printf(s->held, "%s\n", line);
			(void)ar_decide(s, token, NULL, 0);
			return;
		}
		proto_dataline(ps, token, line);
		return;
	}
	/* A new field, or the empty line that ends the header section. */
	ar_finish(s, token);
	if (line[0] == '\0')
		s->in_header = 0;
	else if (s->strip && is_ar_header(line)) {
		s->ar = AR_PENDING;
		evbuffer_add_printf(s->held, "%s\n", line);
		(void)ar_decide(s, token, NULL, 0);
		return;
	}
	proto_dataline(ps, token, line);
}

/*
 * The same for a line too long to hold, of which we see the start: it
 * is sent on (or dropped) by proto.c after we return.
 */
static enum proto_dataline_verdict
on_data_line_long(struct proto_session *ps, const char *token,
    const char *prefix)
{
	struct sess	*s = ps->data;

	if (!s->in_data)
		message_begin(s, token);
	if (!s->in_header)
		return PROTO_LINE_PASS;
	if (prefix[0] == ' ' || prefix[0] == '\t') {
		if (s->ar == AR_PENDING)
			(void)ar_decide(s, token, prefix, 1);
		return s->ar == AR_DROP ? PROTO_LINE_DROP : PROTO_LINE_PASS;
	}
	ar_finish(s, token);
	if (s->strip && is_ar_header(prefix)) {
		s->ar = AR_PENDING;
		if (ar_decide(s, token, prefix, 1) == 0)
			return PROTO_LINE_DROP;
	}
	return PROTO_LINE_PASS;
}

static void
message_begin(struct sess *s, const char *token)
{
	s->in_data = 1;
	s->in_header = 1;
	s->ar = AR_NONE;
	if (s->hdr[0] != NULL)
		proto_dataline(s->ps, token, s->hdr[0]);
	if (s->hdr[1] != NULL)
		proto_dataline(s->ps, token, s->hdr[1]);
}

static int
is_ar_header(const char *line)
{
	size_t	 n = sizeof(ar_name) - 1;

	if (strncasecmp(line, ar_name, n) != 0)
		return 0;
	line += n;
	line += strspn(line, " \t");
	return *line == ':';
}

/*
 * The authserv-id of an Authentication-Results field (RFC 8601 2.2):
 * the first value after the colon, past any CFWS.  Returns 1 with it in
 * id, 0 if the text so far holds only CFWS.
 */
static int
authserv_id(const char *h, char *id, size_t idlen)
{
	const char	*p;
	size_t		 n = 0;
	int		 depth = 0;

	if ((p = strchr(h, ':')) == NULL)
		return 0;
	for (p++; *p != '\0'; p++) {
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p != ' ' && *p != '\t' && *p != '\n')
			break;
	}
	if (*p == '\0')
		return 0;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < idlen)
				id[n++] = *p;
		}
	} else {
		for (; *p != '\0' && strchr(" \t\n;(", *p) == NULL; p++)
			if (n + 1 < idlen)
				id[n++] = *p;
	}
	id[n] = '\0';
	return 1;
}

static int
ours(const char *id)
{
	return (cfg.receiver[0] != '\0' && strcasecmp(id, cfg.receiver) == 0) ||
	    (admd[0] != '\0' && strcasecmp(id, admd) == 0);
}

/*
 * Decide on the held Authentication-Results field once its authserv-id
 * is known, or now if force: ours is dropped with its continuation
 * lines, any other goes out as it came.  extra is more of the field,
 * looked at but not held.  Returns 0 if dropped, 1 if sent, -1 if still
 * undecided.
 */
static int
ar_decide(struct sess *s, const char *token, const char *extra, int force)
{
	char	 buf[AR_PEEK], id[SPF_DOMAIN_LEN];
	size_t	 len, n;
	int	 known;

	len = evbuffer_get_length(s->held);
	n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	if (evbuffer_copyout(s->held, buf, n) == -1)
		n = 0;
	buf[n] = '\0';
	if (extra != NULL)
		(void)strlcat(buf, extra, sizeof(buf));
	known = authserv_id(buf, id, sizeof(id));
	/* Only CFWS yet: the id may come on the next line. */
	if (!known && !force && len < sizeof(buf) - 1)
		return -1;
	if (known && ours(id)) {
		spf_log(&cfg, "session=%s removed an incoming "
		    "Authentication-Results header with our authserv-id "
		    "\"%s\"", s->ps->idstr, id);
		evbuffer_drain(s->held, len);
		s->ar = AR_DROP;
		return 0;
	}
	held_flush(s, token);
	s->ar = AR_NONE;
	return 1;
}

/* A header field ends: settle a held one. */
static void
ar_finish(struct sess *s, const char *token)
{
	if (s->ar == AR_PENDING)
		(void)ar_decide(s, token, NULL, 1);
	s->ar = AR_NONE;
}

/* Send the held lines as they came. */
static void
held_flush(struct sess *s, const char *token)
{
	char	*line;
	size_t	 n;

	while ((line = evbuffer_readln(s->held, &n, EVBUFFER_EOL_LF)) !=
	    NULL) {
		proto_dataline(s->ps, token, line);
		free(line);
	}
}

int
main(int argc, char *argv[])
{
	struct spf_config	 defaults;
	char			 err[512];
	int			 i, status;

	(void)signal(SIGPIPE, SIG_IGN);
	spf_config_init(&defaults);
	spf_config_init(&cfg);
	if ((i = spf_config_args(&cfg, argc, argv, NULL, NULL, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "filter-spf: %s\n", err);
		return 1;
	}
	if (i < argc) {
		fprintf(stderr, "usage: filter-spf [--config file] "
		    "[--keyword value ...]\n");
		return 1;
	}
	receiver_given = strcmp(cfg.receiver, defaults.receiver) != 0;
	if (cfg.log == SPF_LOG_SYSLOG)
		openlog("filter-spf", LOG_PID | LOG_NDELAY, LOG_MAIL);

	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "filter-spf: cannot make an event loop\n");
		return 1;
	}
	if (proto_init(base, &callbacks, err, sizeof(err)) == -1) {
		fprintf(stderr, "filter-spf: %s\n", err);
		return 1;
	}
	(void)event_base_dispatch(base);
	status = proto_status();

	/* Sessions first: they hold queries on the checker. */
	proto_shutdown();
	if (checker != NULL)
		spf_checker_free(checker);
	event_base_free(base);
	return status == 0 ? 0 : 1;
}
