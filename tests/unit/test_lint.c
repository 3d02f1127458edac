/*
 * test_lint.c: the linter (common/lint/) on scripted DNS, for what it
 * now shares with the evaluator: the lookup layer (answers, timer,
 * DNSSEC per record), the count of DNS-querying terms and void lookups
 * (the same tree counts the same in both), and which TXT records are
 * SPF, nearly SPF, or Sender ID's.
 */
#include <event2/event.h>

#include "unit.h"
#include "lint/spflint.h"

struct lint_outcome {
	int			 calls;
	int			 lookups, void4, void6, nrecords, queries;
	enum spf_dnssec		 dnssec0;
	char			 missing0[32];
	char			 codes[8192];	/* "code code ..." */
};

static void
done(const struct spf_lint_report *r, void *arg)
{
	struct lint_outcome	*o = arg;
	int			 i;

	o->calls++;
	o->lookups = r->lookups;
	o->void4 = r->void_lookups_ipv4;
	o->void6 = r->void_lookups_ipv6;
	o->nrecords = r->nrecords;
	o->queries = r->queries;
	o->dnssec0 = r->records[0].dnssec;
	(void)strlcpy(o->missing0, r->records[0].missing != NULL ?
	    r->records[0].missing : "", sizeof(o->missing0));
	for (i = 0; i < r->nfindings; i++) {
		(void)strlcat(o->codes, r->findings[i].code, sizeof(o->codes));
		(void)strlcat(o->codes, " ", sizeof(o->codes));
	}
}

static struct lint_outcome
lint(const struct script_line *zone, const char *domain, int sync,
    int validating, int timeout_ms)
{
	struct spf_checker	*c;
	struct event_base	*base;
	struct lint_outcome	 o;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	c = script_checker(zone, validating, sync, timeout_ms, &base);
	assert_non_null(spf_lint_start(c, domain, done, &o, err,
	    sizeof(err)));
	script_run(c, base);
	assert_int_equal(o.calls, 1);
	return o;
}

static int
has(const struct lint_outcome *o, const char *code)
{
	char	 word[64];

	(void)snprintf(word, sizeof(word), "%s ", code);
	return strstr(o->codes, word) != NULL;
}

/* The trees test_eval.c evaluates: the linter counts what it counts. */
static void
test_counts(void **state)
{
	struct lint_outcome	 o;
	int			 sync;

	(void)state;
	for (sync = 0; sync < 2; sync++) {
		o = lint(limits_zone, "ten.example", sync, 0, 5000);
		assert_int_equal(o.lookups, 10);
		assert_false(has(&o, "too-many-lookups"));
		o = lint(limits_zone, "eleven.example", sync, 0, 5000);
		assert_int_equal(o.lookups, 11);
		assert_int_equal(o.nrecords, 2);
		assert_true(has(&o, "too-many-lookups"));
		/* the evaluator's third void lookup, for IPv4 clients */
		o = lint(limits_zone, "voids.example", sync, 0, 5000);
		assert_int_equal(o.void4, 3);
		assert_true(has(&o, "too-many-void-lookups"));
		o = lint(limits_zone, "twovoids.example", sync, 0, 5000);
		assert_int_equal(o.void4, 2);
		assert_false(has(&o, "too-many-void-lookups"));
		/* n1 and n2 do not exist, n3 has no AAAA; a redirect's
		 * all is only seen behind the redirect */
		o = lint(limits_zone, "voidtree.example", sync, 0, 5000);
		assert_int_equal(o.lookups, 14);
		assert_int_equal(o.void4, 2);
		assert_int_equal(o.void6, 3);
		assert_true(has(&o, "too-many-void-lookups"));
	}
}

static const struct script_line txts[] = {
	{ "look.example", "TXT", "\"v=spf1 -all\"|spf2.0/pra -all|"
	    "google-site-verification=x" },
	{ "spf1.example", "TXT", "v=spf1 -all|spf1 ip4:192.0.2.1" },
	{ "two.example", "TXT", "v=spf1 -all|v=spf1 ?all" },
	{ "slow.example", "TXT", "SILENT" },
	{ "sec.example", "TXT", "v=spf1 -all +secure" },
	{ NULL, NULL, NULL }
};

