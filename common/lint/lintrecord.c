/*
 * lintrecord.c: what the linter asks about one record once it is in:
 * the record parsed (without its bad terms, if it has any, so the rest
 * is still checked), each term's target expanded where that needs no
 * sender (plain names and %{d}), include: and redirect= followed unless
 * they loop or nest too deep, and the a, mx, exists and exp= targets
 * looked up.  Which terms an evaluation never reaches is decided here:
 * those after all, and a redirect beside all (RFC 7208 5.1, 6.1).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"
#include "lintint.h"

static void	parse_record(struct lint_node *);
static int	sender_dependent(const char *, size_t);
static int	target(struct lint_node *, int);
static void	follow(struct spf_lint *, int, int, enum lint_via);

/* Is node i inside an include (so its all and exp= do not decide)? */
int
lint_in_include(const struct spf_lint *l, int i)
{
	for (; i > 0; i = l->nodes[i]->parent)
		if (l->nodes[i]->via == VIA_INCLUDE)
			return 1;
	return 0;
}

int
lint_first_all(const struct spf_record *rec)
{
	int	 i;

	for (i = 0; i < rec->nterms; i++)
		if (rec->terms[i].kind == T_ALL)
			return i;
	return -1;
}

/*
 * Does this one term parse?  -1 with the parser's reason if not: the
 * parser stops at a record's first error, the admin wants them all.
 */
int
lint_term_error(const char *term, size_t len, char *err, size_t errlen)
{
	struct spf_record	 rec;
	char			*buf;
	int			 r;

	if ((buf = malloc(len + 8)) == NULL) {
		(void)strlcpy(err, "out of memory", errlen);
		return -1;
	}
	memcpy(buf, "v=spf1 ", 7);
	memcpy(buf + 7, term, len);
	buf[len + 7] = '\0';
	r = record_parse(buf, len + 7, &rec, err, errlen);
	record_free(&rec);
	free(buf);
	return r;
}

/* A node's record is in: parse it and ask about its terms' targets. */
void
lint_process(struct spf_lint *l, int i)
{
	struct lint_node	*n = l->nodes[i];
	const struct spf_term	*t;
	struct lint_target	*g;
	int			 k, j, all, inc;

	n->processed = 1;
	if (n->txt != DNS_OK || n->nspf != 1)
		return;
	parse_record(n);
	if (!n->parsed)
		return;
	if ((n->targets = calloc(n->rec.nterms + 1, sizeof(*n->targets))) ==
	    NULL) {
		record_free(&n->rec);
		n->parsed = 0;
		(void)strlcpy(n->perr, "out of memory", sizeof(n->perr));
		return;
	}
	all = lint_first_all(&n->rec);
	inc = lint_in_include(l, i);
	for (k = 0; k < n->rec.nterms; k++) {
		t = &n->rec.terms[k];
		g = &n->targets[k];
		g->child = g->loop = -1;
		g->a = g->aaaa = g->mx = g->txt = DNS_UNASKED;
		for (j = 0; j < SPF_MAX_MX_NAMES; j++)
			g->mx_a[j] = g->mx_aaaa[j] = DNS_UNASKED;
		if (all != -1 && (k > all || t->kind == T_REDIRECT) &&
		    t->kind != T_EXP && t->kind != T_UNKNOWN_MOD) {
			/* never evaluated (5.1, 6.1) */
			g->skip = SKIP_UNREACHED;
			continue;
		}
		switch (t->kind) {
		case T_INCLUDE:
			follow(l, i, k, VIA_INCLUDE);
			break;
		case T_REDIRECT:
			follow(l, i, k, VIA_REDIRECT);
			break;
		case T_A:
			if (target(n, k) == 0 &&
			    (lint_ask(l, g->name, LQ_A, i, k, 0) == -1 ||
			    lint_ask(l, g->name, LQ_AAAA, i, k, 0) == -1))
				g->skip = SKIP_BUDGET;
			break;
		case T_MX:
			if (target(n, k) == 0 &&
			    lint_ask(l, g->name, LQ_MX, i, k, 0) == -1)
				g->skip = SKIP_BUDGET;
			break;
		case T_EXISTS:
			if (target(n, k) == 0 &&
			    lint_ask(l, g->name, LQ_A, i, k, 0) == -1)
				g->skip = SKIP_BUDGET;
			break;
		case T_EXP:
			/* an included record's explanation is never used */
			if (!inc && target(n, k) == 0 &&
			    lint_ask(l, g->name, LQ_EXP, i, k, 0) == -1)
				g->skip = SKIP_BUDGET;
			break;
		default:
			break;
		}
	}
}

