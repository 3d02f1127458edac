/*
 * eval.c: check_host() (RFC 7208 4) as continuations.
 *
 * An evaluation is a stack of frames, one per record being evaluated
 * (include pushes one, redirect replaces one).  Progress is made only in
 * step(), run from the event loop; DNS callbacks just record what came
 * back and, when nothing else is outstanding, schedule the next step.
 * libunbound may answer inside the call that asks, so nothing here may
 * rely on a lookup still being outstanding after it was asked.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"

static void	step(evutil_socket_t, short, void *);
static void	expired(void *, const struct lookup *);
static void	seen(void *, const struct lookup *, enum dns_status,
		    struct dns_iter *, const char *);
static void	trace_answer(struct spf_query *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static void	run(struct spf_query *);
static void	fetch_record(struct spf_query *, struct frame *);
static void	record_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);
static int	use_record(struct spf_query *, struct frame *);
static void	frame_result(struct spf_query *, enum spf_code, const char *,
		    size_t);
static int	push_include(struct spf_query *, struct frame *,
		    const struct spf_term *);
static int	follow_redirect(struct spf_query *, struct frame *);
static int	expand_target(struct spf_query *, struct frame *,
		    const struct spf_term *, char *, size_t);
static int	target_initial(const struct spf_term *, const char *);
static void	free_frames(struct spf_query *);
static void	drop_record(struct frame *);
static enum spf_code qualifier_code(char);
static void	set_mechanism(struct spf_query *, struct frame *, const char *,
		    size_t);

/* the mechanism of a result no term decided (RFC 7208 4.7) */
static const char default_term[] = "default";

void
eval_start(struct spf_query *q)
{
	struct lookup_owner	 owner = { q, seen, expired };

	/* a spare query (checker.c) comes with its event */
	if (q->ev_step == NULL)
		q->ev_step = event_new(q->checker->base, -1, 0, step, q);
	if (lookup_init(&q->dns, q->checker->hub, q->checker->base,
	    q->checker->cfg.timeout_ms, &owner) == -1 || q->ev_step == NULL) {
		/*
		 * Without its timer nothing can run: report at the next
		 * turn, from the step, if there is one (a spare query has
		 * its step already; checker.c gives up on one without).
		 */
		q->code = SPF_TEMPERROR;
		q->finished = 1;
		eval_schedule(q);
		return;
	}
	eval_schedule(q);
}

void
eval_schedule(struct spf_query *q)
{
	if (q->ev_step != NULL)
		event_active(q->ev_step, 0, 0);
}

static void
step(evutil_socket_t fd, short what, void *arg)
{
	struct spf_query	*q = arg;

	(void)fd;
	(void)what;
	lookup_reap(&q->dns);
	if (q->dns.pending > 0)
		return;
	if (q->finished) {
		query_deliver(q);
		return;
	}
	if (q->dns.sec_bogus && !q->in_exp) {
		eval_finish(q, SPF_TEMPERROR, NULL);
		return;
	}
	if (q->in_exp)
		exp_step(q);
	else
		run(q);
}

/* The time is up for the evaluation (the lookup is the first late). */
static void
expired(void *arg, const struct lookup *l)
{
	struct spf_query	*q = arg;
	const char		*name = lookup_name(l);

	if (q->finished)
		return;
	if (q->in_exp) {
		/* the result stands; only its explanation was late */
		QUERY_TRACE(q, 0, "explanation lookup timed out");
		exp_default(q);
		return;
	}
	eval_finish(q, SPF_TEMPERROR, "no DNS answer within %d ms%s%s%s%s",
	    q->checker->cfg.timeout_ms, name[0] ? " for " : "", name,
	    name[0] ? " " : "", l != NULL ? dns_type_str(lookup_type(l)) : "");
}

/* Every answer, after its handler: the problem, the trace, the step. */
static void
seen(void *arg, const struct lookup *l, enum dns_status status,
    struct dns_iter *it, const char *why)
{
	struct spf_query	*q = arg;

