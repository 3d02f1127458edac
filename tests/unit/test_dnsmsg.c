/*
 * test_dnsmsg.c: dns_iter_init and dns_iter_next over well-formed DNS
 * messages built by hand (helper.c): every record type the evaluator
 * asks for, compression, CNAME chains, what must be ignored.  The
 * malformed ones are in test_dnsbad.c.  Messages are handed over in
 * buffers of exactly their length, so a read past the end shows under
 * valgrind or ASan.
 */
#include "unit.h"

static void	chain(struct msg *, int);

static void
test_a(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[64];
	size_t		 len;

	(void)state;
	header(&m, 0, 1, 3);
	question(&m, "example.com", DNS_T_A);
	rr_a(&m, "example.com", "192.0.2.1");
	/* names compare without regard to case */
	rr_a(&m, "EXAMPLE.com.", "192.0.2.2");
	rr_a(&m, "example.com", "2001:db8::1");	/* an AAAA: not asked */
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(it.rcode, 0);
	assert_int_equal(it.ancount, 3);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_memory_equal(buf, "\xc0\x00\x02\x02", 4);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
}

static void
test_aaaa(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt, want[16];
	char		 buf[64];
	size_t		 len;

	(void)state;
	header(&m, 0, 1, 2);
	question(&m, "v6.example.com", DNS_T_AAAA);
	rr_a(&m, "v6.example.com", "192.0.2.1");
	rr_a(&m, "v6.example.com", "2001:db8::cb01");
	assert_int_equal(msg_iter(&it, &m, DNS_T_AAAA, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(len, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::cb01", want), 1);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
}

static void
test_mx_compressed(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len, qname = 12, mx1;
	int		 pref;

	(void)state;
	header(&m, 0, 1, 3);
	question(&m, "example.com", DNS_T_MX);
	/* owner: a pointer to the question; target: "mx1" + pointer */
	rr_ptr(&m, qname, DNS_T_MX);
	put16(&m, 10);
	mx1 = m.n;
	put8(&m, 3);
	memcpy(m.b + m.n, "mx1", 3);
	m.n += 3;
	putptr(&m, qname);
	rr_end(&m);
	/* a target that is wholly a pointer to the previous target */
	rr_ptr(&m, qname, DNS_T_MX);
	put16(&m, 20);
	putptr(&m, mx1);
	rr_end(&m);
	/* uncompressed */
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 65535);
	putname(&m, "backup.example.net");
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	pref = -1;
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), 1);
	assert_string_equal(buf, "mx1.example.com");
	assert_int_equal(len, 15);
	assert_int_equal(pref, 10);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), 1);
	assert_string_equal(buf, "mx1.example.com");
	assert_int_equal(pref, 20);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "backup.example.net");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), 0);
	free(pkt);
}

static void
test_mx_null_and_bad(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;
	int		 pref;

	(void)state;
	/* RFC 7505 null MX: preference 0, the root as target */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_MX);
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 0);
	put8(&m, 0);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), 1);
	assert_string_equal(buf, ".");
	assert_int_equal(len, 1);
	assert_int_equal(pref, 0);
	free(pkt);

	/* an MX rdata of two octets */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_MX);
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 10);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), -1);
	free(pkt);

	/* a name that ends before the rdata does */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_MX);
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 10);
	putname(&m, "mx.example.com");
	put8(&m, 0);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), -1);
	free(pkt);

	/* a name that runs past the rdata, into the next RR */
	header(&m, 0, 1, 2);
	question(&m, "example.com", DNS_T_MX);
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 10);
	put8(&m, 2);
	put8(&m, 'm');
	rr_end(&m);
	rr_a(&m, "example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, &pref), -1);
	free(pkt);
}

