/*
 * spf.h: the spfgate core, the one header the wrappers include.
 *
 * An spf_checker holds the configuration and a libunbound resolver
 * that runs inside the caller's libevent loop.  spf_query_start()
 * begins one RFC 7208 check_host() evaluation and returns at once; the
 * done callback is called exactly once, later, from the event loop
 * (never from inside spf_query_start), unless the query is cancelled
 * first.  Many queries may be in flight on one checker.
 *
 * Errors are values: a query that cannot be evaluated ends in
 * temperror or permerror with a problem text; only an unusable
 * argument (an unparsable client address) makes spf_query_start fail.
 */
#ifndef SPF_H
#define SPF_H

#include <stddef.h>

struct event_base;

#define SPF_DOMAIN_LEN		256	/* 253 octets, a dot, NUL */
#define SPF_SENDER_LEN		512	/* RFC 5321 path is 256 */
#define SPF_ADDR_LEN		46	/* INET6_ADDRSTRLEN */
#define SPF_TERM_LEN		256
#define SPF_EXPLANATION_LEN	512
#define SPF_PROBLEM_LEN		256
#define SPF_PATH_LEN		1024
#define SPF_MAX_RESOLVERS	8
#define SPF_MAX_ZONES		8
#define SPF_MAX_ANCHORS		4
#define SPF_MAX_SKIP		64
#define SPF_MAX_SKIP_NAMES	32	/* skip ptr:, helo:, spf: rules */
#define SPF_MAX_DOMAIN_POLICY	64
#define SPF_MAX_EXEMPT		32
#define SPF_RECORD_TEXT_LEN	512	/* a best-guess record */
#define SPF_LOOKUP_LIMIT	10	/* DNS-querying terms, RFC 7208 4.6.4 */

enum spf_code {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
	SPF_NCODES
};

enum spf_action {
	SPF_ACCEPT,
	SPF_TAG,
	SPF_REJECT,
	SPF_DEFER
};

enum spf_identity {
	SPF_ID_MAILFROM,
	SPF_ID_HELO
};

/* What DNSSEC said about every answer an evaluation used. */
enum spf_dnssec {
	SPF_DNSSEC_UNVALIDATED,	/* validation off or unavailable */
	SPF_DNSSEC_SECURE,	/* every answer validated */
	SPF_DNSSEC_INSECURE,	/* some answer came from an unsigned zone */
	SPF_DNSSEC_BOGUS	/* some answer failed validation */
};

enum spf_dnssec_mode {
	SPF_DNSSEC_MODE_NO,	/* never validate */
	SPF_DNSSEC_MODE_YES,	/* validate when the path allows it */
	SPF_DNSSEC_MODE_REQUIRE	/* refuse to start without validation */
};

/* Which header fields accepted and tagged mail gets. */
enum spf_header_fields {
	SPF_FIELDS_BOTH,
	SPF_FIELDS_RECEIVED_SPF,
	SPF_FIELDS_AUTHRES
};

/* A trusted forwarder named by a skip rule, not by its address. */
enum spf_skip_kind {
	SPF_SKIP_PTR,	/* forward-confirmed reverse name under name */
	SPF_SKIP_HELO,	/* HELO under name, resolving to the client */
	SPF_SKIP_SPF	/* the client passes name's own SPF policy */
};

struct spf_skip_name {
	enum spf_skip_kind kind;
	char		 name[SPF_DOMAIN_LEN];
};

/* "domain-policy DOMAIN RESULT ACTION"; ".DOMAIN" takes subdomains. */
struct spf_domain_policy {
	char		 domain[SPF_DOMAIN_LEN];
	enum spf_code	 code;
	enum spf_action	 action;
};

enum spf_log {
	SPF_LOG_STDERR,
	SPF_LOG_SYSLOG
};

struct spf_net {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 prefix;
};

/*
 * Configuration: one struct for every wrapper, filled from defaults,
 * then the config file, then command line options (the same keywords).
 */
