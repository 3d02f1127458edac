/*
 * lookup.c: the DNS questions of one evaluation or one lint.  The
 * evaluator and the linter ask through here and nowhere else: this file
 * keeps the questions in flight, hands each answer to the handler its
 * asker gave, keeps the DNSSEC tally, bounds the whole set by one timer
 * and, when asked to, the number of questions.  It knows neither of its
 * users.
 *
 * Every set of a checker shares one hub: the answer cache (cache.c) is
 * asked first, and a question already in flight for the same name and
 * type is joined rather than asked again, so evaluations that need the
 * same record at the same moment wait on one question.  A lookup leaves
 * its flight when its set gives up on it (time-out, release); the
 * question is cancelled at libunbound only when no lookup waits on it.
 *
 * At most max_questions flights are out at libunbound at once; the rest
 * wait in the hub's queue, first come first asked, and go out as earlier
 * ones end.  libunbound holds two 16 KiB regions for every question it
 * has out (issue 16), so the start of a busy filter, every evaluation
 * asking its first TXT at once, would otherwise cost 32 KiB each.  A
 * queued question is still under its set's timer; a set that gives up
 * on it just takes it out of the queue.  The queue is served from an
 * event of its own, never from inside libunbound's callback or
 * resolver_query(), so an answer that comes at once cannot recurse.
 *
 * libunbound may answer inside the call that asks, and a cached answer
 * always comes at once, so a handler may run before lookup_ask()
 * returns; the users make progress only from their own event, never
 * from a handler.
 *
 * It is also the one place that says what RFC 7208 4.6.4 counts: which
 * terms cost a lookup, and which answers are void.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"

/* One question at libunbound, and the lookups waiting on it. */
struct flight {
	struct resolver_cb	 cb;	/* first: libunbound's mydata */
	struct lookup_hub	*hub;
	RB_ENTRY(flight)	 node;
	TAILQ_HEAD(, lookup)	 waiters;
	int			 id;
	int			 type;
	uint32_t		 hash;		/* of key: orders the tree */
	TAILQ_ENTRY(flight)	 queue;		/* while queued */
	int			 queued;	/* not yet at libunbound */
	int			 asking;	/* inside resolver_query */
	int			 answered;
	const char		*key;		/* in keybuf */
	char			 keybuf[];
};

struct lookup_hub {
	struct resolver		*resolver;
	struct cache		*cache;
	RB_HEAD(flight_tree, flight) flights;
	TAILQ_HEAD(, flight)	 queue;		/* waiting for room */
	struct event		*ev_serve;	/* puts the queue out */
	int			 max_questions;	/* out at once; 0: no bound */
	int			 out;		/* at libunbound now */
};

struct lookup {
	struct lookup_set	*set;
	TAILQ_ENTRY(lookup)	 entry;
	struct flight		*flight;	/* while waiting on it */
	TAILQ_ENTRY(lookup)	 wait;
	lookup_fn		*handler;
	void			*arg;
	const struct answer	*answer;	/* while its handlers run */
	int			 done;
	int			 type;
	enum lookup_origin	 origin;
	int			 malformed;
	enum spf_dnssec		 dnssec;
	size_t			 size;
	char			 name[];
};

static int	flight_cmp(const struct flight *, const struct flight *);
static void	answered(void *, enum dns_status, const unsigned char *,
		    size_t, int, const char *);
static void	deliver(struct lookup *, enum dns_status, struct answer *,
		    int, const char *);
static void	ask(struct lookup_set *, struct lookup *, const char *,
		    uint32_t);
static void	put_out(struct flight *);
static void	ended(struct lookup_hub *);
static void	serve(evutil_socket_t, short, void *);
static void	leave(struct lookup *);
static void	expire(evutil_socket_t, short, void *);
static int	make_key(const char *, char *, size_t, uint32_t *);

/*
 * libbsd's tree.h marks its static functions __unused, which libbsd
 * leaves undefined (a Linux struct has a member of that name): define
 * it only where the macros expand, after every header.
 */
