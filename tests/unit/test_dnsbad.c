/*
 * test_dnsbad.c: dns_iter_init and dns_iter_next over every way a DNS
 * message can be malformed or too big for the caller: overruns,
 * pointer loops, bad names, truncation, small buffers.  The message
 * builder is helper.c's; messages are handed over in buffers of
 * exactly their length, so a read past the end shows under valgrind or
 * ASan.
 */
#include "unit.h"

static void	long_name(struct msg *, int);

static void
test_txt_overrun(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[1024];
	size_t		 len;

	(void)state;
	/*
	 * A string whose length octet claims more than its rdata holds,
	 * even though the message goes on after it (the next RR).
	 */
	header(&m, 0, 1, 2);
	question(&m, "example.com", DNS_T_TXT);
	rr(&m, "example.com", DNS_T_TXT);
	put8(&m, 3);
	memcpy(m.b + m.n, "abc", 3);
	m.n += 3;
	put8(&m, 40);
	memcpy(m.b + m.n, "de", 2);
	m.n += 2;
	rr_end(&m);
	rr_txt(&m, "example.com", 1, "v=spf1 -all and some more text here");
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);

	/* the same as the last RR of the message */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_TXT);
	rr(&m, "example.com", DNS_T_TXT);
	put8(&m, 5);
	memcpy(m.b + m.n, "ab", 2);
	m.n += 2;
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);

	/* one octet over: a length octet as the last octet of rdata */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_TXT);
	rr(&m, "example.com", DNS_T_TXT);
	put8(&m, 2);
	memcpy(m.b + m.n, "ab", 2);
	m.n += 2;
	put8(&m, 1);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);
}

static void
test_qdcount(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;

	(void)state;
	header(&m, 0, 0, 1);
	rr_a(&m, "example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
	header(&m, 0, 2, 1);
	question(&m, "example.com", DNS_T_A);
	question(&m, "example.org", DNS_T_A);
	rr_a(&m, "example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
	assert_int_equal(dns_iter_init(&it, NULL, 0, DNS_T_A), -1);
}

static void
test_pointer_loops(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	/* the question's name points at itself */
	header(&m, 0, 1, 0);
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* two pointers at each other */
	header(&m, 0, 1, 0);
	putptr(&m, 14);
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* a label, then a pointer back to it */
	header(&m, 0, 1, 0);
	put8(&m, 1);
	put8(&m, 'a');
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* an answer's owner in a loop */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_A);
	len = m.n;
	putptr(&m, len);
	rr_head(&m, DNS_T_A);
	put8(&m, 192);
	put8(&m, 0);
	put8(&m, 2);
	put8(&m, 1);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* an MX target in a loop */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_MX);
	rr_ptr(&m, 12, DNS_T_MX);
	put16(&m, 10);
	len = m.n;
	putptr(&m, len);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);

	/* a pointer past the end of the message */
	header(&m, 0, 1, 0);
	putptr(&m, 0x3fff);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
}

static void
test_bad_names(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;

	(void)state;
	/* the reserved label types 0x40 and 0x80 */
	header(&m, 0, 1, 0);
	put8(&m, 0x41);
	put8(&m, 'a');
	put8(&m, 0);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
	header(&m, 0, 1, 0);
	put8(&m, 0x81);
	put8(&m, 'a');
	put8(&m, 0);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);

	/* 255 octets is the longest name, even when pointers build it */
	long_name(&m, 61);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(it.ownerlen, 255);
	free(pkt);
	long_name(&m, 62);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
}

/*
 * A question of three 63-octet labels, then a pointer to a last label
 * of n octets placed after the question: 192 + 1 + n + 1 octets.
 */
static void
long_name(struct msg *m, int n)
{
	int	 i;

	header(m, 0, 1, 0);
	for (i = 0; i < 3; i++) {
		put8(m, 63);
		memset(m->b + m->n, 'a', 63);
		m->n += 63;
	}
	putptr(m, m->n + 6);
	put16(m, DNS_T_A);
	put16(m, 1);
	put8(m, (unsigned int)n);
	memset(m->b + m->n, 'c', (size_t)n);
	m->n += (size_t)n;
	put8(m, 0);
}

