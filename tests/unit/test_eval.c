/*
 * test_eval.c: check_host() (eval.c, evalmech.c, exp.c) on
 * scripted DNS: every mechanism matching and not, include and
 * redirect, the limits of RFC 7208 4.6.4 at their edges, DNS errors,
 * DNSSEC, the timer, and cancelling.  Each case runs with answers
 * from the loop and again with answers inside the question (as
 * libunbound gives cached data), which must not change the result.
 */
#include <event2/event.h>

#include "unit.h"

struct outcome {
	int			 calls;
	struct spf_result	 r;
};

static void
done(const struct spf_result *r, void *arg)
{
	struct outcome	*o = arg;

	o->calls++;
	o->r = *r;
	o->r.trace = NULL;
}

/* Check ip/sender against the script; the result of the one call. */
static struct spf_result
check_with(const struct script_line *zone, int sync, int validating,
    const char *ip, const char *sender, int timeout_ms)
{
	struct spf_checker	*c;
	struct event_base	*base;
	struct outcome		 o;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	c = script_checker(zone, validating, sync, timeout_ms, &base);
	assert_non_null(spf_query_start(c, ip, sender, "helo.example", 0,
	    done, &o, err, sizeof(err)));
	script_run(c, base);
	assert_int_equal(o.calls, 1);
	return o.r;
}

/* Both ways of answering; they must agree. */
static struct spf_result
check(const struct script_line *zone, const char *ip, const char *sender)
{
	struct spf_result	 a, b;

	a = check_with(zone, 0, 0, ip, sender, 5000);
	b = check_with(zone, 1, 0, ip, sender, 5000);
	assert_int_equal(a.code, b.code);
	assert_string_equal(a.mechanism, b.mechanism);
	assert_string_equal(a.problem, b.problem);
	assert_string_equal(a.explanation, b.explanation);
	assert_int_equal(a.lookups, b.lookups);
	assert_int_equal(a.void_lookups, b.void_lookups);
	assert_int_equal(a.queries, b.queries);
	return a;
}

static const struct script_line mechs[] = {
	{ "m.example", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
	    "a:host.m.example mx exists:%{i}.ok.m.example ~all" },
	{ "host.m.example", "A", "198.51.100.1" },
	{ "m.example", "MX", "10 mx1.m.example|20 mx2.m.example" },
	{ "mx1.m.example", "A", "203.0.113.1" },
	{ "mx2.m.example", "A", "SERVFAIL" },
	{ "203.0.113.9.ok.m.example", "A", "127.0.0.2" },
	{ NULL, NULL, NULL }
};

