/*
 * message.c: one message checked as the site's policy says, by running
 * the queries it needs one after the other: a skip rule's, the HELO
 * identity's, the MAIL FROM identity's, the best guess's.  Each is an
 * ordinary check_host() evaluation with its own limits and timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "spfint.h"

enum msg_stage {
	MSG_SKIP,	/* the name rules, one query each */
	MSG_HELO,
	MSG_MAILFROM,
	MSG_GUESS,
	MSG_DONE
};

struct spf_message {
	struct spf_checker	*checker;
	spf_verdict_fn		*done;
	void			*arg;
	int			 trace;
	enum msg_stage		 stage;
	int			 rule;		/* next skip name rule */
	struct spf_query	*query;
	struct event		*ev_end;	/* ends outside the start */
	struct spf_trace	*kept;		/* the deciding result's */
	char			 ip[SPF_ADDR_LEN];
	char			 helo[SPF_DOMAIN_LEN];
	char			*sender;
	struct timespec		 started;
	struct spf_verdict	 v;
};

static void	advance(struct spf_message *);
static int	start(struct spf_message *, const char *, const char *,
		    const char *);
static void	answered(const struct spf_result *, void *);
static void	finish(struct spf_message *);
static void	end_cb(evutil_socket_t, short, void *);
static void	message_free(struct spf_message *);
static int	skip_network(const struct spf_config *, const char *, char *,
		    size_t);

/* The skip network the client is in, as text, or 0. */
static int
skip_network(const struct spf_config *cfg, const char *ip, char *out,
    size_t len)
{
	struct spf_addr	 a;
	char		 text[SPF_ADDR_LEN];
	int		 i;

	if (addr_parse(ip, &a) == -1)
		return 0;
	for (i = 0; i < cfg->nskip; i++) {
		if (!spf_net_contains(&cfg->skip[i], a.af, a.a))
			continue;
		if (inet_ntop(cfg->skip[i].af, cfg->skip[i].addr, text,
		    sizeof(text)) == NULL)
			(void)strlcpy(text, "?", sizeof(text));
		(void)snprintf(out, len, "%s/%d", text, cfg->skip[i].prefix);
		return 1;
	}
	return 0;
}

struct spf_message *
spf_message_start(struct spf_checker *c, const char *ip, const char *sender,
    const char *helo, int trace, spf_verdict_fn *done, void *arg, char *err,
    size_t errlen)
{
	struct spf_message	*m;
	struct sender_parts	 sp;
	struct spf_addr		 a;

	if (sender == NULL)
		sender = "";
	if (helo == NULL)
		helo = "";
	if (ip == NULL || addr_parse(ip, &a) == -1) {
		(void)snprintf(err, errlen, "not an IP address: %.60s",
		    ip != NULL ? ip : "");
		return NULL;
	}
	/*
	 * A name over 255 octets is no domain name (RFC 1035 2.3.4): such a
	 * HELO gives no identity, the same as an empty one, in every front
	 * end (filter-spf's buffer drops it the same way).
	 */
	if (strlen(helo) >= SPF_DOMAIN_LEN)
		helo = "";
	if (sender_parse(sender, helo, &sp) == -1) {
		(void)snprintf(err, errlen, "sender longer than %d octets",
		    SPF_SENDER_MAX);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->sender = strdup(sender)) == NULL ||
	    (m->ev_end = event_new(c->base, -1, 0, end_cb, m)) == NULL) {
		if (m != NULL)
			free(m->sender);
		free(m);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &m->started);
	m->checker = c;
	m->done = done;
	m->arg = arg;
	m->trace = trace;
	addr_text(&a, m->ip, sizeof(m->ip));
	(void)strlcpy(m->helo, helo, sizeof(m->helo));
	m->stage = MSG_SKIP;
	if (skip_network(&c->cfg, ip, m->v.skipped, sizeof(m->v.skipped))) {
		finish(m);
		return m;
	}
	advance(m);
	return m;
}