static void
test_ptr(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	header(&m, 0, 1, 3);
	question(&m, "3.2.0.192.in-addr.arpa", DNS_T_PTR);
	rr(&m, "3.2.0.192.in-addr.arpa", DNS_T_PTR);
	putname(&m, "mail.example.com");
	rr_end(&m);
	rr_ptr(&m, 12, DNS_T_PTR);
	putname(&m, "Other.Example.NET.");
	rr_end(&m);
	/* labels with a dot, a backslash, a space, a high octet */
	rr_ptr(&m, 12, DNS_T_PTR);
	put8(&m, 4);
	memcpy(m.b + m.n, "a.b\\", 4);
	m.n += 4;
	put8(&m, 3);
	memcpy(m.b + m.n, "c \xe9", 3);
	m.n += 3;
	put8(&m, 0);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_PTR, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "mail.example.com");
	assert_int_equal(len, 16);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	/* case is kept in what is returned */
	assert_string_equal(buf, "Other.Example.NET");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "a\\.b\\\\.c\\032\\233");
	assert_int_equal(len, strlen(buf));
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
}

static void
test_txt(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[1024], s255[256];
	size_t		 len;

	(void)state;
	memset(s255, 'x', 255);
	s255[255] = '\0';
	header(&m, 0, 1, 5);
	question(&m, "example.com", DNS_T_TXT);
	rr_txt(&m, "example.com", 3, "v=spf1 ", "ip4:192.0.2.0/24", " -all");
	rr_txt(&m, "example.com", 1, "single");
	rr_txt(&m, "example.com", 2, "", "");
	rr_txt(&m, "example.com", 2, s255, "!");
	rr_txt(&m, "example.com", 0);
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "v=spf1 ip4:192.0.2.0/24 -all");
	assert_int_equal(len, 28);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "single");
	assert_int_equal(len, 6);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "");
	assert_int_equal(len, 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(len, 256);
	assert_memory_equal(buf, s255, 255);
	assert_string_equal(buf + 255, "!");
	/* zero character-strings: an empty text */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
}

static void
test_cname_chain(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	/* in order, with records of the first names that must be ignored */
	header(&m, 0, 1, 5);
	question(&m, "www.example.com", DNS_T_A);
	rr_cname(&m, "www.example.com", "a.example.net");
	rr_a(&m, "www.example.com", "192.0.2.66");
	rr_cname(&m, "a.example.net", "B.Example.ORG");
	rr_a(&m, "a.example.net", "192.0.2.67");
	rr_a(&m, "b.example.org", "192.0.2.7");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_memory_equal(buf, "\xc0\x00\x02\x07", 4);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);

	/* out of order: the answer first, the chain backwards */
	header(&m, 0, 1, 3);
	question(&m, "www.example.com", DNS_T_TXT);
	rr_txt(&m, "c.example.com", 1, "v=spf1 -all");
	rr_cname(&m, "b.example.com", "c.example.com");
	rr_cname(&m, "www.example.com", "b.example.com");
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "v=spf1 -all");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);

	/* asked for the CNAME itself: it is the answer, not followed */
	header(&m, 0, 1, 2);
	question(&m, "www.example.com", DNS_T_CNAME);
	rr_cname(&m, "www.example.com", "a.example.net");
	rr_cname(&m, "a.example.net", "b.example.net");
	assert_int_equal(msg_iter(&it, &m, DNS_T_CNAME, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "a.example.net");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);

	/* a chain to nowhere: no records */
	header(&m, 0, 1, 2);
	question(&m, "www.example.com", DNS_T_A);
	rr_cname(&m, "www.example.com", "gone.example.net");
	rr_a(&m, "www.example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
}

/* A chain c0 -> c1 -> ... -> cN with an A record at cN. */
static void
chain(struct msg *m, int n)
{
	char	 owner[32], target[32];
	int	 i;

	header(m, 0, 1, n + 1);
	question(m, "c0.example", DNS_T_A);
	for (i = 0; i < n; i++) {
		(void)snprintf(owner, sizeof(owner), "c%d.example", i);
		(void)snprintf(target, sizeof(target), "c%d.example", i + 1);
		rr_cname(m, owner, target);
	}
	(void)snprintf(owner, sizeof(owner), "c%d.example", n);
	rr_a(m, owner, "192.0.2.99");
}

