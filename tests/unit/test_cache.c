/*
 * test_cache.c: the checker's answer cache (cache.c) on messages built
 * by hand: how long an answer is kept (the least TTL of the answer
 * section; a negative one by its SOA's TTL and MINIMUM, RFC 2308; not
 * at all without an SOA), what is never kept, the octet bound with the
 * least recently used going first, an entry held across its eviction,
 * expiry on the clock, the SPF record parsed once with the answer, and
 * thousands of names through the table's growth.
 */
#include <unistd.h>

#include "unit.h"

/* The TTL of the RR just written. */
static void
set_ttl(struct msg *m, uint32_t ttl)
{
	size_t	 p = m->rdlen_at - 4;

	m->b[p] = (unsigned char)(ttl >> 24);
	m->b[p + 1] = (unsigned char)(ttl >> 16);
	m->b[p + 2] = (unsigned char)(ttl >> 8);
	m->b[p + 3] = (unsigned char)ttl;
}

/* An SOA RR in the authority section (nscount one more). */
static void
rr_soa(struct msg *m, const char *zone, uint32_t ttl, uint32_t minimum)
{
	int	 i;

	rr(m, zone, DNS_T_SOA);
	putname(m, "ns.example");
	putname(m, "hostmaster.example");
	for (i = 0; i < 4; i++) {
		put16(m, 0);
		put16(m, 3600);
	}
	put16(m, minimum >> 16);
	put16(m, minimum & 0xffff);
	rr_end(m);
	set_ttl(m, ttl);
	m->b[9]++;
}

static struct answer *
make(struct cache *c, const char *name, int type, enum dns_status status,
    const struct msg *m)
{
	int	 malformed;

	return answer_new(c, name, type, status, m->b, m->n, 0, &malformed);
}

static struct answer *
a_answer(struct cache *c, const char *name, uint32_t ttl1, uint32_t ttl2)
{
	struct msg	 m;

	header(&m, 0, 1, 2);
	question(&m, name, DNS_T_A);
	rr_a(&m, name, "192.0.2.1");
	set_ttl(&m, ttl1);
	rr_a(&m, name, "192.0.2.2");
	set_ttl(&m, ttl2);
	return make(c, name, DNS_T_A, DNS_OK, &m);
}

/* The least TTL of the answer section, CNAMEs included; 2^31 up is 0. */
static void
test_positive_ttl(void **state)
{
	struct cache	*c;
	struct answer	*a;
	struct msg	 m;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	assert_non_null(a = a_answer(c, "a.example", 300, 100));
	assert_int_equal(a->ttl, 100);
	assert_int_equal(a->nrr, 2);
	assert_int_equal(a->status, DNS_OK);
	assert_memory_equal(a->rr[1].data, "\xc0\x00\x02\x02", 4);
	answer_release(a);
	assert_non_null(a = a_answer(c, "a.example", 0x80000000U, 100));
	assert_int_equal(a->ttl, 0);
	answer_release(a);

	header(&m, 0, 1, 2);
	question(&m, "w.example", DNS_T_A);
	rr_cname(&m, "w.example", "h.example");
	set_ttl(&m, 20);
	rr_a(&m, "h.example", "192.0.2.1");
	assert_non_null(a = make(c, "w.example", DNS_T_A, DNS_OK, &m));
	assert_int_equal(a->ttl, 20);
	assert_int_equal(a->nrr, 1);
	answer_release(a);
	cache_free(c);
}

/* Negative answers: min(SOA TTL, MINIMUM); no SOA, not kept. */
static void
test_negative_ttl(void **state)
{
	struct cache	*c;
	struct answer	*a;
	struct msg	 m;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	header(&m, 3, 1, 0);
	question(&m, "x.example", DNS_T_TXT);
	rr_soa(&m, "example", 600, 60);
	assert_non_null(a = make(c, "x.example", DNS_T_TXT, DNS_NXDOMAIN, &m));
	assert_int_equal(a->status, DNS_NXDOMAIN);
	assert_int_equal(a->ttl, 60);
	answer_release(a);

	header(&m, 0, 1, 0);
	question(&m, "x.example", DNS_T_TXT);
	rr_soa(&m, "example", 30, 60);
	assert_non_null(a = make(c, "x.example", DNS_T_TXT, DNS_OK, &m));
	assert_int_equal(a->status, DNS_NODATA);
	assert_int_equal(a->ttl, 30);
	answer_release(a);

	header(&m, 3, 1, 0);
	question(&m, "x.example", DNS_T_TXT);
	assert_non_null(a = make(c, "x.example", DNS_T_TXT, DNS_NXDOMAIN, &m));
	assert_int_equal(a->ttl, 0);
	cache_put(c, a);
	assert_int_equal(cache_entries(c), 0);
	answer_release(a);
	cache_free(c);
}