void
spf_message_cancel(struct spf_message *m)
{
	if (m == NULL)
		return;
	spf_query_cancel(m->query);
	message_free(m);
}

long
spf_message_elapsed_ms(const struct spf_message *m)
{
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - m->started.tv_sec) * 1000 +
	    (now.tv_nsec - m->started.tv_nsec) / 1000000;
}

static void
message_free(struct spf_message *m)
{
	if (m->ev_end != NULL)
		event_free(m->ev_end);
	trace_release(m->kept);
	free(m->sender);
	free(m);
}

/* One query of the message; given a record, that instead of DNS's. */
static int
start(struct spf_message *m, const char *sender, const char *helo,
    const char *record)
{
	char	 err[SPF_PROBLEM_LEN];

	m->query = spf_query_start(m->checker, m->ip, sender, helo, m->trace,
	    answered, m, err, sizeof(err));
	if (m->query == NULL)
		return -1;
	if (record != NULL && query_given_record(m->query, record) == -1) {
		spf_query_cancel(m->query);
		m->query = NULL;
		return -1;
	}
	return 0;
}

/* Start the next query the message needs, or end it. */
static void
advance(struct spf_message *m)
{
	const struct spf_config		*cfg = &m->checker->cfg;
	const struct spf_skip_name	*s;
	struct spf_result		*h = &m->v.helo_result;
	char				 sender[SPF_DOMAIN_LEN + 16];
	char				 rec[SPF_DOMAIN_LEN + 32];

	while (m->stage == MSG_SKIP && m->rule < cfg->nskip_names) {
		s = &cfg->skip_names[m->rule++];
		switch (s->kind) {
		case SPF_SKIP_PTR:
			/* the ptr mechanism: forward-confirmed, at or under */
			(void)snprintf(sender, sizeof(sender), "postmaster@%s",
			    s->name);
			(void)snprintf(rec, sizeof(rec), "v=spf1 ptr:%s -all",
			    s->name);
			if (start(m, sender, m->helo, rec) == 0)
				return;
			break;
		case SPF_SKIP_HELO:
			/* the HELO name under NAME, its address the client's */
			if (!domain_within(m->helo, s->name) ||
			    !domain_valid_initial(m->helo))
				break;
			(void)snprintf(sender, sizeof(sender), "postmaster@%s",
			    m->helo);
			if (start(m, sender, m->helo, "v=spf1 a -all") == 0)
				return;
			break;
		case SPF_SKIP_SPF:
			(void)snprintf(sender, sizeof(sender), "postmaster@%s",
			    s->name);
			if (start(m, sender, m->helo, NULL) == 0)
				return;
			break;
		}
	}
	if (m->stage == MSG_SKIP)
		m->stage = MSG_HELO;
	if (m->stage == MSG_HELO) {
		m->stage = MSG_MAILFROM;
		if (cfg->helo_check && m->helo[0] != '\0') {
			m->v.helo_checked = 1;
			/* RFC 7208 2.3: only a domain name is checked */
			if (domain_valid_initial(m->helo) &&
			    start(m, "", m->helo, NULL) == 0) {
				m->stage = MSG_HELO;
				return;
			}
			verdict_result_unchecked(cfg, SPF_NONE, m->ip, "",
			    m->helo, "the HELO name is not a domain name "
			    "(RFC 7208 2.3)", h);
			h->action = cfg->helo_actions[SPF_NONE];
			(void)strlcpy(h->sender, m->sender, sizeof(h->sender));
		}
	}
	if (m->stage == MSG_MAILFROM) {
		m->stage = MSG_GUESS;
		if (m->sender[0] == '\0' && m->v.helo_checked &&
		    h->identity == SPF_ID_HELO && h->domain[0] != '\0') {
			/* the null sender's identity is the HELO's: once */
			m->v.result = *h;
			verdict_action(&m->v.result, cfg);
		} else if (start(m, m->sender, m->helo, NULL) == 0) {
			m->stage = MSG_MAILFROM;
			return;
		} else
			verdict_result_unchecked(cfg, SPF_TEMPERROR, m->ip,
			    m->sender, m->helo, "out of memory", &m->v.result);
	}
	if (m->stage == MSG_GUESS) {
		m->stage = MSG_DONE;
		if (cfg->best_guess[0] != '\0' &&
		    m->v.result.code == SPF_NONE &&
		    domain_valid_initial(m->v.result.domain) &&
		    start(m, m->sender, m->helo, cfg->best_guess) == 0) {
			m->stage = MSG_GUESS;
			return;
		}
	}
	finish(m);
}

