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
#include <syslog.h>

#include <event2/event.h>

#include "spf.h"
#include "proto.h"
#include "authres.h"

#define WATCHDOG_MIN_S	10
#define WATCHDOG_SLACK_S 30

struct sess {
	struct proto_session	*ps;
	char			 client[SPF_ADDR_LEN + 8]; /* for logs */
	char			 ip[SPF_ADDR_LEN];	/* "" if unknown */
	char			 helo[SPF_DOMAIN_LEN];
	const char		*local;		/* why local, or NULL */
	int			 authenticated;

	/* The mail-from request waiting for its SPF result. */
	struct spf_message	*query;
	struct event		*watchdog;
	char			 token[PROTO_ID_LEN];

	/* The current transaction's message. */
	struct authres		 msg;
	/* Its verdict, kept for RCPT TO when recipients are exempted. */
	struct spf_verdict	*verdict;
	int			 have_verdict;
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
static void	 on_rcpt_to(struct proto_session *, const char *,
		    const char *);
static void	 check_done(const struct spf_verdict *,
		    const struct spf_trace *, void *);
static void	 answer(struct sess *, const struct spf_verdict *);
static void	 watchdog_cb(evutil_socket_t, short, void *);
static void	 answer_pending(struct sess *, const char *);
static void	 set_helo(struct sess *, const char *);
static void	 keep_headers(struct sess *, const struct spf_verdict *);

static struct spf_config	 cfg;
static struct spf_checker	*checker;
static struct event_base	*base;
static char			 admd[SPF_DOMAIN_LEN];
static int			 receiver_given;
static int			 session_timeout = 300;
static char			 smtpd_version[32];

static struct proto_callbacks callbacks = {
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
	    authres_init(&s->msg, ps, &cfg, cfg.receiver, admd) == -1) {
		if (s->watchdog != NULL)
			event_free(s->watchdog);
		authres_free(&s->msg);
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
		spf_message_cancel(s->query);
	evtimer_del(s->watchdog);
	event_free(s->watchdog);
	authres_free(&s->msg);
	free(s->verdict);
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
	char		 err[SPF_PROBLEM_LEN], line[SPF_LOG_LINE_LEN];
	struct spf_verdict v;
	struct timeval	 tv;
	int		 wd;

	/* smtpd sends none while one waits; answer both if it did. */
	if (s->query != NULL)
		answer_pending(s, "a new mail-from request came first");
	authres_reset(&s->msg);
	s->have_verdict = 0;

	/* skip networks and names are the core's: only what smtpd knows */
	if (s->local != NULL)
		why = s->local;
	else if (s->authenticated)
		why = "authenticated";
	if (why != NULL) {
		spf_verdict_trusted(&cfg, s->ip, address, s->helo, why, &v);
		(void)spf_verdict_log_line(&v, line, sizeof(line));
		spf_log(&cfg, "session=%s %s", ps->idstr, line);
		proto_proceed(ps, token);
		return;
	}
	/* Untrusted from here on: a forged verdict of ours must go. */
	s->msg.strip = 1;
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
	s->query = spf_message_start(checker, s->ip, address, s->helo, 0,
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
check_done(const struct spf_verdict *v, const struct spf_trace *t,
    void *arg)
{
	struct sess		*s = arg;

	(void)t;
	s->query = NULL;
	evtimer_del(s->watchdog);
	answer(s, v);
}

/* With exemptions, the core's answer for each recipient. */
static void
on_rcpt_to(struct proto_session *ps, const char *token, const char *address)
{
	struct sess	*s = ps->data;
	char		 reply[SPF_REPLY_LEN];

	if (!s->have_verdict) {
		proto_proceed(ps, token);
		return;
	}
	(void)spf_verdict_recipient(s->verdict, &cfg, address, reply,
	    sizeof(reply));
	spf_log(&cfg, "session=%s rcpt=<%s> %s", ps->idstr, address,
	    reply[0] != '\0' ? reply : "accepted");
	if (reply[0] != '\0')
		proto_reject(ps, token, reply);
	else
		proto_proceed(ps, token);
}

/* The core's verdict, as smtpd's answer to the mail-from request. */
static void
answer(struct sess *s, const struct spf_verdict *v)
{
	char	 line[SPF_LOG_LINE_LEN];

	if (v->headers)
		keep_headers(s, v);
	if (spf_verdict_at_rcpt(&cfg)) {
		/* the answer waits for each recipient */
		if (s->verdict == NULL &&
		    (s->verdict = malloc(sizeof(*s->verdict))) == NULL) {
			spf_log(&cfg, "session=%s out of memory for the "
			    "verdict; proceeding", s->ps->idstr);
			proto_proceed(s->ps, s->token);
			return;
		}
		*s->verdict = *v;
		s->have_verdict = 1;
		proto_proceed(s->ps, s->token);
	} else if (v->reply[0] != '\0')
		proto_reject(s->ps, s->token, v->reply);
	else
		proto_proceed(s->ps, s->token);
	(void)spf_verdict_log_line(v, line, sizeof(line));
	spf_log(&cfg, "session=%s %s ms=%ld", s->ps->idstr, line,
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
	long	 ms = spf_message_elapsed_ms(s->query);

	spf_message_cancel(s->query);
	s->query = NULL;
	evtimer_del(s->watchdog);
	spf_log(&cfg, "session=%s client=%s error=\"%s\" action=proceed ms=%ld",
	    s->ps->idstr, s->client, why, ms);
	proto_proceed(s->ps, s->token);
}

static void
keep_headers(struct sess *s, const struct spf_verdict *v)
{
	const char	*nl;
	int		 i = 0;

	/* one Received-SPF a line: the HELO's, then the MAIL FROM's */
	if (v->received_spf[0] != '\0' &&
	    (nl = strchr(v->received_spf, '\n')) != NULL) {
		if ((s->msg.hdr[i++] = strndup(v->received_spf,
		    (size_t)(nl - v->received_spf))) == NULL ||
		    (s->msg.hdr[i++] = strdup(nl + 1)) == NULL)
			goto nomem;
	} else if (v->received_spf[0] != '\0' &&
	    (s->msg.hdr[i++] = strdup(v->received_spf)) == NULL)
		goto nomem;
	if (v->authres[0] != '\0' &&
	    (s->msg.hdr[i++] = strdup(v->authres)) == NULL)
		goto nomem;
	return;
nomem:
	spf_log(&cfg, "session=%s out of memory for the SPF headers",
	    s->ps->idstr);
}

/* The message goes through authres.c, which knows our headers. */
static void
on_data_line(struct proto_session *ps, const char *token, const char *line)
{
	struct sess	*s = ps->data;

	authres_line(&s->msg, token, line);
}

static enum proto_dataline_verdict
on_data_line_long(struct proto_session *ps, const char *token,
    const char *prefix)
{
	struct sess	*s = ps->data;

	return authres_line_long(&s->msg, token, prefix);
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
	if (spf_verdict_at_rcpt(&cfg))
		callbacks.rcpt_to = on_rcpt_to;
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
