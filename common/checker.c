/*
 * checker.c: the checker (configuration plus resolver) and the life of
 * a query, from its arguments to the one call of its done callback.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "spfint.h"

static int	 split_sender(struct spf_query *, const char *, const char *);
static struct spf_query *query_new(struct spf_checker *);
static void	 copy_text(char *, const char *, size_t);
static void	 query_free(struct spf_query *);
static int	 probe(struct spf_checker *, const struct spf_config *, char *,
		    size_t, char *, size_t);

/*
 * Probe the resolver path (resolver_probe) before any mail depends on
 * it.  The resolver that will serve the evaluations answers the probe,
 * so the anchor's DNSKEY it fetches is the one its validation then
 * uses, and nothing is built twice: that needs base run until the
 * answer is in, which is only right when nothing else is registered on
 * base (the caller's events would run inside spf_checker_new, and
 * libevent refuses to re-enter a running loop).  A caller that has
 * events of its own already (filter-spf makes the checker from a
 * protocol callback) gets the probe in a loop and resolver of its own,
 * once per process.  Returns 1, or 0 with why, or -1 with why (as
 * resolver_probe), or -2 with err.
 */
static int
probe(struct spf_checker *c, const struct spf_config *cfg, char *why,
    size_t whylen, char *err, size_t errlen)
{
	struct event_base	*pbase;
	struct resolver		*pres;
	int			 ms, ok;

	ms = cfg->timeout_ms < 5000 ? cfg->timeout_ms : 5000;
	if (event_base_get_num_events(c->base, EVENT_BASE_COUNT_ADDED |
	    EVENT_BASE_COUNT_ACTIVE) == 0)
		return resolver_probe(c->resolver, c->base, ms, why, whylen);
	if ((pbase = event_base_new()) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -2;
	}
	if ((pres = resolver_new(cfg, pbase, 0, err, errlen)) == NULL) {
		event_base_free(pbase);
		return -2;
	}
	ok = resolver_probe(pres, pbase, ms, why, whylen);
	resolver_free(pres);
	event_base_free(pbase);
	return ok;
}

