/*
 * lintterms.c: what "spfgate lint" checks each kind of term for: a
 * policy too open (+all, /0, a fixed exists:), networks too wide or
 * private, void lookups (per client family: a name with only an A
 * record is void for IPv6 clients), MX limits and hosts without
 * addresses, exp= texts receivers would not use, and the targets that
 * depend on the sender and so cannot be checked ahead.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "spfint.h"
#include "lintint.h"

static void	cidr_checks(struct lint_walk *, int, int, int, int);

/*
 * A target the linter cannot know: say so.  Returns 1 if the term was
 * not checked (so no other finding about its target can be made).
 */
int
lint_dynamic_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct spf_term	*t = &n->rec.terms[k];
	char			 buf[SPF_TERM_LEN];

	if (t->uses_p)
		lint_add(w, i, k, SPF_LINT_WARNING, "ptr-macro", "'%s' uses "
		    "%%{p}, the client's validated reverse DNS name: slow, "
		    "and RFC 7208 7.3 says not to use it",
		    lint_tstr(n, k, buf, sizeof(buf)));
	switch (n->targets[k].skip) {
	case SKIP_DYNAMIC:
		lint_add(w, i, k, SPF_LINT_INFO, "macro", "'%s' depends on the "
		    "sender or the client: it cannot be checked ahead",
		    lint_tstr(n, k, buf, sizeof(buf)));
		return 1;
	case SKIP_INVALID:
		lint_add(w, i, k, SPF_LINT_WARNING, "bad-target", "'%s' names "
		    "no valid domain: it never matches",
		    lint_tstr(n, k, buf, sizeof(buf)));
		return 1;
	case SKIP_BUDGET:
		lint_add(w, i, k, SPF_LINT_INFO, "not-checked", "'%s' was not "
		    "looked up: over %d DNS questions for one lint",
		    lint_tstr(n, k, buf, sizeof(buf)), LINT_MAX_QUERIES);
		return 1;
	default:
		return 0;
	}
}

void
lint_all_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	char			 buf[SPF_TERM_LEN], next[SPF_TERM_LEN];
	int			 j, after = 0;

	for (j = n->rec.nterms - 1; j > k; j--) {
		if (n->targets[j].skip == SKIP_UNREACHED &&
		    n->rec.terms[j].kind != T_REDIRECT) {
			after++;
			lint_tstr(n, j, next, sizeof(next));
		}
	}
	lint_tstr(n, k, buf, sizeof(buf));
	if (after > 0)
		lint_add(w, i, k, SPF_LINT_WARNING, "after-all", "%d term%s "
		    "after '%s' (from '%s') %s never evaluated", after,
		    after > 1 ? "s" : "", buf, next, after > 1 ? "are" : "is");
	switch (n->rec.terms[k].qualifier) {
	case '+':
		if (lint_in_include(w->l, i))
			lint_add(w, i, k, SPF_LINT_ERROR, "pass-all", "'%s' "
			    "makes 'include:%s' match every host on the "
			    "Internet", buf, n->domain);
		else
			lint_add(w, i, k, SPF_LINT_ERROR, "pass-all", "'%s' "
			    "lets every host on the Internet pass", buf);
		break;
	case '?':
		if (!lint_in_include(w->l, i))
			lint_add(w, i, k, SPF_LINT_WARNING, "neutral-all",
			    "'%s': hosts not listed get neutral, which "
			    "receivers treat like no policy at all", buf);
		break;
	}
}

/*
 * The CIDR lengths of a or mx: a short one turns each address into a
 * network; /0 lets every host of that family pass.
 */
static void
cidr_checks(struct lint_walk *w, int i, int k, int has4, int has6)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct spf_term	*t = &n->rec.terms[k];
	char			 buf[SPF_TERM_LEN];
	int			 fam, prefix, bits;

	if (t->qualifier != '+')
		return;
	lint_tstr(n, k, buf, sizeof(buf));
	for (fam = 4; fam <= 6; fam += 2) {
		prefix = fam == 4 ? t->cidr4 : t->cidr6;
		bits = fam == 4 ? 32 : 128;
		if (prefix == 0 && (fam == 4 ? has4 : has6))
			lint_add(w, i, k, SPF_LINT_ERROR, "pass-all", "'%s' "
			    "covers every IPv%d address: every IPv%d host on "
			    "the Internet passes", buf, fam, fam);
		else if (prefix <= (fam == 4 ? 8 : 16) && (fam == 4 ? has4 :
		    has6))
			lint_add(w, i, k, SPF_LINT_WARNING, "wide-network",
			    "'%s' permits a network of 2^%d IPv%d addresses "
			    "around each address: far more hosts than send "
			    "mail", buf, bits - prefix, fam);
	}
}