/* Errors, bogus answers and malformed messages are never answers. */
static void
test_never_kept(void **state)
{
	struct cache	*c;
	struct msg	 m;
	int		 malformed;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	header(&m, 0, 1, 1);
	question(&m, "t.example", DNS_T_TXT);
	rr_txt(&m, "t.example", 1, "v=spf1 -all");
	assert_null(answer_new(c, "t.example", DNS_T_TXT, DNS_BOGUS, m.b,
	    m.n, 1, &malformed));
	assert_int_equal(malformed, 0);
	assert_null(answer_new(c, "t.example", DNS_T_TXT, DNS_ERROR, NULL, 0,
	    0, &malformed));
	/* a character-string longer than its rdata */
	m.b[m.n - 12] = 40;
	assert_null(answer_new(c, "t.example", DNS_T_TXT, DNS_OK, m.b, m.n,
	    0, &malformed));
	assert_int_equal(malformed, 1);
	assert_int_equal(cache_entries(c), 0);
	cache_free(c);
}

/* Kept for its TTL, on the clock; gone after it. */
static void
test_expiry(void **state)
{
	struct cache	*c;
	struct answer	*a, *b;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	assert_non_null(a = a_answer(c, "a.example", 1, 1));
	cache_put(c, a);
	answer_release(a);
	assert_non_null(b = cache_get(c, "a.example", DNS_T_A));
	assert_ptr_equal(a, b);
	answer_release(b);
	assert_null(cache_get(c, "a.example", DNS_T_AAAA));
	assert_null(cache_get(c, "b.example", DNS_T_A));
	(void)usleep(1100 * 1000);
	assert_null(cache_get(c, "a.example", DNS_T_A));
	assert_int_equal(cache_entries(c), 0);
	cache_free(c);
}

/* Over the bound the least recently used go; a held one lives on. */
static void
test_bound_lru(void **state)
{
	struct cache	*c;
	struct answer	*a, *b, *d, *held;
	size_t		 one;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	assert_non_null(a = a_answer(c, "a.example", 60, 60));
	one = a->cost;
	answer_release(a);
	cache_free(c);

	/* room for two */
	assert_non_null(c = cache_new(2 * one + one / 2));
	assert_non_null(a = a_answer(c, "a.example", 60, 60));
	assert_non_null(b = a_answer(c, "b.example", 60, 60));
	assert_non_null(d = a_answer(c, "d.example", 60, 60));
	cache_put(c, a);
	cache_put(c, b);
	answer_release(a);
	assert_int_equal(cache_entries(c), 2);
	/* a is used: b is now the least recent */
	assert_non_null(held = cache_get(c, "a.example", DNS_T_A));
	answer_release(held);
	assert_non_null(held = cache_get(c, "b.example", DNS_T_A));
	answer_release(held);
	assert_non_null(held = cache_get(c, "a.example", DNS_T_A));
	cache_put(c, d);
	assert_int_equal(cache_entries(c), 2);
	assert_null(cache_get(c, "b.example", DNS_T_A));
	answer_release(b);
	answer_release(d);
	/* a is held by this test: evicted, it stays readable */
	assert_non_null(b = a_answer(c, "e.example", 60, 60));
	cache_put(c, b);
	answer_release(b);
	assert_non_null(b = a_answer(c, "f.example", 60, 60));
	cache_put(c, b);
	answer_release(b);
	assert_null(cache_get(c, "a.example", DNS_T_A));
	assert_int_equal(held->nrr, 2);
	assert_memory_equal(held->rr[0].data, "\xc0\x00\x02\x01", 4);
	answer_release(held);
	/* bigger than the whole bound: never kept */
	cache_free(c);
	assert_non_null(c = cache_new(one / 2));
	assert_non_null(a = a_answer(c, "a.example", 60, 60));
	cache_put(c, a);
	assert_int_equal(cache_entries(c), 0);
	answer_release(a);
	cache_free(c);
}