struct spf_config {
	char		 resolvers[SPF_MAX_RESOLVERS][64];  /* ADDR[@PORT] */
	int		 nresolvers;
	int		 recursive;	/* "resolver recursive" */
	char		 zones[SPF_MAX_ZONES][SPF_PATH_LEN];
	int		 nzones;
	char		 anchors[SPF_MAX_ANCHORS][SPF_PATH_LEN];
	int		 nanchors;
	enum spf_dnssec_mode dnssec;
	int		 require_dnssec_pass;
	int		 timeout_ms;
	char		 receiver[SPF_DOMAIN_LEN];
	char		 default_explanation[SPF_EXPLANATION_LEN];
	int		 headers;
	enum spf_action	 actions[SPF_NCODES];
	int		 max_inflight;
	int		 max_questions;	/* out at libunbound at once */
	int		 max_void_lookups;
	size_t		 cache_size;	/* half cache.c, half libunbound */
	/*
	 * Where the DNSSEC probe's "cannot validate" verdict is shared
	 * between processes ("" for nowhere), and for how many seconds.
	 */
	char		 dnssec_state[SPF_PATH_LEN];
	int		 dnssec_state_secs;
	struct spf_net	 skip[SPF_MAX_SKIP];
	int		 nskip;
	enum spf_log	 log;
	/* the policy of issue 14: see spfgate.conf(5) */
	int		 helo_check;
	enum spf_action	 helo_actions[SPF_NCODES];
	enum spf_header_fields header_fields;
	int		 dry_run;
	struct spf_skip_name skip_names[SPF_MAX_SKIP_NAMES];
	int		 nskip_names;
	struct spf_domain_policy domain_policy[SPF_MAX_DOMAIN_POLICY];
	int		 ndomain_policy;
	char		 best_guess[SPF_RECORD_TEXT_LEN];	/* "" for off */
	char		 exempt[SPF_MAX_EXEMPT][SPF_SENDER_LEN];
	int		 nexempt;
};

/* The outcome of one evaluation, handed to the done callback. */
struct spf_result {
	enum spf_code	 code;
	enum spf_identity identity;
	enum spf_action	 action;
	enum spf_dnssec	 dnssec;
	int		 lookups;	/* DNS-querying terms, RFC 7208 4.6.4 */
	int		 void_lookups;
	int		 lookup_limit;	/* of lookups, RFC 7208 4.6.4 */
	int		 void_limit;	/* of void_lookups, as configured */
	int		 queries;	/* DNS questions asked in all */
	long		 elapsed_ms;
	char		 client_ip[SPF_ADDR_LEN];	/* canonical text */
	char		 sender[SPF_SENDER_LEN];	/* as given, "" if null */
	char		 helo[SPF_DOMAIN_LEN];
	char		 domain[SPF_DOMAIN_LEN];	/* checked, A-labels */
	char		 mechanism[SPF_TERM_LEN];	/* or "default" */
	char		 explanation[SPF_EXPLANATION_LEN];
	char		 problem[SPF_PROBLEM_LEN];
	const struct spf_trace *trace;	/* set when tracing; valid in callback */
};

struct spf_checker;
struct spf_verdict;
struct spf_query;
struct spf_trace;

typedef void	spf_done_fn(const struct spf_result *, void *);

/* config.c */
/* The defaults: the README's policy, this host's name as receiver. */
void		 spf_config_init(struct spf_config *);
/*
 * Read a config file.  A missing file is an error only when
 * must_exist is set.  On error returns -1 with "file:line: why" in err.
 */
int		 spf_config_load(struct spf_config *, const char *path,
		    int must_exist, char *err, size_t errlen);
/* Apply one "keyword value" setting; -1 with a message on error. */
int		 spf_config_set(struct spf_config *, const char *keyword,
		    const char *value, char *err, size_t errlen);
/*
 * Parse the options common to every program: --config FILE and
 * --KEYWORD VALUE for every config keyword, the file first and the
 * options over it.  Stops at the first argument that is not an option
 * (or after "--"); returns the index of that argument, or -1 with err.
 * An option not known here is passed to other(opt, value_or_NULL, arg),
 * which returns how many arguments it took (1 or 2), or -1.
 */
int		 spf_config_args(struct spf_config *, int argc, char **argv,
		    int (*other)(const char *, const char *, void *), void *arg,
		    char *err, size_t errlen);
/* Is this client address in a "skip" network of the config? */
int		 spf_config_skips(const struct spf_config *, const char *ip);

/* checker.c */
/*
 * A checker on the caller's event loop, the config copied.  Probes the
 * resolver path for DNSSEC first (at most five seconds, in a loop of
 * its own).  NULL with err if the resolver cannot be set up, or DNSSEC
 * is required and the path cannot deliver it.
 */