	if (status == DNS_BOGUS && q->problem == NULL &&
	    asprintf(&q->problem, "DNSSEC validation failed for %s %s: %s",
	    lookup_name(l), dns_type_str(lookup_type(l)), why != NULL ? why :
	    "bogus") == -1)
		q->problem = NULL;
	if (q->trace != NULL)
		trace_answer(q, l, status, it);
	if (q->dns.pending == 0)
		eval_schedule(q);
}

/* What came back, for --explain: the first few records of the answer. */
static void
trace_answer(struct spf_query *q, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	enum spf_dnssec	 sec = lookup_dnssec(l);
	int		 type = lookup_type(l);
	char		 text[512], item[DNS_NAME_TEXT + 16];
	char		 rd[DNS_NAME_TEXT];
	size_t		 off = 0, len;
	int		 n = 0, r, pref;
	const char	*what;

	if (status == DNS_OK && it != NULL) {
		while ((r = dns_iter_next(it, rd, sizeof(rd), &len,
		    &pref)) == 1) {
			if (++n > 6)
				continue;
			switch (type) {
			case DNS_T_A:
			case DNS_T_AAAA:
				(void)inet_ntop(len == 4 ? AF_INET : AF_INET6,
				    rd, item, sizeof(item));
				break;
			case DNS_T_MX:
				(void)snprintf(item, sizeof(item), "%d %s",
				    pref, rd);
				break;
			case DNS_T_TXT:
				(void)snprintf(item, sizeof(item), "\"%.*s%s\"",
				    (int)(len > 120 ? 120 : len), rd,
				    len > 120 ? "..." : "");
				break;
			default:
				(void)strlcpy(item, rd, sizeof(item));
				break;
			}
			off += (size_t)snprintf(text + off, off < sizeof(text) ?
			    sizeof(text) - off : 0, "%s%s", n > 1 ? ", " : "",
			    item);
			if (off >= sizeof(text))
				off = sizeof(text) - 1;
		}
		if (n > 6)
			(void)snprintf(text + off, sizeof(text) - off,
			    " (%d in all)", n);
		what = n == 0 ? "no records" : text;
		if (r == -1)
			what = "malformed answer";
	} else
		what = status == DNS_NODATA ? "no records" :
		    status == DNS_NXDOMAIN ? "no such name (NXDOMAIN)" :
		    status == DNS_BOGUS ? "failed DNSSEC validation" :
		    "DNS error (SERVFAIL, refused or malformed)";
	QUERY_TRACE(q, q->frame != NULL ? q->frame->depth + 2 : 2,
	    "%s %s -> %s%s%s", lookup_name(l), dns_type_str(type), what,
	    sec == SPF_DNSSEC_UNVALIDATED ? "" : sec == SPF_DNSSEC_SECURE ?
	    " [secure]" : sec == SPF_DNSSEC_BOGUS ? " [bogus]" : " [insecure]",
	    lookup_origin(l) == LOOKUP_CACHED ? " (cached)" :
	    lookup_origin(l) == LOOKUP_SHARED ? " (shared)" : "");
}

/* Cancel what is outstanding and free every lookup. */
void
eval_release(struct spf_query *q)
{
	lookup_release(&q->dns);
	free_frames(q);
}

/* End the evaluation; the result is delivered from the event loop. */
void
eval_finish(struct spf_query *q, enum spf_code code, const char *fmt, ...)
{
	va_list	 ap;
	char	 problem[SPF_PROBLEM_LEN];

	if (q->finished)
		return;
	q->code = code;
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(problem, sizeof(problem), fmt, ap);
		va_end(ap);
		free(q->problem);
		q->problem = strdup(problem);
	}
	if (code != SPF_FAIL) {
		free(q->explanation);
		q->explanation = NULL;
	}
	QUERY_TRACE(q, 0, "= %s%s%s", spf_code_str(code),
	    q->problem != NULL ? ": " : "", q->problem != NULL ? q->problem :
	    "");
	q->finished = 1;
	eval_release(q);
	eval_schedule(q);
}

