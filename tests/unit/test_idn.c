/*
 * test_idn.c: the pieces of internationalized mail (RFC 8616 4) that
 * need no DNS: U-labels to A-labels (idn_alabels), what is UTF-8
 * (utf8.c), which macro letters a string uses (the %{l} rule), a
 * UTF-8 local-part in an explanation, the domain an unevaluated
 * sender's verdict names, and UTF-8 in the --explain trace.  The
 * evaluation itself is tests/idn/suite.yml.
 */
#include "unit.h"

static char	 out[SPF_DOMAIN_LEN], why[128];

/* U-labels in, A-labels out: lower-cased, NFC, IDNA2008's ß and ς. */
static void
test_alabels(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		/* ASCII is RFC 7208's alone: as it came, case and all */
		{ "Example.ORG", "Example.ORG" },
		{ "xn--mnchen-3ya.example", "xn--mnchen-3ya.example" },
		{ "a_b.example.", "a_b.example." },
		{ "m\xc3\xbcnchen.example", "xn--mnchen-3ya.example" },
		{ "M\xc3\x9cNCHEN.Example", "xn--mnchen-3ya.example" },
		/* u + COMBINING DIAERESIS, NFC first */
		{ "mu\xcc\x88nchen.example", "xn--mnchen-3ya.example" },
		{ "sub.m\xc3\xbcnchen.example.",
		    "sub.xn--mnchen-3ya.example." },
		/* IDNA2008, not IDNA2003: ß and final sigma are kept */
		{ "stra\xc3\x9f" "e.example", "xn--strae-oqa.example" },
		{ "STRA\xc3\x9f" "E.example", "xn--strae-oqa.example" },
		{ "\xcf\x82.example", "xn--3xa.example" },
		{ "\xcf\x83.example", "xn--4xa.example" },
		/* 4 octets: DESERET CAPITAL LONG I, lower-cased to U+10428 */
		{ "\xf0\x90\x90\x80.example", "xn--hj8c.example" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		if (idn_alabels(cases[i].in, out, sizeof(out), why,
		    sizeof(why)) != 0)
			fail_msg("%s: %s", cases[i].in, why);
		assert_string_equal(out, cases[i].out);
	}
}

/* What has no A-label form says why. */
static void
test_refused(void **state)
{
	static const struct {
		const char	*in, *why;
	} cases[] = {
		{ "m\xfcnchen.example", "not valid UTF-8" },
		{ "m\xc3nchen.example", "not valid UTF-8" },
		{ "\xc0\xae.example", "not valid UTF-8" },
		{ "\xed\xa0\x80.example", "not valid UTF-8" },
		{ "\xe2\x98\x83.example", "not a valid IDNA2008 name: " },
		{ "\xf0\x9f\x98\x80.example", "not a valid IDNA2008 name: " },
		{ "a\xe2\x80\x8d" "b.example", "not a valid IDNA2008 name: " },
		{ "\xcc\x81" "a.example", "not a valid IDNA2008 name: " },
		{ "\xd9\xa3.example", "not a valid IDNA2008 name: " },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_equal(idn_alabels(cases[i].in, out, sizeof(out),
		    why, sizeof(why)), -1);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("%s: %s", cases[i].in, why);
	}
}

/* An A-label form that does not fit is refused, never cut. */
static void
test_too_long(void **state)
{
	char	 small[16];

	(void)state;
	assert_int_equal(idn_alabels("m\xc3\xbcnchen.example", small,
	    sizeof(small), why, sizeof(why)), -1);
	assert_string_equal(why, "too long");
	assert_int_equal(idn_alabels("abcdefghijklmnopq.example", small,
	    sizeof(small), why, sizeof(why)), -1);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid(""));
	assert_true(utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80"));
	assert_false(utf8_valid("caf\xe9"));
	assert_false(utf8_valid("\xf0\x9f\x98"));
	assert_false(utf8_valid("\xf4\x90\x80\x80"));
	assert_true(utf8_ascii("plain ~ ascii"));
	assert_false(utf8_ascii("caf\xc3\xa9"));
	assert_false(utf8_ascii("\x80"));
}