/* A query of the message has its result. */
static void
answered(const struct spf_result *r, void *arg)
{
	struct spf_message	*m = arg;
	const struct spf_config	*cfg = &m->checker->cfg;
	struct spf_trace	*t;

	t = query_take_trace(m->query);
	m->query = NULL;
	switch (m->stage) {
	case MSG_SKIP:
		trace_release(t);
		if (r->code == SPF_PASS) {
			(void)snprintf(m->v.skipped, sizeof(m->v.skipped),
			    "%s:%s", cfg->skip_names[m->rule - 1].kind ==
			    SPF_SKIP_PTR ? "ptr" : cfg->skip_names[m->rule -
			    1].kind == SPF_SKIP_HELO ? "helo" : "spf",
			    cfg->skip_names[m->rule - 1].name);
			finish(m);
			return;
		}
		break;
	case MSG_HELO:
		m->v.helo_evaluated = 1;
		m->v.helo_result = *r;
		m->v.helo_result.trace = NULL;
		m->v.helo_result.action = cfg->helo_actions[r->code];
		/* the message's envelope sender, not the probe's "<>" */
		(void)strlcpy(m->v.helo_result.sender, m->sender,
		    sizeof(m->v.helo_result.sender));
		m->stage = MSG_MAILFROM;
		if (m->v.helo_result.action == SPF_REJECT ||
		    m->v.helo_result.action == SPF_DEFER) {
			/* RFC 7208 2.3: the host itself is refused */
			m->v.helo_decided = 1;
			m->v.result = m->v.helo_result;
			trace_release(m->kept);
			m->kept = t;
			finish(m);
			return;
		}
		/* the null sender's evaluation, should it be this one */
		trace_release(m->kept);
		m->kept = t;
		break;
	case MSG_MAILFROM:
		m->v.result = *r;
		m->v.result.trace = NULL;
		trace_release(m->kept);
		m->kept = t;
		m->stage = MSG_GUESS;
		break;
	default:
		trace_release(t);
		m->v.guessed = 1;
		m->v.guess = r->code;
		m->stage = MSG_DONE;
		break;
	}
	advance(m);
}

/* The verdict is in: hand it over from the loop, not from the start. */
static void
finish(struct spf_message *m)
{
	const struct spf_config	*cfg = &m->checker->cfg;
	struct spf_result	*r = &m->v.result;

	if (m->v.skipped[0] != '\0') {
		/* accepted as none, with the same fields a check has */
		verdict_result_unchecked(cfg, SPF_NONE, m->ip, m->sender,
		    m->helo, "", r);
		/* the rule is in skipped; the problem says only why */
		(void)strlcpy(r->problem, "skipped: a trusted client (skip)",
		    sizeof(r->problem));
		r->action = SPF_ACCEPT;
		m->v.helo_checked = 0;
	}
	m->stage = MSG_DONE;
	event_active(m->ev_end, EV_TIMEOUT, 1);
}

static void
end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spf_message	*m = arg;
	const struct spf_config	*cfg = &m->checker->cfg;

	(void)fd;
	(void)what;
	verdict_compose(&m->v, cfg);
	if (m->done != NULL)
		m->done(&m->v, m->kept, m->arg);
	message_free(m);
}
