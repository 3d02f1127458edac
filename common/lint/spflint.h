/*
 * spflint.h: "spfgate lint", a published policy checked.  Only the
 * lint front end (filter/lint.c) includes this; spf.h is about
 * checking mail.
 *
 * spf_lint_start() fetches the domain's SPF record and every record it
 * includes or redirects to, and the targets of its a, mx and exists
 * terms, through the checker's resolver, all in the caller's event
 * loop; then calls done exactly once, from the loop (never from inside
 * spf_lint_start), with the report, unless spf_lint_cancel() came first.
 * The report and everything it points to live until done returns.
 * Cancel every lint before spf_checker_free().  The checker's timeout
 * bounds the whole lint; what has not been answered by then is
 * reported as a DNS error.
 */
#ifndef SPFLINT_H
#define SPFLINT_H

#include "spf.h"

#define SPF_LINT_PATH_LEN	1024

enum spf_lint_severity {
	SPF_LINT_INFO,
	SPF_LINT_WARNING,
	SPF_LINT_ERROR
};

/* One finding: where (the path of includes to the record) and why. */
struct spf_lint_finding {
	enum spf_lint_severity severity;
	const char	*code;		/* stable name, e.g. "too-many-lookups" */
	char		 path[SPF_LINT_PATH_LEN];  /* "a.example > include:b" */
	char		 domain[SPF_DOMAIN_LEN];  /* the record's owner */
	char		 term[SPF_TERM_LEN];	/* the term as written, or "" */
	char		 message[2 * SPF_LINT_PATH_LEN];
};

/* One record of the include tree, in evaluation order. */
struct spf_lint_record {
	int		 depth;		/* 0 for the domain itself */
	char		 via[SPF_DOMAIN_LEN + 16]; /* "include:d", "redirect=d", "" */
	char		 domain[SPF_DOMAIN_LEN];
	char		 path[SPF_LINT_PATH_LEN];
	const char	*text;		/* the SPF record, NULL if none */
	const char	*missing;	/* why there is none, when there is none */
	int		 spf_records;	/* SPF records the name has */
	int		 lookups;	/* DNS-querying terms here and below */
	enum spf_dnssec	 dnssec;
	int		 answer_octets;	/* the TXT answer, 0 if none */
};

struct spf_lint_report {
	char		 domain[SPF_DOMAIN_LEN];
	const struct spf_lint_record *records;
	int		 nrecords;
	const struct spf_lint_finding *findings;
	int		 nfindings;
	int		 errors, warnings, infos;
	int		 lookups;	/* DNS-querying terms when none matches */
	int		 lookups_exact;	/* 0: some depend on the sender */
	int		 void_lookups;	/* the worse of the two below */
	int		 void_lookups_ipv4, void_lookups_ipv6;
	int		 void_limit;
	char		 worst_path[SPF_LINT_PATH_LEN];	/* heaviest branch */
	int		 queries;
	long		 elapsed_ms;
};

struct spf_lint;
typedef void	spf_lint_fn(const struct spf_lint_report *, void *);

/* NULL with err if domain is not a domain name or memory ran out. */
struct spf_lint	*spf_lint_start(struct spf_checker *, const char *domain,
		    spf_lint_fn *, void *, char *err, size_t errlen);
void		 spf_lint_cancel(struct spf_lint *);
const char	*spf_lint_severity_str(enum spf_lint_severity);

#endif /* SPFLINT_H */
