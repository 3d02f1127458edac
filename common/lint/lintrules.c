/*
 * lintrules.c: the report of "spfgate lint", made from what the DNS walk
 * gathered.  The tree is walked once, in the order an evaluation that
 * matches nothing takes, which is the worst case for every limit of
 * RFC 7208 4.6.4: each record's terms in order, an included record where
 * its include is, a redirect's record at the end.  A record included a
 * second time counts again, as it does in an evaluation, but its
 * findings are not repeated.  What each kind of term is checked for is
 * in lintterms.c.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"
#include "lintint.h"

#define RESERVED	4	/* findings kept for the totals at the end */

static void	count(struct lint_walk *, int, int);
static int	walk_node(struct lint_walk *, int);
static int	node_checks(struct lint_walk *, int);
static void	syntax_checks(struct lint_walk *, int);
static int	term_checks(struct lint_walk *, int, int);
static int	follow_checks(struct lint_walk *, int, int);
static int	redirect_checks(struct lint_walk *, int, int);
static void	totals(struct lint_walk *);
static void	worst_path(struct lint_walk *);

/* Build the report of a lint whose DNS walk is complete. */
int
lint_rules(struct spf_lint *l)
{
	struct spf_lint_report	*r = &l->report;
	struct lint_walk	 w;
	struct timespec		 now;

	memset(&w, 0, sizeof(w));
	w.l = l;
	w.exact = 1;
	w.over_node = -1;
	w.reserve = RESERVED;
	l->records = calloc(l->nnodes, sizeof(*l->records));
	l->findings = calloc(LINT_MAX_FINDINGS, sizeof(*l->findings));
	if (l->records == NULL || l->findings == NULL)
		return -1;
	r->records = l->records;
	r->findings = l->findings;
	r->void_limit = l->checker->cfg.max_void_lookups;
	(void)walk_node(&w, 0);
	worst_path(&w);
	w.reserve = 0;
	totals(&w);
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	r->elapsed_ms = (now.tv_sec - l->started.tv_sec) * 1000 +
	    (now.tv_nsec - l->started.tv_nsec) / 1000000;
	return 0;
}