/* Every strict prefix of a good message is refused, at init or later. */
static void
test_truncated(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len, cut;
	int		 r, n, total = 0;

	(void)state;
	header(&m, 0, 1, 4);
	question(&m, "www.example.com", DNS_T_TXT);
	rr_cname(&m, "www.example.com", "spf.example.com");
	rr_txt(&m, "spf.example.com", 2, "v=spf1 ", "-all");
	rr_a(&m, "spf.example.com", "192.0.2.1");
	rr_txt(&m, "spf.example.com", 1, "second");
	for (cut = 0; cut <= m.n; cut++) {
		pkt = msg_copy(&m, cut);
		r = dns_iter_init(&it, pkt, cut, DNS_T_TXT);
		n = 0;
		while (r == 0 && (r = dns_iter_next(&it, buf, sizeof(buf),
		    &len, NULL)) == 1) {
			n++;
			r = 0;
		}
		if (cut < m.n && r != -1)
			fail_msg("cut at %zu of %zu: %d records, no error",
			    cut, m.n, n);
		if (cut == m.n) {
			assert_int_equal(r, 0);
			assert_int_equal(n, 2);
		}
		total++;
		free(pkt);
	}
	assert_int_equal((size_t)total, m.n + 1);

	/* an ancount larger than the answers there are */
	header(&m, 0, 1, 2);
	question(&m, "example.com", DNS_T_A);
	rr_a(&m, "example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), -1);
	free(pkt);
}

static void
test_small_buffers(void **state)
{
	struct msg	 m;
	struct dns_iter	 it;
	unsigned char	*pkt;
	char		 buf[300];
	size_t		 len;

	(void)state;
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_A);
	rr_a(&m, "example.com", "192.0.2.1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, 3, &len, NULL), -1);
	free(pkt);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, 4, &len, NULL), 1);
	free(pkt);

	/* TXT: room for the text and a NUL */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_TXT);
	rr_txt(&m, "example.com", 2, "v=spf1", " -all");
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(dns_iter_next(&it, buf, 11, &len, NULL), -1);
	assert_int_equal(buf[11], 'Z');
	free(pkt);
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, 12, &len, NULL), 1);
	assert_string_equal(buf, "v=spf1 -all");
	free(pkt);

	/* a name: "mx.example.com" needs 15 and a margin */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_MX);
	rr(&m, "example.com", DNS_T_MX);
	put16(&m, 5);
	putname(&m, "mx.example.com");
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(dns_iter_next(&it, buf, 8, &len, NULL), -1);
	assert_int_equal(buf[8], 'Z');
	free(pkt);
	assert_int_equal(msg_iter(&it, &m, DNS_T_MX, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, 64, &len, NULL), 1);
	assert_string_equal(buf, "mx.example.com");
	free(pkt);

	/* an A of five octets is malformed, whatever the buffer */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_A);
	rr(&m, "example.com", DNS_T_A);
	put16(&m, 0xc000);
	put16(&m, 0x0201);
	put8(&m, 9);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);
}

/* dns_iter_count: what dns_iter_next would give, the iterator unmoved. */
static void
test_count(void **state)
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
	rr_a(&m, "other.example", "192.0.2.2");
	rr_a(&m, "example.com", "2001:db8::1");
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_count(&it), 1);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 1);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), 0);
	free(pkt);
	assert_int_equal(msg_iter(&it, &m, DNS_T_TXT, &pkt), 0);
	assert_int_equal(dns_iter_count(&it), 0);
	free(pkt);
	/* an A RR of five octets: as malformed to the count as to next */
	header(&m, 0, 1, 1);
	question(&m, "example.com", DNS_T_A);
	rr(&m, "example.com", DNS_T_A);
	put16(&m, 0xc000);
	put16(&m, 0x0201);
	put8(&m, 1);
	rr_end(&m);
	assert_int_equal(msg_iter(&it, &m, DNS_T_A, &pkt), 0);
	assert_int_equal(dns_iter_count(&it), -1);
	assert_int_equal(dns_iter_next(&it, buf, sizeof(buf), &len, NULL), -1);
	free(pkt);
}

int
main(void)
{
	const struct CMUnitTest dnsmsg_tests[] = {
		cmocka_unit_test(test_txt_overrun),
		cmocka_unit_test(test_qdcount),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_count),
	};

	return cmocka_run_group_tests(dnsmsg_tests, NULL, NULL);
}
