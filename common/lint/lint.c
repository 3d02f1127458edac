/*
 * lint.c: the DNS walk of "spfgate lint".  It fetches the domain's SPF
 * record, every record that one includes or redirects to, and what the
 * targets of the a, mx and exists terms and the exp= text have in DNS;
 * lintrecord.c says what to ask about each record, lintrules.c and
 * lintterms.c judge, once everything is in.
 *
 * Questions go through lookup.c, as the evaluator's do.  Progress is
 * made only in step(), from the event loop: libunbound may answer
 * inside the call that asks, so each answer's handler here just stores
 * what came back, and the owner's seen hook schedules a step.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"
#include "lintint.h"

static void	step(evutil_socket_t, short, void *);
static void	expired(void *, const struct lookup *);
static void	seen(void *, const struct lookup *, enum dns_status,
		    struct dns_iter *, const char *);
static void	schedule(struct spf_lint *);
static void	txt_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	exp_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	mx_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	addr_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static enum dns_status read_txt(struct lint_node *, struct dns_iter *,
		    char *);
static enum dns_status read_exp(struct lint_target *, struct dns_iter *,
		    char *);
static enum dns_status read_mx(struct lint_target *, struct dns_iter *);
static int	cmp_names(const void *, const void *);
static int	ask_mx_hosts(struct spf_lint *);
static void	lint_free(struct spf_lint *);

struct spf_lint *
spf_lint_start(struct spf_checker *c, const char *domain, spf_lint_fn *done,
    void *arg, char *err, size_t errlen)
{
	struct spf_lint		*l;
	struct lookup_owner	 owner = { NULL, seen, expired };
	char			 name[SPF_DOMAIN_LEN], why[128];

	/* a U-label name is linted as the A-labels mail checks (RFC 8616) */
	if (idn_alabels(domain, name, sizeof(name), why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "not a domain name: %.80s (%s)",
		    domain, why);
		return NULL;
	}
	domain_strip_dot(name);
	if (!domain_valid_initial(name)) {
		(void)snprintf(err, errlen, "not a domain name: %.80s", domain);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->checker = c;
	l->done = done;
	l->arg = arg;
	(void)clock_gettime(CLOCK_MONOTONIC, &l->started);
	(void)strlcpy(l->report.domain, name, sizeof(l->report.domain));
	owner.arg = l;
	l->ev_step = event_new(c->base, -1, 0, step, l);
	if (lookup_init(&l->dns, c->hub, c->base, c->cfg.timeout_ms,
	    &owner) == 0 && l->ev_step != NULL) {
		l->dns.max_queries = LINT_MAX_QUERIES;
		if (lint_add_node(l, -1, -1, VIA_TOP, name) != -1) {
			schedule(l);
			return l;
		}
	}
	(void)snprintf(err, errlen, "out of memory");
	lint_free(l);
	return NULL;
}

void
spf_lint_cancel(struct spf_lint *l)
{
	if (l == NULL || l->finished)
		return;
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
	lookup_reap(&l->dns);
	if (l->finished)
		return;
	do {
		progress = 0;
		for (i = 0; i < l->nnodes; i++) {
			if (!l->nodes[i]->processed &&
			    l->nodes[i]->txt != DNS_PENDING) {
				lint_process(l, i);
				progress = 1;
			}
		}
		progress |= ask_mx_hosts(l);
	} while (progress);
	if (l->dns.pending > 0)
		return;

	/* everything is in: judge, report, and go */
	lookup_release(&l->dns);
	(void)lint_rules(l);
	/* every lookup of the walk, answered from the cache or not */
	l->report.queries = l->dns.asked;
	l->finished = 1;
	if (l->done != NULL)
		l->done(&l->report, l->arg);
	lint_free(l);
}

/* What has not come back by now is a DNS error for the report. */
static void
expired(void *arg, const struct lookup *first)
{
	struct spf_lint	*l = arg;

	(void)first;
	lookup_abandon(&l->dns);
	schedule(l);
}

/* Each answer may let a record be processed: step. */
static void
seen(void *arg, const struct lookup *q, enum dns_status status,
    struct dns_iter *it, const char *why)
{
	(void)q;
	(void)status;
	(void)it;
	(void)why;
	schedule(arg);
}

/*
 * Ask one question; its answer lands in slot.  Returns -1 only when
 * the question budget is spent (the slot stays unasked).
 */