/* A TXT answer comes with its SPF record parsed, or why it is not. */
static void
test_spf_parsed(void **state)
{
	struct cache	*c;
	struct answer	*a;
	struct msg	 m;

	(void)state;
	assert_non_null(c = cache_new(1 << 20));
	header(&m, 0, 1, 2);
	question(&m, "s.example", DNS_T_TXT);
	rr_txt(&m, "s.example", 1, "google-site-verification=x");
	rr_txt(&m, "s.example", 2, "v=spf1 ip4:192.0.2.0/24 ",
	    "include:i.example -all");
	assert_non_null(a = make(c, "s.example", DNS_T_TXT, DNS_OK, &m));
	assert_int_equal(a->nrr, 2);
	assert_string_equal(a->rr[0].data, "google-site-verification=x");
	assert_int_equal(a->spf_count, 1);
	assert_null(a->spf_err);
	assert_int_equal(a->spf.nterms, 3);
	assert_int_equal(a->spf.terms[1].kind, T_INCLUDE);
	answer_release(a);

	header(&m, 0, 1, 2);
	question(&m, "s.example", DNS_T_TXT);
	rr_txt(&m, "s.example", 1, "v=spf1 -all");
	rr_txt(&m, "s.example", 1, "v=spf1 +all");
	assert_non_null(a = make(c, "s.example", DNS_T_TXT, DNS_OK, &m));
	assert_int_equal(a->spf_count, 2);
	assert_int_equal(a->spf.nterms, 0);
	answer_release(a);

	header(&m, 0, 1, 1);
	question(&m, "s.example", DNS_T_TXT);
	rr_txt(&m, "s.example", 1, "v=spf1 ip4:192.0.2.300 -all");
	assert_non_null(a = make(c, "s.example", DNS_T_TXT, DNS_OK, &m));
	assert_int_equal(a->spf_count, 1);
	assert_non_null(a->spf_err);
	assert_non_null(strstr(a->spf_err, "ip4:192.0.2.300"));
	answer_release(a);
	cache_free(c);
}

/*
 * Thousands of names, past every growth of the table: each found under
 * its own name and type only, and everything counted findable.  A full
 * chain lets its oldest go (the bound on a search), so a rare name may
 * be missing, never another's answer returned.
 */
static void
test_many(void **state)
{
	struct cache	*c;
	struct answer	*a;
	char		 name[64];
	int		 i, found = 0;

	(void)state;
	assert_non_null(c = cache_new(64 << 20));
	for (i = 0; i < 3000; i++) {
		(void)snprintf(name, sizeof(name), "n%d.example", i);
		assert_non_null(a = a_answer(c, name, 60, 60));
		cache_put(c, a);
		answer_release(a);
	}
	/* the same name and type again: replaced, not added */
	assert_non_null(a = a_answer(c, "n7.example", 60, 30));
	cache_put(c, a);
	answer_release(a);
	assert_true(cache_entries(c) <= 3000);
	for (i = 0; i < 3000; i++) {
		(void)snprintf(name, sizeof(name), "n%d.example", i);
		assert_null(cache_get(c, name, DNS_T_TXT));
		if ((a = cache_get(c, name, DNS_T_A)) == NULL)
			continue;
		assert_string_equal(a->key, name);
		if (i == 7)
			assert_int_equal(a->ttl, 30);
		found++;
		answer_release(a);
	}
	assert_int_equal(found, cache_entries(c));
	assert_true(found >= 2950);
	cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive_ttl),
		cmocka_unit_test(test_negative_ttl),
		cmocka_unit_test(test_never_kept),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bound_lru),
		cmocka_unit_test(test_spf_parsed),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