struct spf_checker *
spf_checker_new(const struct spf_config *cfg, struct event_base *base,
    char *err, size_t errlen)
{
	struct spf_checker	*c;
	char			 why[384], serr[256], when[32];
	time_t			 expires;
	struct tm		 tm;
	int			 ok, recorded = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->txtbuf = malloc(SPF_RECORD_MAX + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->cfg = *cfg;
	c->base = base;
	LIST_INIT(&c->queries);
	/*
	 * Another process of this MTA found the path cannot validate and
	 * said so in its log: believe it until the record lapses.  Not
	 * with "dnssec require", which must never start unvalidated.
	 */
	if (cfg->dnssec == SPF_DNSSEC_MODE_YES &&
	    dnssec_state_read(cfg, why, sizeof(why), &expires) == 1)
		recorded = 1;
	if ((c->resolver = resolver_new(cfg, base, recorded, err,
	    errlen)) == NULL)
		goto fail;
	/* half of cache-size is ours, half libunbound's (resolver.c) */
	if ((c->hub = lookup_hub_new(c->resolver, base, cfg->cache_size / 2,
	    cfg->max_questions)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (recorded) {
		if (gmtime_r(&expires, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) == 0)
			(void)strlcpy(when, "?", sizeof(when));
		/* bounded to fit the notice whole: 28 + 31 + 165 + 280 */
		(void)snprintf(c->notice, sizeof(c->notice), "DNSSEC "
		    "validation off until %s (%.160s): %.280s", when,
		    cfg->dnssec_state, why);
		resolver_set_describe(c->resolver, c->notice);
		/* the process that wrote the record logged it */
		c->notice[0] = '\0';
		return c;
	}
	if (cfg->dnssec == SPF_DNSSEC_MODE_REQUIRE &&
	    !resolver_validating(c->resolver)) {
		(void)snprintf(err, errlen, "DNSSEC required, but no trust "
		    "anchor is in use (trust-anchor FILE)");
		goto fail;
	}
	/* nothing to validate, nothing to probe ("dnssec no", no anchor) */
	if (!resolver_validating(c->resolver))
		return c;
	if ((ok = probe(c, cfg, why, sizeof(why), err, errlen)) == -2)
		goto fail;
	if (ok == -1) {
		/* silence is no evidence against the path: keep validating */
		(void)snprintf(c->notice, sizeof(c->notice), "DNSSEC "
		    "validating, but could not probe the resolver path: %s",
		    why);
		return c;
	}
	if (ok)
		return c;
	if (cfg->dnssec == SPF_DNSSEC_MODE_REQUIRE) {
		(void)snprintf(err, errlen, "DNSSEC required, but the "
		    "resolver path cannot deliver validated answers: %s", why);
		goto fail;
	}
	/* validating through this path would make mail bogus */
	resolver_free(c->resolver);
	if ((c->resolver = resolver_new(cfg, base, 1, err, errlen)) == NULL)
		goto fail;
	lookup_hub_set_resolver(c->hub, c->resolver);
	(void)snprintf(c->notice, sizeof(c->notice), "DNSSEC validation "
	    "off: %s", why);
	resolver_set_describe(c->resolver, c->notice);
	if (dnssec_state_write(cfg, why, serr, sizeof(serr)) == -1) {
		/* every process will probe and say so: tell the admin why */
		/* bounded to fit the notice whole: 23 + 300 + 17 + 170 */
		(void)snprintf(c->notice, sizeof(c->notice), "DNSSEC "
		    "validation off: %.300s (not recorded: %.170s)", why,
		    serr);
	}
	return c;
fail:
	lookup_hub_free(c->hub);
	resolver_free(c->resolver);
	free(c->txtbuf);
	free(c);
	return NULL;
}

void
spf_checker_free(struct spf_checker *c)
{
	struct spf_query	*q;

	if (c == NULL)
		return;
	while ((q = LIST_FIRST(&c->queries)) != NULL)
		spf_query_cancel(q);
	lookup_hub_free(c->hub);
	resolver_free(c->resolver);
	while (c->nspare > 0)
		free(c->spare[--c->nspare]);
	while (c->nspare_queries > 0) {
		q = c->spare_queries[--c->nspare_queries];
		event_free(q->ev_step);
		free(q);
	}
	message_spares_free(c);
	while (c->nspare_frames > 0)
		free(c->spare_frames[--c->nspare_frames]);
	free(c->txtbuf);
	free(c);
}

struct spf_result *
checker_result_get(struct spf_checker *c)
{
	if (c->nspare > 0)
		return c->spare[--c->nspare];
	return malloc(sizeof(struct spf_result));
}

void
checker_result_put(struct spf_checker *c, struct spf_result *r)
{
	if (r == NULL)
		return;
	if (c->nspare < CHECKER_SPARES)
		c->spare[c->nspare++] = r;
	else
		free(r);
}

const char *
spf_checker_describe(const struct spf_checker *c)
{
	return resolver_describe(c->resolver);
}

const char *
spf_checker_notice(const struct spf_checker *c)
{
	return c->notice[0] != '\0' ? c->notice : NULL;
}

int
spf_checker_inflight(const struct spf_checker *c)
{
	return c->inflight;
}

/*
 * The MAIL FROM identity, or for the null sender postmaster@<helo>
 * (RFC 7208 2.4); a sender without a local-part is postmaster's (4.3).
 * Pointers into sender and helo, nothing allocated; -1 if the sender
 * is absurdly long.  Any length SMTP lets through is evaluated (macros
 * and results are bounded on their own).
 */
int
sender_parse(const char *sender, const char *helo, struct sender_parts *sp)
{
	const char	*at;
	size_t		 len;

	if (sender == NULL)
		sender = "";
	if (helo == NULL)
		helo = "";
	memset(sp, 0, sizeof(*sp));
	len = strlen(sender);
	if (len >= 2 && sender[0] == '<' && sender[len - 1] == '>') {
		sender++;
		len -= 2;
	}
	if (len > SPF_SENDER_MAX)
		return -1;
	sp->given = sender;
	sp->given_len = len;
	sp->local = "postmaster";
	sp->local_len = strlen(sp->local);
	sp->identity = SPF_ID_MAILFROM;
	if (len == 0) {
		sp->identity = SPF_ID_HELO;
		sp->domain = helo;
		sp->domain_len = strlen(helo);
	} else if ((at = memrchr(sender, '@', len)) == NULL) {
		sp->domain = sender;
		sp->domain_len = len;
	} else {
		if (at > sender) {
			sp->local = sender;
			sp->local_len = (size_t)(at - sender);
		}
		sp->domain = at + 1;
		sp->domain_len = len - (size_t)(at + 1 - sender);
	}
	return 0;
}

/* len octets of s and a NUL at p; past them */
static char *
put_text(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	p[len] = '\0';
	return p + len + 1;
}

/*
 * The sender's parts and the HELO name.  The sender as given, the
 * local-part and the HELO name never change: one allocation holds them
 * (sender_given's).  The domain and local@domain become A-labels for
 * an IDN (idn.c): each is its own.  Not printed: asprintf cost 1,200
 * instructions a query.
 */
static int
split_sender(struct spf_query *q, const char *sender, const char *helo)
{
	struct sender_parts	 sp;
	size_t			 hlen = strlen(helo);
	char			*p;

	if (sender_parse(sender, helo, &sp) == -1 ||
	    (p = malloc(sp.given_len + sp.local_len + hlen + 3)) == NULL)
		return -1;
	q->identity = sp.identity;
	q->sender_given = p;
	q->local = p = put_text(p, sp.given, sp.given_len);
	q->helo = p = put_text(p, sp.local, sp.local_len);
	(void)put_text(p, helo, hlen);
	if ((q->sender_domain = strndup(sp.domain, sp.domain_len)) == NULL ||
	    (q->sender = malloc(sp.local_len + sp.domain_len + 2)) == NULL)
		return -1;
	p = put_text(q->sender, sp.local, sp.local_len);
	p[-1] = '@';
	(void)put_text(p, sp.domain, sp.domain_len);
	return 0;
}

struct spf_query *
spf_query_start(struct spf_checker *c, const char *ip, const char *sender,
    const char *helo, int trace, spf_done_fn *done, void *arg, char *err,
    size_t errlen)
{
	struct spf_addr	 a;
	char		 text[SPF_ADDR_LEN];

	if (addr_parse(ip, &a) == -1) {
		(void)snprintf(err, errlen, "not an IP address: %.60s", ip);
		return NULL;
	}
	client_ip_text(&a, ip, text, sizeof(text));
	return query_start(c, &a, text, sender, helo, trace, done, arg, err,
	    errlen);
}

/*
 * An IPv4 address given as digits and dots alone was a dotted quad to
 * inet_pton (addr_parse): four numbers up to 255.  Without a leading
 * zero it is what addr_text prints: copied, not printed again
 * (inet_ntop's sprintf cost 500 instructions a message).  given is
 * what addr_parse took a from.
 */
void
client_ip_text(const struct spf_addr *a, const char *given, char *out,
    size_t len)
{
	size_t	 i;
	char	 c;

	for (i = 0; a->af == AF_INET && (c = given[i]) != '\0'; i++) {
		if (c == '.')
			continue;
		if (c < '0' || c > '9' || (c == '0' && (i == 0 ||
		    given[i - 1] == '.') && given[i + 1] != '.' &&
		    given[i + 1] != '\0'))
			break;
	}
	if (a->af == AF_INET && given[i] == '\0' && i < len) {
		memcpy(out, given, i + 1);
		return;
	}
	addr_text(a, out, len);
}

/*
 * A message has the client's address parsed and as text already: its
 * queries take both (parsing and printing it again for each cost 1,000
 * instructions a message).
 */
struct spf_query *
query_start(struct spf_checker *c, const struct spf_addr *a, const char *ip,
    const char *sender, const char *helo, int trace, spf_done_fn *done,
    void *arg, char *err, size_t errlen)
{
	struct spf_query	*q;
	struct frame		*f;
	char			 why[SPF_PROBLEM_LEN];

	if (sender == NULL)
		sender = "";
	if (helo == NULL)
		helo = "";
	if ((q = query_new(c)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->checker = c;
	q->done = done;
	q->arg = arg;
	(void)clock_gettime(CLOCK_MONOTONIC, &q->started);
	q->ip = *a;
	copy_text(q->client_ip, ip, sizeof(q->client_ip));
	if (strlen(helo) >= SPF_DOMAIN_LEN) {
		(void)snprintf(err, errlen, "HELO name longer than %d octets",
		    SPF_DOMAIN_LEN - 1);
		query_free(q);
		return NULL;
	}
	if (split_sender(q, sender, helo) == -1) {
		(void)snprintf(err, errlen, "sender longer than %d octets",
		    SPF_SENDER_MAX);
		query_free(q);
		return NULL;
	}
	if (trace && (q->trace = calloc(1, sizeof(*q->trace))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		query_free(q);
		return NULL;
	}
	LIST_INSERT_HEAD(&c->queries, q, entry);
	c->inflight++;

	eval_start(q);
	if (q->ev_step == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		query_free(q);
		return NULL;
	}
	if (q->finished)	/* no timer: temperror, no frame to free */
		return q;
	if (idn_query_names(q, why, sizeof(why)) == -1) {
		eval_finish(q, SPF_NONE, "%s", why);
		return q;
	}
	if (!domain_valid_initial(q->sender_domain)) {
		eval_finish(q, SPF_NONE, "%s is not a valid domain name "
		    "(RFC 7208 4.3)", q->identity == SPF_ID_HELO ?
		    "the HELO name" : "the sender's domain");
		return q;
	}
	if ((f = eval_frame_new(c)) == NULL) {
		eval_finish(q, SPF_TEMPERROR, "out of memory");
		return q;
	}
	f->rec.redirect = f->rec.exp = -1;
	copy_text(f->domain, q->sender_domain, sizeof(f->domain));
	domain_strip_dot(f->domain);
	q->frame = f;
	QUERY_TRACE(q, 0, "check_host(%s, %s, %s)", ip, f->domain,
	    q->sender);
	return q;
}

void
spf_query_cancel(struct spf_query *q)
{
	if (q == NULL || q->delivering)
		return;
	/* its step may be scheduled; a query that ends was stepping */
	if (q->ev_step != NULL)
		(void)event_del(q->ev_step);
	eval_release(q);
	query_free(q);
}

long
spf_query_elapsed_ms(const struct spf_query *q)
{
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - q->started.tv_sec) * 1000 +
	    (now.tv_nsec - q->started.tv_nsec) / 1000000;
}

/* A zeroed query, a spare's event kept (eval_start makes one if not). */
static struct spf_query *
query_new(struct spf_checker *c)
{
	struct spf_query	*q;
	struct event		*ev;

	if (c->nspare_queries == 0)
		return calloc(1, sizeof(*q));
	q = c->spare_queries[--c->nspare_queries];
	ev = q->ev_step;
	memset(q, 0, sizeof(*q));
	q->ev_step = ev;
	return q;
}

/* Free what the query holds, and the query or, with its event, keep it. */
static void
query_free(struct spf_query *q)
{
	struct spf_checker	*c = q->checker;
	int			 i;

	if (q->entry.le_prev != NULL) {
		LIST_REMOVE(q, entry);
		c->inflight--;
	}
	lookup_free(&q->dns);
	ts_reset(&q->ts);
	for (i = 0; i < q->p_nnames; i++)
		free(q->p_names[i]);
	free(q->sender);
	free(q->sender_domain);
	free(q->helo_alabels);
	free(q->sender_given);	/* and local and helo */
	answer_release(q->mech_answer);
	free(q->mech_own);
	free(q->problem);
	free(q->explanation);
	free(q->given_record);
	trace_release(q->trace);
	if (q->ev_step != NULL && c->nspare_queries < CHECKER_SPARES) {
		/* its step is not scheduled (spf_query_cancel) */
		c->spare_queries[c->nspare_queries++] = q;
		return;
	}
	if (q->ev_step != NULL)
		event_free(q->ev_step);
	free(q);
}

void
trace_release(struct spf_trace *t)
{
	if (t == NULL)
		return;
	trace_free(t);
	free(t);
}

struct spf_trace *
query_take_trace(struct spf_query *q)
{
	struct spf_trace	*t = q->trace;

	q->trace = NULL;
	return t;
}

int
query_given_record(struct spf_query *q, const char *text)
{
	free(q->given_record);
	if ((q->given_record = strdup(text)) == NULL)
		return -1;
	return 0;
}

/*
 * strlcpy's effect (src cut to size), at memcpy's pace: libbsd's goes
 * octet by octet, 660 instructions a result for its five names.
 */
static void
copy_text(char *dst, const char *src, size_t size)
{
	size_t	 len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Build the result, hand it over once, and free the query.  Every
 * field is set, every text too ("" if none): not zeroed first, its
 * 2 KiB.
 */
void
query_deliver(struct spf_query *q)
{
	const struct spf_config	*cfg = &q->checker->cfg;
	struct spf_result	 r;
	size_t			 n;

	r.code = q->code;
	r.identity = q->identity;
	r.dnssec = lookup_set_dnssec(&q->dns);
	r.lookups = q->lookups_used;
	r.void_lookups = q->voids;
	r.lookup_limit = SPF_MAX_DNS_TERMS;
	r.void_limit = cfg->max_void_lookups;
	r.queries = q->dns.queries;
	r.elapsed_ms = spf_query_elapsed_ms(q);
	copy_text(r.client_ip, q->client_ip, sizeof(r.client_ip));
	copy_text(r.sender, q->sender_given, sizeof(r.sender));
	copy_text(r.helo, q->helo, sizeof(r.helo));
	copy_text(r.domain, q->sender_domain, sizeof(r.domain));
	domain_strip_dot(r.domain);
	if (q->mechanism != NULL) {
		n = q->mechanism_len < sizeof(r.mechanism) ?
		    q->mechanism_len : sizeof(r.mechanism) - 1;
		memcpy(r.mechanism, q->mechanism, n);
		r.mechanism[n] = '\0';
	} else
		copy_text(r.mechanism, r.code != SPF_TEMPERROR &&
		    r.code != SPF_PERMERROR && r.code != SPF_NONE ? "default" :
		    "", sizeof(r.mechanism));
	copy_text(r.explanation, q->explanation != NULL && r.code == SPF_FAIL ?
	    q->explanation : "", sizeof(r.explanation));
	copy_text(r.problem, q->problem != NULL ? q->problem :
	    r.code == SPF_TEMPERROR ? "out of memory" : "", sizeof(r.problem));
	r.trace = NULL;
	verdict_action(&r, cfg);
	QUERY_TRACE(q, 0, "action %s (the policy for %s%s)",
	    spf_action_str(r.action), spf_code_str(r.code),
	    r.action != cfg->actions[r.code] ? ", not DNSSEC-secure" : "");
	r.trace = q->trace;
	q->delivering = 1;
	/* no longer in flight: the callback may start the next one */
	LIST_REMOVE(q, entry);
	q->entry.le_prev = NULL;
	q->checker->inflight--;
	if (q->done != NULL)
		q->done(&r, q->arg);
	query_free(q);
}