int
lint_ask(struct spf_lint *l, const char *name, enum lq_kind kind, int node,
    int term, int idx)
{
	struct lint_node	*n = l->nodes[node];
	struct lint_target	*g = term >= 0 ? &n->targets[term] : NULL;
	enum dns_status		*slot;
	lookup_fn		*fn = addr_answer;
	void			*arg;
	int			 type = DNS_T_A;

	switch (kind) {
	case LQ_TXT:
		slot = &n->txt;
		fn = txt_answer;
		arg = n;
		type = DNS_T_TXT;
		break;
	case LQ_EXP:
		slot = &g->txt;
		fn = exp_answer;
		arg = g;
		type = DNS_T_TXT;
		break;
	case LQ_MX:
		slot = &g->mx;
		fn = mx_answer;
		arg = g;
		type = DNS_T_MX;
		break;
	case LQ_A:
		slot = arg = &g->a;
		break;
	case LQ_AAAA:
		slot = arg = &g->aaaa;
		type = DNS_T_AAAA;
		break;
	case LQ_MX_A:
		slot = arg = &g->mx_a[idx];
		break;
	default:
		slot = arg = &g->mx_aaaa[idx];
		type = DNS_T_AAAA;
		break;
	}
	*slot = DNS_PENDING;
	if (lookup_ask(&l->dns, name, type, fn, arg) == -1) {
		*slot = DNS_UNASKED;
		return -1;
	}
	return 0;
}

/* A node's TXT records: its SPF record, and how big the answer was. */
static void
txt_answer(void *owner, void *arg, const struct lookup *q,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_lint		*l = owner;
	struct lint_node	*n = arg;

	n->dnssec = q != NULL ? lookup_dnssec(q) :
	    lookup_dnssec_of(&l->dns, status, 0);
	n->answer_len = lookup_size(q);
	n->txt = status == DNS_OK ? read_txt(n, it, l->checker->txtbuf) :
	    status;
}

static void
exp_answer(void *owner, void *arg, const struct lookup *q,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_lint		*l = owner;
	struct lint_target	*g = arg;

	(void)q;
	g->txt = status == DNS_OK ? read_exp(g, it, l->checker->txtbuf) :
	    status;
}

static void
mx_answer(void *owner, void *arg, const struct lookup *q,
    enum dns_status status, struct dns_iter *it)
{
	struct lint_target	*g = arg;

	(void)owner;
	(void)q;
	g->mx = status == DNS_OK ? read_mx(g, it) : status;
}

/* A and AAAA: only whether there are any (and they are whole). */
static void
addr_answer(void *owner, void *arg, const struct lookup *q,
    enum dns_status status, struct dns_iter *it)
{
	enum dns_status	*slot = arg;

	(void)owner;
	(void)q;
	*slot = status == DNS_OK && dns_iter_count(it) == -1 ? DNS_ERROR :
	    status;
}

/* The SPF records among the TXT records at a name (4.5). */
static enum dns_status
read_txt(struct lint_node *n, struct dns_iter *it, char *buf)
{
	enum txt_kind	 kind;
	size_t		 len;
	int		 r;

	while ((r = dns_iter_next(it, buf, SPF_RECORD_MAX + 1, &len,
	    NULL)) == 1) {
		/*
		 * Resolvers rotate RRsets: of several records keep the
		 * least, so the report is the same every time.
		 */
		kind = record_txt_kind(buf, len);
		if (kind == TXT_SPF) {
			n->nspf++;
			if (n->text != NULL && strcmp(buf, n->text) >= 0)
				continue;
			free(n->text);
			if ((n->text = malloc(len + 1)) == NULL)
				return DNS_ERROR;
			memcpy(n->text, buf, len);
			n->text[len] = '\0';
			n->textlen = len;
		} else if (kind == TXT_SENDERID)
			n->senderid = 1;
		else if (kind == TXT_LOOKALIKE && (n->lookalike == NULL ||
		    strncmp(buf, n->lookalike, 200) < 0)) {
			free(n->lookalike);
			if ((n->lookalike = strndup(buf, len > 200 ? 200 :
			    len)) == NULL)
				return DNS_ERROR;
		}
	}
	return r == -1 ? DNS_ERROR : DNS_OK;
}

/* exp=: one TXT record holding an explain-string is wanted (6.2). */
static enum dns_status
read_exp(struct lint_target *g, struct dns_iter *it, char *buf)
{
	size_t	 len;
	int	 r;

	while ((r = dns_iter_next(it, buf, SPF_RECORD_MAX + 1, &len,
	    NULL)) == 1)
		if (++g->ntxt == 1 && macro_check(buf, len, MACRO_EXPLAIN,
		    NULL) != 0)
			g->exp_bad = 1;
	return r == -1 ? DNS_ERROR : DNS_OK;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcasecmp(*(char * const *)a, *(char * const *)b);
}

static enum dns_status
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
			return DNS_ERROR;
		g->nmx++;
	}
	if (r == -1)
		return DNS_ERROR;
	/* answers come back rotated: the report must not */
	qsort(g->mxhost, g->nmx, sizeof(g->mxhost[0]), cmp_names);
	return DNS_OK;
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
	n->txt = DNS_UNASKED;
	n->dnssec = lookup_dnssec_of(&l->dns, DNS_UNASKED, 0);
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
			if (g->mx != DNS_OK || g->mx_asked)
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
	lookup_free(&l->dns);
	if (l->ev_step != NULL)
		event_free(l->ev_step);
	free(l->records);
	free(l->findings);
	free(l);
}
