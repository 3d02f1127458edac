/*
 * lint.c: the DNS walk of "spfgate lint".  It fetches the domain's SPF
 * record, every record that one includes or redirects to, and what the
 * targets of the a, mx and exists terms and the exp= text have in DNS;
 * lintrecord.c says what to ask about each record, lintrules.c and
 * lintterms.c judge, once everything is in.
 *
 * As in the evaluator, progress is made only in step(), from the event
 * loop: libunbound may answer inside the call that asks, so the DNS
 * callback just stores what came back and schedules a step.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"
#include "lintint.h"

struct lint_lookup {
	struct resolver_cb	 cb;	/* first: libunbound's mydata */
	struct spf_lint		*l;
	TAILQ_ENTRY(lint_lookup) entry;
	enum lq_kind		 kind;
	int			 node, term, idx;
	int			 id;
	int			 done;
	char			 name[];
};

static void	step(evutil_socket_t, short, void *);
static void	timeout(evutil_socket_t, short, void *);
static void	schedule(struct spf_lint *);
static enum lint_answer *slot(struct spf_lint *, enum lq_kind, int, int,
		    int);
static int	qtype(enum lq_kind);
static void	answer(void *, enum dns_status, const unsigned char *,
		    size_t, int, const char *);
static enum lint_answer read_txt(struct lint_node *, struct dns_iter *,
		    char *);
static enum lint_answer read_exp(struct lint_target *, struct dns_iter *,
		    char *);
static enum lint_answer read_mx(struct lint_target *, struct dns_iter *);
static int	cmp_names(const void *, const void *);
static enum lint_answer count_rrs(struct dns_iter *);
static int	looks_like_spf(const char *, size_t);
static int	ask_mx_hosts(struct spf_lint *);
static void	reap(struct spf_lint *);
static void	release(struct spf_lint *);
static void	lint_free(struct spf_lint *);