static void
test_cname_limits(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	/* DNS_MAX_CHAIN links are followed */
	chain(&m, DNS_MAX_CHAIN);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_memory_equal(buf, "\xc0\x00\x02\x63", 4);
	free(pkt);
	/* one more is a malformed answer, not an empty one */
	chain(&m, DNS_MAX_CHAIN + 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* so are loops: a -> b -> a, and a -> a */
	header(&m, 0, 1, 2);
	question(&m, "a.example", DNS_T_A);
	rr_cname(&m, "a.example", "b.example");
	rr_cname(&m, "b.example", "a.example");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
	header(&m, 0, 1, 1);
	question(&m, "a.example", DNS_T_TXT);
	rr_cname(&m, "a.example", "A.EXAMPLE.");
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), -1);
	free(pkt);
}

static void
test_other_names_ignored(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	header(&m, 0, 1, 6);
	question(&m, "example.com", DNS_T_TXT);
	rr_txt(&m, "other.example.com", 1, "v=spf1 +all");
	rr_txt(&m, "example.com.evil", 1, "v=spf1 +all");
	rr_txt(&m, "com", 1, "v=spf1 +all");
	rr_a(&m, "example.com", "192.0.2.1");
	rr_txt(&m, "example.com", 1, "v=spf1 -all");
	rr_txt(&m, "xexample.com", 1, "v=spf1 +all");
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_string_equal(buf, "v=spf1 -all");
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);

	/* a CNAME of some other name does not move us */
	header(&m, 0, 1, 2);
	question(&m, "example.com", DNS_T_A);
	rr_cname(&m, "www.example.com", "elsewhere.example.net");
	rr_a(&m, "example.com", "192.0.2.5");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_memory_equal(buf, "\xc0\x00\x02\x05", 4);
	free(pkt);

	/* other types come back raw */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_DNSKEY);
	rr(&m, "example.com", DNS_T_DNSKEY);
	put16(&m, 257);
	put8(&m, 3);
	put8(&m, 8);
	put8(&m, 0xab);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_DNSKEY, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "\x01\x01\x03\x08\xab", 5);
	free(pkt);
}

static void
test_rcode(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[64];
	size_t		 len;

	(void)state;
	header(&m, 3, 1, 0);
	question(&m, "nx.example.com", DNS_T_A);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(it.rcode, 3);
	assert_int_equal(it.ancount, 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
	header(&m, 2, 1, 0);
	question(&m, "servfail.example.com", DNS_T_A);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(it.rcode, 2);
	free(pkt);
}

static void
test_type_str(void **state)
{
	(void)state;
	assert_string_equal(dns_type_str(DNS_T_A), "A");
	assert_string_equal(dns_type_str(DNS_T_AAAA), "AAAA");
	assert_string_equal(dns_type_str(DNS_T_MX), "MX");
	assert_string_equal(dns_type_str(DNS_T_PTR), "PTR");
	assert_string_equal(dns_type_str(DNS_T_TXT), "TXT");
	assert_string_equal(dns_type_str(DNS_T_CNAME), "CNAME");
	assert_string_equal(dns_type_str(DNS_T_DNSKEY), "DNSKEY");
	assert_string_equal(dns_type_str(99), "?");
}

int
main(void)
{
	const struct CMUnitTest dnsmsg_tests[] = {
		cmocka_unit_test(test_a),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_mx_compressed),
		cmocka_unit_test(test_mx_null_and_bad),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_limits),
		cmocka_unit_test(test_other_names_ignored),
		cmocka_unit_test(test_rcode),
		cmocka_unit_test(test_type_str),
	};

	return cmocka_run_group_tests(dnsmsg_tests, NULL, NULL);
}
