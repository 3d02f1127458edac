/*
 * message.c: one message checked as the site's policy says, by running
 * the queries it needs one after the other: a skip rule's, the HELO
 * identity's, the MAIL FROM identity's, the best guess's.  Each is an
 * ordinary check_host() evaluation with its own limits and timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stddef.h>
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
	struct spf_addr		 addr;		/* the client's, and */
	char			 ip[SPF_ADDR_LEN];	/* as text */
	char			 helo[SPF_DOMAIN_LEN];
	char			*sender;	/* of sender_size octets */
	size_t			 sender_size;
	struct timespec		 started;
	/*
	 * What the verdict is made of.  The verdict itself (11 KiB of
	 * header buffers) is composed only in end_cb, and a result is
	 * taken once an identity has one: a message in flight holds a
	 * few hundred octets, not the whole verdict.
	 */
	struct spf_result	*result;	/* the message's, or NULL */
	struct spf_result	*helo_result;	/* the HELO identity's */
	int			 helo_checked;
	int			 helo_evaluated;
	int			 helo_decided;
	int			 guessed;
	enum spf_code		 guess;
	int			 nomem;		/* a result could not be kept */
	char			 skipped[SPF_DOMAIN_LEN + 8];
};

static void	advance(struct spf_message *);
static int	start(struct spf_message *, const char *, const char *,
		    const char *);
static void	answered(const struct spf_result *, void *);
static void	finish(struct spf_message *);
static void	end_cb(evutil_socket_t, short, void *);
static void	result_clear(struct spf_result *);
static struct spf_message *message_new(struct spf_checker *);
static void	message_free(struct spf_message *);
static int	set_sender(struct spf_message *, const char *);
static struct spf_result *slot(struct spf_message *, struct spf_result **);
static int	skip_network(const struct spf_config *,
		    const struct spf_addr *, char *, size_t);

