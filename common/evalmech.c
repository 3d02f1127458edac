/*
 * evalmech.c: the mechanisms of RFC 7208 5 that do not change frames.
 * Each DNS mechanism runs in phases: count the term and ask, then judge
 * the answers.  The address lookups an mx term needs anyway go out
 * together, and so do the ptr name confirmations, which the %{p}
 * macro shares.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

static enum term_outcome dns_mech(struct spf_query *, struct frame *,
		    const struct spf_term *);
static enum term_outcome judge(struct spf_query *, struct frame *,
		    const struct spf_term *);
static enum term_outcome mx_hosts(struct spf_query *, struct frame *,
		    const struct spf_term *);
static enum term_outcome ptr_match(struct spf_query *, struct frame *,
		    const struct spf_term *);
static void	addr_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	mx_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	ptr_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	confirm_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static const struct spf_term *current_term(struct spf_query *);
static int	addr_type(const struct spf_query *);

void
ts_reset(struct term_state *ts)
{
	int	 i;

	/*
	 * Run between every two terms, most of which leave nothing to
	 * free: only what was set is freed, and zeroed (not the names
	 * beyond nnames, nor the target beyond its first octet).
	 */
	for (i = 0; i < ts->nnames; i++)
		free(ts->names[i]);
	if (ts->text != NULL)
		free(ts->text);
	if (ts->errname != NULL)
		free(ts->errname);
	if (ts->answer != NULL)
		answer_release(ts->answer);
	memset(ts, 0, offsetof(struct term_state, names));
	ts->target[0] = '\0';
}

static int
addr_type(const struct spf_query *q)
{
	return q->ip.af == AF_INET ? DNS_T_A : DNS_T_AAAA;
}

static const struct spf_term *
current_term(struct spf_query *q)
{
	struct frame	*f = q->frame;

	return &f->rec.terms[f->pos];
}

enum term_outcome
mech_eval(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	switch (t->kind) {
	case T_ALL:
		return TERM_MATCH;
	case T_IP4:
		return q->ip.af == AF_INET &&
		    addr_in_net(&q->ip, t->net, t->cidr4) ? TERM_MATCH :
		    TERM_NOMATCH;
	case T_IP6:
		return q->ip.af == AF_INET6 &&
		    addr_in_net(&q->ip, t->net, t->cidr6) ? TERM_MATCH :
		    TERM_NOMATCH;
	default:
		/* include and redirect change frames: eval.c has them */
		return lookup_term_counts(t->kind) ? dns_mech(q, f, t) :
		    TERM_NOMATCH;
	}
}

static enum term_outcome
dns_mech(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	struct term_state	*ts = &q->ts;

	switch (f->phase) {
	case 0:
		if (t->uses_p && p_resolve(q) != 1)
			return TERM_WAIT;
		if (eval_count_lookup(q, f, t) == -1)
			return TERM_ERROR;
		QUERY_TRACE(q, f->depth + 1, "%.*s (lookup %d of %d)",
		    (int)t->len, f->rec.text + t->off, q->lookups_used,
		    SPF_MAX_DNS_TERMS);
		f->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (eval_expand_target(q, f, t, ts->target,
		    sizeof(ts->target)) == -1) {
			/* RFC 7208 leaves it open; no question, no match */
			QUERY_TRACE(q, f->depth + 1, "target is not a "
			    "valid domain name");
			return TERM_NOMATCH;
		}
		if (t->kind == T_PTR)
			return p_resolve(q) == 1 ? ptr_match(q, f, t) :
			    TERM_WAIT;
		f->phase = 2;
		(void)lookup_ask(&q->dns, ts->target, t->kind == T_MX ?
		    DNS_T_MX : t->kind == T_EXISTS ? DNS_T_A : addr_type(q),
		    t->kind == T_MX ? mx_answer : addr_answer, NULL);
		return TERM_WAIT;
	case 2:
		if (t->kind == T_MX && ts->status == DNS_OK && !ts->toomany &&
		    ts->nnames > 0)
			return mx_hosts(q, f, t);
		return judge(q, f, t);
	default:
		return judge(q, f, t);
	}
}

/* The answers are in: match, no match, or an error for the result. */
static enum term_outcome
judge(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	struct term_state	*ts = &q->ts;

	if (ts->matched)
		return TERM_MATCH;
	if (lookup_void(ts->status))
		return eval_count_void(q, f, ts->target) == -1 ? TERM_ERROR :
		    TERM_NOMATCH;
	if (ts->status != DNS_OK) {
		eval_finish(q, SPF_TEMPERROR, "DNS error looking up %s for "
		    "'%.*s'", ts->target, (int)t->len, f->rec.text + t->off);
		return TERM_ERROR;
	}
	if (ts->toomany) {
		eval_finish(q, SPF_PERMERROR, "more than %d MX records for %s",
		    SPF_MAX_MX_NAMES, ts->target);
		return TERM_ERROR;
	}
	if (ts->error) {
		eval_finish(q, SPF_TEMPERROR, "DNS error looking up the "
		    "address of %s (MX of %s)", ts->errname != NULL ?
		    ts->errname : "a host", ts->target);
		return TERM_ERROR;
	}
	return TERM_NOMATCH;
}