static void
test_txt_kinds(void **state)
{
	struct lint_outcome	 o;

	(void)state;
	o = lint(txts, "look.example", 0, 0, 5000);
	assert_true(has(&o, "not-spf"));
	assert_true(has(&o, "sender-id"));
	assert_true(has(&o, "no-record"));
	o = lint(txts, "spf1.example", 0, 0, 5000);
	assert_true(has(&o, "not-spf"));
	assert_false(has(&o, "no-record"));
	o = lint(txts, "two.example", 0, 0, 5000);
	assert_true(has(&o, "multiple-records"));
}

/* What has not come back in time is reported, and cancelled. */
static void
test_timeout(void **state)
{
	struct lint_outcome	 o;

	(void)state;
	o = lint(txts, "slow.example", 0, 0, 30);
	assert_true(has(&o, "dns-error"));
	assert_string_equal(o.missing0, "no answer");
	assert_int_equal(script_cancelled(), 1);
	assert_int_equal(o.queries, 1);
}

static void
test_dnssec(void **state)
{
	struct lint_outcome	 o;

	(void)state;
	o = lint(txts, "sec.example", 0, 1, 5000);
	assert_int_equal(o.dnssec0, SPF_DNSSEC_SECURE);
	o = lint(txts, "two.example", 0, 1, 5000);
	assert_int_equal(o.dnssec0, SPF_DNSSEC_INSECURE);
	o = lint(txts, "sec.example", 0, 0, 5000);
	assert_int_equal(o.dnssec0, SPF_DNSSEC_UNVALIDATED);
	o = lint(txts, "slow.example", 0, 1, 30);
	assert_int_equal(o.dnssec0, SPF_DNSSEC_INSECURE);
}

/* The lookup budget of one lint is the lookup layer's max_queries. */
static void
test_budget(void **state)
{
	static char		 names[30][16], record[30 * 16 + 16];
	static char		 hostnames[10][8];
	static const char	*hosts = "10 a.x|10 b.x|10 c.x|10 d.x|10 e.x|"
	    "10 f.x|10 g.x|10 h.x|10 i.x|10 j.x";
	struct script_line	 zone[52];
	struct lint_outcome	 o;
	int			 i;

	(void)state;
	/* 30 mx terms of 10 hosts each: 30 + 30 * 20 questions */
	for (i = 0; i < 10; i++) {
		(void)snprintf(hostnames[i], sizeof(hostnames[i]), "%c.x",
		    'a' + i);
		zone[31 + 2 * i].name = zone[32 + 2 * i].name = hostnames[i];
		zone[31 + 2 * i].type = "A";
		zone[31 + 2 * i].data = "192.0.2.1";
		zone[32 + 2 * i].type = "AAAA";
		zone[32 + 2 * i].data = "2001:db8::1";
	}
	(void)strlcpy(record, "v=spf1", sizeof(record));
	for (i = 0; i < 30; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "m%02d.example", i);
		(void)strlcat(record, " mx:", sizeof(record));
		(void)strlcat(record, names[i], sizeof(record));
		zone[i + 1].name = names[i];
		zone[i + 1].type = "MX";
		zone[i + 1].data = hosts;
	}
	(void)strlcat(record, " -all", sizeof(record));
	zone[0].name = "big.example";
	zone[0].type = "TXT";
	zone[0].data = record;
	zone[51].name = NULL;
	o = lint(zone, "big.example", 0, 0, 5000);
	/*
	 * 600 lookups spend the budget; the 10 hosts' addresses are asked
	 * once each, the other 570 lookups of them are shared or cached:
	 * 1 + 30 + 10 + 10 questions reach the resolver.
	 */
	assert_int_equal(o.queries, 600);
	assert_int_equal(script_queries(), 51);
	assert_true(has(&o, "not-checked"));
	assert_true(has(&o, "too-many-lookups"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_txt_kinds),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_dnssec),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
