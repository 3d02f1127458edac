/*
 * exp.c: the exp= modifier, the explanation of a fail result (RFC 7208
 * 6.2).  Only the exp= of the record that decided the result counts (a
 * redirect target's, never an include's); any trouble with it means the
 * default explanation, never a different result.  The lookup is not
 * counted against the limits of 4.6.4.  (Not --explain: that is the
 * trace, trace.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

static void	exp_answer(void *, void *, const struct lookup *,
		    enum dns_status, struct dns_iter *);

void
exp_start(struct spf_query *q)
{
	struct frame	*f = q->frame;

	q->in_exp = 1;
	q->exp_phase = 0;
	ts_reset(&q->ts);
	if (!f->have_rec || f->rec.exp == -1) {
		exp_default(q);
		return;
	}
	exp_step(q);
}

void
exp_step(struct spf_query *q)
{
	struct frame		*f = q->frame;
	const struct spf_term	*t = &f->rec.terms[f->rec.exp];
	struct term_state	*ts = &q->ts;
	struct macro_env	 env;
	char			 text[SPF_EXPLANATION_LEN];
	int			 uses_p;

	if (q->exp_phase == 0) {
		if (idn_term_skipped(q, f, t)) {
			exp_default(q);
			return;
		}
		if (t->uses_p && p_resolve(q) != 1)
			return;
		if (eval_expand_target(q, f, t, ts->target,
		    sizeof(ts->target)) == -1) {
			exp_default(q);
			return;
		}
		trace_add(q->trace, f->depth + 1, "%.*s: fetching the "
		    "explanation", (int)t->len, f->rec.text + t->off);
		q->exp_phase = 1;
		(void)lookup_ask(&q->dns, ts->target, DNS_T_TXT, exp_answer,
		    NULL);
		return;
	}
	if (ts->status != DNS_OK || ts->count != 1 ||
	    macro_check(ts->text, ts->textlen, MACRO_EXPLAIN, &uses_p) != 0) {
		trace_add(q->trace, f->depth + 1, "explanation unusable "
		    "(%s), using the default", ts->status != DNS_OK &&
		    ts->status != DNS_NODATA ? "no answer" : ts->count != 1 ?
		    "not exactly one TXT record" :
		    "bad explain-string");
		exp_default(q);
		return;
	}
	if (uses_p && p_resolve(q) != 1)
		return;
	eval_macro_env(q, f->domain, &env);
	if (macro_expand(ts->text, ts->textlen, MACRO_EXPLAIN, &env, text,
	    sizeof(text)) == -1) {
		exp_default(q);
		return;
	}
	trace_add(q->trace, f->depth + 1, "explanation \"%s\" -> \"%s\"",
	    ts->text, text);
	free(q->explanation);
	q->explanation = strdup(text);
	eval_finish(q, SPF_FAIL, NULL);
}

static void
exp_answer(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	(void)arg;
	(void)l;
	eval_txt_answer(owner, status, it, NULL);
}

/* The configured default, itself an explain-string. */
void
exp_default(struct spf_query *q)
{
	const char		*def = q->checker->cfg.default_explanation;
	struct macro_env	 env;
	char			 text[SPF_EXPLANATION_LEN];

	eval_macro_env(q, q->frame != NULL ? q->frame->domain :
	    q->sender_domain, &env);
	if (macro_expand(def, strlen(def), MACRO_EXPLAIN, &env, text,
	    sizeof(text)) == -1)
		(void)strlcpy(text, def, sizeof(text));
	free(q->explanation);
	q->explanation = strdup(text);
	eval_finish(q, SPF_FAIL, NULL);
}
