/*
 * lookup.c: the DNS questions of one evaluation or one lint.  The
 * evaluator and the linter ask through here and nowhere else: this file
 * keeps the questions in flight, hands each answer to the handler its
 * asker gave, keeps the DNSSEC tally, bounds the whole set by one timer
 * and, when asked to, the number of questions.  It knows neither of its
 * users; a record cache belongs here too, behind lookup_ask().
 *
 * libunbound may answer inside the call that asks, so a handler may run
 * before lookup_ask() returns; the users make progress only from their
 * own event, never from a handler.
 *
 * It is also the one place that says what RFC 7208 4.6.4 counts: which
 * terms cost a lookup, and which answers are void.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"

struct lookup {
	struct resolver_cb	 cb;	/* first: libunbound's mydata */
	struct lookup_set	*set;
	TAILQ_ENTRY(lookup)	 entry;
	lookup_fn		*handler;
	void			*arg;
	int			 id;
	int			 done;
	int			 type;
	enum spf_dnssec		 dnssec;
	size_t			 size;
	char			 name[];
};

static void	answered(void *, enum dns_status, const unsigned char *,
		    size_t, int, const char *);
static void	expire(evutil_socket_t, short, void *);

int
lookup_init(struct lookup_set *s, struct resolver *r, struct event_base *base,
    int timeout_ms, const struct lookup_owner *owner)
{
	struct timeval	 tv;

	memset(s, 0, sizeof(*s));
	TAILQ_INIT(&s->lookups);
	s->resolver = r;
	s->owner = *owner;
	if ((s->ev_timeout = evtimer_new(base, expire, s)) == NULL)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(s->ev_timeout, &tv);
	return 0;
}

int
lookup_ask(struct lookup_set *s, const char *name, int type,
    lookup_fn *handler, void *arg)
{
	struct lookup	*l;
	size_t		 len = strlen(name);

	if (s->timed_out) {
		handler(s->owner.arg, arg, NULL, DNS_TIMEOUT, NULL);
		return 0;
	}
	if (s->max_queries > 0 && s->queries >= s->max_queries)
		return -1;
	if ((l = calloc(1, sizeof(*l) + len + 1)) == NULL) {
		handler(s->owner.arg, arg, NULL, DNS_ERROR, NULL);
		return 0;
	}
	memcpy(l->name, name, len + 1);
	l->cb.fn = answered;
	l->cb.arg = l;
	l->set = s;
	l->handler = handler;
	l->arg = arg;
	l->type = type;
	TAILQ_INSERT_TAIL(&s->lookups, l, entry);
	s->pending++;
	s->queries++;
	if (resolver_query(s->resolver, name, type, &l->cb, &l->id) == -1)
		answered(l, DNS_ERROR, NULL, 0, 0, NULL);
	return 0;
}

static void
answered(void *cbarg, enum dns_status status, const unsigned char *pkt,
    size_t len, int sec, const char *why)
{
	struct lookup		*l = cbarg;
	struct lookup_set	*s = l->set;
	struct dns_iter		 it, *itp = NULL;

	if (l->done)
		return;
	l->done = 1;
	s->pending--;
	l->dnssec = lookup_dnssec_of(s, status, sec);
	l->size = status == DNS_OK ? len : 0;
	if (l->dnssec == SPF_DNSSEC_BOGUS)
		s->sec_bogus++;
	else if (l->dnssec == SPF_DNSSEC_SECURE)
		s->sec_secure++;
	else if (l->dnssec == SPF_DNSSEC_INSECURE && status != DNS_ERROR)
		s->sec_insecure++;
	if (status == DNS_OK) {
		if (dns_iter_init(&it, pkt, len, l->type) == -1)
			status = DNS_ERROR;
		else if (dns_iter_count(&it) == 0)
			status = DNS_NODATA;	/* the name, none of the type */
		else
			itp = &it;
	}
	l->handler(s->owner.arg, l->arg, l, status, itp);
	if (s->owner.seen == NULL)
		return;
	if (itp != NULL)	/* the handler read it: start over */
		(void)dns_iter_init(itp, pkt, len, l->type);
	s->owner.seen(s->owner.arg, l, status, itp, why);
}