/* A target's address records: void lookups per client family. */
void
lint_a_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct lint_target *g = &n->targets[k];
	char			 buf[SPF_TERM_LEN];

	lint_tstr(n, k, buf, sizeof(buf));
	if (lint_dynamic_checks(w, i, k))
		return;
	cidr_checks(w, i, k, g->a == DNS_OK, g->aaaa == DNS_OK);
	if (lookup_void(g->a))
		w->void4++;
	if (lookup_void(g->aaaa))
		w->void6++;
	if (lookup_void(g->a) && lookup_void(g->aaaa))
		lint_add(w, i, k, SPF_LINT_WARNING, "void-lookup", "'%s': %s "
		    "%s: a void lookup for every client", buf, g->name,
		    g->a == DNS_NXDOMAIN ? "does not exist" : "has no A or "
		    "AAAA record");
	else if (lookup_void(g->a))
		lint_add(w, i, k, SPF_LINT_INFO, "void-lookup", "'%s': %s has "
		    "no A record: a void lookup for IPv4 clients", buf,
		    g->name);
	else if (lookup_void(g->aaaa))
		lint_add(w, i, k, SPF_LINT_INFO, "void-lookup", "'%s': %s has "
		    "no AAAA record: a void lookup for IPv6 clients", buf,
		    g->name);
	if (!lookup_void(g->a) && g->a != DNS_OK)
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the A "
		    "query for %s %s: receivers get temperror", buf, g->name,
		    lint_answer_str(g->a));
	else if (!lookup_void(g->aaaa) && g->aaaa != DNS_OK)
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the "
		    "AAAA query for %s %s: receivers get temperror", buf,
		    g->name, lint_answer_str(g->aaaa));
}

void
lint_mx_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct lint_target *g = &n->targets[k];
	enum dns_status	 a, aaaa;
	char			 buf[SPF_TERM_LEN];
	int			 j, has4 = 0, has6 = 0;

	lint_tstr(n, k, buf, sizeof(buf));
	if (lint_dynamic_checks(w, i, k))
		return;
	for (j = 0; j < g->nmx; j++) {
		has4 |= g->mx_a[j] == DNS_OK;
		has6 |= g->mx_aaaa[j] == DNS_OK;
	}
	cidr_checks(w, i, k, has4, has6);
	if (lookup_void(g->mx)) {
		w->void4++;
		w->void6++;
		lint_add(w, i, k, SPF_LINT_WARNING, "void-lookup", "'%s': %s "
		    "%s: a void lookup for every client", buf, g->name,
		    g->mx == DNS_NXDOMAIN ? "does not exist" : "has no MX "
		    "record");
		return;
	}
	if (g->mx != DNS_OK) {
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the MX "
		    "query for %s %s: receivers get temperror", buf, g->name,
		    lint_answer_str(g->mx));
		return;
	}
	if (g->mx_toomany) {
		lint_add(w, i, k, SPF_LINT_ERROR, "mx-limit", "'%s': %s has "
		    "more than %d MX hosts: receivers get permerror", buf,
		    g->name, SPF_MAX_MX_NAMES);
		return;
	}
	for (j = 0; j < g->nmx; j++) {
		if (strcmp(g->mxhost[j], ".") == 0) {
			lint_add(w, i, k, SPF_LINT_INFO, "null-mx", "'%s': %s "
			    "has a null MX (RFC 7505): it matches no host", buf,
			    g->name);
			continue;
		}
		if (g->mx_a[j] == DNS_UNASKED)
			continue;
		a = g->mx_a[j];
		aaaa = g->mx_aaaa[j];
		if ((lookup_void(a) || a == DNS_OK) &&
		    (lookup_void(aaaa) || aaaa == DNS_OK)) {
			if (lookup_void(a) && lookup_void(aaaa))
				lint_add(w, i, k, SPF_LINT_WARNING,
				    "mx-no-address", "'%s': MX host %s of %s "
				    "has no address", buf, g->mxhost[j],
				    g->name);
			continue;
		}
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the "
		    "address query for MX host %s %s: receivers get temperror",
		    buf, g->mxhost[j], lint_answer_str(a != DNS_OK &&
		    !lookup_void(a) ? a : aaaa));
	}
}