/* The MX names are in: ask for all their addresses at once. */
static enum term_outcome
mx_hosts(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	struct term_state	*ts = &q->ts;
	int			 i, asked = 0;

	(void)t;
	f->phase = 3;
	for (i = 0; i < ts->nnames; i++) {
		/* a null MX (RFC 7505) names no host */
		if (strcmp(ts->names[i], ".") == 0)
			continue;
		(void)lookup_ask(&q->dns, ts->names[i], addr_type(q),
		    addr_answer, NULL);
		asked++;
	}
	if (asked == 0)
		return judge(q, f, t);
	if (q->dns.pending == 0)
		eval_schedule(q);
	return TERM_WAIT;
}

/* A or AAAA for a, exists and each MX host. */
static void
addr_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_query	*q = owner;
	struct term_state	*ts = &q->ts;
	const struct spf_term	*t = current_term(q);
	unsigned char		 a[16];
	size_t			 len;
	int			 r, af, prefix, mxhost;

	(void)arg;
	mxhost = t->kind == T_MX;
	if (status == DNS_OK) {
		while ((r = dns_iter_next(it, (char *)a, sizeof(a), &len,
		    NULL)) == 1) {
			if (t->kind == T_EXISTS)
				continue;
			af = len == 4 ? AF_INET : AF_INET6;
			prefix = af == AF_INET ? t->cidr4 : t->cidr6;
			if (q->ip.af == af && addr_in_net(&q->ip, a, prefix))
				ts->matched = 1;
		}
		if (r == -1)
			status = DNS_ERROR;
		else if (t->kind == T_EXISTS)
			ts->matched = 1;
	}
	if (!mxhost) {
		ts->status = status;
		return;
	}
	if (status == DNS_ERROR || status == DNS_BOGUS) {
		ts->error = 1;
		if (ts->errname == NULL)
			ts->errname = strdup(lookup_name(l));
	}
}

static void
mx_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_query	*q = owner;
	struct term_state	*ts = &q->ts;
	char			 name[DNS_NAME_TEXT];
	size_t			 len;
	int			 r, n = 0;

	(void)arg;
	(void)l;
	if (status == DNS_OK) {
		while ((r = dns_iter_next(it, name, sizeof(name), &len,
		    NULL)) == 1) {
			if (++n > SPF_MAX_MX_NAMES) {
				ts->toomany = 1;
				continue;
			}
			if ((ts->names[ts->nnames] = strdup(name)) == NULL) {
				status = DNS_ERROR;
				break;
			}
			ts->nnames++;
		}
		if (r == -1)
			status = DNS_ERROR;
	}
	ts->status = status;
}

/*
 * The validated names of the client (5.5): at most ten PTR names, each
 * kept only if one of its addresses is the client's.  Used by ptr and
 * by %{p}.  Returns 1 once known, 0 while lookups are outstanding.
 */
int
p_resolve(struct spf_query *q)
{
	char	 rev[80];
	int	 i;

	switch (q->p_state) {
	case P_KNOWN:
		return 1;
	case P_UNKNOWN:
		addr_reverse_name(&q->ip, rev, sizeof(rev));
		q->p_state = P_PTR;
		(void)lookup_ask(&q->dns, rev, DNS_T_PTR, ptr_answer, NULL);
		return 0;
	case P_PTR:
		q->p_state = P_CONFIRM;
		for (i = 0; i < q->p_nnames; i++)
			(void)lookup_ask(&q->dns, q->p_names[i], addr_type(q),
			    confirm_answer, &q->p_valid[i]);
		if (q->dns.pending > 0)
			return 0;
		/* FALLTHROUGH */
	case P_CONFIRM:
		q->p_state = P_KNOWN;
		return 1;
	}
	return 1;
}

static void
ptr_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_query	*q = owner;
	char			 name[DNS_NAME_TEXT];
	size_t			 len;
	int			 r;

	(void)arg;
	(void)l;
	if (status == DNS_OK) {
		/* beyond ten names the rest are ignored (4.6.4) */
		while ((r = dns_iter_next(it, name, sizeof(name), &len,
		    NULL)) == 1) {
			if (q->p_nnames >= SPF_MAX_PTR_NAMES ||
			    !domain_valid_query(name))
				continue;
			if ((q->p_names[q->p_nnames] = strdup(name)) == NULL)
				break;
			q->p_nnames++;
		}
		if (r == -1)
			status = DNS_ERROR;
	}
	q->p_status = status;
}

static void
confirm_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_query	*q = owner;
	int			*valid = arg;	/* the name's p_valid */
	unsigned char		 a[16];
	size_t			 len;

	(void)l;
	/* an error only skips this name (5.5) */
	if (status != DNS_OK)
		return;
	while (dns_iter_next(it, (char *)a, sizeof(a), &len, NULL) == 1)
		if (addr_equal(&q->ip, len == 4 ? AF_INET : AF_INET6, a))
			*valid = 1;
}

static enum term_outcome
ptr_match(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	struct term_state	*ts = &q->ts;
	int			 i;

	(void)t;
	if (lookup_void(q->p_status)) {
		if (eval_count_void(q, f, "the client's PTR") == -1)
			return TERM_ERROR;
		return TERM_NOMATCH;
	}
	for (i = 0; i < q->p_nnames; i++)
		if (q->p_valid[i] && domain_within(q->p_names[i], ts->target))
			return TERM_MATCH;
	return TERM_NOMATCH;
}