struct spf_checker *spf_checker_new(const struct spf_config *,
		    struct event_base *, char *err, size_t errlen);
/*
 * Cancel every query still in flight, then free; NULL is fine.  Its
 * messages (spf_message_start) must be done or cancelled first: a
 * message gives its storage back to the checker.
 */
void		 spf_checker_free(struct spf_checker *);
/* One line for logs: how DNS is resolved and validated. */
const char	*spf_checker_describe(const struct spf_checker *);
/*
 * A line the wrapper should log once at start-up, or NULL: set when
 * DNSSEC validation was wanted but the resolver path cannot deliver
 * validated answers (it then runs without validation).  NULL, too, when
 * that verdict was read from the dnssec-state file: the process that
 * wrote it logged it.
 *
 * spf_checker_new asks the validating resolver for the trust anchor's
 * DNSKEY (the probe) by running base until the answer is in, when
 * nothing else is registered on base; a caller with events of its own
 * on base gets the probe in a loop and resolver of its own instead.
 */
const char	*spf_checker_notice(const struct spf_checker *);

/*
 * Start check_host() for one message.  sender may be "" or NULL (the
 * null sender: the HELO identity is checked as postmaster@helo).
 * Both may be UTF-8, as SMTPUTF8 hands them over: their domains are
 * checked in A-labels (RFC 8616 4; idn.c).
 * trace, when set, records every step for spf_trace_print().
 * Returns NULL with a reason in err if the arguments are unusable.
 */
struct spf_query *spf_query_start(struct spf_checker *, const char *ip,
		    const char *sender, const char *helo, int trace,
		    spf_done_fn *, void *, char *err, size_t errlen);
/* Stop a query; its callback will not be called. */
void		 spf_query_cancel(struct spf_query *);
/* Milliseconds since the query started (for a wrapper giving up). */
long		 spf_query_elapsed_ms(const struct spf_query *);
/* Queries in flight on this checker. */
int		 spf_checker_inflight(const struct spf_checker *);

/*
 * Blocking form for callers without an event loop of their own (the
 * Exim module): runs the checker's loop until the result is in, at
 * most the configured timeout, and fills in the verdict.  An empty ip
 * is spf_verdict_local's, not checked.  Returns 0, or -1
 * when the evaluation could not start: the verdict is then temperror
 * with the reason in result.problem.
 */
int		 spf_check_sync(struct spf_checker *, const char *ip,
		    const char *sender, const char *helo,
		    struct spf_verdict *);

/*
 * result.c: the names used in headers, JSON, logs and the config file.
 * Each gives a static string, for an unknown value the most cautious
 * name ("temperror", "defer", "unvalidated").
 */
/* "pass", "fail", ...: the RFC 7208 2.6 result. */
const char	*spf_code_str(enum spf_code);
/* "accept", "tag", "reject", "defer". */
const char	*spf_action_str(enum spf_action);
/* "mailfrom" or "helo". */
const char	*spf_identity_str(enum spf_identity);
/* "unvalidated", "secure", "insecure", "bogus". */
const char	*spf_dnssec_str(enum spf_dnssec);

/*
 * header.c: each writes a NUL-terminated line without CRLF into buf and
 * returns its length, or -1 if it did not fit (buf then holds "").
 * SPF_HEADER_LEN always suffices: a header never exceeds RFC 5322's
 * 998 octets, whatever the sender, HELO name or DNS data.
 */
#define SPF_HEADER_LEN	1024
/* "Received-SPF: pass (comment) client-ip=...;" (RFC 7208 9.1). */
int		 spf_received_spf(const struct spf_result *,
		    const struct spf_config *, char *, size_t);
/* "Authentication-Results: receiver; spf=..." (RFC 8601). */
int		 spf_authres_header(const struct spf_result *,
		    const struct spf_config *, char *, size_t);
/*
 * Whether the message gets Received-SPF and Authentication-Results:
 * tagged mail always, accepted mail unless "headers no", rejected and
 * deferred mail never.  spf_verdict asks it; a wrapper takes the
 * verdict's headers flag.
 */
int		 spf_headers_wanted(const struct spf_result *,
		    const struct spf_config *);
/* The "spf=pass smtp.mailfrom=..." part of Authentication-Results. */
int		 spf_authres_method(const struct spf_result *, char *,
		    size_t);