struct spf_lint *
spf_lint_start(struct spf_checker *c, const char *domain, spf_lint_fn *done,
    void *arg, char *err, size_t errlen)
{
	struct spf_lint	*l;
	struct timeval	 tv;
	char		 name[SPF_DOMAIN_LEN];
	int		 ms = c->cfg.timeout_ms;

	if (strlcpy(name, domain, sizeof(name)) >= sizeof(name))
		name[0] = '\0';
	domain_strip_dot(name);
	if (!domain_valid_initial(name)) {
		(void)snprintf(err, errlen, "not a domain name: %.80s", domain);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&l->lookups);
	l->checker = c;
	l->done = done;
	l->arg = arg;
	(void)clock_gettime(CLOCK_MONOTONIC, &l->started);
	(void)strlcpy(l->report.domain, name, sizeof(l->report.domain));
	l->ev_step = event_new(c->base, -1, 0, step, l);
	l->ev_timeout = evtimer_new(c->base, timeout, l);
	if (l->ev_step == NULL || l->ev_timeout == NULL ||
	    lint_add_node(l, -1, -1, VIA_TOP, name) == -1) {
		(void)snprintf(err, errlen, "out of memory");
		lint_free(l);
		return NULL;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(l->ev_timeout, &tv);
	schedule(l);
	return l;
}

void
spf_lint_cancel(struct spf_lint *l)
{
	if (l == NULL || l->finished)
		return;
	release(l);
	lint_free(l);
}

const char *
spf_lint_severity_str(enum spf_lint_severity s)
{
	switch (s) {
	case SPF_LINT_ERROR:
		return "error";
	case SPF_LINT_WARNING:
		return "warning";
	default:
		return "info";
	}
}

static void
schedule(struct spf_lint *l)
{
	event_active(l->ev_step, 0, 0);
}

static void
step(evutil_socket_t fd, short what, void *arg)
{
	struct spf_lint	*l = arg;
	int		 i, progress;

	(void)fd;
	(void)what;
	reap(l);
	if (l->finished)
		return;
	do {
		progress = 0;
		for (i = 0; i < l->nnodes; i++) {
			if (!l->nodes[i]->processed &&
			    l->nodes[i]->txt != ANS_PENDING) {
				lint_process(l, i);
				progress = 1;
			}
		}
		progress |= ask_mx_hosts(l);
	} while (progress);
	if (l->pending > 0)
		return;

	/* everything is in: judge, report, and go */
	release(l);
	(void)lint_rules(l);
	l->report.queries = l->queries;
	l->finished = 1;
	if (l->done != NULL)
		l->done(&l->report, l->arg);
	lint_free(l);
}

/* What has not come back by now is a DNS error for the report. */
static void
timeout(evutil_socket_t fd, short what, void *arg)
{
	struct spf_lint		*l = arg;
	struct lint_lookup	*q;

	(void)fd;
	(void)what;
	l->timed_out = 1;
	TAILQ_FOREACH(q, &l->lookups, entry) {
		if (q->done)
			continue;
		resolver_cancel(l->checker->resolver, q->id);
		q->done = 1;
		*slot(l, q->kind, q->node, q->term, q->idx) = ANS_TIMEOUT;
	}
	l->pending = 0;
	schedule(l);
}

static enum lint_answer *
slot(struct spf_lint *l, enum lq_kind kind, int node, int term, int idx)
{
	struct lint_node	*n = l->nodes[node];
	struct lint_target	*g;

	if (kind == LQ_TXT)
		return &n->txt;
	g = &n->targets[term];
	switch (kind) {
	case LQ_A:
		return &g->a;
	case LQ_AAAA:
		return &g->aaaa;
	case LQ_MX:
		return &g->mx;
	case LQ_MX_A:
		return &g->mx_a[idx];
	case LQ_MX_AAAA:
		return &g->mx_aaaa[idx];
	default:
		return &g->txt;
	}
}

static int
qtype(enum lq_kind kind)
{
	switch (kind) {
	case LQ_A:
	case LQ_MX_A:
		return DNS_T_A;
	case LQ_AAAA:
	case LQ_MX_AAAA:
		return DNS_T_AAAA;
	case LQ_MX:
		return DNS_T_MX;
	default:
		return DNS_T_TXT;
	}
}

/*
 * Ask one question; the answer lands in its slot.  Returns -1 only
 * when the question budget is spent (the slot stays unasked).
 */
int
lint_ask(struct spf_lint *l, const char *name, enum lq_kind kind, int node,
    int term, int idx)
{
	struct lint_lookup	*q;
	enum lint_answer	*s = slot(l, kind, node, term, idx);
	size_t			 len = strlen(name);

	if (l->timed_out) {
		*s = ANS_TIMEOUT;
		return 0;
	}
	if (l->queries >= LINT_MAX_QUERIES)
		return -1;
	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL) {
		*s = ANS_ERROR;
		return 0;
	}
	memcpy(q->name, name, len + 1);
	q->cb.fn = answer;
	q->cb.arg = q;
	q->l = l;
	q->kind = kind;
	q->node = node;
	q->term = term;
	q->idx = idx;
	TAILQ_INSERT_TAIL(&l->lookups, q, entry);
	l->pending++;
	l->queries++;
	*s = ANS_PENDING;
	if (resolver_query(l->checker->resolver, name, qtype(kind), &q->cb,
	    &q->id) == -1)
		answer(q, DNS_ERROR, NULL, 0, 0, NULL);
	return 0;
}

static void
answer(void *arg, enum dns_status status, const unsigned char *pkt,
    size_t len, int sec, const char *why)
{
	struct lint_lookup	*q = arg;
	struct spf_lint		*l = q->l;
	struct lint_node	*n = l->nodes[q->node];
	struct dns_iter		 it;
	enum lint_answer	 a;

	(void)why;
	if (q->done)
		return;
	q->done = 1;
	l->pending--;
	switch (status) {
	case DNS_OK:
		/* libunbound reports NXDOMAIN in the packet, not in rcode */
		if (dns_iter_init(&it, pkt, len, qtype(q->kind)) == -1)
			a = ANS_ERROR;
		else
			a = it.rcode == 3 ? ANS_NXDOMAIN : ANS_RECORDS;
		break;
	case DNS_NODATA:
		a = ANS_NODATA;
		break;
	case DNS_NXDOMAIN:
		a = ANS_NXDOMAIN;
		break;
	case DNS_BOGUS:
		a = ANS_BOGUS;
		break;
	default:
		a = ANS_ERROR;
		break;
	}
	if (q->kind == LQ_TXT) {
		n->sec = sec;
		n->answer_len = status == DNS_OK ? len : 0;
	}
	if (a == ANS_RECORDS) {
		switch (q->kind) {
		case LQ_TXT:
			a = read_txt(n, &it, l->checker->txtbuf);
			break;
		case LQ_EXP:
			a = read_exp(&n->targets[q->term], &it,
			    l->checker->txtbuf);
			break;
		case LQ_MX:
			a = read_mx(&n->targets[q->term], &it);
			break;
		default:
			a = count_rrs(&it);
			break;
		}
	}
	*slot(l, q->kind, q->node, q->term, q->idx) = a;
	schedule(l);
}

