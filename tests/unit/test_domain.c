/*
 * test_domain.c: names as identities (domain_valid_initial, RFC 7208
 * 4.3), as DNS questions (domain_valid_query, domain_query_text), and
 * compared the way DNS compares them (domain_within, domain_strip_dot).
 */
#include "unit.h"

static const char *labels(size_t, size_t, int);

/*
 * A name of total octets made of labels of at most lab octets, with a
 * trailing dot if asked (not counted in total).
 */
static const char *
labels(size_t total, size_t lab, int dot)
{
	static char	 buf[1024];
	size_t		 i, n;

	assert_true(total + 2 < sizeof(buf));
	for (i = 0, n = 0; i < total; i++) {
		if (n == lab && i + 1 < total) {
			buf[i] = '.';
			n = 0;
		} else {
			buf[i] = 'a' + (char)(i % 26);
			n++;
		}
	}
	if (dot)
		buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

static void
test_valid_initial(void **state)
{
	char	 s[512];

	(void)state;
	assert_int_equal(domain_valid_initial("example.com"), 1);
	assert_int_equal(domain_valid_initial("example.com."), 1);
	assert_int_equal(domain_valid_initial("a.b"), 1);
	assert_int_equal(domain_valid_initial("_spf.example.com"), 1);
	assert_int_equal(domain_valid_initial("1.2.3.4"), 1);
	assert_int_equal(domain_valid_initial("EXAMPLE.COM"), 1);
	/* single labels and empty names */
	assert_int_equal(domain_valid_initial("com"), 0);
	assert_int_equal(domain_valid_initial("com."), 0);
	assert_int_equal(domain_valid_initial("localhost"), 0);
	assert_int_equal(domain_valid_initial(""), 0);
	assert_int_equal(domain_valid_initial("."), 0);
	/* empty labels */
	assert_int_equal(domain_valid_initial("a..b"), 0);
	assert_int_equal(domain_valid_initial(".example.com"), 0);
	assert_int_equal(domain_valid_initial("example.com.."), 0);
	assert_int_equal(domain_valid_initial("..example.com"), 0);
	/* domain literals */
	assert_int_equal(domain_valid_initial("[192.0.2.1]"), 0);
	assert_int_equal(domain_valid_initial("[IPv6:2001:db8::1]"), 0);
	/* what is not visible ASCII */
	assert_int_equal(domain_valid_initial("exa mple.com"), 0);
	assert_int_equal(domain_valid_initial("example.com "), 0);
	assert_int_equal(domain_valid_initial("exa\tmple.com"), 0);
	assert_int_equal(domain_valid_initial("example.com\x7f"), 0);
	assert_int_equal(domain_valid_initial("caf\xc3\xa9.example"), 0);
	assert_int_equal(domain_valid_initial("example.com\r"), 0);

	/* 63-octet labels are fine, 64 are not */
	memset(s, 'a', 63);
	(void)strlcpy(s + 63, ".example.com", sizeof(s) - 63);
	assert_int_equal(domain_valid_initial(s), 1);
	memset(s, 'a', 64);
	(void)strlcpy(s + 64, ".example.com", sizeof(s) - 64);
	assert_int_equal(domain_valid_initial(s), 0);
	(void)snprintf(s, sizeof(s), "example.%063d", 0);
	assert_int_equal(domain_valid_initial(s), 1);
	(void)snprintf(s, sizeof(s), "example.%064d", 0);
	assert_int_equal(domain_valid_initial(s), 0);

	/* 253 octets in all, a trailing dot not counted */
	assert_int_equal(domain_valid_initial(labels(253, 63, 0)), 1);
	assert_int_equal(domain_valid_initial(labels(253, 63, 1)), 1);
	assert_int_equal(domain_valid_initial(labels(254, 63, 0)), 0);
	assert_int_equal(domain_valid_initial(labels(254, 63, 1)), 0);
	assert_int_equal(domain_valid_initial(labels(253, 1, 0)), 1);
	assert_int_equal(domain_valid_initial(labels(300, 10, 0)), 0);
	assert_int_equal(strlen(labels(253, 63, 1)), 254);
}

static void
test_valid_query(void **state)
{
	char	 s[128];

	(void)state;
	assert_int_equal(domain_valid_query("example.com"), 1);
	assert_int_equal(domain_valid_query("example.com."), 1);
	/* a single label can be asked about */
	assert_int_equal(domain_valid_query("com"), 1);
	assert_int_equal(domain_valid_query("localhost."), 1);
	/* anything domain_query_text can quote */
	assert_int_equal(domain_valid_query("a b.example"), 1);
	assert_int_equal(domain_valid_query("[192.0.2.1].example"), 1);
	assert_int_equal(domain_valid_query(""), 0);
	assert_int_equal(domain_valid_query("."), 0);
	assert_int_equal(domain_valid_query("a..b"), 0);
	assert_int_equal(domain_valid_query(".a"), 0);
	assert_int_equal(domain_valid_query("a.."), 0);
	memset(s, 'q', 63);
	s[63] = '\0';
	assert_int_equal(domain_valid_query(s), 1);
	memset(s, 'q', 64);
	s[64] = '\0';
	assert_int_equal(domain_valid_query(s), 0);
	assert_int_equal(domain_valid_query(labels(253, 63, 0)), 1);
	assert_int_equal(domain_valid_query(labels(253, 63, 1)), 1);
	assert_int_equal(domain_valid_query(labels(254, 63, 0)), 0);
	assert_int_equal(domain_valid_query(labels(254, 63, 1)), 0);
}

static void
test_within(void **state)
{
	static const struct {
		const char	*name, *domain;
		int		 in;
	} cases[] = {
		{ "example.com", "example.com", 1 },
		{ "mail.example.com", "example.com", 1 },
		{ "a.b.mail.example.com", "example.com", 1 },
		{ "foo.bar.example.com", "bar.example.com", 1 },
		{ "MAIL.Example.COM", "example.com", 1 },
		{ "mail.example.com", "EXAMPLE.com", 1 },
		{ "mail.example.com.", "example.com", 1 },
		{ "mail.example.com", "example.com.", 1 },
		{ "example.com.", "example.com.", 1 },
		{ "xexample.com", "example.com", 0 },
		{ "mail.xexample.com", "example.com", 0 },
		{ "fooexample.com", "example.com", 0 },
		{ "example.comx", "example.com", 0 },
		{ "example.com", "mail.example.com", 0 },
		{ "com", "example.com", 0 },
		{ "example.org", "example.com", 0 },
		{ "", "example.com", 0 },
		{ "mail.example.com", "", 0 },
		{ "mail.example.com", ".", 0 },
		{ "example.com", "com", 1 },
		{ "example.com", "m", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (domain_within(cases[i].name, cases[i].domain) !=
		    cases[i].in)
			fail_msg("domain_within(\"%s\", \"%s\") != %d",
			    cases[i].name, cases[i].domain, cases[i].in);
}

static void
test_query_text(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "example.com", "example.com" },
		{ "", "" },
		{ "a\\b.example", "a\\\\b.example" },
		{ "\\", "\\\\" },
		{ "a b", "a\\032b" },
		{ "\t", "\\009" },
		{ "\x01", "\\001" },
		{ "\x7f", "\\127" },
		{ "\x80", "\\128" },
		{ "caf\xc3\xa9", "caf\\195\\169" },
		{ "\xff", "\\255" },
		{ "_spf.example.com.", "_spf.example.com." },
		{ "!#$%&'*+-/=?^_`{|}~", "!#$%&'*+-/=?^_`{|}~" },
	};
	char	 buf[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(domain_query_text(cases[i].in, buf,
		    sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].out);
	}
}

static void
test_query_text_overflow(void **state)
{
	char	 buf[16];

	(void)state;
	/* room for the text and its NUL, not an octet less */
	assert_int_equal(domain_query_text("abc", buf, 4), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(domain_query_text("abc", buf, 3), -1);
	assert_int_equal(domain_query_text("a b", buf, 7), 0);
	assert_string_equal(buf, "a\\032b");
	assert_int_equal(domain_query_text("a b", buf, 6), -1);
	assert_int_equal(domain_query_text("a b", buf, 5), -1);
	assert_int_equal(domain_query_text("x\\", buf, 4), 0);
	assert_string_equal(buf, "x\\\\");
	assert_int_equal(domain_query_text("x\\", buf, 3), -1);
	assert_int_equal(domain_query_text("", buf, 1), 0);
	assert_string_equal(buf, "");
	/* nothing written past the buffer given */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(domain_query_text("", buf, 0), -1);
	assert_int_equal(buf[0], 'Z');
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(domain_query_text("\xff\xff\xff\xff", buf, 8), -1);
	assert_int_equal(buf[8], 'Z');
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(domain_query_text("abcdefgh", buf, 8), -1);
	assert_int_equal(buf[8], 'Z');
}

static void
test_strip_dot(void **state)
{
	char	 s[32];

	(void)state;
	(void)strlcpy(s, "example.com.", sizeof(s));
	domain_strip_dot(s);
	assert_string_equal(s, "example.com");
	domain_strip_dot(s);
	assert_string_equal(s, "example.com");
	(void)strlcpy(s, "a..", sizeof(s));
	domain_strip_dot(s);
	assert_string_equal(s, "a.");
	(void)strlcpy(s, ".", sizeof(s));
	domain_strip_dot(s);
	assert_string_equal(s, "");
	s[0] = '\0';
	domain_strip_dot(s);
	assert_string_equal(s, "");
}

int
main(void)
{
	const struct CMUnitTest domain_tests[] = {
		cmocka_unit_test(test_valid_initial),
		cmocka_unit_test(test_valid_query),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_query_text),
		cmocka_unit_test(test_query_text_overflow),
		cmocka_unit_test(test_strip_dot),
	};

	return cmocka_run_group_tests(domain_tests, NULL, NULL);
}