/*
 * The SMTP reply for reject and defer, else "": RFC 7372's 5.7.23 when
 * SPF validation failed, x.7.24 for an SPF error; the domain's
 * explanation (or ours) as the text, one line within 512 octets.
 */
int		 spf_smtp_reply(const struct spf_result *, char *, size_t);
/* One-line key=value summary for logs. */
int		 spf_log_line(const struct spf_result *, char *, size_t);

/*
 * verdict.c: everything a wrapper tells its MTA about one message,
 * decided once, here.  headers says whether the two header fields go
 * on the message (tagged mail always, accepted mail with "headers
 * yes"); reply is set exactly when the action is reject or defer.
 */
#define SPF_REPLY_LEN		512	/* RFC 5321 reply line, CRLF off */
#define SPF_LOG_LINE_LEN	2048

struct spf_verdict {
	struct spf_result result;	/* the result the action came from */
	struct spf_result helo_result;	/* the HELO identity's, if checked */
	int		 helo_checked;
	int		 helo_evaluated;	/* a domain: not a literal's none */
	int		 helo_decided;	/* result is helo_result: no mail from */
	char		 skipped[SPF_DOMAIN_LEN + 8];	/* the rule, or "" */
	int		 guessed;	/* guess holds the best guess's result */
	enum spf_code	 guess;
	int		 would;		/* dry run turned would_action into tag */
	enum spf_action	 would_action;
	int		 headers;
	/* one field a line, HELO's first, when two identities were checked */
	char		 received_spf[2 * SPF_HEADER_LEN];
	char		 authres[2 * SPF_HEADER_LEN];	/* the whole field */
	char		 authres_method[2 * SPF_HEADER_LEN]; /* "spf=... ..." */
	char		 reply[SPF_REPLY_LEN];
};

/*
 * The verdict's one-line key=value summary for the MTA's log (the
 * result's spf_log_line, then helo_result=, skipped=, guess= and
 * would=), composed when asked; when that does not fit, the client,
 * result and action alone.  SPF_LOG_LINE_LEN always suffices.
 * Returns its length, or -1 if it did not fit whole.
 */
int		 spf_verdict_log_line(const struct spf_verdict *, char *,
		    size_t);

/* The verdict on an evaluated message (result.trace is not kept). */
void		 spf_verdict(const struct spf_result *,
		    const struct spf_config *, struct spf_verdict *);
/*
 * The verdict when no evaluation could run (no checker, no usable
 * client address): code with problem as its reason, the identity and
 * domain taken from sender and helo as an evaluation would.
 */
void		 spf_verdict_unchecked(const struct spf_config *,
		    enum spf_code, const char *ip, const char *sender,
		    const char *helo, const char *problem,
		    struct spf_verdict *);
/*
 * The verdict for a session the MTA vouches for (why: "local",
 * "authenticated"): accepted unchecked, no headers, and the log line
 * with the keys of a checked one, skipped=why.
 */
void		 spf_verdict_trusted(const struct spf_config *,
		    const char *ip, const char *sender, const char *helo,
		    const char *why, struct spf_verdict *);
/* The verdict for a message without a client address: a local one. */
void		 spf_verdict_local(const struct spf_config *,
		    const char *sender, const char *helo,
		    struct spf_verdict *);
/*
 * Does the answer wait for RCPT TO?  Yes when recipients are exempted:
 * a reject or defer is then given per recipient.
 */
int		 spf_verdict_at_rcpt(const struct spf_config *);
/* Is rcpt (with or without <>) one "exempt-recipient" names? */
int		 spf_recipient_exempt(const struct spf_config *,
		    const char *rcpt);
/*
 * The action for one recipient: an exempt recipient's is accept, every
 * other's the verdict's; reply (SPF_REPLY_LEN) gets the SMTP reply
 * for reject and defer, else "".  A message that goes on through an
 * exempt recipient carries the verdict's headers (headers is set).
 */
enum spf_action	 spf_verdict_recipient(const struct spf_verdict *,
		    const struct spf_config *, const char *rcpt,
		    char *reply, size_t);

/*
 * The verdict's header fields one at a time, for an MTA that takes one
 * field an answer (Postfix's PREPEND), the most telling first: n = 0
 * the Received-SPF of the result the action came from, then
 * Authentication-Results, then the HELO identity's Received-SPF when
 * both identities were checked; each only as header-fields allows.
 * Copies field n into buf (SPF_HEADER_LEN suffices) and returns its
 * length, or -1 past the last (buf then holds "").  Whether the fields
 * go on at all is the verdict's headers flag.
 */