static enum lint_answer
count_rrs(struct dns_iter *it)
{
	char	 buf[DNS_NAME_TEXT];
	size_t	 len;
	int	 r, n = 0;

	while ((r = dns_iter_next(it, buf, sizeof(buf), &len, NULL)) == 1)
		n++;
	if (r == -1)
		return ANS_ERROR;
	return n > 0 ? ANS_RECORDS : ANS_NODATA;
}

/* A TXT record that was meant to be SPF (but is not, or it is spf1). */
static int
looks_like_spf(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '"' || *s == '\'')) {
		s++;
		len--;
	}
	return (len >= 5 && strncasecmp(s, "v=spf", 5) == 0) ||
	    (len >= 4 && strncasecmp(s, "spf1", 4) == 0);
}

/* The SPF records among the TXT records at a name (4.5). */
static enum lint_answer
read_txt(struct lint_node *n, struct dns_iter *it, char *buf)
{
	size_t	 len;
	int	 r, ntxt = 0;

	while ((r = dns_iter_next(it, buf, SPF_RECORD_MAX + 1, &len,
	    NULL)) == 1) {
		ntxt++;
		/*
		 * Resolvers rotate RRsets: of several records keep the
		 * least, so the report is the same every time.
		 */
		if (record_is_spf(buf, len)) {
			n->nspf++;
			if (n->text != NULL && strcmp(buf, n->text) >= 0)
				continue;
			free(n->text);
			if ((n->text = malloc(len + 1)) == NULL)
				return ANS_ERROR;
			memcpy(n->text, buf, len);
			n->text[len] = '\0';
			n->textlen = len;
		} else if (len >= 6 && strncasecmp(buf, "spf2.0", 6) == 0)
			n->senderid = 1;
		else if (looks_like_spf(buf, len) && (n->lookalike == NULL ||
		    strncmp(buf, n->lookalike, 200) < 0)) {
			free(n->lookalike);
			if ((n->lookalike = strndup(buf, len > 200 ? 200 :
			    len)) == NULL)
				return ANS_ERROR;
		}
	}
	if (r == -1)
		return ANS_ERROR;
	return ntxt > 0 ? ANS_RECORDS : ANS_NODATA;
}

/* exp=: one TXT record holding an explain-string is wanted (6.2). */
static enum lint_answer
read_exp(struct lint_target *g, struct dns_iter *it, char *buf)
{
	size_t	 len;
	int	 r;

	while ((r = dns_iter_next(it, buf, SPF_RECORD_MAX + 1, &len,
	    NULL)) == 1)
		if (++g->ntxt == 1 && macro_check(buf, len, MACRO_EXPLAIN,
		    NULL) != 0)
			g->exp_bad = 1;
	if (r == -1)
		return ANS_ERROR;
	return g->ntxt > 0 ? ANS_RECORDS : ANS_NODATA;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcasecmp(*(char * const *)a, *(char * const *)b);
}