/*
 * Parse the record; when it has syntax errors, parse what is left
 * without the bad terms, so the rest of the policy is still checked.
 */
static void
parse_record(struct lint_node *n)
{
	char	 err[200], *clean;
	size_t	 i, start, o = 6;

	if (record_parse(n->text, n->textlen, &n->rec, n->perr,
	    sizeof(n->perr)) == 0) {
		n->parsed = 1;
		return;
	}
	if ((clean = malloc(n->textlen + 1)) == NULL)
		return;
	memcpy(clean, "v=spf1", 6);
	for (i = 6; i < n->textlen;) {
		while (i < n->textlen && n->text[i] == ' ')
			i++;
		for (start = i; i < n->textlen && n->text[i] != ' '; i++)
			;
		if (i == start || lint_term_error(n->text + start, i - start,
		    err, sizeof(err)) == -1)
			continue;
		clean[o++] = ' ';
		memcpy(clean + o, n->text + start, i - start);
		o += i - start;
	}
	if (record_parse(clean, o, &n->rec, err, sizeof(err)) == 0)
		n->parsed = 2;
	free(clean);
}

/*
 * Macros the linter can expand are %{d} (the record's own domain) and
 * the escapes; any other letter is the sender's, the client's or the
 * receiver's.
 */
static int
sender_dependent(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '%')
			continue;
		if (s[i + 1] == '{' && i + 2 < len &&
		    tolower((unsigned char)s[i + 2]) != 'd')
			return 1;
		i++;
	}
	return 0;
}

/* Term k's target name into its slot: 0, or -1 if it is not checked. */
static int
target(struct lint_node *n, int k)
{
	const struct spf_term	*t = &n->rec.terms[k];
	struct lint_target	*g = &n->targets[k];
	struct macro_env	 env;
	struct spf_addr		 none;
	char			 sender[SPF_DOMAIN_LEN + 16];

	if (sender_dependent(n->rec.text + t->spec_off, t->spec_len)) {
		g->skip = SKIP_DYNAMIC;
		return -1;
	}
	memset(&env, 0, sizeof(env));
	memset(&none, 0, sizeof(none));
	none.af = AF_INET;
	(void)snprintf(sender, sizeof(sender), "postmaster@%s", n->domain);
	env.sender = sender;
	env.local = "postmaster";
	env.sender_domain = env.domain = env.helo = n->domain;
	env.ip = &none;
	if (record_target(&n->rec, t, n->domain, &env, g->name,
	    sizeof(g->name)) == -1) {
		g->skip = SKIP_INVALID;
		return -1;
	}
	return 0;
}

/* include: and redirect=: a new node, unless it would loop. */
static void
follow(struct spf_lint *l, int i, int k, enum lint_via via)
{
	struct lint_node	*n = l->nodes[i];
	struct lint_target	*g = &n->targets[k];
	int			 p;

	if (target(n, k) == -1)
		return;
	if (!domain_valid_initial(g->name)) {
		g->skip = SKIP_INVALID;
		return;
	}
	for (p = i; p != -1; p = l->nodes[p]->parent) {
		if (strcasecmp(l->nodes[p]->domain, g->name) == 0) {
			g->skip = SKIP_LOOP;
			g->loop = p;
			return;
		}
	}
	if (n->depth + 1 >= LINT_MAX_DEPTH)
		g->skip = SKIP_DEPTH;
	else if (l->dns.asked >= LINT_MAX_QUERIES)
		g->skip = SKIP_BUDGET;
	else if ((g->child = lint_add_node(l, i, k, via, g->name)) == -1)
		g->skip = SKIP_NODES;
}
