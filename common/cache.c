/*
 * cache.c: the answers of one checker, decoded once and kept for their
 * TTL, in front of libunbound.  A busy MX asks about the same few
 * hundred provider names over and over; each such answer cost a call
 * into libunbound (its own cache, ~14k instructions) and a parse of the
 * packet and the SPF record every time.  Here an answer is kept as
 * lookup.c's handlers read it (its records decoded: TXT text, addresses,
 * MX and PTR names) and, for TXT, with the SPF record among them
 * already parsed into terms (4.5), so a hit costs a hash and a short
 * chain.
 *
 * What is kept: NOERROR with records, NODATA and NXDOMAIN, for the
 * least TTL of the answer section (the CNAME chain and the RRset); a
 * negative answer for the least of its SOA's TTL and MINIMUM (RFC 2308
 * 5), and not at all without an SOA.  Never errors, time-outs or bogus
 * answers: those are asked again, so a bogus answer is never served as
 * good.  The DNSSEC status (secure or insecure) is kept with it.
 *
 * The bound is in octets, everything an entry holds counted; past it
 * the least recently used entries go first.  An entry still held (an
 * evaluation's frame evaluates its record) leaves the table at once but
 * is freed by its last holder.
 *
 * The index is a hash table, not a tree: a cold pass found a third of
 * its evaluations' names in a cache of tens of thousands, and a tree
 * search there cost 15-20 nodes, each a cache miss and a strcmp (perf:
 * 5% of the cold checker's CPU, issue 16).  Names come from mail (a
 * sender's domain, macros of its local part and address), so the hash
 * is keyed with a random seed, and what bounds a search is the chain:
 * at most CACHE_CHAIN_MAX entries, the oldest of a full chain going to
 * make room, whatever the hash does.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spfint.h"

/* Longest anything is kept, as unbound's cache-max-ttl default. */
#define CACHE_MAX_TTL	86400
/* Entries on one chain of the table at most: a search's bound. */
#define CACHE_CHAIN_MAX	8
/* The table's first size, and its largest (8 octets a bucket). */
#define CACHE_BUCKETS_MIN	64
#define CACHE_BUCKETS_MAX	(1U << 22)

/*
 * Every lookup reads the clock: the coarse one costs a few nanoseconds
 * and lags by at most its resolution, which an entry's expiry takes off
 * so that nothing is served past its TTL.
 */
#ifdef CLOCK_MONOTONIC_COARSE
#define CACHE_CLOCK	CLOCK_MONOTONIC_COARSE
#else
#define CACHE_CLOCK	CLOCK_MONOTONIC
#endif

struct cache {
	struct answer			**bucket;	/* chains, newest first */
	uint32_t			 nbucket;	/* a power of two */
	uint64_t			 seed;		/* the hash's key */
	TAILQ_HEAD(, answer)		 lru;	/* least recent first */
	size_t				 bytes, max;
	int				 entries;
	int64_t				 lag_ms;	/* the clock's */
	char				*scratch;	/* SPF_RECORD_MAX + 1 */
};

static uint32_t	hash_key(const struct cache *, const char *, int);
static struct answer **chain_of(struct cache *, uint32_t);
static void	grow(struct cache *);
static void	drop(struct cache *, struct answer *);
static int	decode(struct answer *, struct dns_iter *, char *, int,
		    char *);
static void	parse_spf(struct answer *);
static int64_t	now_ms(void);