void
lint_add(struct lint_walk *w, int i, int k, enum spf_lint_severity sev,
    const char *code, const char *fmt, ...)
{
	struct spf_lint_report	*r = &w->l->report;
	struct spf_lint_finding	*f;
	struct lint_node	*n = i >= 0 ? w->l->nodes[i] : NULL;
	va_list			 ap;

	if (w->quiet)
		return;
	if (sev == SPF_LINT_ERROR)
		r->errors++;
	else if (sev == SPF_LINT_WARNING)
		r->warnings++;
	else
		r->infos++;
	if (r->nfindings >= LINT_MAX_FINDINGS - w->reserve)
		return;
	f = &w->l->findings[r->nfindings++];
	f->severity = sev;
	f->code = code;
	if (n != NULL) {
		(void)strlcpy(f->path, n->path, sizeof(f->path));
		(void)strlcpy(f->domain, n->domain, sizeof(f->domain));
		if (k >= 0)
			(void)lint_tstr(n, k, f->term, sizeof(f->term));
	}
	va_start(ap, fmt);
	(void)vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/* Term k of node n as written, cut to fit. */
const char *
lint_tstr(const struct lint_node *n, int k, char *buf, size_t len)
{
	const struct spf_term	*t = &n->rec.terms[k];

	(void)snprintf(buf, len, "%.*s", (int)t->len, n->rec.text + t->off);
	return buf;
}

const char *
lint_answer_str(enum dns_status a)
{
	switch (a) {
	case DNS_NXDOMAIN:
		return "does not exist";
	case DNS_NODATA:
		return "has no records of that type";
	case DNS_BOGUS:
		return "failed DNSSEC validation";
	case DNS_TIMEOUT:
		return "got no answer in time";
	default:
		return "got a DNS error";
	}
}

/* One DNS-querying term (4.6.4); remember where the 11th one is. */
static void
count(struct lint_walk *w, int i, int k)
{
	if (++w->used == SPF_MAX_DNS_TERMS + 1) {
		w->over_node = i;
		w->over_term = k;
	}
}

/* A record and everything below it; returns its lookups. */
static int
walk_node(struct lint_walk *w, int i)
{
	struct spf_lint		*l = w->l;
	struct lint_node	*n = l->nodes[i];
	struct spf_lint_record	*rec;
	int			 j, k, total = 0, repeat = 0;

	rec = &l->records[l->report.nrecords];
	w->rec_of[i] = l->report.nrecords++;
	rec->depth = n->depth;
	if (n->via != VIA_TOP)
		(void)snprintf(rec->via, sizeof(rec->via), "%s%s",
		    n->via == VIA_INCLUDE ? "include:" : "redirect=",
		    n->domain);
	(void)strlcpy(rec->domain, n->domain, sizeof(rec->domain));
	(void)strlcpy(rec->path, n->path, sizeof(rec->path));
	rec->text = n->nspf > 0 ? n->text : NULL;
	rec->missing = n->nspf > 0 ? NULL : n->txt == DNS_OK ||
	    n->txt == DNS_NODATA ? "no SPF record" : n->txt == DNS_NXDOMAIN ?
	    "does not exist" : n->txt == DNS_TIMEOUT ? "no answer" :
	    n->txt == DNS_BOGUS ? "DNSSEC bogus" : "DNS error";
	rec->spf_records = n->nspf;
	rec->answer_octets = (int)n->answer_len;
	rec->dnssec = n->dnssec;

	for (j = 0; j < w->rec_of[i]; j++)
		if (strcasecmp(l->records[j].domain, n->domain) == 0)
			repeat = 1;
	if (repeat)
		w->quiet++;
	if (node_checks(w, i)) {
		for (k = 0; k < n->rec.nterms; k++)
			total += term_checks(w, i, k);
		if (n->rec.redirect != -1)
			total += redirect_checks(w, i, n->rec.redirect);
	}
	if (repeat) {
		w->quiet--;
		if (n->parent != -1)
			lint_add(w, n->parent, n->pterm, SPF_LINT_INFO,
			    "repeated-include", "%s is reached a second time, "
			    "which costs %d more DNS lookup%s", n->domain,
			    total + 1, total == 0 ? "" : "s");
	}
	rec->lookups = total;
	return total;
}

/* The record itself; returns 1 if its terms are there to be checked. */
static int
node_checks(struct lint_walk *w, int i)
{
	struct lint_node	*n = w->l->nodes[i];
	const char		*what;

	what = n->via == VIA_INCLUDE ? "include" : "redirect";
	if (n->lookalike != NULL)
		lint_add(w, i, -1, SPF_LINT_WARNING, "not-spf", "TXT record "
		    "\"%.100s\" looks like SPF but does not start with "
		    "\"v=spf1 \": receivers ignore it", n->lookalike);
	if (n->senderid)
		lint_add(w, i, -1, SPF_LINT_INFO, "sender-id", "the \"spf2.0\" "
		    "record is Sender ID's (RFC 4406, historic): SPF ignores "
		    "it");
	switch (n->txt) {
	case DNS_OK:
	case DNS_NODATA:
		break;
	case DNS_NXDOMAIN:
		if (n->via == VIA_TOP)
			lint_add(w, i, -1, SPF_LINT_ERROR, "no-record",
			    "%s does not exist: receivers get none", n->domain);
		else
			lint_add(w, i, -1, SPF_LINT_ERROR, "missing-record",
			    "%s target %s does not exist: receivers get "
			    "permerror", what, n->domain);
		return 0;
	default:
		lint_add(w, i, -1, SPF_LINT_ERROR, "dns-error", "the TXT query "
		    "for %s %s: receivers get temperror", n->domain,
		    lint_answer_str(n->txt));
		return 0;
	}
	if (n->nspf == 0) {
		if (n->via == VIA_TOP)
			lint_add(w, i, -1, SPF_LINT_ERROR, "no-record", "%s "
			    "publishes no SPF record: receivers get none",
			    n->domain);
		else
			lint_add(w, i, -1, SPF_LINT_ERROR, "missing-record",
			    "%s target %s has no SPF record: receivers get "
			    "permerror", what, n->domain);
		return 0;
	}
	if (n->nspf > 1) {
		lint_add(w, i, -1, SPF_LINT_ERROR, "multiple-records",
		    "%s has %d SPF records: receivers get permerror; merge "
		    "them into one", n->domain, n->nspf);
		return 0;
	}
	if (n->textlen > LINT_RECORD_SIZE)
		lint_add(w, i, -1, SPF_LINT_WARNING, "record-size", "the "
		    "record is %zu octets, over the %d that RFC 7208 3.4 "
		    "advises", n->textlen, LINT_RECORD_SIZE);
	if (n->answer_len > LINT_UDP_SIZE)
		lint_add(w, i, -1, SPF_LINT_WARNING, "answer-size", "the TXT "
		    "answer for %s is %zu octets: over %d, it needs EDNS or "
		    "TCP, which some receivers' resolvers fail", n->domain,
		    n->answer_len, LINT_UDP_SIZE);
	else if (n->answer_len > LINT_RECORD_SIZE)
		lint_add(w, i, -1, SPF_LINT_INFO, "answer-size", "the TXT "
		    "answer for %s is %zu octets, near the %d of plain UDP",
		    n->domain, n->answer_len, LINT_UDP_SIZE);
	if (n->parsed != 1)
		syntax_checks(w, i);
	return n->parsed != 0;
}

/* Every term that does not parse, each with the parser's reason. */
static void
syntax_checks(struct lint_walk *w, int i)
{
	struct lint_node	*n = w->l->nodes[i];
	char			 err[200];
	size_t			 p, start, c;
	int			 found = 0;

	for (p = 6; p < n->textlen;) {
		while (p < n->textlen && n->text[p] == ' ')
			p++;
		for (start = p; p < n->textlen && n->text[p] != ' '; p++)
			;
		if (p == start)
			continue;
		for (c = start; c < p && n->text[c] > ' ' &&
		    n->text[c] < 0x7f; c++)
			;
		if (c < p)
			(void)snprintf(err, sizeof(err), "%s octet 0x%02x at "
			    "offset %zu", (unsigned char)n->text[c] >= 0x7f ?
			    "non-ASCII" : "control", (unsigned char)n->text[c],
			    c);
		else if (lint_term_error(n->text + start, p - start, err,
		    sizeof(err)) == 0)
			continue;
		found = 1;
		lint_add(w, i, -1, SPF_LINT_ERROR, "syntax", "syntax error: "
		    "%s: receivers get permerror", err);
	}
	if (!found)
		lint_add(w, i, -1, SPF_LINT_ERROR, "syntax", "syntax error: "
		    "%s: receivers get permerror", n->perr);
	if (n->parsed == 2)
		lint_add(w, i, -1, SPF_LINT_INFO, "syntax", "the rest of the "
		    "record is checked without the bad terms");
}

/* Term k of node i; returns the DNS lookups it costs. */
static int
term_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct spf_term	*t = &n->rec.terms[k];
	const struct lint_target *g = &n->targets[k];
	char			 buf[SPF_TERM_LEN];
	int			 cost;

	/* redirect= is evaluated after the mechanisms: walk_node has it */
	if (g->skip == SKIP_UNREACHED || t->kind == T_REDIRECT)
		return 0;
	if ((cost = lookup_term_counts(t->kind)) != 0)
		count(w, i, k);
	switch (t->kind) {
	case T_ALL:
		lint_all_checks(w, i, k);
		break;
	case T_INCLUDE:
		cost += follow_checks(w, i, k);
		break;
	case T_A:
		lint_a_checks(w, i, k);
		break;
	case T_MX:
		lint_mx_checks(w, i, k);
		break;
	case T_PTR:
		lint_add(w, i, k, SPF_LINT_WARNING, "ptr", "'%s' is slow and "
		    "unreliable, and RFC 7208 5.5 says not to use it: list "
		    "the addresses (ip4:, ip6:, a:)",
		    lint_tstr(n, k, buf, sizeof(buf)));
		break;
	case T_EXISTS:
		lint_exists_checks(w, i, k);
		break;
	case T_IP4:
	case T_IP6:
		lint_net_checks(w, i, k);
		break;
	case T_EXP:
		lint_exp_checks(w, i, k);
		break;
	case T_UNKNOWN_MOD:
		lint_add(w, i, k, SPF_LINT_WARNING, "unknown-modifier",
		    "unknown modifier '%s': receivers ignore it (a typo?)",
		    lint_tstr(n, k, buf, sizeof(buf)));
		break;
	default:
		break;
	}
	return cost;
}

