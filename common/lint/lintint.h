/*
 * lintint.h: what the four files of the linter share: lint.c (the DNS
 * walk), lintrecord.c (what to ask about a record), lintrules.c and
 * lintterms.c (the report).  Nothing else includes this.
 *
 * The walk only gathers facts: every record of the include tree and
 * what each term's target has in DNS.  The rules run once, after every
 * answer is in, over the tree in evaluation order, so the report does
 * not depend on the order the answers came back in.
 */
#ifndef LINTINT_H
#define LINTINT_H

#include <sys/queue.h>

#include <time.h>

#include "spfint.h"
#include "spflint.h"

#define LINT_MAX_NODES		64	/* records fetched for one domain */
#define LINT_MAX_DEPTH		11	/* deeper needs over 10 lookups */
#define LINT_MAX_QUERIES	600	/* DNS lookups for one domain */
#define LINT_MAX_FINDINGS	200
#define LINT_RECORD_SIZE	450	/* RFC 7208 3.4 */
#define LINT_UDP_SIZE		512

/* The questions the walk asks, and where each answer goes. */
enum lq_kind {
	LQ_TXT,			/* a node's record */
	LQ_A,
	LQ_AAAA,
	LQ_MX,
	LQ_MX_A,		/* an MX host's addresses */
	LQ_MX_AAAA,
	LQ_EXP			/* the exp= target's TXT */
};

/* How a record was reached. */
enum lint_via {
	VIA_TOP,
	VIA_INCLUDE,
	VIA_REDIRECT
};

/* Why a term's target was not looked at. */
enum lint_skip {
	SKIP_NONE,
	SKIP_DYNAMIC,		/* depends on the sender or client */
	SKIP_INVALID,		/* expands to no usable domain name */
	SKIP_LOOP,		/* already on the chain above */
	SKIP_DEPTH,
	SKIP_NODES,
	SKIP_BUDGET,		/* LINT_MAX_QUERIES spent */
	SKIP_UNREACHED		/* after all, or a redirect beside all */
};

/*
 * The DNS facts about one term's target.  Each answer slot is
 * DNS_UNASKED, DNS_PENDING, or what lookup.c answered: DNS_OK means
 * there are records (lookup.c tells DNS_NODATA apart).
 */
struct lint_target {
	char		 name[SPF_DOMAIN_LEN];
	enum lint_skip	 skip;
	int		 child;		/* include/redirect: its node, or -1 */
	int		 loop;		/* SKIP_LOOP: the node it returns to */
	enum dns_status a, aaaa, mx, txt;
	int		 ntxt;		/* exp=: TXT records at the target */
	int		 exp_bad;	/* exp=: not an explain-string */
	int		 nmx;
	int		 mx_toomany;
	int		 mx_asked;
	char		*mxhost[SPF_MAX_MX_NAMES];
	enum dns_status mx_a[SPF_MAX_MX_NAMES], mx_aaaa[SPF_MAX_MX_NAMES];
};

/* One record of the tree (or the lack of one). */
struct lint_node {
	int		 parent;	/* -1 for the domain itself */
	int		 pterm;		/* the parent's term that led here */
	int		 depth;
	enum lint_via	 via;
	char		 domain[SPF_DOMAIN_LEN];
	enum dns_status txt;		/* DNS_OK: it has TXT records */
	enum spf_dnssec	 dnssec;	/* of the TXT answer */
	size_t		 answer_len;	/* octets of the TXT answer */
	int		 nspf;		/* SPF records at the name */
	char		*text;		/* the least of them: RRsets rotate */
	size_t		 textlen;
	char		*lookalike;	/* a TXT record that nearly is one */
	int		 senderid;	/* an "spf2.0" record is there */
	int		 processed;
	int		 parsed;	/* 1 whole, 2 without its bad terms */
	char		 perr[200];	/* the whole record's syntax error */
	struct spf_record rec;
	struct lint_target *targets;	/* one per term of rec */
	char		 path[SPF_LINT_PATH_LEN];
};

struct spf_lint {
	struct spf_checker	*checker;
	spf_lint_fn		*done;
	void			*arg;
	struct event		*ev_step;
	struct lookup_set	 dns;
	int			 finished;
	struct lint_node	*nodes[LINT_MAX_NODES];
	int			 nnodes;
	struct timespec		 started;
	/* the report, built by lint_rules() */
	struct spf_lint_report	 report;
	struct spf_lint_record	*records;
	struct spf_lint_finding	*findings;
};

/* The walk of lintrules.c over the finished tree. */
struct lint_walk {
	struct spf_lint	*l;
	int		 used;		/* DNS-querying terms so far */
	int		 void4, void6;	/* void lookups, per client family */
	int		 exact;
	int		 over_node, over_term;	/* where the 11th lookup is */
	int		 quiet;		/* inside a record reported before */
	int		 reserve;	/* findings kept for the totals */
	int		 rec_of[LINT_MAX_NODES];
};

/* lint.c: the DNS walk */
int	 lint_ask(struct spf_lint *, const char *, enum lq_kind, int, int,
	    int);
int	 lint_add_node(struct spf_lint *, int, int, enum lint_via,
	    const char *);

/* lintrecord.c: what to ask about a record */
void	 lint_process(struct spf_lint *, int);
int	 lint_in_include(const struct spf_lint *, int);
int	 lint_first_all(const struct spf_record *);
int	 lint_term_error(const char *, size_t, char *, size_t);

/* lintrules.c: the report */
int	 lint_rules(struct spf_lint *);
void	 lint_add(struct lint_walk *, int, int, enum spf_lint_severity,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 6, 7)));
const char *lint_tstr(const struct lint_node *, int, char *, size_t);
const char *lint_answer_str(enum dns_status);

/* lintterms.c: each kind of term */
int	 lint_dynamic_checks(struct lint_walk *, int, int);
void	 lint_all_checks(struct lint_walk *, int, int);
void	 lint_a_checks(struct lint_walk *, int, int);
void	 lint_mx_checks(struct lint_walk *, int, int);
void	 lint_exists_checks(struct lint_walk *, int, int);
void	 lint_net_checks(struct lint_walk *, int, int);
void	 lint_exp_checks(struct lint_walk *, int, int);

#endif /* LINTINT_H */