/* The time is up: the owner decides what that means. */
static void
expire(evutil_socket_t fd, short what, void *arg)
{
	struct lookup_set	*s = arg;
	struct lookup		*l;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(l, &s->lookups, entry)
		if (!l->done)
			break;
	s->owner.expired(s->owner.arg, l);
}

/* For an owner that reports what is missing, rather than giving up. */
void
lookup_abandon(struct lookup_set *s)
{
	struct lookup	*l;

	s->timed_out = 1;
	TAILQ_FOREACH(l, &s->lookups, entry) {
		if (l->done)
			continue;
		resolver_cancel(s->resolver, l->id);
		l->done = 1;
		l->dnssec = lookup_dnssec_of(s, DNS_TIMEOUT, 0);
		s->pending--;
		l->handler(s->owner.arg, l->arg, l, DNS_TIMEOUT, NULL);
	}
}

void
lookup_reap(struct lookup_set *s)
{
	struct lookup	*l, *tmp;

	TAILQ_FOREACH_SAFE(l, &s->lookups, entry, tmp) {
		if (l->done) {
			TAILQ_REMOVE(&s->lookups, l, entry);
			free(l);
		}
	}
}

void
lookup_release(struct lookup_set *s)
{
	struct lookup	*l;

	while ((l = TAILQ_FIRST(&s->lookups)) != NULL) {
		TAILQ_REMOVE(&s->lookups, l, entry);
		if (!l->done)
			resolver_cancel(s->resolver, l->id);
		free(l);
	}
	s->pending = 0;
	if (s->ev_timeout != NULL)
		evtimer_del(s->ev_timeout);
}

void
lookup_free(struct lookup_set *s)
{
	lookup_release(s);
	if (s->ev_timeout != NULL)
		event_free(s->ev_timeout);
	s->ev_timeout = NULL;
}

const char *
lookup_name(const struct lookup *l)
{
	return l != NULL ? l->name : "";
}

int
lookup_type(const struct lookup *l)
{
	return l != NULL ? l->type : 0;
}

size_t
lookup_size(const struct lookup *l)
{
	return l != NULL ? l->size : 0;
}

enum spf_dnssec
lookup_dnssec(const struct lookup *l)
{
	return l->dnssec;
}

enum spf_dnssec
lookup_dnssec_of(const struct lookup_set *s, enum dns_status status, int sec)
{
	if (s == NULL || !resolver_validating(s->resolver))
		return SPF_DNSSEC_UNVALIDATED;
	if (status == DNS_BOGUS || sec == 1)
		return SPF_DNSSEC_BOGUS;
	if (sec == 2)
		return SPF_DNSSEC_SECURE;
	return SPF_DNSSEC_INSECURE;
}

enum spf_dnssec
lookup_set_dnssec(const struct lookup_set *s)
{
	if (!resolver_validating(s->resolver))
		return SPF_DNSSEC_UNVALIDATED;
	if (s->sec_bogus > 0)
		return SPF_DNSSEC_BOGUS;
	if (s->sec_insecure > 0)
		return SPF_DNSSEC_INSECURE;
	if (s->sec_secure > 0)
		return SPF_DNSSEC_SECURE;
	return SPF_DNSSEC_UNVALIDATED;
}

/* include, a, mx, ptr, exists and redirect= (RFC 7208 4.6.4) */
int
lookup_term_counts(enum term_kind kind)
{
	switch (kind) {
	case T_INCLUDE:
	case T_A:
	case T_MX:
	case T_PTR:
	case T_EXISTS:
	case T_REDIRECT:
		return 1;
	default:
		return 0;
	}
}

/* Its answers have no records, or the name does not exist (4.6.4). */
int
lookup_void(enum dns_status status)
{
	return status == DNS_NODATA || status == DNS_NXDOMAIN;
}