/* redirect=, after the mechanisms: ignored beside all (6.1). */
static int
redirect_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	char			 buf[SPF_TERM_LEN];
	int			 cost;

	if (n->targets[k].skip == SKIP_UNREACHED) {
		lint_add(w, i, k, SPF_LINT_WARNING, "redirect-ignored",
		    "'%s' is ignored: the record has 'all' (RFC 7208 6.1)",
		    lint_tstr(n, k, buf, sizeof(buf)));
		return 0;
	}
	if ((cost = lookup_term_counts(T_REDIRECT)) != 0)
		count(w, i, k);
	return cost + follow_checks(w, i, k);
}

/* include: and redirect=: the record they lead to, and its lookups. */
static int
follow_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct lint_target *g = &n->targets[k];
	const char		*what;
	char			 buf[SPF_TERM_LEN];
	int			 redirect;

	redirect = n->rec.terms[k].kind == T_REDIRECT;
	what = redirect ? "redirect" : "include";
	if (g->skip == SKIP_DYNAMIC || g->skip == SKIP_BUDGET)
		w->exact = 0;
	if (g->skip == SKIP_INVALID) {
		lint_add(w, i, k, SPF_LINT_ERROR, "bad-target", "'%s' names no "
		    "valid domain: receivers get permerror",
		    lint_tstr(n, k, buf, sizeof(buf)));
		return 0;
	}
	if (lint_dynamic_checks(w, i, k))
		return 0;
	switch (g->skip) {
	case SKIP_LOOP:
		w->exact = 0;
		lint_add(w, i, k, SPF_LINT_ERROR, redirect ? "redirect-loop" :
		    "include-loop", "'%s' leads back to %s (%s): receivers "
		    "go round until the lookup limit, permerror",
		    lint_tstr(n, k, buf, sizeof(buf)), g->name,
		    w->l->nodes[g->loop]->path);
		return 0;
	case SKIP_DEPTH:
		w->exact = 0;
		lint_add(w, i, k, SPF_LINT_ERROR, "too-deep", "'%s' is not "
		    "followed: %ss nested deeper than %d cannot stay within "
		    "%d lookups", lint_tstr(n, k, buf, sizeof(buf)), what,
		    LINT_MAX_DEPTH - 1, SPF_MAX_DNS_TERMS);
		return 0;
	case SKIP_NODES:
		w->exact = 0;
		lint_add(w, i, k, SPF_LINT_WARNING, "not-checked", "'%s' is "
		    "not followed: more than %d records in one policy",
		    lint_tstr(n, k, buf, sizeof(buf)), LINT_MAX_NODES);
		return 0;
	default:
		break;
	}
	return walk_node(w, g->child);
}