/* The skip network the client is in, as text, or 0. */
static int
skip_network(const struct spf_config *cfg, const struct spf_addr *a,
    char *out, size_t len)
{
	char		 text[SPF_ADDR_LEN];
	int		 i;

	for (i = 0; i < cfg->nskip; i++) {
		if (!spf_net_contains(&cfg->skip[i], a->af, a->a))
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
	if ((m = message_new(c)) == NULL || set_sender(m, sender) == -1) {
		if (m != NULL)
			message_free(m);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &m->started);
	m->done = done;
	m->arg = arg;
	m->trace = trace;
	m->addr = a;
	client_ip_text(&a, ip, m->ip, sizeof(m->ip));
	/* it fits: a longer HELO was made "" above */
	memcpy(m->helo, helo, strlen(helo) + 1);
	m->stage = MSG_SKIP;
	if (skip_network(&c->cfg, &a, m->skipped, sizeof(m->skipped))) {
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
	/* its end may be scheduled; a message that ends was ending */
	(void)event_del(m->ev_end);
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

/*
 * A zeroed message with its event, a spare of the checker's if it has
 * one (making and freeing the event cost 500 instructions a message).
 */
static struct spf_message *
message_new(struct spf_checker *c)
{
	struct spf_message	*m;
	struct event		*ev;

	char			*sender;
	size_t			 size;

	if (c->nspare_messages > 0) {
		m = c->spare_messages[--c->nspare_messages];
		ev = m->ev_end;
		sender = m->sender;
		size = m->sender_size;
		memset(m, 0, sizeof(*m));
		m->ev_end = ev;
		m->sender = sender;
		m->sender_size = size;
	} else if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	else if ((m->ev_end = event_new(c->base, -1, 0, end_cb, m)) == NULL) {
		free(m);
		return NULL;
	}
	m->checker = c;
	return m;
}

/* Free what the message holds, and it or, up to the bound, keep it. */
static void
message_free(struct spf_message *m)
{
	struct spf_checker	*c = m->checker;

	trace_release(m->kept);
	checker_result_put(c, m->result);
	checker_result_put(c, m->helo_result);
	if (c->nspare_messages < CHECKER_SPARES) {
		/* its end is not scheduled (spf_message_cancel) */
		c->spare_messages[c->nspare_messages++] = m;
		return;
	}
	event_free(m->ev_end);
	free(m->sender);
	free(m);
}

/*
 * The envelope sender into the message's buffer: a spare's, when it is
 * big enough (a strdup and a free cost 250 instructions a message).
 */
static int
set_sender(struct spf_message *m, const char *sender)
{
	size_t	 len = strlen(sender);

	if (len >= m->sender_size) {
		free(m->sender);
		m->sender_size = len < 64 ? 64 : len + 1;
		if ((m->sender = malloc(m->sender_size)) == NULL) {
			m->sender_size = 0;
			return -1;
		}
	}
	memcpy(m->sender, sender, len + 1);
	return 0;
}

void
message_spares_free(struct spf_checker *c)
{
	struct spf_message	*m;

	while (c->nspare_messages > 0) {
		m = c->spare_messages[--c->nspare_messages];
		event_free(m->ev_end);
		free(m->sender);
		free(m);
	}
}

/*
 * A result of the message, taken when first needed (every caller
 * writes it whole); NULL without memory.  Not calloc: zeroing its
 * 2 KiB cost 3,500 instructions a warm evaluation in callgrind.
 */
static struct spf_result *
slot(struct spf_message *m, struct spf_result **p)
{
	if (*p == NULL && (*p = checker_result_get(m->checker)) == NULL)
		m->nomem = 1;
	return *p;
}

/* One query of the message; given a record, that instead of DNS's. */
static int
start(struct spf_message *m, const char *sender, const char *helo,
    const char *record)
{
	char	 err[SPF_PROBLEM_LEN];

	m->query = query_start(m->checker, &m->addr, m->ip, sender, helo,
	    m->trace, answered, m, err, sizeof(err));
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
	struct spf_result		*h;
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
			m->helo_checked = 1;
			/* RFC 7208 2.3: only a domain name is checked */
			if (domain_valid_initial(m->helo) &&
			    start(m, "", m->helo, NULL) == 0) {
				m->stage = MSG_HELO;
				return;
			}
			if ((h = slot(m, &m->helo_result)) != NULL) {
				verdict_result_unchecked(cfg, SPF_NONE, m->ip,
				    "", m->helo, "the HELO name is not a "
				    "domain name (RFC 7208 2.3)", h);
				h->action = cfg->helo_actions[SPF_NONE];
				(void)strlcpy(h->sender, m->sender,
				    sizeof(h->sender));
			}
		}
	}
	if (m->stage == MSG_MAILFROM) {
		m->stage = MSG_GUESS;
		h = m->helo_result;
		if (m->sender[0] == '\0' && m->helo_checked && h != NULL &&
		    h->identity == SPF_ID_HELO && h->domain[0] != '\0') {
			/* the null sender's identity is the HELO's: once */
			if (slot(m, &m->result) != NULL) {
				*m->result = *h;
				verdict_action(m->result, cfg);
			}
		} else if (start(m, m->sender, m->helo, NULL) == 0) {
			m->stage = MSG_MAILFROM;
			return;
		} else if (slot(m, &m->result) != NULL)
			verdict_result_unchecked(cfg, SPF_TEMPERROR, m->ip,
			    m->sender, m->helo, "out of memory", m->result);
	}
	if (m->stage == MSG_GUESS) {
		m->stage = MSG_DONE;
		if (cfg->best_guess[0] != '\0' &&
		    m->result != NULL && m->result->code == SPF_NONE &&
		    domain_valid_initial(m->result->domain) &&
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
	struct spf_result	*h;

	t = query_take_trace(m->query);
	m->query = NULL;
	switch (m->stage) {
	case MSG_SKIP:
		trace_release(t);
		if (r->code == SPF_PASS) {
			(void)snprintf(m->skipped, sizeof(m->skipped),
			    "%s:%s", cfg->skip_names[m->rule - 1].kind ==
			    SPF_SKIP_PTR ? "ptr" : cfg->skip_names[m->rule -
			    1].kind == SPF_SKIP_HELO ? "helo" : "spf",
			    cfg->skip_names[m->rule - 1].name);
			finish(m);
			return;
		}
		break;
	case MSG_HELO:
		m->helo_evaluated = 1;
		m->stage = MSG_MAILFROM;
		if ((h = slot(m, &m->helo_result)) == NULL) {
			trace_release(t);
			finish(m);
			return;
		}
		*h = *r;
		h->trace = NULL;
		h->action = cfg->helo_actions[r->code];
		/* the message's envelope sender, not the probe's "<>" */
		(void)strlcpy(h->sender, m->sender, sizeof(h->sender));
		if (h->action == SPF_REJECT || h->action == SPF_DEFER) {
			/* RFC 7208 2.3: the host itself is refused */
			m->helo_decided = 1;
			if (slot(m, &m->result) != NULL)
				*m->result = *h;
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
		if (slot(m, &m->result) != NULL) {
			*m->result = *r;
			m->result->trace = NULL;
		}
		trace_release(m->kept);
		m->kept = t;
		m->stage = MSG_GUESS;
		break;
	default:
		trace_release(t);
		m->guessed = 1;
		m->guess = r->code;
		m->stage = MSG_DONE;
		break;
	}
	advance(m);
}

/* The verdict is in: hand it over from the loop, not from the start. */
static void
finish(struct spf_message *m)
{
	m->stage = MSG_DONE;
	event_active(m->ev_end, EV_TIMEOUT, 1);
}

/*
 * No result: zero, every text "" (what follows their NULs is never
 * read).  Zeroing the whole 2 KiB cost 275 instructions a message.
 */
static void
result_clear(struct spf_result *r)
{
	memset(r, 0, offsetof(struct spf_result, client_ip));
	r->client_ip[0] = r->sender[0] = r->helo[0] = r->domain[0] = '\0';
	r->mechanism[0] = r->explanation[0] = r->problem[0] = '\0';
	r->trace = NULL;
}

/* The verdict, composed from what the message kept, to the caller. */
static void
end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spf_message	*m = arg;
	const struct spf_config	*cfg = &m->checker->cfg;
	struct spf_verdict	 v;
	struct spf_result	*r = &v.result;

	(void)fd;
	(void)what;
	/*
	 * Not the whole 11 KiB: compose() writes every header and the
	 * reply (zeroing them cost 15,800 instructions, an eighth of a
	 * warm evaluation in filter mode, in callgrind); each result is
	 * copied or zeroed, not both.
	 */
	if (m->result != NULL)
		v.result = *m->result;
	else
		result_clear(&v.result);
	if (m->helo_result != NULL)
		v.helo_result = *m->helo_result;
	else
		result_clear(&v.helo_result);
	memset(&v.helo_checked, 0, offsetof(struct spf_verdict, received_spf) -
	    offsetof(struct spf_verdict, helo_checked));
	v.reply[0] = '\0';
	v.helo_checked = m->helo_checked;
	v.helo_evaluated = m->helo_evaluated;
	v.helo_decided = m->helo_decided;
	v.guessed = m->guessed;
	v.guess = m->guess;
	(void)strlcpy(v.skipped, m->skipped, sizeof(v.skipped));
	if (v.skipped[0] != '\0') {
		/* accepted as none, with the same fields a check has */
		verdict_result_unchecked(cfg, SPF_NONE, m->ip, m->sender,
		    m->helo, "", r);
		/* the rule is in skipped; the problem says only why */
		(void)strlcpy(r->problem, "skipped: a trusted client (skip)",
		    sizeof(r->problem));
		r->action = SPF_ACCEPT;
		v.helo_checked = 0;
	} else if (m->nomem || m->result == NULL)
		verdict_result_unchecked(cfg, SPF_TEMPERROR, m->ip, m->sender,
		    m->helo, "out of memory", r);
	verdict_compose(&v, cfg);
	if (m->done != NULL)
		m->done(&v, m->kept, m->arg);
	message_free(m);
}