static enum lint_answer
read_mx(struct lint_target *g, struct dns_iter *it)
{
	char	 name[DNS_NAME_TEXT];
	size_t	 len;
	int	 r;

	while ((r = dns_iter_next(it, name, sizeof(name), &len, NULL)) == 1) {
		if (g->nmx >= SPF_MAX_MX_NAMES) {
			g->mx_toomany = 1;
			continue;
		}
		if ((g->mxhost[g->nmx] = strdup(name)) == NULL)
			return ANS_ERROR;
		g->nmx++;
	}
	if (r == -1)
		return ANS_ERROR;
	/* answers come back rotated: the report must not */
	qsort(g->mxhost, g->nmx, sizeof(g->mxhost[0]), cmp_names);
	return g->nmx > 0 ? ANS_RECORDS : ANS_NODATA;
}

/* A record to fetch, reached from term pterm of node parent. */
int
lint_add_node(struct spf_lint *l, int parent, int pterm, enum lint_via via,
    const char *domain)
{
	struct lint_node	*n, *p;
	int			 i = l->nnodes;

	if (i >= LINT_MAX_NODES || (n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->parent = parent;
	n->pterm = pterm;
	n->via = via;
	n->rec.redirect = n->rec.exp = -1;
	(void)strlcpy(n->domain, domain, sizeof(n->domain));
	if (parent == -1)
		(void)strlcpy(n->path, domain, sizeof(n->path));
	else {
		p = l->nodes[parent];
		n->depth = p->depth + 1;
		if ((size_t)snprintf(n->path, sizeof(n->path), "%s > %s%s",
		    p->path, via == VIA_INCLUDE ? "include:" : "redirect=",
		    domain) >= sizeof(n->path))
			(void)strlcpy(n->path + sizeof(n->path) - 4, "...", 4);
	}
	l->nodes[l->nnodes++] = n;
	(void)lint_ask(l, domain, LQ_TXT, i, -1, 0);
	return i;
}

/* The MX names are in: ask for their addresses.  1 if any asked. */
static int
ask_mx_hosts(struct spf_lint *l)
{
	struct lint_node	*n;
	struct lint_target	*g;
	int			 i, k, j, asked = 0;

	for (i = 0; i < l->nnodes; i++) {
		n = l->nodes[i];
		for (k = 0; n->targets != NULL && k < n->rec.nterms; k++) {
			g = &n->targets[k];
			if (g->mx != ANS_RECORDS || g->mx_asked)
				continue;
			g->mx_asked = asked = 1;
			for (j = 0; j < g->nmx; j++) {
				/* a null MX (RFC 7505) names no host */
				if (strcmp(g->mxhost[j], ".") == 0)
					continue;
				if (lint_ask(l, g->mxhost[j], LQ_MX_A, i, k,
				    j) == -1 || lint_ask(l, g->mxhost[j],
				    LQ_MX_AAAA, i, k, j) == -1)
					g->skip = SKIP_BUDGET;
			}
		}
	}
	return asked;
}

static void
reap(struct spf_lint *l)
{
	struct lint_lookup	*q, *tmp;

	TAILQ_FOREACH_SAFE(q, &l->lookups, entry, tmp) {
		if (q->done) {
			TAILQ_REMOVE(&l->lookups, q, entry);
			free(q);
		}
	}
}

/* Cancel what is outstanding, free every lookup, stop the timer. */
static void
release(struct spf_lint *l)
{
	struct lint_lookup	*q;

	while ((q = TAILQ_FIRST(&l->lookups)) != NULL) {
		TAILQ_REMOVE(&l->lookups, q, entry);
		if (!q->done)
			resolver_cancel(l->checker->resolver, q->id);
		free(q);
	}
	l->pending = 0;
	if (l->ev_timeout != NULL)
		evtimer_del(l->ev_timeout);
}

static void
lint_free(struct spf_lint *l)
{
	struct lint_node	*n;
	int			 i, k, j;

	for (i = 0; i < l->nnodes; i++) {
		n = l->nodes[i];
		for (k = 0; n->targets != NULL && k < n->rec.nterms; k++)
			for (j = 0; j < n->targets[k].nmx; j++)
				free(n->targets[k].mxhost[j]);
		free(n->targets);
		record_free(&n->rec);
		free(n->text);
		free(n->lookalike);
		free(n);
	}
	if (l->ev_step != NULL)
		event_free(l->ev_step);
	if (l->ev_timeout != NULL)
		event_free(l->ev_timeout);
	free(l->records);
	free(l->findings);
	free(l);
}