void
eval_macro_env(struct spf_query *q, const char *domain, struct macro_env *env)
{
	int	 i;

	memset(env, 0, sizeof(*env));
	env->sender = q->sender;
	env->local = q->local;
	env->sender_domain = q->sender_domain;
	env->domain = domain;
	/* a HELO name without A-labels: its terms are skipped (idn.c) */
	env->helo = q->helo_alabels != NULL && q->helo_alabels[0] != '\0' ?
	    q->helo_alabels : "unknown";
	env->ip = &q->ip;
	env->receiver = q->checker->cfg.receiver;
	env->now = time(NULL);
	/* %{p}: a validated name within <domain> if there is one (7.3) */
	if (q->p_state == P_KNOWN) {
		for (i = 0; i < q->p_nnames; i++)
			if (q->p_valid[i] &&
			    domain_within(q->p_names[i], domain)) {
				env->validated = q->p_names[i];
				return;
			}
		for (i = 0; i < q->p_nnames; i++)
			if (q->p_valid[i]) {
				env->validated = q->p_names[i];
				return;
			}
	}
}

static enum spf_code
qualifier_code(char qualifier)
{
	switch (qualifier) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	default:
		return SPF_PASS;
	}
}

/*
 * Frames come and go with every query and include: the checker keeps
 * spares (their callocs and frees cost 650 instructions an evaluation).
 */
struct frame *
eval_frame_new(struct spf_checker *c)
{
	struct frame	*f;

	if (c->nspare_frames == 0)
		return calloc(1, sizeof(*f));
	f = c->spare_frames[--c->nspare_frames];
	memset(f, 0, sizeof(*f));
	return f;
}

void
eval_frame_free(struct spf_checker *c, struct frame *f)
{
	if (c->nspare_frames < CHECKER_SPARES)
		c->spare_frames[c->nspare_frames++] = f;
	else
		free(f);
}

static void
free_frames(struct spf_query *q)
{
	struct frame	*f;

	while ((f = q->frame) != NULL) {
		q->frame = f->parent;
		drop_record(f);
		eval_frame_free(q->checker, f);
	}
}

/* The frame's record: its own, or the cached answer's it holds. */
static void
drop_record(struct frame *f)
{
	if (f->answer != NULL) {
		answer_release(f->answer);
		f->answer = NULL;
		memset(&f->rec, 0, sizeof(f->rec));
	} else
		record_free(&f->rec);
	f->rec.redirect = f->rec.exp = -1;
}

/* Evaluate until a lookup is outstanding or the result is known. */
static void
run(struct spf_query *q)
{
	struct frame		*f;
	const struct spf_term	*t;
	enum term_outcome	 o;

	while (!q->finished && !q->in_exp && q->dns.pending == 0) {
		f = q->frame;
		if (!f->have_rec) {
			if (f->phase == 0) {
				fetch_record(q, f);
				continue;
			}
			if (use_record(q, f) == -1)
				return;
			continue;
		}
		if (f->pos >= f->rec.nterms) {
			if (f->rec.redirect != -1 && !idn_term_skipped(q, f,
			    &f->rec.terms[f->rec.redirect])) {
				if (follow_redirect(q, f) == -1)
					return;
				continue;
			}
			QUERY_TRACE(q, f->depth + 1, "no mechanism "
			    "matched: default result neutral");
			frame_result(q, SPF_NEUTRAL, default_term,
			    sizeof(default_term) - 1);
			continue;
		}
		t = &f->rec.terms[f->pos];
		if (t->kind == T_REDIRECT || t->kind == T_EXP ||
		    t->kind == T_UNKNOWN_MOD) {
			f->pos++;
			continue;
		}
		if (idn_term_skipped(q, f, t)) {
			f->pos++;
			f->phase = 0;
			ts_reset(&q->ts);
			continue;
		}
		if (t->kind == T_INCLUDE) {
			if (f->phase == 0 && push_include(q, f, t) == -1)
				return;
			continue;
		}
		o = mech_eval(q, f, t);
		switch (o) {
		case TERM_WAIT:
			return;
		case TERM_ERROR:
			return;
		case TERM_MATCH:
			QUERY_TRACE(q, f->depth + 1, "%.*s: match",
			    (int)t->len, f->rec.text + t->off);
			frame_result(q, qualifier_code(t->qualifier),
			    f->rec.text + t->off, t->len);
			break;
		case TERM_NOMATCH:
			QUERY_TRACE(q, f->depth + 1, "%.*s: no match",
			    (int)t->len, f->rec.text + t->off);
			f->pos++;
			f->phase = 0;
			ts_reset(&q->ts);
			break;
		}
	}
}

