/*
 * test_lookup.c: the lookup layer (lookup.c) through the scripted
 * resolver: answers reach the asker's handler with its argument, then
 * the owner's seen hook; the in-flight count, the question budget, the
 * DNSSEC tally, the timer, abandoning and releasing; the bound on
 * questions out at once and its queue; and the two rules
 * of RFC 7208 4.6.4 it keeps (which terms count, what is void).
 */
#include <event2/event.h>

#include "unit.h"

/* What the handlers and hooks saw, in order. */
struct seen_log {
	int		 answers;
	enum dns_status	 status[8];
	int		 records[8];	/* RRs the iterator gave */
	void		*arg[8];
	int		 seen;
	int		 pending_at_seen;
	char		 why[64];
	int		 expired;
	char		 late[64];	/* the first outstanding at expiry */
	struct lookup_set *set;
};

static struct seen_log	 log_;
static int		 slot_a, slot_b;
static struct lookup_hub *hub;
static int		 max_questions;	/* the hub's bound for start() */

static void
handler(void *owner, void *arg, const struct lookup *l,
    enum dns_status status, struct dns_iter *it)
{
	struct seen_log	*s = owner;
	char		 buf[SPF_RECORD_MAX + 1];
	size_t		 len;
	int		 n = 0;

	(void)l;
	assert_true(s->answers < 8);
	if (status == DNS_OK) {
		assert_non_null(it);
		while (dns_iter_next(it, buf, sizeof(buf), &len, NULL) == 1)
			n++;
	} else
		assert_null(it);
	s->status[s->answers] = status;
	s->records[s->answers] = n;
	s->arg[s->answers] = arg;
	s->answers++;
}

static void
seen(void *owner, const struct lookup *l, enum dns_status status,
    struct dns_iter *it, const char *why)
{
	struct seen_log	*s = owner;
	char		 buf[SPF_RECORD_MAX + 1];
	size_t		 len;
	int		 n = 0;

	(void)l;
	/* the iterator is at its start again: all the handler read */
	if (status == DNS_OK) {
		while (dns_iter_next(it, buf, sizeof(buf), &len, NULL) == 1)
			n++;
		assert_int_equal(n, s->records[s->answers - 1]);
	}
	s->seen++;
	s->pending_at_seen = s->set->pending;
	if (why != NULL)
		(void)strlcpy(s->why, why, sizeof(s->why));
}

static void
expired(void *owner, const struct lookup *first)
{
	struct seen_log	*s = owner;

	s->expired++;
	(void)strlcpy(s->late, lookup_name(first), sizeof(s->late));
}

/* A set on a fresh loop and scripted resolver. */
static void
start(struct lookup_set *s, struct event_base **base, struct resolver **r,
    int ms)
{
	struct lookup_owner	 owner = { &log_, seen, expired };
	struct spf_config	 cfg;
	char			 err[64];

	memset(&log_, 0, sizeof(log_));
	log_.set = s;
	spf_config_init(&cfg);
	assert_non_null(*base = event_base_new());
	assert_non_null(*r = resolver_new(&cfg, *base, 0, err, sizeof(err)));
	assert_non_null(hub = lookup_hub_new(*r, *base, 64 * 1024,
	    max_questions));
	assert_int_equal(lookup_init(s, hub, *base, ms, &owner), 0);
}

static void
finish(struct lookup_set *s, struct event_base *base, struct resolver *r)
{
	lookup_free(s);
	/* what the scripted resolver still has scheduled runs out */
	assert_int_equal(event_base_dispatch(base), 1);
	lookup_hub_free(hub);
	resolver_free(r);
	event_base_free(base);
}

static const struct script_line zone[] = {
	{ "a.example", "A", "192.0.2.1|192.0.2.2" },
	{ "a.example", "TXT", "v=spf1 a -all" },
	{ "secure.example", "A", "192.0.2.3 +secure" },
	{ "empty.example", "A", "NODATA" },
	{ "fail.example", "A", "SERVFAIL" },
	{ "bogus.example", "A", "BOGUS" },
	{ "slow.example", "A", "SILENT" },
	{ "slow2.example", "MX", "SILENT" },
	{ NULL, NULL, NULL }
};