void
lint_exists_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct lint_target *g = &n->targets[k];
	char			 buf[SPF_TERM_LEN];

	if (lint_dynamic_checks(w, i, k))
		return;
	lint_tstr(n, k, buf, sizeof(buf));
	if (lookup_void(g->a)) {
		w->void4++;
		w->void6++;
		lint_add(w, i, k, SPF_LINT_WARNING, "void-lookup", "'%s': %s "
		    "has no A record: it never matches, and is a void lookup "
		    "for every client", buf, g->name);
	} else if (g->a == DNS_OK && n->rec.terms[k].qualifier == '+')
		lint_add(w, i, k, SPF_LINT_ERROR, "pass-all", "'%s' names a "
		    "fixed domain that exists: every host on the Internet "
		    "passes", buf);
	else if (g->a == DNS_OK)
		lint_add(w, i, k, SPF_LINT_WARNING, "exists-constant",
		    "'%s' names a fixed domain that exists: it matches every "
		    "host", buf);
	else
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the A "
		    "query for %s %s: receivers get temperror", buf, g->name,
		    lint_answer_str(g->a));
}

/* ip4: and ip6: networks too wide, or that never send to receivers. */
void
lint_net_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct spf_term	*t = &n->rec.terms[k];
	const unsigned char	*a = t->net;
	char			 buf[SPF_TERM_LEN];
	int			 v4 = t->kind == T_IP4;
	int			 prefix = v4 ? t->cidr4 : t->cidr6;

	lint_tstr(n, k, buf, sizeof(buf));
	if (t->qualifier == '+' && prefix == 0)
		lint_add(w, i, k, SPF_LINT_ERROR, "pass-all", "'%s' covers "
		    "every address: every host on the Internet passes", buf);
	else if (t->qualifier == '+' && prefix <= (v4 ? 8 : 16))
		lint_add(w, i, k, SPF_LINT_WARNING, "wide-network", "'%s' "
		    "permits 2^%d addresses: far more hosts than send mail",
		    buf, (v4 ? 32 : 128) - prefix);
	if (v4 && (a[0] == 10 || a[0] == 127 || (a[0] == 172 &&
	    (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168)))
		lint_add(w, i, k, SPF_LINT_INFO, "private-address", "'%s' is a "
		    "private or loopback network: receivers on the Internet "
		    "never see it", buf);
}

void
lint_exp_checks(struct lint_walk *w, int i, int k)
{
	struct lint_node	*n = w->l->nodes[i];
	const struct lint_target *g = &n->targets[k];
	char			 buf[SPF_TERM_LEN];

	lint_tstr(n, k, buf, sizeof(buf));
	if (lint_in_include(w->l, i)) {
		lint_add(w, i, k, SPF_LINT_INFO, "exp-ignored", "'%s' in an "
		    "included record is never used (RFC 7208 6.2)", buf);
		return;
	}
	if (lint_dynamic_checks(w, i, k))
		return;
	if (lookup_void(g->txt))
		lint_add(w, i, k, SPF_LINT_WARNING, "exp-target", "'%s': %s "
		    "has no TXT record: receivers use their own explanation",
		    buf, g->name);
	else if (g->txt != DNS_OK)
		lint_add(w, i, k, SPF_LINT_WARNING, "dns-error", "'%s': the "
		    "TXT query for %s %s", buf, g->name,
		    lint_answer_str(g->txt));
	else if (g->ntxt > 1)
		lint_add(w, i, k, SPF_LINT_WARNING, "exp-target", "'%s': %s "
		    "has %d TXT records, so none is used (RFC 7208 6.2)", buf,
		    g->name, g->ntxt);
	else if (g->exp_bad)
		lint_add(w, i, k, SPF_LINT_WARNING, "exp-target", "'%s': the "
		    "TXT record of %s is not a valid explain-string, so it is "
		    "not used", buf, g->name);
}