static void
fetch_record(struct spf_query *q, struct frame *f)
{
	f->phase = 1;
	ts_reset(&q->ts);
	if (q->given_record != NULL && f->parent == NULL) {
		/* a best guess or a skip rule: the record is ours, once */
		QUERY_TRACE(q, f->depth, "%s: evaluating \"%s\"",
		    f->domain, q->given_record);
		q->ts.status = DNS_OK;
		q->ts.count = 1;
		q->ts.textlen = strlen(q->given_record);
		q->ts.text = q->given_record;
		q->given_record = NULL;
		return;
	}
	QUERY_TRACE(q, f->depth, "%s: fetching SPF record", f->domain);
	(void)lookup_ask(&q->dns, f->domain, DNS_T_TXT, record_answer, NULL);
}

/*
 * Keep the one TXT record that starts with "v=spf1" (4.5): the decoded
 * answer has it parsed already, shared with every evaluation that
 * fetches it while it is cached.
 */
static void
record_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct spf_query	*q = owner;
	const struct answer	*a = lookup_answer(l);

	(void)arg;
	if (status == DNS_OK && a != NULL) {
		q->ts.status = status;
		q->ts.count = a->spf_count;
		answer_release(q->ts.answer);
		q->ts.answer = answer_hold((struct answer *)a);
		return;
	}
	eval_txt_answer(q, status, it, record_is_spf);
	if (status == DNS_ERROR && lookup_malformed(l) &&
	    q->ts.errname == NULL)
		q->ts.errname = strdup("malformed answer");
}

/*
 * The first TXT record of an answer that keep accepts (any, if NULL)
 * into ts->text, and into ts->count how many it accepts: the SPF record
 * (4.5) and the explanation (6.2) are both "exactly one".
 */
void
eval_txt_answer(struct spf_query *q, enum dns_status status,
    struct dns_iter *it, int (*keep)(const char *, size_t))
{
	struct term_state	*ts = &q->ts;
	char			*buf = q->checker->txtbuf;
	size_t			 len;
	int			 r, count = 0;

	ts->status = status;
	if (status != DNS_OK)
		return;
	while ((r = dns_iter_next(it, buf, SPF_RECORD_MAX + 1, &len,
	    NULL)) == 1) {
		if (keep != NULL && !keep(buf, len))
			continue;
		if (++count == 1) {
			free(ts->text);
			if ((ts->text = malloc(len + 1)) == NULL) {
				ts->status = DNS_ERROR;
				return;
			}
			memcpy(ts->text, buf, len + 1);
			ts->textlen = len;
		}
	}
	if (r == -1) {
		ts->status = DNS_ERROR;
		free(ts->errname);
		ts->errname = strdup("malformed answer");
		return;
	}
	ts->count = count;
}

/* The record has come back: select and parse it, or end the frame. */
static int
use_record(struct spf_query *q, struct frame *f)
{
	struct term_state	*ts = &q->ts;
	char			 err[200];

	switch (ts->status) {
	case DNS_OK:
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		ts->count = 0;
		break;
	default:
		eval_finish(q, SPF_TEMPERROR, "DNS error looking up the SPF "
		    "record of %s%s%s", f->domain, ts->errname != NULL ? ": " :
		    "", ts->errname != NULL ? ts->errname : "");
		return -1;
	}
	if (ts->count == 0) {
		QUERY_TRACE(q, f->depth + 1, "no SPF record");
		frame_result(q, SPF_NONE, "", 0);
		return q->finished ? -1 : 0;
	}
	if (ts->count > 1) {
		eval_finish(q, SPF_PERMERROR, "%s has %d SPF records",
		    f->domain, ts->count);
		return -1;
	}
	if (ts->answer != NULL) {
		if (ts->answer->spf_err != NULL) {
			eval_finish(q, SPF_PERMERROR, "syntax error in the SPF "
			    "record of %s: %s", f->domain,
			    ts->answer->spf_err);
			return -1;
		}
		f->rec = ts->answer->spf;
		f->answer = answer_hold(ts->answer);
	} else if (record_parse(ts->text, ts->textlen, &f->rec, err,
	    sizeof(err)) == -1) {
		eval_finish(q, SPF_PERMERROR, "syntax error in the SPF record "
		    "of %s: %s", f->domain, err);
		return -1;
	}
	f->have_rec = 1;
	f->pos = 0;
	f->phase = 0;
	ts_reset(ts);
	return 0;
}