#define __unused	__attribute__((__unused__))
RB_PROTOTYPE_STATIC(flight_tree, flight, node, flight_cmp);
RB_GENERATE_STATIC(flight_tree, flight, node, flight_cmp)

/*
 * By hash first: a search of a tree of hundreds of flights compares
 * integers, and strcmp()s only the key it finds.  Equal hashes of
 * other names cost a strcmp, never a wrong match or an unbalanced tree.
 */
static int
flight_cmp(const struct flight *a, const struct flight *b)
{
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->key, b->key);
}

struct lookup_hub *
lookup_hub_new(struct resolver *r, struct event_base *base,
    size_t cache_bytes, int max_questions)
{
	struct lookup_hub	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->cache = cache_new(cache_bytes)) == NULL) {
		free(h);
		return NULL;
	}
	if ((h->ev_serve = event_new(base, -1, 0, serve, h)) == NULL) {
		cache_free(h->cache);
		free(h);
		return NULL;
	}
	h->resolver = r;
	h->max_questions = max_questions > 0 ? max_questions : 0;
	RB_INIT(&h->flights);
	TAILQ_INIT(&h->queue);
	return h;
}

void
lookup_hub_free(struct lookup_hub *h)
{
	if (h == NULL)
		return;
	/* every set was released first: no flight is left */
	event_free(h->ev_serve);
	cache_free(h->cache);
	free(h);
}

struct resolver *
lookup_hub_resolver(const struct lookup_hub *h)
{
	return h->resolver;
}

void
lookup_hub_set_resolver(struct lookup_hub *h, struct resolver *r)
{
	h->resolver = r;
}

int
lookup_init(struct lookup_set *s, struct lookup_hub *hub,
    struct event_base *base, int timeout_ms, const struct lookup_owner *owner)
{
	struct timeval	 tv;

	memset(s, 0, sizeof(*s));
	TAILQ_INIT(&s->lookups);
	s->hub = hub;
	s->resolver = hub->resolver;
	s->owner = *owner;
	if ((s->ev_timeout = evtimer_new(base, expire, s)) == NULL)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(s->ev_timeout, &tv);
	return 0;
}

/*
 * The cache's key: lower case, no final dot; -1 if it cannot be one.
 * DNS names compare equal in ASCII letters only (RFC 4343), whatever
 * the locale says of other octets.  Its FNV-1a hash, for the flights'
 * tree, is made on the way.
 */