/* The letters of a macro-string, whatever their case or transformers. */
static void
test_letters(void **state)
{
	const char	*s;

	(void)state;
	s = "%{l}._spf.example";
	assert_int_equal(macro_letters(s, strlen(s), 0), MACRO_LETTER('l'));
	s = "%{S}.%{d2r-}.%{ir}.x";
	assert_int_equal(macro_letters(s, strlen(s), 0), MACRO_LETTER('s') |
	    MACRO_LETTER('d') | MACRO_LETTER('i'));
	s = "%%{l}%_%-.example";
	assert_int_equal(macro_letters(s, strlen(s), 0), 0);
	s = "%{h} %{c} %{t}";
	assert_int_equal(macro_letters(s, strlen(s), MACRO_EXPLAIN),
	    MACRO_LETTER('h') | MACRO_LETTER('c') | MACRO_LETTER('t'));
}

/* In an explanation a UTF-8 local-part is %XX beyond ASCII only. */
static void
test_explain_local(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;
	char			 text[SPF_EXPLANATION_LEN];
	const char		*s = "%{l} (%{s}) %{L}";

	(void)state;
	assert_int_equal(addr_parse("192.0.2.1", &ip), 0);
	memset(&env, 0, sizeof(env));
	env.local = "jos\xc3\xa9+x";
	env.sender = "jos\xc3\xa9+x@e.example";
	env.sender_domain = env.domain = "e.example";
	env.helo = "h.example";
	env.ip = &ip;
	assert_true(macro_expand(s, strlen(s), MACRO_EXPLAIN, &env, text,
	    sizeof(text)) > 0);
	assert_string_equal(text,
	    "jos%C3%A9+x (jos%C3%A9+x@e.example) jos%C3%A9%2Bx");
}

/* An unevaluated sender's domain is the A-label form an evaluation uses. */
static void
test_unchecked_domain(void **state)
{
	struct spf_config	 cfg;
	static struct spf_verdict v;

	(void)state;
	spf_config_init(&cfg);
	spf_verdict_unchecked(&cfg, SPF_TEMPERROR, "192.0.2.1",
	    "<anna@M\xc3\x9cNCHEN.example.>", "h.example", "no checker", &v);
	assert_string_equal(v.result.domain, "xn--mnchen-3ya.example");
	assert_string_equal(v.result.sender, "anna@M\xc3\x9cNCHEN.example.");
	spf_verdict_unchecked(&cfg, SPF_TEMPERROR, "192.0.2.1",
	    "anna@\xe2\x98\x83.example", "h.example", "no checker", &v);
	assert_string_equal(v.result.domain, "\xe2\x98\x83.example");
}

/* The --explain trace shows UTF-8, never C1 controls or stray octets. */
static void
test_trace(void **state)
{
	struct spf_trace	 t;

	(void)state;
	memset(&t, 0, sizeof(t));
	trace_add(&t, 1, "%s", "j\xc3\xbcrgen \xc2\x9b[31m \xfc \x1b "
	    "\xf0\x9f\x98" "\xf0\x9f\x98\x80");
	assert_non_null(t.sb.buf);
	assert_string_equal(t.sb.buf,
	    "  j\xc3\xbcrgen ??[31m ? ? ???\xf0\x9f\x98\x80\n");
	trace_free(&t);
}

int
main(void)
{
	const struct CMUnitTest idn_tests[] = {
		cmocka_unit_test(test_alabels),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_letters),
		cmocka_unit_test(test_explain_local),
		cmocka_unit_test(test_unchecked_domain),
		cmocka_unit_test(test_trace),
	};

	return cmocka_run_group_tests(idn_tests, NULL, NULL);
}