/*
 * Expand a term's target-name (4.8): its domain-spec, or <domain>.
 * Returns -1 when it is not a name a question can be asked about.
 */
static int
expand_target(struct spf_query *q, struct frame *f, const struct spf_term *t,
    char *out, size_t outlen)
{
	struct macro_env	 env;
	int			 macros;

	macros = t->spec_len != 0 && !(t->literal & LIT_PLAIN);
	if (macros)
		eval_macro_env(q, f->domain, &env);
	return record_target(&f->rec, t, f->domain, macros ? &env : NULL, out,
	    outlen);
}

/*
 * Is a term's target valid as <domain> (include, redirect)?  Known
 * from the record for a domain-spec without a macro.
 */
static int
target_initial(const struct spf_term *t, const char *target)
{
	if (t->literal & LIT_PLAIN)
		return (t->literal & LIT_INITIAL) != 0;
	return domain_valid_initial(target);
}

int
eval_expand_target(struct spf_query *q, struct frame *f,
    const struct spf_term *t, char *out, size_t outlen)
{
	return expand_target(q, f, t, out, outlen);
}

/* Count a DNS-querying term against the limit of 4.6.4. */
int
eval_count_lookup(struct spf_query *q, struct frame *f,
    const struct spf_term *t)
{
	if (!lookup_term_counts(t->kind))
		return 0;
	/* the eleventh is refused, not made: the count stays at ten */
	if (q->lookups_used >= SPF_MAX_DNS_TERMS) {
		eval_finish(q, SPF_PERMERROR, "more than %d DNS lookups "
		    "(at '%.*s' in the record of %s)", SPF_MAX_DNS_TERMS,
		    (int)t->len, f->rec.text + t->off, f->domain);
		return -1;
	}
	q->lookups_used++;
	return 0;
}

/* Count a void lookup (4.6.4); -1 once over the limit. */
int
eval_count_void(struct spf_query *q, struct frame *f, const char *name)
{
	QUERY_TRACE(q, f != NULL ? f->depth + 2 : 2, "void lookup %d "
	    "of %d allowed", q->voids + 1, q->checker->cfg.max_void_lookups);
	if (++q->voids > q->checker->cfg.max_void_lookups) {
		eval_finish(q, SPF_PERMERROR, "more than %d void lookups "
		    "(the last for %s)", q->checker->cfg.max_void_lookups,
		    name);
		return -1;
	}
	return 0;
}

static int
push_include(struct spf_query *q, struct frame *f, const struct spf_term *t)
{
	struct frame	*child;

	if (t->uses_p && p_resolve(q) != 1)
		return -1;	/* waiting for %{p} */
	if (eval_count_lookup(q, f, t) == -1)
		return -1;
	if ((child = eval_frame_new(q->checker)) == NULL) {
		eval_finish(q, SPF_TEMPERROR, "out of memory");
		return -1;
	}
	if (expand_target(q, f, t, child->domain, sizeof(child->domain)) ==
	    -1 || !target_initial(t, child->domain)) {
		eval_frame_free(q->checker, child);
		eval_finish(q, SPF_PERMERROR, "include of an invalid domain "
		    "('%.*s' in the record of %s)", (int)t->len,
		    f->rec.text + t->off, f->domain);
		return -1;
	}
	QUERY_TRACE(q, f->depth + 1, "%.*s (lookup %d of %d)",
	    (int)t->len, f->rec.text + t->off, q->lookups_used,
	    SPF_MAX_DNS_TERMS);
	f->phase = 1;
	child->parent = f;
	child->depth = f->depth + 1;
	q->frame = child;
	return 0;
}