static void
answers(int sync)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	script_load(zone, 0, sync);
	start(&s, &base, &r, 5000);
	assert_int_equal(lookup_ask(&s, "a.example", DNS_T_A, handler,
	    &slot_a), 0);
	assert_int_equal(lookup_ask(&s, "a.example", DNS_T_TXT, handler,
	    &slot_b), 0);
	assert_int_equal(lookup_ask(&s, "nowhere.example", DNS_T_A, handler,
	    NULL), 0);
	assert_int_equal(s.queries, 3);
	if (sync) {
		assert_int_equal(s.pending, 0);
		assert_int_equal(log_.answers, 3);
	} else {
		assert_int_equal(s.pending, 3);
		assert_int_equal(log_.answers, 0);
		assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	}
	assert_int_equal(log_.answers, 3);
	assert_int_equal(log_.seen, 3);
	assert_int_equal(log_.pending_at_seen, 0);
	assert_int_equal(s.pending, 0);
	assert_int_equal(log_.status[0], DNS_OK);
	assert_int_equal(log_.records[0], 2);
	assert_ptr_equal(log_.arg[0], &slot_a);
	assert_int_equal(log_.status[1], DNS_OK);
	assert_int_equal(log_.records[1], 1);
	assert_ptr_equal(log_.arg[1], &slot_b);
	assert_int_equal(log_.status[2], DNS_NXDOMAIN);
	assert_null(log_.arg[2]);
	assert_int_equal(script_asked("a.example", "A"), 1);
	/* not validating: nothing to say about DNSSEC */
	assert_int_equal(lookup_set_dnssec(&s), SPF_DNSSEC_UNVALIDATED);
	lookup_reap(&s);
	assert_null(TAILQ_FIRST(&s.lookups));
	finish(&s, base, r);
}

static void
test_answers_async(void **state)
{
	(void)state;
	answers(0);
}

static void
test_answers_sync(void **state)
{
	(void)state;
	answers(1);
}

/* Errors reach the handler as statuses; the why of a bogus one too. */
static void
test_statuses(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 1, 0);
	start(&s, &base, &r, 5000);
	(void)lookup_ask(&s, "empty.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "fail.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "bogus.example", DNS_T_A, handler, NULL);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(log_.answers, 3);
	/* the name with no records of the type: the layer says so */
	assert_int_equal(log_.status[0], DNS_NODATA);
	assert_int_equal(log_.status[1], DNS_ERROR);
	assert_int_equal(log_.status[2], DNS_BOGUS);
	assert_string_equal(log_.why, "scripted bogus");
	assert_int_equal(lookup_set_dnssec(&s), SPF_DNSSEC_BOGUS);
	finish(&s, base, r);
}

/* One insecure answer makes the set insecure; a DNS error does not. */
static void
test_dnssec_tally(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 1, 1);
	start(&s, &base, &r, 5000);
	assert_int_equal(lookup_set_dnssec(&s), SPF_DNSSEC_UNVALIDATED);
	(void)lookup_ask(&s, "secure.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "fail.example", DNS_T_A, handler, NULL);
	assert_int_equal(lookup_set_dnssec(&s), SPF_DNSSEC_SECURE);
	(void)lookup_ask(&s, "a.example", DNS_T_A, handler, NULL);
	assert_int_equal(lookup_set_dnssec(&s), SPF_DNSSEC_INSECURE);
	assert_int_equal(lookup_dnssec_of(&s, DNS_OK, 2), SPF_DNSSEC_SECURE);
	assert_int_equal(lookup_dnssec_of(&s, DNS_BOGUS, 0), SPF_DNSSEC_BOGUS);
	assert_int_equal(lookup_dnssec_of(&s, DNS_TIMEOUT, 0),
	    SPF_DNSSEC_INSECURE);
	finish(&s, base, r);
}