static int
make_key(const char *name, char *key, size_t keylen, uint32_t *hash)
{
	size_t	 i;
	uint32_t h = 2166136261U;
	char	 c;

	for (i = 0; (c = name[i]) != '\0'; i++) {
		if (i + 1 >= keylen)
			return -1;
		key[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	if (i > 1 && key[i - 1] == '.')
		i--;
	key[i] = '\0';
	while (i > 0)
		h = (h ^ (unsigned char)key[--i]) * 16777619U;
	*hash = h;
	return 0;
}

int
lookup_ask(struct lookup_set *s, const char *name, int type,
    lookup_fn *handler, void *arg)
{
	struct lookup		*l;
	struct answer		*a;
	char			 key[DNS_NAME_TEXT];
	size_t			 len = strlen(name);
	uint32_t		 hash;
	int			 haskey;
	union {
		struct lookup	 l;
		char		 room[sizeof(struct lookup) + DNS_NAME_TEXT];
	}			 hit;

	if (s->timed_out) {
		handler(s->owner.arg, arg, NULL, DNS_TIMEOUT, NULL);
		return 0;
	}
	if (s->max_queries > 0 && s->asked >= s->max_queries)
		return -1;
	s->asked++;
	haskey = make_key(name, key, sizeof(key), &hash) == 0;
	/*
	 * A cached answer is handed over before this returns: its lookup
	 * lives on the stack, in no list (len < DNS_NAME_TEXT: the key
	 * was made).
	 */
	if (haskey && (a = cache_get(s->hub->cache, key, type)) != NULL) {
		memset(&hit.l, 0, sizeof(hit.l));
		memcpy(hit.l.name, name, len + 1);
		hit.l.set = s;
		hit.l.handler = handler;
		hit.l.arg = arg;
		hit.l.type = type;
		hit.l.origin = LOOKUP_CACHED;
		s->pending++;
		s->cached++;
		deliver(&hit.l, a->status, a, a->sec, NULL);
		answer_release(a);
		return 0;
	}
	if ((l = calloc(1, sizeof(*l) + len + 1)) == NULL) {
		handler(s->owner.arg, arg, NULL, DNS_ERROR, NULL);
		return 0;
	}
	memcpy(l->name, name, len + 1);
	l->set = s;
	l->handler = handler;
	l->arg = arg;
	l->type = type;
	TAILQ_INSERT_TAIL(&s->lookups, l, entry);
	s->pending++;
	if (!haskey)
		deliver(l, DNS_ERROR, NULL, 0, NULL);
	else
		ask(s, l, key, hash);
	return 0;
}

/* Join the question in flight for key, or put it to libunbound. */
static void
ask(struct lookup_set *s, struct lookup *l, const char *key, uint32_t hash)
{
	struct lookup_hub	*hub = s->hub;
	struct flight		*f, find;
	size_t			 keylen;

	find.hash = hash;
	find.type = l->type;
	find.key = key;
	if ((f = RB_FIND(flight_tree, &hub->flights, &find)) != NULL) {
		l->origin = LOOKUP_SHARED;
		l->flight = f;
		TAILQ_INSERT_TAIL(&f->waiters, l, wait);
		return;
	}
	keylen = strlen(key);
	if ((f = calloc(1, sizeof(*f) + keylen + 1)) == NULL) {
		deliver(l, DNS_ERROR, NULL, 0, NULL);
		return;
	}
	memcpy(f->keybuf, key, keylen + 1);
	f->key = f->keybuf;
	f->hash = hash;
	f->type = l->type;
	f->hub = hub;
	f->cb.fn = answered;
	f->cb.arg = f;
	TAILQ_INIT(&f->waiters);
	TAILQ_INSERT_TAIL(&f->waiters, l, wait);
	l->flight = f;
	l->origin = LOOKUP_ASKED;
	(void)RB_INSERT(flight_tree, &hub->flights, f);
	if (hub->max_questions > 0 && (hub->out >= hub->max_questions ||
	    !TAILQ_EMPTY(&hub->queue))) {
		f->queued = 1;
		TAILQ_INSERT_TAIL(&hub->queue, f, queue);
		return;
	}
	put_out(f);
}

/*
 * Put the flight's question to libunbound; it may be answered at once.
 * It counts in the queries of its first waiter's set here, not when it
 * was queued: a queued question given up is never asked.  That waiter
 * asks it, whether it queued it or joined one whose asker has left.
 */
static void
put_out(struct flight *f)
{
	struct lookup_hub	*hub = f->hub;
	struct lookup		*first = TAILQ_FIRST(&f->waiters);
	struct lookup_set	*s = first->set;
	int			 rc;

	hub->out++;
	f->asking = 1;
	first->origin = LOOKUP_ASKED;
	s->queries++;
	/* the name as its first waiter wrote it */
	rc = resolver_query(hub->resolver, first->name, f->type, &f->cb,
	    &f->id);
	if (rc == -1) {
		s->queries--;	/* nothing went out */
		if (!f->answered)
			answered(f, DNS_ERROR, NULL, 0, 0, NULL);
	}
	f->asking = 0;
	/* answered inside resolver_query: only now may it go */
	if (f->answered)
		free(f);
}

/* A flight out at libunbound ended: room for a queued one. */
static void
ended(struct lookup_hub *hub)
{
	hub->out--;
	if (!TAILQ_EMPTY(&hub->queue))
		event_active(hub->ev_serve, EV_TIMEOUT, 0);
}

/* Put queued flights out while there is room, first queued first. */
static void
serve(evutil_socket_t fd, short what, void *arg)
{
	struct lookup_hub	*hub = arg;
	struct flight		*f;

	(void)fd;
	(void)what;
	while (hub->out < hub->max_questions &&
	    (f = TAILQ_FIRST(&hub->queue)) != NULL) {
		TAILQ_REMOVE(&hub->queue, f, queue);
		f->queued = 0;
		put_out(f);
	}
}

/*
 * libunbound's answer to a flight: decoded once, kept if it may be,
 * and handed to every lookup waiting on it, each to its own set.
 */
static void
answered(void *cbarg, enum dns_status status, const unsigned char *pkt,
    size_t len, int sec, const char *why)
{
	struct flight		*f = cbarg;
	struct lookup_hub	*hub = f->hub;
	struct answer		*a;
	struct lookup		*l;
	int			 malformed;

	if (f->answered)
		return;
	f->answered = 1;
	RB_REMOVE(flight_tree, &hub->flights, f);
	ended(hub);
	a = answer_new(hub->cache, f->key, f->type, status, pkt, len, sec,
	    &malformed);
	if (a != NULL) {
		status = a->status;
		cache_put(hub->cache, a);
	} else if (status == DNS_OK || status == DNS_NXDOMAIN)
		status = DNS_ERROR;	/* malformed, or no memory */
	while ((l = TAILQ_FIRST(&f->waiters)) != NULL) {
		TAILQ_REMOVE(&f->waiters, l, wait);
		l->flight = NULL;
		l->malformed = malformed;
		deliver(l, status, a, sec, why);
	}
	answer_release(a);
	if (!f->asking)
		free(f);
}

/* One lookup's answer: the tally, its handler, the owner's hook. */
static void
deliver(struct lookup *l, enum dns_status status, struct answer *a, int sec,
    const char *why)
{
	struct lookup_set	*s = l->set;
	struct dns_iter		 it, *itp = NULL;

	l->done = 1;
	s->pending--;
	l->dnssec = lookup_dnssec_of(s, status, sec);
	l->size = a != NULL && status != DNS_NXDOMAIN ? a->pktlen : 0;
	if (l->dnssec == SPF_DNSSEC_BOGUS)
		s->sec_bogus++;
	else if (l->dnssec == SPF_DNSSEC_SECURE)
		s->sec_secure++;
	else if (l->dnssec == SPF_DNSSEC_INSECURE && status != DNS_ERROR)
		s->sec_insecure++;
	if (status == DNS_OK) {
		dns_iter_rrs(&it, a->rr, a->nrr, l->type);
		itp = &it;
	}
	l->answer = a;
	l->handler(s->owner.arg, l->arg, l, status, itp);
	if (s->owner.seen != NULL) {
		if (itp != NULL)	/* the handler read it: start over */
			dns_iter_rrs(itp, a->rr, a->nrr, l->type);
		s->owner.seen(s->owner.arg, l, status, itp, why);
	}
	l->answer = NULL;
}

/*
 * The lookup no longer waits on its flight; the last one to leave
 * cancels the question.
 */
static void
leave(struct lookup *l)
{
	struct flight	*f = l->flight;

	if (f == NULL)
		return;
	l->flight = NULL;
	TAILQ_REMOVE(&f->waiters, l, wait);
	if (!TAILQ_EMPTY(&f->waiters))
		return;
	RB_REMOVE(flight_tree, &f->hub->flights, f);
	if (f->queued) {	/* never asked: nothing to cancel */
		TAILQ_REMOVE(&f->hub->queue, f, queue);
		free(f);
		return;
	}
	resolver_cancel(f->hub->resolver, f->id);
	ended(f->hub);
	f->answered = 1;	/* no late answer may reach it */
	if (!f->asking)
		free(f);
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
		leave(l);
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
			leave(l);
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

enum lookup_origin
lookup_origin(const struct lookup *l)
{
	return l != NULL ? l->origin : LOOKUP_ASKED;
}

int
lookup_malformed(const struct lookup *l)
{
	return l != NULL && l->malformed;
}

const struct answer *
lookup_answer(const struct lookup *l)
{
	return l != NULL ? l->answer : NULL;
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