/* No mechanism matched and the record has redirect= (6.1). */
static int
follow_redirect(struct spf_query *q, struct frame *f)
{
	const struct spf_term	*t = &f->rec.terms[f->rec.redirect];
	char			 target[SPF_DOMAIN_LEN];

	if (t->uses_p && p_resolve(q) != 1)
		return -1;
	if (f->phase == 0) {
		if (eval_count_lookup(q, f, t) == -1)
			return -1;
		f->phase = 1;
	}
	if (expand_target(q, f, t, target, sizeof(target)) == -1 ||
	    !target_initial(t, target)) {
		eval_finish(q, SPF_PERMERROR, "redirect to an invalid domain "
		    "from %s", f->domain);
		return -1;
	}
	QUERY_TRACE(q, f->depth + 1, "%.*s (lookup %d of %d)",
	    (int)t->len, f->rec.text + t->off, q->lookups_used,
	    SPF_MAX_DNS_TERMS);
	drop_record(f);
	f->have_rec = 0;
	f->redirected = 1;
	f->pos = 0;
	f->phase = 0;
	(void)strlcpy(f->domain, target, sizeof(f->domain));
	return 0;
}

/*
 * The term that decided the top frame f: "default", or a term of its
 * record, which stays where it is when the record is a cached answer
 * (the answer held), else copied (strndup'ing each cost 250
 * instructions an evaluation).
 */
static void
set_mechanism(struct spf_query *q, struct frame *f, const char *term,
    size_t termlen)
{
	answer_release(q->mech_answer);
	q->mech_answer = NULL;
	free(q->mech_own);
	q->mech_own = NULL;
	q->mechanism = NULL;
	termlen = strnlen(term, termlen);
	if (term == default_term || termlen == 0)
		q->mechanism = term;
	else if (f->answer != NULL) {
		q->mech_answer = answer_hold(f->answer);
		q->mechanism = term;
	} else if ((q->mech_own = strndup(term, termlen)) != NULL)
		q->mechanism = q->mech_own;
	q->mechanism_len = termlen;
}

/*
 * A frame has its result: the answer of check_host() for the top frame,
 * the include mechanism's outcome for any other (5.2).
 */
static void
frame_result(struct spf_query *q, enum spf_code code, const char *term,
    size_t termlen)
{
	struct frame		*f = q->frame, *parent;
	const struct spf_term	*t;

	if (f->parent == NULL) {
		if (code == SPF_NONE && f->redirected) {
			eval_finish(q, SPF_PERMERROR, "redirect target %s has "
			    "no SPF record", f->domain);
			return;
		}
		set_mechanism(q, f, term, termlen);
		if (code == SPF_FAIL) {
			q->code = code;
			exp_start(q);
			return;
		}
		eval_finish(q, code, NULL);
		return;
	}

	parent = f->parent;
	t = &parent->rec.terms[parent->pos];
	if (code == SPF_NONE) {
		eval_finish(q, SPF_PERMERROR, "included domain %s has no SPF "
		    "record", f->domain);
		return;
	}
	QUERY_TRACE(q, f->depth, "%s: %s", f->domain, spf_code_str(code));
	q->frame = parent;
	drop_record(f);
	eval_frame_free(q->checker, f);
	f = parent;
	if (code == SPF_PASS) {
		QUERY_TRACE(q, f->depth + 1, "%.*s: match", (int)t->len,
		    f->rec.text + t->off);
		frame_result(q, qualifier_code(t->qualifier),
		    f->rec.text + t->off, t->len);
		return;
	}
	QUERY_TRACE(q, f->depth + 1, "%.*s: no match", (int)t->len,
	    f->rec.text + t->off);
	f->pos++;
	f->phase = 0;
	ts_reset(&q->ts);
}