/* Past max_queries a question is refused, and no handler runs. */
static void
test_budget(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 1);
	start(&s, &base, &r, 5000);
	s.max_queries = 2;
	assert_int_equal(lookup_ask(&s, "a.example", DNS_T_A, handler, NULL),
	    0);
	assert_int_equal(lookup_ask(&s, "a.example", DNS_T_TXT, handler,
	    NULL), 0);
	assert_int_equal(lookup_ask(&s, "b.example", DNS_T_A, handler, NULL),
	    -1);
	assert_int_equal(log_.answers, 2);
	assert_int_equal(s.queries, 2);
	assert_int_equal(script_queries(), 2);
	finish(&s, base, r);
}

/*
 * The timer tells the owner which lookup was late; abandoning answers
 * what is outstanding DNS_TIMEOUT, cancels it at the resolver, and
 * answers every later question at once without asking.
 */
static void
test_expiry_and_abandon(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	start(&s, &base, &r, 20);
	(void)lookup_ask(&s, "a.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "slow.example", DNS_T_A, handler, &slot_a);
	(void)lookup_ask(&s, "slow2.example", DNS_T_MX, handler, &slot_b);
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(log_.expired, 1);
	assert_string_equal(log_.late, "slow.example");
	assert_int_equal(log_.answers, 1);
	assert_int_equal(s.pending, 2);
	assert_int_equal(script_outstanding(), 2);

	lookup_abandon(&s);
	assert_int_equal(s.pending, 0);
	assert_int_equal(script_cancelled(), 2);
	assert_int_equal(log_.answers, 3);
	assert_int_equal(log_.status[1], DNS_TIMEOUT);
	assert_ptr_equal(log_.arg[1], &slot_a);
	assert_int_equal(log_.status[2], DNS_TIMEOUT);
	/* abandoning is not an answer: no seen hook for it */
	assert_int_equal(log_.seen, 1);
	assert_int_equal(lookup_ask(&s, "a.example", DNS_T_TXT, handler,
	    NULL), 0);
	assert_int_equal(log_.answers, 4);
	assert_int_equal(log_.status[3], DNS_TIMEOUT);
	assert_int_equal(script_queries(), 3);
	finish(&s, base, r);
}

/* Releasing cancels what is outstanding and stops the timer. */
static void
test_release(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	start(&s, &base, &r, 20);
	(void)lookup_ask(&s, "slow.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "a.example", DNS_T_A, handler, NULL);
	lookup_release(&s);
	assert_int_equal(s.pending, 0);
	assert_null(TAILQ_FIRST(&s.lookups));
	assert_int_equal(script_cancelled(), 2);
	assert_int_equal(script_outstanding(), 0);
	/* neither the answer nor the timer comes any more */
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(log_.answers, 0);
	assert_int_equal(log_.expired, 0);
	finish(&s, base, r);
}

/* A name no question can be asked about is a DNS error, at once. */
static void
test_unaskable(void **state)
{
	struct lookup_set	 s;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	start(&s, &base, &r, 5000);
	assert_int_equal(lookup_ask(&s, "bad..name", DNS_T_A, handler, NULL),
	    0);
	assert_int_equal(log_.answers, 1);
	assert_int_equal(log_.status[0], DNS_ERROR);
	assert_int_equal(log_.seen, 1);
	assert_int_equal(s.pending, 0);
	/* nothing went out: no question counted */
	assert_int_equal(s.queries, 0);
	assert_int_equal(script_queries(), 0);
	finish(&s, base, r);
}

/*
 * Two sets of one hub asking the same name and type wait on one
 * question; one giving up leaves the other waiting, the question is
 * cancelled only when nobody waits; a later ask comes from the cache.
 */
static void
test_shared(void **state)
{
	struct lookup_owner	 owner = { &log_, seen, expired };
	struct lookup_set	 s, s2;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	start(&s, &base, &r, 5000);
	assert_int_equal(lookup_init(&s2, hub, base, 5000, &owner), 0);
	(void)lookup_ask(&s, "a.example", DNS_T_A, handler, &slot_a);
	(void)lookup_ask(&s2, "A.Example.", DNS_T_A, handler, &slot_b);
	assert_int_equal(script_queries(), 1);
	assert_int_equal(s.queries, 1);
	assert_int_equal(s2.queries, 0);
	assert_int_equal(s2.pending, 1);
	lookup_release(&s);
	assert_int_equal(script_cancelled(), 0);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(log_.answers, 1);
	assert_ptr_equal(log_.arg[0], &slot_b);
	assert_int_equal(log_.records[0], 2);
	assert_int_equal(s2.pending, 0);

	/* answered at once from the cache, no question */
	assert_int_equal(lookup_ask(&s2, "a.example", DNS_T_A, handler, NULL),
	    0);
	assert_int_equal(log_.answers, 2);
	assert_int_equal(log_.records[1], 2);
	assert_int_equal(s2.cached, 1);
	assert_int_equal(script_queries(), 1);

	/* nobody waits any more: the question goes */
	lookup_free(&s);
	assert_int_equal(lookup_init(&s, hub, base, 5000, &owner), 0);
	(void)lookup_ask(&s, "slow.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s2, "slow.example", DNS_T_A, handler, NULL);
	assert_int_equal(script_queries(), 2);
	lookup_abandon(&s2);
	assert_int_equal(script_cancelled(), 0);
	lookup_release(&s);
	assert_int_equal(script_cancelled(), 1);
	assert_int_equal(script_outstanding(), 0);
	lookup_free(&s2);
	finish(&s, base, r);
}

/*
 * With at most one question out, the others wait in the hub's queue and
 * go out in the order asked, each after the one before it ended (with
 * sync, answered inside resolver_query as they go out: no recursion).
 */
static void
queued(int sync)
{
	struct lookup_owner	 owner = { &log_, seen, expired };
	struct lookup_set	 s, s2;
	struct event_base	*base;
	struct resolver		*r;
	int			 pass;

	script_load(zone, 0, sync);
	max_questions = 1;
	start(&s, &base, &r, 5000);
	max_questions = 0;
	assert_int_equal(lookup_init(&s2, hub, base, 5000, &owner), 0);
	(void)lookup_ask(&s2, "slow.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s, "nowhere.example", DNS_T_A, handler, &slot_a);
	(void)lookup_ask(&s, "a.example", DNS_T_TXT, handler, &slot_b);
	(void)lookup_ask(&s, "a.example", DNS_T_A, handler, NULL);
	assert_int_equal(script_queries(), 1);
	/* queued, not yet asked: counted as each goes out */
	assert_int_equal(s.queries, 0);
	assert_int_equal(s.pending, 3);
	/* nobody waits on the one out: it goes, and the queue moves */
	lookup_free(&s2);
	assert_int_equal(script_cancelled(), 1);
	for (pass = 0; pass < 10 && s.pending > 0; pass++) {
		assert_true(script_outstanding() <= 1);
		assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	}
	assert_int_equal(s.pending, 0);
	assert_int_equal(script_queries(), 4);
	assert_int_equal(s.queries, 3);
	assert_int_equal(log_.answers, 3);
	assert_int_equal(log_.status[0], DNS_NXDOMAIN);
	assert_ptr_equal(log_.arg[0], &slot_a);
	assert_int_equal(log_.status[1], DNS_OK);
	assert_ptr_equal(log_.arg[1], &slot_b);
	assert_int_equal(log_.records[2], 2);
	finish(&s, base, r);
}

static void
test_queued_async(void **state)
{
	(void)state;
	queued(0);
}

static void
test_queued_sync(void **state)
{
	(void)state;
	queued(1);
}

/*
 * A queued question is under its set's timer; giving up on it takes it
 * out of the queue, never to be asked, and frees its room for others.
 */
static void
test_queued_expiry(void **state)
{
	struct lookup_owner	 owner = { &log_, seen, expired };
	struct lookup_set	 s, s2;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	max_questions = 1;
	start(&s, &base, &r, 20);
	max_questions = 0;
	(void)lookup_ask(&s, "slow.example", DNS_T_A, handler, &slot_a);
	(void)lookup_ask(&s, "slow2.example", DNS_T_MX, handler, &slot_b);
	assert_int_equal(script_queries(), 1);
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(log_.expired, 1);
	assert_int_equal(s.pending, 2);
	lookup_abandon(&s);
	assert_int_equal(log_.answers, 2);
	assert_int_equal(log_.status[1], DNS_TIMEOUT);
	assert_ptr_equal(log_.arg[1], &slot_b);
	/* the one out is cancelled; the queued one was never asked */
	assert_int_equal(script_cancelled(), 1);
	assert_int_equal(script_queries(), 1);
	assert_int_equal(script_asked("slow2.example", "MX"), 0);
	/* and only the one asked counts */
	assert_int_equal(s.queries, 1);
	/* the room is free again: another set's question goes out at once */
	assert_int_equal(lookup_init(&s2, hub, base, 5000, &owner), 0);
	log_.set = &s2;
	(void)lookup_ask(&s2, "a.example", DNS_T_A, handler, NULL);
	assert_int_equal(script_queries(), 2);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(log_.answers, 3);
	assert_int_equal(log_.status[2], DNS_OK);
	lookup_free(&s2);
	finish(&s, base, r);
}

/*
 * A queued question whose asker gives up while another set waits on it
 * still goes out, asked by and counted for the set that waits; the one
 * that left counts none.
 */
static void
test_queued_handover(void **state)
{
	struct lookup_owner	 owner = { &log_, seen, expired };
	struct lookup_set	 s, s2, s3;
	struct event_base	*base;
	struct resolver		*r;

	(void)state;
	script_load(zone, 0, 0);
	max_questions = 1;
	start(&s, &base, &r, 5000);
	max_questions = 0;
	assert_int_equal(lookup_init(&s2, hub, base, 5000, &owner), 0);
	assert_int_equal(lookup_init(&s3, hub, base, 5000, &owner), 0);
	(void)lookup_ask(&s, "slow.example", DNS_T_A, handler, NULL);
	(void)lookup_ask(&s2, "a.example", DNS_T_A, handler, &slot_a);
	(void)lookup_ask(&s3, "a.example", DNS_T_A, handler, &slot_b);
	assert_int_equal(script_queries(), 1);
	assert_int_equal(s.queries, 1);
	assert_int_equal(s2.queries + s3.queries, 0);
	lookup_free(&s2);
	lookup_release(&s);
	assert_int_equal(script_cancelled(), 1);
	log_.set = &s3;
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(script_queries(), 2);
	assert_int_equal(script_asked("a.example", "A"), 1);
	assert_int_equal(log_.answers, 1);
	assert_ptr_equal(log_.arg[0], &slot_b);
	assert_int_equal(log_.status[0], DNS_OK);
	assert_int_equal(s2.queries, 0);
	assert_int_equal(s3.queries, 1);
	assert_int_equal(s3.pending, 0);
	lookup_free(&s3);
	finish(&s, base, r);
}

/* RFC 7208 4.6.4, said once for the evaluator and the linter. */
static void
test_limits_rules(void **state)
{
	(void)state;
	assert_true(lookup_term_counts(T_INCLUDE));
	assert_true(lookup_term_counts(T_A));
	assert_true(lookup_term_counts(T_MX));
	assert_true(lookup_term_counts(T_PTR));
	assert_true(lookup_term_counts(T_EXISTS));
	assert_true(lookup_term_counts(T_REDIRECT));
	assert_false(lookup_term_counts(T_ALL));
	assert_false(lookup_term_counts(T_IP4));
	assert_false(lookup_term_counts(T_IP6));
	assert_false(lookup_term_counts(T_EXP));
	assert_false(lookup_term_counts(T_UNKNOWN_MOD));
	assert_true(lookup_void(DNS_NODATA));
	assert_true(lookup_void(DNS_NXDOMAIN));
	assert_false(lookup_void(DNS_OK));
	assert_false(lookup_void(DNS_ERROR));
	assert_false(lookup_void(DNS_BOGUS));
	assert_false(lookup_void(DNS_TIMEOUT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_async),
		cmocka_unit_test(test_answers_sync),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_dnssec_tally),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_expiry_and_abandon),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_unaskable),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_queued_async),
		cmocka_unit_test(test_queued_sync),
		cmocka_unit_test(test_queued_expiry),
		cmocka_unit_test(test_queued_handover),
		cmocka_unit_test(test_limits_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