int		 spf_verdict_field(const struct spf_verdict *, int n,
		    char *buf, size_t len);

/*
 * message.c: the whole check of one message, as the site's policy
 * says: the skip rules (networks, then ptr:, helo:, spf: names), the
 * HELO identity on its own (RFC 7208 2.3; an IP literal or a name
 * that is not a domain is none, unchecked), then the MAIL FROM
 * identity unless the HELO result already rejects, then the best guess
 * for a none.  done gets the verdict exactly once, from the event loop
 * (never from inside spf_message_start), with the trace of the result
 * the action came from when trace was set (else NULL), both valid
 * during the call.  NULL with err if the arguments are unusable.
 */
struct spf_message;
typedef void	spf_verdict_fn(const struct spf_verdict *,
		    const struct spf_trace *, void *);
struct spf_message *spf_message_start(struct spf_checker *, const char *ip,
		    const char *sender, const char *helo, int trace,
		    spf_verdict_fn *, void *, char *err, size_t errlen);
/* Stop a message's check; its callback will not be called. */
void		 spf_message_cancel(struct spf_message *);
/* Milliseconds since the message's check started. */
long		 spf_message_elapsed_ms(const struct spf_message *);

/*
 * log.c: one line to stderr or syslog (facility mail), as configured.
 * On syslog the line begins "spfgate: ", naming us in another program's
 * log, unless spf_log_ident made the ident ours.
 */
void		 spf_log(const struct spf_config *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* openlog(3) for a program of ours: ident, its pid, facility mail. */
void		 spf_log_ident(const char *);

/*
 * json.c: every JSON object the programs print, on one line.  A
 * builder grows up to the bound it was made with; a front end opens
 * objects and arrays, adds members (key NULL inside an array), and
 * takes the text when everything is closed.  Nothing is ever half
 * written: a text that would exceed the bound is no text.
 */
#define SPF_JSON_LEN	16384	/* always enough for one result */
struct spf_json;

/* NULL if out of memory. */
struct spf_json	*spf_json_new(size_t max);
void		 spf_json_free(struct spf_json *);
/* Empty it for the next text, keeping its buffer (one per answer). */
void		 spf_json_reset(struct spf_json *);
/* Open an object or array, as member k of the current one. */
void		 spf_json_object(struct spf_json *, const char *k);
void		 spf_json_array(struct spf_json *, const char *k);
/* Close the innermost open object or array. */
void		 spf_json_end(struct spf_json *);
/* A string member (null if v is NULL), a number, true or false. */
void		 spf_json_str(struct spf_json *, const char *k, const char *v);
void		 spf_json_int(struct spf_json *, const char *k, long v);
void		 spf_json_bool(struct spf_json *, const char *k, int v);
/*
 * The members of a result, in the documented order, into the open
 * object: the front end adds its own before or after.
 */
void		 spf_json_result(struct spf_json *, const struct spf_result *,
		    const struct spf_config *);
/*
 * A message's verdict, the members of spf_json_result (the headers and
 * reply the message gets) and then helo_result, skipped, guess, would.
 */
void		 spf_json_verdict(struct spf_json *, const struct spf_verdict *,
		    const struct spf_config *);
/* One recipient's answer, {address, action, reply}, into an array. */
void		 spf_json_recipient(struct spf_json *,
		    const struct spf_verdict *, const struct spf_config *,
		    const char *rcpt);
/*
 * The text, valid until the builder is freed; NULL if it exceeded the
 * bound, memory ran out, or an object is left open.
 */
const char	*spf_json_text(struct spf_json *);
/* One result as one object into buf: its length, or -1 with "". */
int		 spf_result_json(const struct spf_result *,
		    const struct spf_config *, char *, size_t);

/*
 * trace.c: the --explain account of a traced query (not the exp=
 * explanation).  Calls emit once per line, without newline, indented
 * two spaces a level, coloured by what it says if color is set.  Without a
 * trace nothing is emitted.  Returns 0.
 */
int		 spf_trace_print(const struct spf_trace *, int color,
		    void (*emit)(const char *, void *), void *);

#endif /* SPF_H */
