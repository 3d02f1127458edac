/*
 * spfint.h: what the files of common/ share among themselves.
 * Nothing outside common/ includes this.
 */
#ifndef SPFINT_H
#define SPFINT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "spf.h"

/* RFC 7208 4.6.4 */
#define SPF_MAX_DNS_TERMS	SPF_LOOKUP_LIMIT
#define SPF_MAX_MX_NAMES	10
#define SPF_MAX_PTR_NAMES	10
#define SPF_DEFAULT_VOID	2
/* An SPF record lives in one TXT RRset, so it cannot exceed 64 KiB. */
#define SPF_RECORD_MAX		65535
/* Longest sender evaluated: far beyond SMTP's 256-octet path. */
#define SPF_SENDER_MAX		4096
/* RRs in one section of a message: its count is 16 bits. */
#define DNS_MAX_RRS		65535
/* Longest CNAME chain we follow inside one answer. */
#define DNS_MAX_CHAIN		16
/* Presentation form of a wire name: 255 octets, each up to \DDD. */
#define DNS_NAME_TEXT		(255 * 4 + 1)

/* config.c: the "skip" networks */
int	 spf_net_parse(const char *, struct spf_net *);
int	 spf_net_contains(const struct spf_net *, int, const unsigned char *);

/* result.c: the names back to values, -1 for none */
int	 spf_code_parse(const char *);
int	 spf_action_parse(const char *);

/* sbuf.c: the one bounded string builder */
#define SBUF_PRINTF_MAX	256	/* one sbuf_printf: short things only */

struct sbuf {
	char	*buf;
	size_t	 cap;		/* includes the NUL */
	size_t	 len;		/* octets produced, kept or not */
	size_t	 skip;		/* octets to drop from the front */
	size_t	 max;		/* growing: cap may reach this; 0 fixed */
	int	 failed;	/* growing ran out of memory */
	int	 cut;		/* an sbuf_printf beyond SBUF_PRINTF_MAX */
};

void	 sbuf_fixed(struct sbuf *, char *, size_t);
void	 sbuf_growing(struct sbuf *, size_t);
void	 sbuf_free(struct sbuf *);
/* sbuf_put's every other case: a skip, a growth, a cut. */
void	 sbuf_put_slow(struct sbuf *, const char *, size_t);
/*
 * Keep what fits of p[0..n), count all of it.  Inline: a JSON result
 * is some 150 puts, most of a few octets, and a call each cost 37
 * instructions beside the copy (callgrind).
 */