/* FNV-1a over the type and the key, from the cache's random seed. */
static uint32_t
hash_key(const struct cache *c, const char *key, int type)
{
	uint64_t		 h = c->seed ^ (uint64_t)(unsigned)type;
	const unsigned char	*p;

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static struct answer **
chain_of(struct cache *c, uint32_t hash)
{
	return &c->bucket[hash & (c->nbucket - 1)];
}

/* Twice the buckets, when there is memory for them; else as it is. */
static void
grow(struct cache *c)
{
	struct answer	**b, *a;
	uint32_t	  n = c->nbucket * 2;

	if (n > CACHE_BUCKETS_MAX || (b = calloc(n, sizeof(*b))) == NULL)
		return;
	free(c->bucket);
	c->bucket = b;
	c->nbucket = n;
	TAILQ_FOREACH(a, &c->lru, lru) {
		a->chain = *chain_of(c, a->hash);
		*chain_of(c, a->hash) = a;
	}
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CACHE_CLOCK, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cache *
cache_new(size_t max)
{
	struct cache	*c;
	struct timespec	 res;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->lag_ms = 1000;
	if (clock_getres(CACHE_CLOCK, &res) == 0 && res.tv_sec == 0)
		c->lag_ms = res.tv_nsec / 1000000 + 1;
	if ((c->scratch = malloc(SPF_RECORD_MAX + 1)) == NULL ||
	    (c->bucket = calloc(CACHE_BUCKETS_MIN, sizeof(*c->bucket))) ==
	    NULL) {
		free(c->scratch);
		free(c);
		return NULL;
	}
	c->nbucket = CACHE_BUCKETS_MIN;
	arc4random_buf(&c->seed, sizeof(c->seed));
	TAILQ_INIT(&c->lru);
	c->max = max;
	return c;
}

void
cache_free(struct cache *c)
{
	struct answer	*a;

	if (c == NULL)
		return;
	while ((a = TAILQ_FIRST(&c->lru)) != NULL)
		drop(c, a);
	free(c->bucket);
	free(c->scratch);
	free(c);
}

/* Out of the table and the list; freed now, or by its last holder. */
static void
drop(struct cache *c, struct answer *a)
{
	struct answer	**pp;

	/* a chain holds at most CACHE_CHAIN_MAX */
	for (pp = chain_of(c, a->hash); *pp != a; pp = &(*pp)->chain)
		;
	*pp = a->chain;
	TAILQ_REMOVE(&c->lru, a, lru);
	c->bytes -= a->cost;
	c->entries--;
	a->cached = 0;
	answer_release(a);
}

struct answer *
cache_get(struct cache *c, const char *key, int type)
{
	struct answer	*a;
	uint32_t	 hash;

	if (c == NULL || c->entries == 0)
		return NULL;
	hash = hash_key(c, key, type);
	for (a = *chain_of(c, hash); a != NULL; a = a->chain)
		if (a->hash == hash && a->type == type &&
		    strcmp(a->key, key) == 0)
			break;
	if (a == NULL)
		return NULL;
	if (now_ms() >= a->expires) {
		drop(c, a);
		return NULL;
	}
	TAILQ_REMOVE(&c->lru, a, lru);
	TAILQ_INSERT_TAIL(&c->lru, a, lru);
	return answer_hold(a);
}

void
cache_put(struct cache *c, struct answer *a)
{
	struct answer	*old, *lru, *last = NULL, **pp;
	int		 n = 0;

	if (c == NULL || a->ttl <= 0 || a->cached || a->cost > c->max)
		return;
	a->hash = hash_key(c, a->key, a->type);
	/* the same name and type answered again: the new answer stays */
	for (old = *chain_of(c, a->hash); old != NULL; old = old->chain) {
		if (old->hash == a->hash && old->type == a->type &&
		    strcmp(old->key, a->key) == 0)
			break;
		last = old;
		n++;
	}
	if (old != NULL)
		drop(c, old);
	else if (n >= CACHE_CHAIN_MAX)
		drop(c, last);	/* the chain's oldest */
	while (c->bytes + a->cost > c->max &&
	    (lru = TAILQ_FIRST(&c->lru)) != NULL)
		drop(c, lru);
	if (c->entries >= (int)c->nbucket)
		grow(c);
	a->expires = now_ms() + (int64_t)a->ttl * 1000 - c->lag_ms;
	a->cached = 1;
	pp = chain_of(c, a->hash);
	a->chain = *pp;
	*pp = a;
	TAILQ_INSERT_TAIL(&c->lru, a, lru);
	c->bytes += a->cost;
	c->entries++;
	(void)answer_hold(a);
}

int
cache_entries(const struct cache *c)
{
	return c != NULL ? c->entries : 0;
}

struct answer *
answer_hold(struct answer *a)
{
	a->refs++;
	return a;
}

void
answer_release(struct answer *a)
{
	if (a == NULL || --a->refs > 0)
		return;
	record_free(&a->spf);
	free(a->spf_err);
	free(a);
}

/*
 * Copy the records of it into a->rr and the data after them: twice
 * over the message, once to size the block (fill NULL) and once to
 * fill it.  The walk ends within the answer count (DNS_MAX_RRS).
 */
static int
decode(struct answer *a, struct dns_iter *it, char *scratch, int n,
    char *fill)
{
	struct dns_iter	 walk = *it;
	size_t		 len, total = 0;
	int		 i, r, pref, text;

	text = a->type != DNS_T_A && a->type != DNS_T_AAAA;
	for (i = 0; i < n && i < DNS_MAX_RRS; i++) {
		pref = 0;
		if ((r = dns_iter_next(&walk, scratch, SPF_RECORD_MAX + 1,
		    &len, &pref)) != 1)
			return -1;
		if (fill != NULL) {
			memcpy(fill + total, scratch, len);
			if (text)
				fill[total + len] = '\0';
			a->rr[i].data = fill + total;
			a->rr[i].len = len;
			a->rr[i].pref = pref;
		}
		total += len + (text ? 1 : 0);
	}
	/* at most DNS_MAX_RRS records of at most 4 * 255 octets (a name) */
	return (int)total;
}

/* The SPF records among a TXT answer's (4.5); the first parsed. */
static void
parse_spf(struct answer *a)
{
	char	 err[200];
	int	 i, first = -1;

	a->spf.redirect = a->spf.exp = -1;
	for (i = 0; i < a->nrr && i < DNS_MAX_RRS; i++)
		if (record_is_spf(a->rr[i].data, a->rr[i].len) &&
		    a->spf_count++ == 0)
			first = i;
	if (a->spf_count != 1)
		return;
	if (record_parse(a->rr[first].data, a->rr[first].len, &a->spf, err,
	    sizeof(err)) == -1) {
		a->spf.redirect = a->spf.exp = -1;
		if ((a->spf_err = strdup(err)) == NULL)
			a->spf_count = -1;	/* out of memory: not kept */
		a->cost += strlen(err) + 1;
		return;
	}
	a->cost += a->spf.len + 1 + (size_t)a->spf.nterms *
	    sizeof(a->spf.terms[0]);
}

struct answer *
answer_new(struct cache *c, const char *key, int type, enum dns_status status,
    const unsigned char *pkt, size_t len, int sec, int *malformed)
{
	struct dns_iter	 it;
	struct answer	*a;
	uint32_t	 ttl;
	size_t		 keylen = strlen(key), block;
	int		 n = 0, data = 0, keep;

	*malformed = 0;
	if (status != DNS_OK && status != DNS_NXDOMAIN)
		return NULL;
	if (status == DNS_OK) {
		if (dns_iter_init(&it, pkt, len, type) == -1 ||
		    (n = dns_iter_count(&it)) == -1 ||
		    (n > 0 && (data = decode(&(struct answer){ .type = type },
		    &it, c->scratch, n, NULL)) == -1)) {
			*malformed = 1;
			return NULL;
		}
		if (n == 0)
			status = DNS_NODATA;	/* the name, none of the type */
	}
	keep = dns_msg_ttl(pkt, len, status != DNS_OK, &ttl) == 0;
	block = sizeof(*a) + (size_t)n * sizeof(a->rr[0]) + (size_t)data +
	    keylen + 1;
	if ((a = calloc(1, block)) == NULL)
		return NULL;
	a->refs = 1;
	a->status = status;
	a->type = type;
	a->sec = sec;
	a->pktlen = len;
	a->ttl = keep ? (int)(ttl > CACHE_MAX_TTL ? CACHE_MAX_TTL : ttl) : 0;
	a->cost = block;
	a->nrr = n;
	a->rr = (struct dns_rr *)(a + 1);
	a->key = (char *)(a->rr + n) + data;
	memcpy((char *)a->key, key, keylen + 1);
	if (n > 0 && decode(a, &it, c->scratch, n, (char *)(a->rr + n)) ==
	    -1) {
		*malformed = 1;
		free(a);
		return NULL;
	}
	a->spf.redirect = a->spf.exp = -1;
	if (type == DNS_T_TXT) {
		parse_spf(a);
		if (a->spf_count == -1)
			a->ttl = 0;
	}
	return a;
}
