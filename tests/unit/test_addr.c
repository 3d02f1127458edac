/*
 * test_addr.c: the client address: addr_parse in every text form the
 * MTAs hand over, addr_in_net at every interesting prefix length,
 * addr_equal, and the text forms addr_text, addr_dotted (%{i}) and
 * addr_reverse_name (the PTR question).
 */
#include "unit.h"

static void	parse_ok(const char *, int, const char *);
static void	parse_bad(const char *);
static void	net(const char *, unsigned char *);

/* s must parse as family af with the octets of the text want. */
static void
parse_ok(const char *s, int af, const char *want)
{
	struct spf_addr	 a;
	unsigned char	 w[16];

	memset(&a, 0xa5, sizeof(a));
	if (addr_parse(s, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", s);
	if (a.af != af)
		fail_msg("addr_parse(\"%s\"): af %d, not %d", s, a.af, af);
	memset(w, 0, sizeof(w));
	assert_int_equal(inet_pton(af, want, w), 1);
	/* the octets, and zeros after an IPv4 address */
	assert_memory_equal(a.a, w, 16);
}

static void
parse_bad(const char *s)
{
	struct spf_addr	 a;

	if (addr_parse(s, &a) != -1)
		fail_msg("addr_parse(\"%s\") accepted", s);
}

static void
net(const char *s, unsigned char *out)
{
	memset(out, 0, 16);
	if (inet_pton(strchr(s, ':') != NULL ? AF_INET6 : AF_INET, s,
	    out) != 1)
		fail_msg("bad test network %s", s);
}

static void
test_parse_ipv4(void **state)
{
	(void)state;
	parse_ok("192.0.2.3", AF_INET, "192.0.2.3");
	parse_ok("0.0.0.0", AF_INET, "0.0.0.0");
	parse_ok("255.255.255.255", AF_INET, "255.255.255.255");
	parse_ok("[192.0.2.3]", AF_INET, "192.0.2.3");
	parse_bad("1.2.3");
	parse_bad("1.2.3.4.5");
	parse_bad("256.0.0.1");
	parse_bad("1.2.3.4:25");
	parse_bad(" 1.2.3.4");
	parse_bad("1.2.3.4 ");
	parse_bad("01.2.3.4");
	parse_bad("0x7f.0.0.1");
	parse_bad("127.1");
	parse_bad("");
	parse_bad("[]");
	parse_bad("[1.2.3.4");
	parse_bad("1.2.3.4]");
	parse_bad("localhost");
}

static void
test_parse_ipv6(void **state)
{
	char	 s[128];

	(void)state;
	parse_ok("2001:db8::1", AF_INET6, "2001:db8::1");
	parse_ok("2001:DB8::CB01", AF_INET6, "2001:db8::cb01");
	parse_ok("::1", AF_INET6, "::1");
	parse_ok("::", AF_INET6, "::");
	/* Exim's fully expanded form */
	parse_ok("2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6,
	    "2001:db8::1");
	parse_ok("2001:0DB8:0000:0000:0000:0000:0000:CB01", AF_INET6,
	    "2001:db8::cb01");
	/* bracketed, as OpenSMTPD and address literals write them */
	parse_ok("[2001:db8::1]", AF_INET6, "2001:db8::1");
	parse_ok("[IPv6:2001:db8::1]", AF_INET6, "2001:db8::1");
	parse_ok("IPv6:2001:db8::1", AF_INET6, "2001:db8::1");
	parse_ok("ipv6:::1", AF_INET6, "::1");
	parse_ok("fe80::1:2:3:4", AF_INET6, "fe80::1:2:3:4");
	parse_ok("1:2:3:4:5:6:7:8", AF_INET6, "1:2:3:4:5:6:7:8");
	/* an address with an IPv4 tail that is not v4-mapped stays v6 */
	parse_ok("::1.2.3.4", AF_INET6, "::1.2.3.4");
	parse_ok("64:ff9b::192.0.2.3", AF_INET6, "64:ff9b::c000:203");
	parse_ok("::ffff:0:1.2.3.4", AF_INET6, "::ffff:0:102:304");
	parse_bad("2001:db8::1::2");
	parse_bad("2001:db8:::1");
	parse_bad(":::");
	parse_bad("1:2:3:4:5:6:7:8:9");
	parse_bad("2001:db8::g");
	parse_bad("12345::1");
	parse_bad("fe80::1%eth0");
	parse_bad("[2001:db8::1");
	parse_bad("2001:db8::1]");
	parse_bad("[[2001:db8::1]]");
	parse_bad("IPv4:1.2.3.4");
	parse_bad("[IPv6:1.2.3.4]x");
	/* a bracketed text too long for any address */
	memset(s, '1', sizeof(s));
	s[0] = '[';
	s[100] = ']';
	s[101] = '\0';
	parse_bad(s);
}

static void
test_parse_v4mapped(void **state)
{
	struct spf_addr	 a;

	(void)state;
	parse_ok("::ffff:1.2.3.4", AF_INET, "1.2.3.4");
	parse_ok("::FFFF:192.0.2.3", AF_INET, "192.0.2.3");
	parse_ok("[::ffff:192.0.2.3]", AF_INET, "192.0.2.3");
	parse_ok("IPv6:::ffff:192.0.2.3", AF_INET, "192.0.2.3");
	parse_ok("::ffff:c000:203", AF_INET, "192.0.2.3");
	parse_ok("0000:0000:0000:0000:0000:ffff:c000:0203", AF_INET,
	    "192.0.2.3");
	/* the rest of the octets are zero, so addr_equal and %{i} agree */
	assert_int_equal(addr_parse("::ffff:10.20.30.40", &a), 0);
	assert_int_equal(a.af, AF_INET);
	assert_int_equal(a.a[0], 10);
	assert_int_equal(a.a[3], 40);
	assert_int_equal(a.a[4], 0);
	assert_int_equal(a.a[15], 0);
}

static void
test_in_net_v4(void **state)
{
	static const struct {
		const char	*net;
		int		 prefix, in;
	} cases[] = {
		/* the client is 192.0.2.129: 11000000 ... 10000001 */
		{ "0.0.0.0", 0, 1 },
		{ "255.255.255.255", 0, 1 },
		{ "128.0.0.0", 1, 1 },
		{ "0.0.0.0", 1, 0 },
		{ "192.0.0.0", 7, 1 },
		{ "193.0.0.0", 7, 1 },
		{ "194.0.0.0", 7, 0 },
		{ "190.0.0.0", 7, 0 },
		{ "192.0.0.0", 8, 1 },
		{ "193.0.0.0", 8, 0 },
		{ "192.0.2.0", 24, 1 },
		{ "192.0.3.0", 24, 0 },
		{ "192.0.2.128", 25, 1 },
		{ "192.0.2.0", 25, 0 },
		{ "192.0.2.128", 31, 1 },
		{ "192.0.2.129", 31, 1 },
		{ "192.0.2.130", 31, 0 },
		{ "192.0.2.131", 31, 0 },
		{ "192.0.2.129", 32, 1 },
		{ "192.0.2.128", 32, 0 },
		{ "192.0.2.1", 32, 0 },
		{ "64.0.2.129", 32, 0 },
	};
	struct spf_addr	 a;
	unsigned char	 n[16];
	size_t		 i;

	(void)state;
	assert_int_equal(addr_parse("192.0.2.129", &a), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		net(cases[i].net, n);
		if (addr_in_net(&a, n, cases[i].prefix) != cases[i].in)
			fail_msg("192.0.2.129 in %s/%d: want %d", cases[i].net,
			    cases[i].prefix, cases[i].in);
	}
}

static void
test_in_net_v6(void **state)
{
	static const struct {
		const char	*net;
		int		 prefix, in;
	} cases[] = {
		/* the client is 2001:db8::cb01; 0x20 = 00100000 */
		{ "::", 0, 1 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1 },
		{ "::", 1, 1 },
		{ "8000::", 1, 0 },
		{ "2100::", 7, 1 },
		{ "2200::", 7, 0 },
		{ "2000::", 8, 1 },
		{ "2100::", 8, 0 },
		{ "2001:db8::", 32, 1 },
		{ "2001:db9::", 32, 0 },
		{ "2001:db8::", 64, 1 },
		{ "2001:db8:0:1::", 64, 0 },
		{ "2001:db8::cb00", 127, 1 },
		{ "2001:db8::cb01", 127, 1 },
		{ "2001:db8::cb02", 127, 0 },
		{ "2001:db8::cb01", 128, 1 },
		{ "2001:db8::cb00", 128, 0 },
		{ "2001:db8::cb03", 128, 0 },
		{ "3001:db8::cb01", 128, 0 },
	};
	struct spf_addr	 a;
	unsigned char	 n[16];
	size_t		 i;

	(void)state;
	assert_int_equal(addr_parse("2001:db8::cb01", &a), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		net(cases[i].net, n);
		if (addr_in_net(&a, n, cases[i].prefix) != cases[i].in)
			fail_msg("2001:db8::cb01 in %s/%d: want %d",
			    cases[i].net, cases[i].prefix, cases[i].in);
	}
}

/* Every prefix length, against a network differing in exactly one bit. */
static void
test_in_net_every_bit(void **state)
{
	struct spf_addr	 a;
	unsigned char	 n[16];
	int		 bit, prefix, want;

	(void)state;
	assert_int_equal(addr_parse("2001:db8:1234:5678:9abc:def0:1357:9bdf",
	    &a), 0);
	for (bit = 0; bit < 128; bit++) {
		memcpy(n, a.a, 16);
		n[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
		for (prefix = 0; prefix <= 128; prefix++) {
			want = prefix <= bit;
			if (addr_in_net(&a, n, prefix) != want)
				fail_msg("bit %d prefix %d: want %d", bit,
				    prefix, want);
		}
	}
	assert_int_equal(addr_parse("198.51.100.77", &a), 0);
	for (bit = 0; bit < 32; bit++) {
		memcpy(n, a.a, 16);
		n[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
		for (prefix = 0; prefix <= 32; prefix++)
			assert_int_equal(addr_in_net(&a, n, prefix),
			    prefix <= bit);
	}
}

static void
test_equal(void **state)
{
	struct spf_addr	 a;
	unsigned char	 n[16];

	(void)state;
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	net("192.0.2.3", n);
	assert_int_equal(addr_equal(&a, AF_INET, n), 1);
	assert_int_equal(addr_equal(&a, AF_INET6, n), 0);
	net("192.0.2.4", n);
	assert_int_equal(addr_equal(&a, AF_INET, n), 0);
	/* the v4-mapped client equals the plain IPv4 address */
	assert_int_equal(addr_parse("::ffff:192.0.2.3", &a), 0);
	net("192.0.2.3", n);
	assert_int_equal(addr_equal(&a, AF_INET, n), 1);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	net("2001:db8::1", n);
	assert_int_equal(addr_equal(&a, AF_INET6, n), 1);
	assert_int_equal(addr_equal(&a, AF_INET, n), 0);
	net("2001:db8::2", n);
	assert_int_equal(addr_equal(&a, AF_INET6, n), 0);
}

static void
test_text(void **state)
{
	struct spf_addr	 a;
	char		 buf[SPF_ADDR_LEN];

	(void)state;
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.3");
	/* each octet's one, two and three digits, and the zeros */
	assert_int_equal(addr_parse("0.10.100.255", &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "0.10.100.255");
	assert_int_equal(addr_parse("255.99.9.0", &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "255.99.9.0");
	assert_int_equal(addr_parse("2001:0DB8:0000:0000:0000:0000:0000:CB01",
	    &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::cb01");
	assert_int_equal(addr_parse("[::ffff:1.2.3.4]", &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "1.2.3.4");
	assert_int_equal(addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &a), 0);
	addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* too small a buffer gives "" */
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	memset(buf, 'x', sizeof(buf));
	addr_text(&a, buf, 5);
	assert_string_equal(buf, "");
}

/* client_ip_text copies the given text only where addr_text prints it. */
static void
test_client_ip_text(void **state)
{
	static const char *const given[] = {
		"192.0.2.3", "0.0.0.0", "0.10.100.255", "255.99.9.0",
		"10.0.0.1", "[192.0.2.3]", "::ffff:1.2.3.4", "[::ffff:1.2.3.4]",
		"IPv6:2001:db8::1", "2001:0DB8::CB01", "::1", "0::0"
	};
	struct spf_addr	 a;
	char		 want[SPF_ADDR_LEN], got[SPF_ADDR_LEN];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		assert_int_equal(addr_parse(given[i], &a), 0);
		addr_text(&a, want, sizeof(want));
		memset(got, 'x', sizeof(got));
		client_ip_text(&a, given[i], got, sizeof(got));
		assert_string_equal(got, want);
	}
	/* a leading zero is no dotted quad inet_pton takes, nor ours */
	assert_int_equal(addr_parse("010.0.0.1", &a), -1);
	/* too small a buffer gives "", as addr_text's */
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	client_ip_text(&a, "192.0.2.3", got, 5);
	assert_string_equal(got, "");
}

static void
test_dotted(void **state)
{
	struct spf_addr	 a;
	char		 buf[80];

	(void)state;
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	addr_dotted(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.3");
	assert_int_equal(addr_parse("2001:db8::cb01", &a), 0);
	addr_dotted(&a, buf, sizeof(buf));
	assert_string_equal(buf,
	    "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	/* 63 octets and the NUL: exactly 64 is enough */
	memset(buf, 'x', sizeof(buf));
	addr_dotted(&a, buf, 64);
	assert_int_equal(strlen(buf), 63);
	assert_int_equal(addr_parse("::", &a), 0);
	addr_dotted(&a, buf, sizeof(buf));
	assert_string_equal(buf,
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0");
	assert_int_equal(addr_parse("fedc:ba98:7654:3210:0123:4567:89ab:cdef",
	    &a), 0);
	addr_dotted(&a, buf, sizeof(buf));
	assert_string_equal(buf,
	    "F.E.D.C.B.A.9.8.7.6.5.4.3.2.1.0.0.1.2.3.4.5.6.7.8.9.A.B.C.D.E.F");
}

static void
test_reverse_name(void **state)
{
	struct spf_addr	 a;
	char		 buf[128];

	(void)state;
	assert_int_equal(addr_parse("192.0.2.3", &a), 0);
	addr_reverse_name(&a, buf, sizeof(buf));
	assert_string_equal(buf, "3.2.0.192.in-addr.arpa");
	assert_int_equal(addr_parse("::ffff:198.51.100.255", &a), 0);
	addr_reverse_name(&a, buf, sizeof(buf));
	assert_string_equal(buf, "255.100.51.198.in-addr.arpa");
	assert_int_equal(addr_parse("2001:db8::cb01", &a), 0);
	addr_reverse_name(&a, buf, sizeof(buf));
	assert_string_equal(buf, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	/* 72 octets and the NUL */
	memset(buf, 'x', sizeof(buf));
	addr_reverse_name(&a, buf, 73);
	assert_int_equal(strlen(buf), 72);
	assert_int_equal(addr_parse("fedc:ba98:7654:3210:0123:4567:89ab:cdef",
	    &a), 0);
	addr_reverse_name(&a, buf, sizeof(buf));
	assert_string_equal(buf, "f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.0.1.2.3.4.5."
	    "6.7.8.9.a.b.c.d.e.f.ip6.arpa");
}

int
main(void)
{
	const struct CMUnitTest addr_tests[] = {
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_v4mapped),
		cmocka_unit_test(test_in_net_v4),
		cmocka_unit_test(test_in_net_v6),
		cmocka_unit_test(test_in_net_every_bit),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_client_ip_text),
		cmocka_unit_test(test_dotted),
		cmocka_unit_test(test_reverse_name),
	};

	return cmocka_run_group_tests(addr_tests, NULL, NULL);
}