static inline void
sbuf_put(struct sbuf *sb, const char *p, size_t n)
{
	/* the common case: no skip, and it fits beside the NUL */
	if (sb->skip == 0 && sb->len < sb->cap && n < sb->cap - sb->len) {
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
	} else
		sbuf_put_slow(sb, p, n);
}
/* A string: inline too, so a constant's length and copy are known. */
static inline void
sbuf_puts(struct sbuf *sb, const char *s)
{
	sbuf_put(sb, s, strlen(s));
}
void	 sbuf_printf(struct sbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	 sbuf_len(const struct sbuf *);
/*
 * Forget what was produced after the first len octets, as if it never
 * was (an sbuf without skip); back to empty, a cut printf is forgotten
 * too, else it still shows.
 */
void	 sbuf_rewind(struct sbuf *, size_t);
/* Is everything produced in the buffer, with room for the NUL? */
int	 sbuf_whole(const struct sbuf *);
/* NUL-terminate: the length, or -1 with "" if the text is not whole. */
int	 sbuf_finish(struct sbuf *);
/* NUL-terminate what was kept, whole or not (as strlcat): its length. */
int	 sbuf_finish_cut(struct sbuf *);
/* A number in decimal. */
void	 sbuf_putint(struct sbuf *, long);

/* utf8.c */
/* Octets in the well-formed UTF-8 sequence at s (1 for ASCII), or 0. */
int	 utf8_len(const unsigned char *);
/* Is s well-formed UTF-8 throughout? */
int	 utf8_valid(const char *);
/* Is s ASCII throughout? */
int	 utf8_ascii(const char *);

/* json.c */
void	 json_string(struct sbuf *, const char *);
/* Append s as a JSON string to buf at *off: 0, or -1 if it did not fit. */
int	 spf_json_string(char *, size_t, size_t *, const char *);

/* addr.c */
struct spf_addr {
	int		 af;		/* AF_INET (also for v4-mapped) or AF_INET6 */
	unsigned char	 a[16];
};
int	 addr_parse(const char *, struct spf_addr *);
int	 addr_in_net(const struct spf_addr *, const unsigned char *, int);
int	 addr_equal(const struct spf_addr *, int, const unsigned char *);
void	 addr_text(const struct spf_addr *, char *, size_t);
void	 addr_dotted(const struct spf_addr *, char *, size_t);
void	 addr_reverse_name(const struct spf_addr *, char *, size_t);

/*
 * header.c: the fields into an sbuf, after what it holds.  A field is
 * made compact as its public form (spf.h) would be in a buffer of len;
 * each returns its length, or -1 with nothing added if it cannot fit.
 */
int	 header_received_spf(struct sbuf *, const struct spf_result *,
	    const struct spf_config *, size_t);
int	 header_authres_method(struct sbuf *, const struct spf_result *,
	    size_t);
/* "Authentication-Results: authserv-id; " */
void	 header_authres_prefix(struct sbuf *, const struct spf_config *);
/* spf_log_line's text, whatever its length. */
void	 header_log_line(struct sbuf *, const struct spf_result *);

/* verdict.c: the fields and reply, v's parts filled in */
void	 verdict_compose(struct spf_verdict *, const struct spf_config *);
/* The result of an identity not evaluated, as spf_verdict_unchecked. */
void	 verdict_result_unchecked(const struct spf_config *, enum spf_code,
	    const char *, const char *, const char *, const char *,
	    struct spf_result *);

/* policy.c */
void	 policy_config_init(struct spf_config *);
/* 1 if key is one of policy.c's and was set, 0 if not one, -1 bad */
int	 policy_config_set(struct spf_config *, const char *, const char *);
int	 policy_is_keyword(const char *);
int	 policy_is_list(const char *);
void	 policy_clear_list(struct spf_config *, const char *);
/* "ptr:D", "helo:N", "spf:D": 0, or -1 if not one of those */
int	 policy_skip_name(struct spf_config *, const char *);
/* The action for a mail-from result of domain, domain-policy first. */
enum spf_action policy_mailfrom_action(const struct spf_config *,
	    enum spf_code, const char *);
/* Take the query's trace away from it: freed with trace_release. */
struct spf_trace *query_take_trace(struct spf_query *);
void	 trace_release(struct spf_trace *);
/* Evaluate text instead of the top domain's published record. */
int	 query_given_record(struct spf_query *, const char *);

/* domain.c */
int	 domain_valid_initial(const char *);
int	 domain_valid_query(const char *);
int	 domain_spec_end_ok(const char *, size_t);
int	 domain_within(const char *, const char *);
int	 domain_query_text(const char *, char *, size_t);
void	 domain_strip_dot(char *);

/* record.c: one SPF record parsed into a plain array of terms */
enum term_kind {
	T_ALL,
	T_INCLUDE,
	T_A,
	T_MX,
	T_PTR,
	T_IP4,
	T_IP6,
	T_EXISTS,
	T_REDIRECT,
	T_EXP,
	T_UNKNOWN_MOD
};

struct spf_term {
	enum term_kind	 kind;
	char		 qualifier;	/* + - ~ ? */
	uint16_t	 off, len;	/* the term as written */
	uint16_t	 spec_off, spec_len;	/* domain-spec, len 0 if none */
	uint8_t		 cidr4, cidr6;
	uint8_t		 uses_p;	/* spec has a %{p} macro */
	uint8_t		 literal;	/* LIT_ bits */
	unsigned char	 net[16];	/* ip4 / ip6 network */
};
/*
 * A domain-spec without a macro is its own target (less a trailing
 * dot), valid or not whatever the evaluation: record_parse says which.
 */
#define LIT_PLAIN	0x01	/* no macro, 253 octets at most */
#define LIT_QUERY	0x02	/* a name a question can be asked about */
#define LIT_INITIAL	0x04	/* valid as check_host()'s <domain> */

struct spf_record {
	char		*text;		/* owned, NUL-terminated copy */
	size_t		 len;
	struct spf_term	*terms;
	int		 nterms;
	int		 redirect;	/* term index or -1 */
	int		 exp;		/* term index or -1 */
};

/* What a TXT record at a policy's name is (4.5), for the linter. */
enum txt_kind {
	TXT_SPF,		/* "v=spf1" alone or before a space */
	TXT_SENDERID,		/* "spf2.0", RFC 4406's */
	TXT_LOOKALIKE,		/* meant to be SPF, but not */
	TXT_OTHER
};

int	 record_is_spf(const char *, size_t);
enum txt_kind record_txt_kind(const char *, size_t);
struct macro_env;
/*
 * A term's target-name (4.8): its domain-spec expanded in env, or the
 * record's domain if it has none (env is not read then, nor for a
 * domain-spec without macros).  -1 if that is not a name a question
 * can be asked about.
 */
int	 record_target(const struct spf_record *, const struct spf_term *,
	    const char *, const struct macro_env *, char *, size_t);
int	 record_parse(const char *, size_t, struct spf_record *, char *,
	    size_t);
void	 record_free(struct spf_record *);
const char *term_kind_str(enum term_kind);

/* macro.c */
struct macro_env {
	const char		*sender;	/* local@domain, never empty */
	const char		*local;
	const char		*sender_domain;
	const char		*domain;	/* the current <domain> */
	const char		*helo;
	const struct spf_addr	*ip;
	const char		*validated;	/* %{p}, NULL if not known */
	const char		*receiver;
	time_t			 now;
};

#define MACRO_EXPLAIN	0x01	/* explain-string: c r t and spaces allowed */
#define MACRO_DOMAIN	0x02	/* a domain: trailing dot off, 253 octets */

int	 macro_check(const char *, size_t, int, int *);
/* The letters a checked macro-string uses: bit (l - 'a'), lower case. */
unsigned int macro_letters(const char *, size_t, int);
#define MACRO_LETTER(c)	(1U << ((c) - 'a'))
int	 macro_expand(const char *, size_t, int, const struct macro_env *,
	    char *, size_t);

/* dnsmsg.c: the answers of a wire-format DNS message, CNAMEs followed */
#define DNS_T_A		1
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_CNAME	5
#define DNS_T_DNSKEY	48
#define DNS_T_SOA	6

/* One record of a decoded answer (cache.c). */
struct dns_rr {
	const char	*data;	/* TXT or name text, NUL-ended; A/AAAA octets */
	size_t		 len;
	int		 pref;	/* MX preference */
};

struct dns_iter {
	const unsigned char	*pkt;
	size_t			 len;
	int			 qtype;
	int			 rcode;
	size_t			 answers;	/* offset of the answer section */
	int			 ancount;
	int			 next;		/* answer RRs consumed */
	size_t			 off;
	unsigned char		 owner[256];	/* lower-case wire name */
	size_t			 ownerlen;
	const struct dns_rr	*rrs;		/* a decoded answer, or NULL */
	int			 nrrs;
};

int	 dns_iter_init(struct dns_iter *, const unsigned char *, size_t, int);
/*
 * Next RR of the asked type at the end of the CNAME chain: 1 with its
 * rdata decoded into buf (TXT strings joined, A/AAAA raw octets, MX and
 * PTR names in presentation form), 0 at the end, -1 on a malformed
 * message.  *outlen is the octets written; for MX *pref gets the
 * preference.
 */
int	 dns_iter_next(struct dns_iter *, char *, size_t, size_t *, int *);
/*
 * How many RRs dns_iter_next would give, without decoding them and
 * without moving the iterator; -1 if the message is malformed there
 * (A and AAAA are checked whole, other data only in its framing).
 */
int	 dns_iter_count(const struct dns_iter *);
/* The same iterator over the n records of a decoded answer. */
void	 dns_iter_rrs(struct dns_iter *, const struct dns_rr *, int, int);
int	 dns_msg_ttl(const unsigned char *, size_t, int, uint32_t *);
const char *dns_type_str(int);

/* resolver.c: libunbound in the caller's libevent loop */
enum dns_status {
	DNS_OK,
	DNS_NODATA,
	DNS_NXDOMAIN,
	DNS_ERROR,
	DNS_BOGUS,
	/* never from the resolver: lookup.c's, and the linter's slots */
	DNS_TIMEOUT,		/* no answer within the time allowed */
	DNS_UNASKED,
	DNS_PENDING
};

/*
 * masterfile.c.  The origin of a master file: its $ORIGIN, or the owner
 * of its SOA record, which is what an auth-zone must be named; -1 with
 * "zone PATH: why" in err.
 */
int		 zone_origin(const char *path, char *out, size_t outlen,
		    char *err, size_t errlen);
/*
 * The owner of the first record of a trust anchor file, with $ORIGIN
 * and relative names as libunbound reads them; -1 if there is none.
 */
int		 anchor_zone(const char *path, char *out, size_t outlen);
/*
 * A master-file line's first field, tok, strtok_r's state in save
 * (RFC 1035 5.1): $ORIGIN sets origin and another $ directive is
 * skipped (0); a record's owner goes into out, cut to outlen (1): "@"
 * the origin, an absolute name as it is, a relative one under the
 * origin ("." is the root).
 */
int		 master_field(const char *tok, char **save, char *origin,
		    size_t originlen, char *out, size_t outlen);

struct resolver;
/* sec as libunbound gives it: 0 insecure/unchecked, 1 bogus, 2 secure */
typedef void	resolver_fn(void *, enum dns_status, const unsigned char *,
		    size_t, int, const char *);
struct resolver_cb {
	resolver_fn	*fn;
	void		*arg;
};

struct resolver *resolver_new(const struct spf_config *, struct event_base *,
	    int, char *, size_t);
int	 resolver_probe(struct resolver *, struct event_base *, int, char *,
	    size_t);
void	 resolver_set_describe(struct resolver *, const char *);
void	 resolver_free(struct resolver *);
/*
 * Ask name/type.  The callback may run before this returns (libunbound
 * answers local data and cache hits at once).  Returns 0, having
 * stored an id for resolver_cancel() in *id (0 if answered at once), or
 * -1 if the question could not be asked (no callback then).
 */
int	 resolver_query(struct resolver *, const char *, int,
	    struct resolver_cb *, int *);
void	 resolver_cancel(struct resolver *, int);
int	 resolver_validating(const struct resolver *);
const char *resolver_describe(const struct resolver *);

/*
 * dnssecstate.c: the probe's verdict in cfg->dnssec_state, shared by
 * the processes of one MTA.  dnssec_state_read returns 1 with the
 * reason and its expiry if a valid "cannot validate" verdict for this
 * config is recorded, else 0 (no file, none configured, malformed,
 * expired, not ours).  dnssec_state_write records one for the
 * configured lifetime: 0, or -1 with err.
 */
int	 dnssec_state_read(const struct spf_config *, char *, size_t,
	    time_t *);
int	 dnssec_state_write(const struct spf_config *, const char *, char *,
	    size_t);

/*
 * cache.c: answers decoded once, kept for their TTL (RFC 2308), shared
 * by every lookup of a checker.  An answer is what lookup.c's handlers
 * read: its records decoded and, for TXT, the SPF record among them
 * parsed.  The fields above the line are read by anyone holding one.
 */
struct answer {
	enum dns_status	 status;	/* DNS_OK, DNS_NODATA or DNS_NXDOMAIN */
	int		 type;
	int		 sec;		/* as libunbound's: 0 or 2, never 1 */
	size_t		 pktlen;	/* octets of the message it came in */
	int		 nrr;
	struct dns_rr	*rr;
	/* TXT: how many SPF records (4.5); the one parsed, or why not */
	int		 spf_count;
	struct spf_record spf;
	char		*spf_err;
	/* cache.c's own */
	struct answer	*chain;		/* in its bucket */
	uint32_t	 hash;
	TAILQ_ENTRY(answer) lru;
	const char	*key;		/* lower case, no final dot */
	int		 refs;
	int		 cached;
	int		 ttl;		/* seconds; 0: not to be kept */
	int64_t		 expires;	/* monotonic ms */
	size_t		 cost;		/* octets counted against the bound */
};

struct cache;
/* A cache of at most max octets (0: nothing is kept); NULL no memory. */
struct cache *cache_new(size_t);
void	 cache_free(struct cache *);
/* The live answer for key/type, held for the caller, or NULL. */
struct answer *cache_get(struct cache *, const char *, int);
/*
 * Decode what libunbound gave for key/type (status as resolver.c's,
 * sec as libunbound's): a held answer, or NULL for an error status, no
 * memory, or a malformed message (then *malformed is 1).
 */
struct answer *answer_new(struct cache *, const char *, int,
	    enum dns_status, const unsigned char *, size_t, int, int *);
/* Keep a for its TTL if it may be kept (the cache holds it then). */
void	 cache_put(struct cache *, struct answer *);
int	 cache_entries(const struct cache *);
struct answer *answer_hold(struct answer *);
/* Let go; the last holder frees it.  NULL is ignored. */
void	 answer_release(struct answer *);

/* trace.c: a bounded log of one evaluation, for --explain */
struct spf_trace {
	struct sbuf	 sb;		/* lines, '\n' ended; zero until used */
	int		 truncated;
};
void	 trace_add(struct spf_trace *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * trace_add to a query's trace, if it keeps one: otherwise neither the
 * call nor its arguments (15 of them an evaluation, between terms).
 */
#define QUERY_TRACE(q, ...) do {					\
	if ((q)->trace != NULL)						\
		trace_add((q)->trace, __VA_ARGS__);			\
} while (0)
void	 trace_free(struct spf_trace *);

/*
 * lookup.c: the DNS questions of one evaluation or one lint, and what
 * RFC 7208 4.6.4 counts.  A handler gets owner.arg, the arg given with
 * the question, the lookup (NULL if no question went out) and the
 * answer; the iterator is NULL unless the status is DNS_OK, which
 * then has records of the type asked (or is malformed past the
 * header: the iterator will say so).  An answer without them is
 * DNS_NODATA.
 */
struct lookup;
struct lookup_hub;
TAILQ_HEAD(lookup_list, lookup);
typedef void	lookup_fn(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);

/* Where a lookup's answer came from. */
enum lookup_origin {
	LOOKUP_ASKED,		/* its own question to libunbound */
	LOOKUP_SHARED,		/* another lookup's question, in flight */
	LOOKUP_CACHED		/* the checker's cache (cache.c) */
};

struct lookup_owner {
	void		*arg;
	/* after each answer's handler, with libunbound's why; may be NULL */
	void		(*seen)(void *, const struct lookup *, enum dns_status,
			    struct dns_iter *, const char *);
	/* the time is up; the first lookup still outstanding, or NULL */
	void		(*expired)(void *, const struct lookup *);
};

struct lookup_set {
	struct lookup_hub	*hub;
	struct resolver		*resolver;
	struct event		*ev_timeout;
	struct lookup_list	 lookups;
	struct lookup_owner	 owner;
	int			 max_queries;	/* of asked; 0: no limit */
	int			 pending;	/* asked, not answered */
	int			 asked;		/* lookups in all */
	int			 queries;	/* of them put to libunbound */
	int			 cached;	/* of them from the cache */
	int			 timed_out;	/* lookup_abandon() was called */
	int			 sec_insecure, sec_bogus, sec_secure;
};

/*
 * The checker's one hub: its resolver, its answer cache of cache_bytes
 * octets (cache.c) and the questions in flight, at most max_questions
 * of them out at libunbound at once (0: no bound), the rest queued and
 * put out from an event on base.  Freed after every set.
 */
struct lookup_hub *lookup_hub_new(struct resolver *, struct event_base *,
	    size_t, int);
void	 lookup_hub_free(struct lookup_hub *);
struct resolver *lookup_hub_resolver(const struct lookup_hub *);
/* The resolver was replaced (before any question was asked). */
void	 lookup_hub_set_resolver(struct lookup_hub *, struct resolver *);
/* Start the set's timer; 0, or -1 (then only lookup_free). */
int	 lookup_init(struct lookup_set *, struct lookup_hub *,
	    struct event_base *, int, const struct lookup_owner *);
/*
 * Ask name/type; the handler gets the answer once, possibly before this
 * returns (always so for a cached one).  -1, and no handler call, only
 * past max_queries.
 */
int	 lookup_ask(struct lookup_set *, const char *, int, lookup_fn *,
	    void *);
/* Answer what is outstanding, and every later question, DNS_TIMEOUT. */
void	 lookup_abandon(struct lookup_set *);
/* Free the lookups answered so far (from the owner's step). */
void	 lookup_reap(struct lookup_set *);
/* Cancel what is outstanding, free every lookup, stop the timer. */
void	 lookup_release(struct lookup_set *);
/* lookup_release, and free the timer; the set may be all zero. */
void	 lookup_free(struct lookup_set *);
const char *lookup_name(const struct lookup *);	/* "" for NULL */
int	 lookup_type(const struct lookup *);
/* octets of the answer, 0 unless DNS_OK or NODATA, or for NULL */
size_t	 lookup_size(const struct lookup *);
enum lookup_origin lookup_origin(const struct lookup *);
/* Was its DNS_ERROR a message our decoder refused? */
int	 lookup_malformed(const struct lookup *);
/* The decoded answer, while the handler runs (NULL unless OK or void). */
const struct answer *lookup_answer(const struct lookup *);
/* one answered lookup's DNSSEC status */
enum spf_dnssec lookup_dnssec(const struct lookup *);
/* the DNSSEC status of an answer (sec as libunbound's) on this set */
enum spf_dnssec lookup_dnssec_of(const struct lookup_set *, enum dns_status,
	    int);
/* of every answer the set got: a bogus, then an insecure one decides */
enum spf_dnssec lookup_set_dnssec(const struct lookup_set *);
/* Does this kind of term count against the limit of ten (4.6.4)? */
int	 lookup_term_counts(enum term_kind);
/* Is this answer a void lookup (4.6.4): no such name, or no data? */
int	 lookup_void(enum dns_status);

/*
 * idn.c: internationalized mail (RFC 8616 4).  idn_alabels writes the
 * A-label form of a name (IDNA2008 through libidn2, with UTS 46
 * non-transitional mapping: lower case, NFC) into out: 0, or -1 with
 * why ("not valid UTF-8", what IDNA2008 refuses).  An ASCII name is
 * copied as it is: RFC 7208 alone judges it.
 */
int	 idn_alabels(const char *, char *, size_t, char *, size_t);
struct spf_query;
struct frame;
struct spf_term;
/*
 * Put the query's names in the form DNS needs: the sender's domain and
 * the HELO name as A-labels, and what cannot be used in a macro noted.
 * -1 with why when the identity's domain has no A-label form.
 */
int	 idn_query_names(struct spf_query *, char *, size_t);
/*
 * Does the term use a macro whose value cannot go to DNS (a non-ASCII
 * local-part's %{s} or %{l}, a HELO name without an A-label form's
 * %{h})?  Then it matches nothing (RFC 8616 4): 1, traced, else 0.
 */
int	 idn_term_skipped(struct spf_query *, const struct frame *,
	    const struct spf_term *);

/* eval.c, evalmech.c, exp.c: check_host() as continuations */
enum term_outcome {
	TERM_NOMATCH,
	TERM_MATCH,
	TERM_WAIT,		/* lookups outstanding; step again later */
	TERM_ERROR		/* q->code and q->problem set */
};

struct frame {
	struct frame	*parent;	/* the include that brought us here */
	char		 domain[SPF_DOMAIN_LEN];
	struct spf_record rec;		/* owned, or the held answer's */
	struct answer	*answer;	/* held while rec is its */
	int		 have_rec;
	int		 pos;		/* term being evaluated */
	int		 phase;		/* that term's progress */
	int		 depth;
	int		 redirected;	/* reached by redirect= */
};

/* The answers a term waits for, gathered by the DNS callbacks. */
struct term_state {
	int		 matched;
	int		 error;		/* a DNS error was seen */
	int		 bogus;
	enum dns_status	 status;	/* of the term's own query */
	int		 nnames;
	int		 toomany;
	char		*errname;	/* what failed, for the problem */
	char		*text;		/* the SPF record or explanation */
	size_t		 textlen;
	struct answer	*answer;	/* held: its SPF record, parsed */
	int		 count;		/* records of that kind seen */
	/* ts_reset zeroes what is above */
	char		*names[SPF_MAX_PTR_NAMES];	/* [0, nnames) are set */
	char		 target[SPF_DOMAIN_LEN];
};

enum p_state {
	P_UNKNOWN,
	P_PTR,		/* the PTR question is out */
	P_CONFIRM,	/* the names' address questions are out */
	P_KNOWN
};

struct spf_query {
	struct spf_checker	*checker;
	spf_done_fn		*done;
	void			*arg;
	struct event		*ev_step;
	struct lookup_set	 dns;
	struct frame		*frame;		/* innermost */
	struct spf_addr		 ip;
	char			 client_ip[SPF_ADDR_LEN];	/* ip, as text */
	char			*sender;	/* local@domain */
	char			*local;		/* in sender_given's */
	char			*sender_domain;
	char			*helo;		/* as given, in sender_given's */
	char			*helo_alabels;	/* NULL: has none */
	unsigned int		 unusable;	/* MACRO_LETTERs not for DNS */
	char			*sender_given;	/* allocated */
	enum spf_identity	 identity;
	int			 lookups_used;
	int			 voids;
	struct term_state	 ts;
	enum p_state		 p_state;
	enum dns_status		 p_status;	/* of the PTR question */
	char			*p_names[SPF_MAX_PTR_NAMES];
	int			 p_nnames;
	int			 p_valid[SPF_MAX_PTR_NAMES];
	/* the end of the evaluation */
	int			 finished;
	int			 in_exp;	/* fetching the explanation */
	enum spf_code		 code;
	/*
	 * The term that decided, mechanism_len octets: in the cached
	 * record mech_answer holds, or in mech_own, or "default".
	 */
	const char		*mechanism;
	size_t			 mechanism_len;
	struct answer		*mech_answer;
	char			*mech_own;
	/* allocated when set: most of an evaluation needs none of them */
	char			*problem;
	char			*explanation;
	int			 exp_phase;
	int			 delivering;
	struct timespec		 started;
	struct spf_trace	*trace;
	char			*given_record;	/* instead of the TXT */
	LIST_ENTRY(spf_query)	 entry;
};

#define CHECKER_SPARES	64	/* of each kind kept for reuse, at most */

struct spf_checker {
	struct spf_config	 cfg;
	struct event_base	*base;
	struct resolver		*resolver;
	struct lookup_hub	*hub;		/* cache and flights */
	int			 inflight;
	LIST_HEAD(, spf_query)	 queries;
	char			*txtbuf;	/* SPF_RECORD_MAX + 1 */
	char			 notice[512];	/* for the wrapper's log */
	/*
	 * What the messages and queries gave back, for the next ones:
	 * results (2 KiB each, beyond malloc's fast path), and messages
	 * and queries with their events (making and freeing those cost
	 * 1,500 instructions a message).
	 */
	struct spf_result	*spare[CHECKER_SPARES];
	int			 nspare;
	struct spf_message	*spare_messages[CHECKER_SPARES];
	int			 nspare_messages;
	struct spf_query	*spare_queries[CHECKER_SPARES];
	int			 nspare_queries;
	struct frame		*spare_frames[CHECKER_SPARES];
	int			 nspare_frames;
};

/* eval.c */
void	 eval_start(struct spf_query *);
void	 eval_schedule(struct spf_query *);
void	 eval_finish(struct spf_query *, enum spf_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 eval_macro_env(struct spf_query *, const char *, struct macro_env *);
int	 eval_expand_target(struct spf_query *, struct frame *,
	    const struct spf_term *, char *, size_t);
int	 eval_count_lookup(struct spf_query *, struct frame *,
	    const struct spf_term *);
int	 eval_count_void(struct spf_query *, struct frame *, const char *);
void	 eval_release(struct spf_query *);
/* A zeroed frame, a spare of the checker's if it has one; NULL. */
struct frame *eval_frame_new(struct spf_checker *);
/* A frame whose record is dropped, back to the checker or freed. */
void	 eval_frame_free(struct spf_checker *, struct frame *);
void	 eval_txt_answer(struct spf_query *, enum dns_status,
	    struct dns_iter *, int (*)(const char *, size_t));

/* evalmech.c */
enum term_outcome mech_eval(struct spf_query *, struct frame *,
	    const struct spf_term *);
void	 ts_reset(struct term_state *);
int	 p_resolve(struct spf_query *);

/* exp.c: the exp= modifier */
void	 exp_start(struct spf_query *);
void	 exp_step(struct spf_query *);
void	 exp_default(struct spf_query *);

/* checker.c */
/* addr_text of a, given the text addr_parse took it from. */
void	 client_ip_text(const struct spf_addr *, const char *, char *,
	    size_t);
/*
 * spf_query_start for a client address parsed already, ip its text
 * (addr_text's).
 */
struct spf_query *query_start(struct spf_checker *, const struct spf_addr *,
	    const char *ip, const char *sender, const char *helo, int trace,
	    spf_done_fn *, void *, char *err, size_t errlen);
void	 query_deliver(struct spf_query *);
/* Storage for a result, not initialised; NULL without memory. */
struct spf_result *checker_result_get(struct spf_checker *);
/* The storage back to the checker (NULL is fine). */
void	 checker_result_put(struct spf_checker *, struct spf_result *);

/* message.c: free the checker's spare messages */
void	 message_spares_free(struct spf_checker *);
struct sender_parts {
	enum spf_identity identity;
	const char	*given;		/* without <>; "" for the null sender */
	size_t		 given_len;
	const char	*local;		/* "postmaster" when there is none */
	size_t		 local_len;
	const char	*domain;	/* the HELO name for the null sender */
	size_t		 domain_len;
};
int	 sender_parse(const char *, const char *, struct sender_parts *);

/* verdict.c */
void	 verdict_action(struct spf_result *, const struct spf_config *);

#endif /* SPFINT_H */