/* What only the whole tree shows: the limits, and a policy too open. */
static void
totals(struct lint_walk *w)
{
	struct spf_lint		*l = w->l;
	struct spf_lint_report	*r = &l->report;
	struct lint_node	*n = l->nodes[0], *o;
	char			 buf[SPF_TERM_LEN];
	int			 i, top = 0, limit = r->void_limit;

	r->lookups = w->used;
	r->lookups_exact = w->exact;
	r->void_lookups_ipv4 = w->void4;
	r->void_lookups_ipv6 = w->void6;
	r->void_lookups = w->void4 > w->void6 ? w->void4 : w->void6;

	/* the record whose result is the domain's: through redirects */
	for (i = 0; i < l->nnodes; i++)
		if (!lint_in_include(l, i))
			top = i;
	n = l->nodes[top];
	if (n->parsed == 1 && lint_first_all(&n->rec) == -1 &&
	    n->rec.redirect == -1)
		lint_add(w, top, -1, SPF_LINT_WARNING, "no-all", "no 'all' and "
		    "no 'redirect=': hosts not listed get neutral, which "
		    "receivers treat like no policy at all");

	if (w->used > SPF_MAX_DNS_TERMS) {
		o = l->nodes[w->over_node];
		lint_add(w, 0, -1, SPF_LINT_ERROR, "too-many-lookups",
		    "%d DNS-querying terms, over the limit of %d: receivers "
		    "get permerror when no earlier term matches; the 11th is "
		    "'%s' in %s; the heaviest branch: %s", w->used,
		    SPF_MAX_DNS_TERMS,
		    lint_tstr(o, w->over_term, buf, sizeof(buf)), o->path,
		    r->worst_path);
	}
	if (w->void4 > limit || w->void6 > limit)
		lint_add(w, 0, -1, SPF_LINT_ERROR, "too-many-void-lookups",
		    "%d void lookups for IPv4 clients and %d for IPv6 clients, "
		    "over the limit of %d: receivers get permerror when no "
		    "earlier term matches", w->void4, w->void6, limit);
}

/* The heaviest branch: from the top, always the costliest record. */
static void
worst_path(struct lint_walk *w)
{
	struct spf_lint		*l = w->l;
	struct spf_lint_report	*r = &l->report;
	struct lint_node	*n;
	char			 part[SPF_DOMAIN_LEN + 32];
	int			 i = 0, k, best, most;

	for (;;) {
		n = l->nodes[i];
		(void)snprintf(part, sizeof(part), "%s%s%s (%d)",
		    r->worst_path[0] != '\0' ? " > " : "",
		    n->via == VIA_INCLUDE ? "include:" : n->via ==
		    VIA_REDIRECT ? "redirect=" : "", n->domain,
		    l->records[w->rec_of[i]].lookups);
		if (strlcat(r->worst_path, part, sizeof(r->worst_path)) >=
		    sizeof(r->worst_path))
			return;
		best = -1;
		most = 0;
		for (k = 0; n->targets != NULL && k < n->rec.nterms; k++) {
			if (n->targets[k].child == -1 ||
			    n->targets[k].skip != SKIP_NONE)
				continue;
			if (best == -1 || l->records[w->rec_of[
			    n->targets[k].child]].lookups > most) {
				best = n->targets[k].child;
				most = l->records[w->rec_of[best]].lookups;
			}
		}
		if (best == -1)
			return;
		i = best;
	}
}