static void
test_mechanisms(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(mechs, "192.0.2.7", "a@m.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_string_equal(r.mechanism, "ip4:192.0.2.0/24");
	assert_int_equal(r.lookups, 0);
	assert_int_equal(r.queries, 1);
	r = check(mechs, "2001:db8::1", "a@m.example");
	assert_int_equal(r.code, SPF_PASS);
	r = check(mechs, "198.51.100.1", "a@m.example");
	assert_string_equal(r.mechanism, "a:host.m.example");
	assert_int_equal(r.lookups, 1);
	/* one MX host matches: the other's error does not matter */
	r = check(mechs, "203.0.113.1", "a@m.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_string_equal(r.mechanism, "mx");
	assert_int_equal(r.lookups, 2);
	/* no match in mx, and one MX host failed: temperror */
	r = check(mechs, "203.0.113.9", "a@m.example");
	assert_int_equal(r.code, SPF_TEMPERROR);
	assert_non_null(strstr(r.problem, "mx2.m.example"));
}

static const struct script_line exists_zone[] = {
	{ "e.example", "TXT", "v=spf1 exists:%{i}.ok.e.example -all" },
	{ "203.0.113.9.ok.e.example", "A", "127.0.0.2" },
	{ NULL, NULL, NULL }
};

static void
test_exists_and_fail(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(exists_zone, "203.0.113.9", "a@e.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_string_equal(r.mechanism, "exists:%{i}.ok.e.example");
	/* the other address's name does not exist: one void lookup */
	r = check(exists_zone, "203.0.113.8", "a@e.example");
	assert_int_equal(r.code, SPF_FAIL);
	assert_string_equal(r.mechanism, "-all");
	assert_int_equal(r.void_lookups, 1);
	assert_int_equal(r.lookups, 1);
	/* no exp=: the configured default explanation */
	assert_true(r.explanation[0] != '\0');
}

static const struct script_line tree[] = {
	{ "t.example", "TXT", "v=spf1 include:i.example -all "
	    "exp=why.t.example" },
	{ "why.t.example", "TXT", "%{i} is not one of %{d}'s" },
	{ "i.example", "TXT", "v=spf1 ip4:192.0.2.1 redirect=r.example" },
	{ "r.example", "TXT", "v=spf1 ip4:192.0.2.2 -all" },
	{ "none.example", "TXT", "v=spf1 include:nothing.example" },
	{ "nothing.example", "TXT", "NODATA" },
	{ "two.example", "TXT", "v=spf1 -all|v=spf1 +all" },
	{ "plain.example", "TXT", "hello|v=spf10" },
	{ "syntax.example", "TXT", "v=spf1 ip4:300.0.0.1 -all" },
	{ "redir.example", "TXT", "v=spf1 redirect=nothing.example" },
	{ NULL, NULL, NULL }
};

static void
test_include_redirect_exp(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(tree, "192.0.2.1", "a@t.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_string_equal(r.mechanism, "include:i.example");
	/* the include's redirect passes: the include matches */
	r = check(tree, "192.0.2.2", "a@t.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_int_equal(r.lookups, 2);
	/* the include's redirect fails: no match, then -all with exp= */
	r = check(tree, "192.0.2.3", "a@t.example");
	assert_int_equal(r.code, SPF_FAIL);
	assert_string_equal(r.explanation,
	    "192.0.2.3 is not one of t.example's");
	r = check(tree, "192.0.2.3", "a@none.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_non_null(strstr(r.problem, "nothing.example has no SPF"));
	r = check(tree, "192.0.2.3", "a@redir.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_non_null(strstr(r.problem, "redirect target"));
	r = check(tree, "192.0.2.3", "a@two.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_non_null(strstr(r.problem, "2 SPF records"));
	r = check(tree, "192.0.2.3", "a@plain.example");
	assert_int_equal(r.code, SPF_NONE);
	r = check(tree, "192.0.2.3", "a@unscripted.example");
	assert_int_equal(r.code, SPF_NONE);
	r = check(tree, "192.0.2.3", "a@syntax.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_non_null(strstr(r.problem, "syntax error"));
}

/* Ten DNS-querying terms are allowed; the eleventh is a permerror. */
static void
test_limits(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(limits_zone, "192.0.2.1", "a@ten.example");
	assert_int_equal(r.code, SPF_FAIL);
	assert_int_equal(r.lookups, 10);
	/* 5 + include + 4 = 10: the a after the include is refused */
	r = check(limits_zone, "192.0.2.1", "a@eleven.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_int_equal(r.lookups, 10);
	assert_non_null(strstr(r.problem, "more than 10 DNS lookups"));
	/* two void lookups are allowed, the third (no data) is not */
	r = check(limits_zone, "192.0.2.1", "a@twovoids.example");
	assert_int_equal(r.code, SPF_FAIL);
	assert_int_equal(r.void_lookups, 2);
	r = check(limits_zone, "192.0.2.1", "a@voids.example");
	assert_int_equal(r.code, SPF_PERMERROR);
	assert_int_equal(r.void_lookups, 3);
	assert_non_null(strstr(r.problem, "void lookups"));
}

static const struct script_line ptr_zone[] = {
	{ "p.example", "TXT", "v=spf1 ptr:good.p.example -all" },
	{ "9.113.0.203.in-addr.arpa", "PTR", "mail.good.p.example|"
	    "liar.good.p.example" },
	{ "mail.good.p.example", "A", "203.0.113.9" },
	{ "liar.good.p.example", "A", "198.51.100.1" },
	{ "pm.example", "TXT", "v=spf1 exists:%{p}.pm.example -all" },
	{ "mail.good.p.example.pm.example", "A", "127.0.0.2" },
	{ NULL, NULL, NULL }
};

static void
test_ptr_and_p_macro(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(ptr_zone, "203.0.113.9", "a@p.example");
	assert_int_equal(r.code, SPF_PASS);
	assert_int_equal(r.lookups, 1);
	/* PTR, then the two confirmations, and the record */
	assert_int_equal(r.queries, 4);
	r = check(ptr_zone, "203.0.113.8", "a@p.example");
	assert_int_equal(r.code, SPF_FAIL);
	r = check(ptr_zone, "203.0.113.9", "a@pm.example");
	assert_int_equal(r.code, SPF_PASS);
}

static const struct script_line trouble[] = {
	{ "err.example", "TXT", "SERVFAIL" },
	{ "aerr.example", "TXT", "v=spf1 a:down.example -all" },
	{ "down.example", "A", "SERVFAIL" },
	{ "bogus.example", "TXT", "BOGUS" },
	{ "slow.example", "TXT", "SILENT" },
	{ "slowexp.example", "TXT", "v=spf1 -all exp=late.example" },
	{ "late.example", "TXT", "SILENT" },
	{ "sec.example", "TXT", "v=spf1 ip4:192.0.2.0/24 -all +secure" },
	{ NULL, NULL, NULL }
};

static void
test_dns_trouble(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check(trouble, "192.0.2.1", "a@err.example");
	assert_int_equal(r.code, SPF_TEMPERROR);
	assert_non_null(strstr(r.problem, "SPF record of err.example"));
	r = check(trouble, "192.0.2.1", "a@aerr.example");
	assert_int_equal(r.code, SPF_TEMPERROR);
	assert_non_null(strstr(r.problem, "down.example"));
	r = check_with(trouble, 0, 1, "192.0.2.1", "a@bogus.example", 5000);
	assert_int_equal(r.code, SPF_TEMPERROR);
	assert_int_equal(r.dnssec, SPF_DNSSEC_BOGUS);
	assert_string_equal(r.problem, "DNSSEC validation failed for "
	    "bogus.example TXT: scripted bogus");
	r = check_with(trouble, 0, 1, "192.0.2.1", "a@sec.example", 5000);
	assert_int_equal(r.code, SPF_PASS);
	assert_int_equal(r.dnssec, SPF_DNSSEC_SECURE);
	r = check_with(trouble, 1, 0, "192.0.2.1", "a@sec.example", 5000);
	assert_int_equal(r.dnssec, SPF_DNSSEC_UNVALIDATED);
}

/* The timer: a temperror naming the late question; or, if only the
 * explanation was late, the fail with the default explanation. */
static void
test_timeout(void **state)
{
	struct spf_result	 r;

	(void)state;
	r = check_with(trouble, 0, 0, "192.0.2.1", "a@slow.example", 30);
	assert_int_equal(r.code, SPF_TEMPERROR);
	assert_string_equal(r.problem, "no DNS answer within 30 ms for "
	    "slow.example TXT");
	assert_int_equal(script_cancelled(), 1);
	r = check_with(trouble, 1, 0, "192.0.2.1", "a@slowexp.example", 30);
	assert_int_equal(r.code, SPF_FAIL);
	assert_true(r.explanation[0] != '\0');
	assert_int_equal(script_cancelled(), 1);
}

static void
emit(const char *line, void *arg)
{
	(void)strlcat(arg, line, 4096);
	(void)strlcat(arg, "\n", 4096);
}

static void
traced(const struct spf_result *r, void *arg)
{
	assert_int_equal(spf_trace_print(r->trace, 0, emit, arg), 0);
}

/* What each answer was, in the --explain trace, with its DNSSEC mark. */
static void
test_trace(void **state)
{
	static const struct script_line zone[] = {
		{ "tr.example", "TXT", "v=spf1 a:none.tr.example "
		    "a:empty.tr.example mx:tr.example -all +secure" },
		{ "empty.tr.example", "A", "NODATA" },
		{ "tr.example", "MX", "10 mx.tr.example +secure" },
		{ "mx.tr.example", "A", "SERVFAIL" },
		{ NULL, NULL, NULL }
	};
	struct spf_checker	*c;
	struct event_base	*base;
	char			 text[4096] = "", err[256];

	(void)state;
	c = script_checker(zone, 1, 0, 5000, &base);
	assert_non_null(spf_query_start(c, "192.0.2.1", "a@tr.example",
	    "h", 1, traced, text, err, sizeof(err)));
	script_run(c, base);
	assert_non_null(strstr(text, "tr.example TXT -> \"v=spf1 a:none"));
	assert_non_null(strstr(text, "-all\" [secure]"));
	assert_non_null(strstr(text, "none.tr.example A -> no such name "
	    "(NXDOMAIN) [insecure]"));
	assert_non_null(strstr(text, "empty.tr.example A -> no records "
	    "[insecure]"));
	assert_non_null(strstr(text, "tr.example MX -> 10 mx.tr.example "
	    "[secure]"));
	assert_non_null(strstr(text, "mx.tr.example A -> DNS error"));
	assert_non_null(strstr(text, "= temperror"));
}

/* A query cancelled in flight: no callback, its questions cancelled. */
static void
test_cancel(void **state)
{
	struct spf_checker	*c;
	struct spf_query	*q;
	struct event_base	*base;
	struct outcome		 o;
	char			 err[256];

	(void)state;
	memset(&o, 0, sizeof(o));
	c = script_checker(trouble, 0, 0, 5000, &base);
	q = spf_query_start(c, "192.0.2.1", "a@slow.example", "h", 0, done,
	    &o, err, sizeof(err));
	assert_non_null(q);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(script_outstanding(), 1);
	assert_int_equal(spf_checker_inflight(c), 1);
	spf_query_cancel(q);
	assert_int_equal(script_outstanding(), 0);
	assert_int_equal(script_cancelled(), 1);
	assert_int_equal(spf_checker_inflight(c), 0);
	script_run(c, base);
	assert_int_equal(o.calls, 0);
}

/* libevent's allocations fail while set (event_set_mem_functions). */
static int	 event_nomem;

static void *
ev_malloc(size_t n)
{
	return event_nomem ? NULL : malloc(n);
}

static void *
ev_realloc(void *p, size_t n)
{
	return event_nomem ? NULL : realloc(p, n);
}

/*
 * A spare query (checker.c) has its step event: when its timer cannot
 * be made, the query still reports temperror, at the next turn, once.
 */
static void
test_no_timer(void **state)
{
	static const struct script_line zone[] = {
		{ "ok.example", "TXT", "v=spf1 +all" },
		{ NULL, NULL, NULL }
	};
	struct spf_checker	*c;
	struct event_base	*base;
	struct outcome		 o;
	char			 err[256];

	(void)state;
	memset(&o, 0, sizeof(o));
	c = script_checker(zone, 0, 0, 5000, &base);
	assert_non_null(spf_query_start(c, "192.0.2.1", "a@ok.example", "h",
	    0, done, &o, err, sizeof(err)));
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.r.code, SPF_PASS);
	/* plain malloc and free either way: what was allocated stays valid */
	event_set_mem_functions(ev_malloc, ev_realloc, free);
	event_nomem = 1;
	assert_non_null(spf_query_start(c, "192.0.2.1", "b@ok.example", "h",
	    0, done, &o, err, sizeof(err)));
	event_nomem = 0;
	script_run(c, base);
	event_set_mem_functions(NULL, NULL, NULL);
	assert_int_equal(o.calls, 2);
	assert_int_equal(o.r.code, SPF_TEMPERROR);
	assert_string_equal(o.r.problem, "out of memory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_exists_and_fail),
		cmocka_unit_test(test_include_redirect_exp),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ptr_and_p_macro),
		cmocka_unit_test(test_dns_trouble),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_no_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
