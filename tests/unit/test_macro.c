/*
 * test_macro.c: the macro language of RFC 7208 7: macro_check,
 * macro_expand (every letter, transformers, delimiters, escapes,
 * URL-encoding, truncation of domains from the left, explanations cut
 * at the buffer end), the examples of 7.4 verbatim, and
 * domain_spec_end_ok.
 */
#include "unit.h"

static void	mkenv(struct macro_env *, struct spf_addr *, const char *);
static const char *xp(const char *, int, const struct macro_env *);
static const char *xpn(const char *, int, const struct macro_env *,
		    size_t);
static void	xfail(const char *, int, const struct macro_env *);
static const char *truncated(const char *);

static char	 out[4096];

/* The context of the examples of RFC 7208 7.4. */
static void
mkenv(struct macro_env *env, struct spf_addr *ip, const char *addr)
{
	memset(env, 0, sizeof(*env));
	if (addr_parse(addr, ip) != 0)
		fail_msg("addr_parse %s", addr);
	env->sender = "strong-bad@email.example.com";
	env->local = "strong-bad";
	env->sender_domain = "email.example.com";
	env->domain = "email.example.com";
	env->helo = "mx.example.org";
	env->ip = ip;
	env->validated = NULL;
	env->receiver = "rx.example.net";
	env->now = 1234567890;
}

/* Expand into an out of outlen octets; the length returned must match. */
static const char *
xpn(const char *s, int flags, const struct macro_env *env, size_t outlen)
{
	int	 n;

	memset(out, 'Z', sizeof(out));
	n = macro_expand(s, strlen(s), flags, env, out, outlen);
	if (n < 0)
		fail_msg("'%s' (flags %d) did not expand", s, flags);
	assert_int_equal((size_t)n, strlen(out));
	assert_true((size_t)n < outlen);
	return out;
}

static const char *
xp(const char *s, int flags, const struct macro_env *env)
{
	return xpn(s, flags, env, flags & MACRO_DOMAIN ? SPF_DOMAIN_LEN :
	    SPF_EXPLANATION_LEN);
}

static void
xfail(const char *s, int flags, const struct macro_env *env)
{
	int	 n;

	n = macro_expand(s, strlen(s), flags, env, out, SPF_EXPLANATION_LEN);
	if (n != -1)
		fail_msg("'%s' (flags %d) expanded to '%s'", s, flags, out);
	if (macro_check(s, strlen(s), flags, NULL) != -1)
		fail_msg("'%s' (flags %d) passed macro_check", s, flags);
}

/*
 * What RFC 7208 7.3 makes of a long domain, computed on its own: one
 * trailing dot off, then whole labels off the left until 253 octets or
 * fewer remain; NULL if no label boundary gets there.
 */
static const char *
truncated(const char *s)
{
	static char	 buf[8192];
	size_t		 len, i;

	len = strlen(s);
	assert_true(len < sizeof(buf));
	memcpy(buf, s, len + 1);
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len <= 253)
		return buf;
	for (i = 1; i <= len; i++)
		if (buf[i - 1] == '.' && len - i <= 253)
			return buf + i;
	return NULL;
}

static void
test_rfc_examples_ipv4(void **state)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}",
		    "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
	};
	struct macro_env	 env;
	struct spf_addr		 ip;
	size_t			 i;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(xp(cases[i].in, 0, &env), cases[i].want);
		assert_string_equal(xp(cases[i].in, MACRO_DOMAIN, &env),
		    cases[i].want);
		assert_string_equal(xp(cases[i].in, MACRO_EXPLAIN, &env),
		    cases[i].want);
	}
}

static void
test_rfc_examples_ipv6(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "2001:db8::cb01");
	assert_string_equal(xp("%{ir}.%{v}._spf.%{d2}", MACRO_DOMAIN, &env),
	    "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2"
	    ".ip6._spf.example.com");
	assert_string_equal(xp("%{i}", 0, &env),
	    "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	assert_string_equal(xp("%{i4}", 0, &env), "C.B.0.1");
	assert_string_equal(xp("%{i2r}", 0, &env), "0.2");
	assert_string_equal(xp("%{v}", 0, &env), "ip6");
	assert_string_equal(xp("%{c}", MACRO_EXPLAIN, &env), "2001:db8::cb01");
	/* the canonical form, whatever the input looked like */
	mkenv(&env, &ip, "2001:0DB8:0000:0000:0000:0000:0000:CB01");
	assert_string_equal(xp("%{c}", MACRO_EXPLAIN, &env), "2001:db8::cb01");
	assert_string_equal(xp("%{C}", MACRO_EXPLAIN, &env),
	    "2001%3Adb8%3A%3Acb01");
	/* an IPv4-mapped client is an IPv4 client */
	mkenv(&env, &ip, "::ffff:192.0.2.3");
	assert_string_equal(xp("%{i}", 0, &env), "192.0.2.3");
	assert_string_equal(xp("%{v}", 0, &env), "in-addr");
	assert_string_equal(xp("%{c}", MACRO_EXPLAIN, &env), "192.0.2.3");
}

static void
test_letters(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	assert_string_equal(xp("%{s}", 0, &env),
	    "strong-bad@email.example.com");
	assert_string_equal(xp("%{l}", 0, &env), "strong-bad");
	assert_string_equal(xp("%{o}", 0, &env), "email.example.com");
	env.domain = "other.example.org";
	assert_string_equal(xp("%{d}", 0, &env), "other.example.org");
	assert_string_equal(xp("%{o}", 0, &env), "email.example.com");
	assert_string_equal(xp("%{i}", 0, &env), "192.0.2.3");
	assert_string_equal(xp("%{v}", 0, &env), "in-addr");
	assert_string_equal(xp("%{h}", 0, &env), "mx.example.org");
	/* %{p}: "unknown" until a name is validated */
	assert_string_equal(xp("%{p}", 0, &env), "unknown");
	env.validated = "mx.example.org";
	assert_string_equal(xp("%{p}", 0, &env), "mx.example.org");
	assert_string_equal(xp("%{p2}", 0, &env), "example.org");
	/* c, r and t only in explanations */
	assert_string_equal(xp("%{c}", MACRO_EXPLAIN, &env), "192.0.2.3");
	assert_string_equal(xp("%{r}", MACRO_EXPLAIN, &env), "rx.example.net");
	assert_string_equal(xp("%{t}", MACRO_EXPLAIN, &env), "1234567890");
	env.receiver = "";
	assert_string_equal(xp("%{r}", MACRO_EXPLAIN, &env), "unknown");
	env.receiver = NULL;
	assert_string_equal(xp("%{r}", MACRO_EXPLAIN, &env), "unknown");
	xfail("%{c}", 0, &env);
	xfail("%{r}", 0, &env);
	xfail("%{t}", 0, &env);
	xfail("%{c}", MACRO_DOMAIN, &env);
	xfail("x.%{T}", MACRO_DOMAIN, &env);
	/* no other letters */
	xfail("%{a}", MACRO_EXPLAIN, &env);
	xfail("%{x}", MACRO_EXPLAIN, &env);
	xfail("%{e}", MACRO_EXPLAIN, &env);
	xfail("%{1}", MACRO_EXPLAIN, &env);
	xfail("%{}", MACRO_EXPLAIN, &env);
	xfail("%{%}", MACRO_EXPLAIN, &env);
}

static void
test_url_encoding(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	assert_string_equal(xp("%{S}", 0, &env),
	    "strong-bad%40email.example.com");
	assert_string_equal(xp("%{L}", 0, &env), "strong-bad");
	assert_string_equal(xp("%{D2R}", 0, &env), "example.email");
	assert_string_equal(xp("%{I}", 0, &env), "192.0.2.3");
	assert_string_equal(xp("%{V}", 0, &env), "in-addr");
	/* RFC 3986 unreserved (ALPHA DIGIT - . _ ~) kept, the rest %XX */
	env.local = "AZaz09-_~!*'();:@&=+$,/?#[]% \"<>\\^`{|}";
	assert_string_equal(xp("%{L}", 0, &env),
	    "AZaz09-_~%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D"
	    "%25%20%22%3C%3E%5C%5E%60%7B%7C%7D");
	/* the lower-case letter is not encoded */
	assert_string_equal(xp("%{l}", MACRO_EXPLAIN, &env), env.local);
	env.local = "caf\xc3\xa9.d\x01";
	assert_string_equal(xp("%{L}", 0, &env), "caf%C3%A9.d%01");
	/* the dots joining parts are not encoded */
	env.local = "a b+c";
	assert_string_equal(xp("%{L+}", 0, &env), "a%20b.c");
	env.validated = "Host.Example.Org";
	assert_string_equal(xp("%{P}", 0, &env), "Host.Example.Org");
	assert_string_equal(xp("%{C}", MACRO_EXPLAIN, &env), "192.0.2.3");
}

static void
test_transformers(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	assert_string_equal(xp("%{i1}", 0, &env), "3");
	assert_string_equal(xp("%{i2}", 0, &env), "2.3");
	assert_string_equal(xp("%{i1r}", 0, &env), "192");
	assert_string_equal(xp("%{ir}", 0, &env), "3.2.0.192");
	assert_string_equal(xp("%{i3r}", 0, &env), "2.0.192");
	assert_string_equal(xp("%{d2R}", 0, &env), "example.email");
	assert_string_equal(xp("%{dR}", 0, &env), "com.example.email");
	/* more parts asked for than there are: all of them */
	assert_string_equal(xp("%{d5}", 0, &env), "email.example.com");
	assert_string_equal(xp("%{d128}", 0, &env), "email.example.com");
	assert_string_equal(xp("%{d129}", 0, &env), "email.example.com");
	assert_string_equal(xp("%{d99999999999999999999999999}", 0, &env),
	    "email.example.com");
	assert_string_equal(xp("%{d4294967297r}", 0, &env),
	    "com.example.email");
	/* a value without delimiters is one part */
	assert_string_equal(xp("%{v1}", 0, &env), "in-addr");
	assert_string_equal(xp("%{vr}", 0, &env), "in-addr");
	assert_string_equal(xp("%{t1}", MACRO_EXPLAIN, &env), "1234567890");
	/* empty parts survive as they are */
	env.local = "a..b";
	assert_string_equal(xp("%{l}", 0, &env), "a..b");
	assert_string_equal(xp("%{l1}", 0, &env), "b");
	assert_string_equal(xp("%{l2}", 0, &env), ".b");
	assert_string_equal(xp("%{lr}", 0, &env), "b..a");
	/* zero is not a number of parts; digits come before r */
	xfail("%{d0}", 0, &env);
	xfail("%{d00}", 0, &env);
	xfail("%{d0r}", 0, &env);
	xfail("%{dr2}", 0, &env);
	xfail("%{d2r2}", 0, &env);
	xfail("%{drr}", 0, &env);
	xfail("%{d-2}", 0, &env);
}

static void
test_delimiters(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	env.local = "a-b+c_d";
	assert_string_equal(xp("%{l}", 0, &env), "a-b+c_d");
	assert_string_equal(xp("%{l-}", 0, &env), "a.b+c_d");
	assert_string_equal(xp("%{l+-}", 0, &env), "a.b.c_d");
	assert_string_equal(xp("%{l-+}", 0, &env), "a.b.c_d");
	assert_string_equal(xp("%{l--}", 0, &env), "a.b+c_d");
	assert_string_equal(xp("%{l2+-}", 0, &env), "b.c_d");
	assert_string_equal(xp("%{l2r+-}", 0, &env), "b.a");
	assert_string_equal(xp("%{l1r+-}", 0, &env), "a");
	assert_string_equal(xp("%{lr+-_}", 0, &env), "d.c.b.a");
	/* a delimiter given replaces the dot, which then splits nothing */
	env.local = "a.b-c";
	assert_string_equal(xp("%{l1-}", 0, &env), "c");
	assert_string_equal(xp("%{l1}", 0, &env), "b-c");
	assert_string_equal(xp("%{l1.-}", 0, &env), "c");
	/* all seven */
	env.local = "a,b/c=d+e_f-g.h";
	assert_string_equal(xp("%{l.-+,/_=}", 0, &env), "a.b.c.d.e.f.g.h");
	assert_string_equal(xp("%{l3r=/_-+,.}", 0, &env), "c.b.a");
	assert_string_equal(xp("%{l2r,}", 0, &env), "b/c=d+e_f-g.h.a");
	assert_string_equal(xp("%{l=}", 0, &env), "a,b/c.d+e_f-g.h");
	assert_string_equal(xp("%{l/}", 0, &env), "a,b.c=d+e_f-g.h");
	/* nothing else is a delimiter */
	xfail("%{l@}", 0, &env);
	xfail("%{l:}", 0, &env);
	xfail("%{l*}", 0, &env);
	xfail("%{l }", MACRO_EXPLAIN, &env);
	xfail("%{l-x}", 0, &env);
	xfail("%{l-2}", 0, &env);
	xfail("%{ l}", 0, &env);
}

static void
test_escapes(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	assert_string_equal(xp("%%", 0, &env), "%");
	assert_string_equal(xp("%_", 0, &env), " ");
	assert_string_equal(xp("%-", 0, &env), "%20");
	assert_string_equal(xp("a%%b%_c%-d", 0, &env), "a%b c%20d");
	assert_string_equal(xp("%%{d}", 0, &env), "%{d}");
	assert_string_equal(xp("100%% %{l}", MACRO_EXPLAIN, &env),
	    "100% strong-bad");
	assert_string_equal(xp("", 0, &env), "");
	assert_int_equal(macro_expand("", 0, MACRO_DOMAIN, &env, out, 256), 0);
	assert_string_equal(out, "");
	assert_string_equal(xp("}", 0, &env), "}");
	assert_string_equal(xp("%{d}}", 0, &env), "email.example.com}");
	xfail("%", 0, &env);
	xfail("50%", MACRO_EXPLAIN, &env);
	xfail("%x", 0, &env);
	xfail("%D", 0, &env);
	xfail("%{", 0, &env);
	xfail("%{d", 0, &env);
	xfail("%{d2", 0, &env);
	xfail("%{d2r", 0, &env);
	xfail("%{d-", 0, &env);
	xfail("% ", MACRO_EXPLAIN, &env);
}

static void
test_check(void **state)
{
	int	 p;

	(void)state;
	assert_int_equal(macro_check("a b", 3, 0, NULL), -1);
	assert_int_equal(macro_check("a b", 3, MACRO_EXPLAIN, NULL), 0);
	assert_int_equal(macro_check("a b", 3, MACRO_DOMAIN, NULL), -1);
	assert_int_equal(macro_check("a\tb", 3, MACRO_EXPLAIN, NULL), -1);
	assert_int_equal(macro_check("a\x7f", 2, MACRO_EXPLAIN, NULL), -1);
	assert_int_equal(macro_check("caf\xc3\xa9", 5, MACRO_EXPLAIN, NULL),
	    -1);
	assert_int_equal(macro_check("a\0b", 3, MACRO_EXPLAIN, NULL), -1);
	assert_int_equal(macro_check("", 0, 0, NULL), 0);
	assert_int_equal(macro_check("!~", 2, 0, NULL), 0);
	/* only len octets are looked at */
	assert_int_equal(macro_check("ab%", 2, 0, NULL), 0);
	assert_int_equal(macro_check("%{d}x", 3, 0, NULL), -1);

	p = 7;
	assert_int_equal(macro_check("%{d}", 4, 0, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(macro_check("%{p}", 4, 0, &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(macro_check("x.%{P2r-}.y", 11, 0, &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(macro_check("%%{p}", 5, 0, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(macro_check("p.%{d}", 6, 0, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(macro_check("%{p} %{c}", 9, MACRO_EXPLAIN, &p), 0);
	assert_int_equal(p, 1);
}

static void
test_trailing_dot(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	/* a domain loses its trailing dot */
	assert_string_equal(xp("%{d}.", MACRO_DOMAIN, &env),
	    "email.example.com");
	assert_string_equal(xp("www.example.com.", MACRO_DOMAIN, &env),
	    "www.example.com");
	env.domain = "email.example.com.";
	assert_string_equal(xp("%{d}", MACRO_DOMAIN, &env),
	    "email.example.com");
	/* text that is not a domain keeps it */
	assert_string_equal(xp("%{d}", 0, &env), "email.example.com.");
	assert_string_equal(xp("See http://%{o}/why.", MACRO_EXPLAIN, &env),
	    "See http://email.example.com/why.");
	assert_string_equal(xp("%{o}.", MACRO_EXPLAIN, &env),
	    "email.example.com.");
}

static void
test_truncation(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;
	char			 local[4096], want[512];
	char			 big[4200], rev[4200];
	char			*p;
	const char		*w;
	size_t			 i;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");

	/* five 63-octet labels: 319 octets, the first two must go */
	for (i = 0, p = local; i < 5; i++) {
		memset(p, 'a' + (int)i, 63);
		p += 63;
		*p++ = '.';
	}
	p[-1] = '\0';
	env.domain = local;
	assert_int_equal(strlen(local), 319);
	w = xp("%{d}", MACRO_DOMAIN, &env);
	assert_int_equal(strlen(w), 191);
	assert_string_equal(w, local + 128);
	/* no truncation outside domains */
	assert_string_equal(xp("%{d}", 0, &env), local);

	/* 253 octets stay, 254 lose the first label */
	memset(local, 'x', 253);
	local[253] = '\0';
	for (i = 1; i < 253; i += 2)
		local[i] = '.';
	env.domain = local;
	assert_string_equal(xp("%{d}", MACRO_DOMAIN, &env), local);
	assert_string_equal(xp("%{d}.", MACRO_DOMAIN, &env), local);
	assert_string_equal(xp("y.%{d}", MACRO_DOMAIN, &env), local);
	(void)snprintf(want, sizeof(want), "yy%s", local);
	env.domain = want;		/* 255 octets: "yyx." goes */
	assert_string_equal(xp("%{d}", MACRO_DOMAIN, &env), local + 2);

	/* one label longer than a domain can be: nothing to keep */
	env.domain = "email.example.com";
	memset(local, 'x', 300);
	local[300] = '\0';
	env.local = local;
	assert_int_equal(macro_expand("%{l}", 4, MACRO_DOMAIN, &env, out,
	    SPF_DOMAIN_LEN), -1);
	assert_string_equal(xp("%{l}.example.com", MACRO_DOMAIN, &env),
	    "example.com");
	memset(local, 'x', 4000);
	local[4000] = '\0';
	assert_int_equal(macro_expand("%{l}", 4, MACRO_DOMAIN, &env, out,
	    SPF_DOMAIN_LEN), -1);
	assert_string_equal(xp("%{l}.%{d1}", MACRO_DOMAIN, &env), "com");

	/* an expansion far longer than the output buffer: 700 labels */
	for (i = 0, p = local; i < 700; i++)
		p += sprintf(p, "%c%zu.", 'a' + (int)(i % 26), i);
	p[-1] = '\0';
	env.local = local;
	assert_true(strlen(local) > 3000);
	(void)snprintf(big, sizeof(big), "%s.example.com", local);
	w = xp("%{l}.%{d2}", MACRO_DOMAIN, &env);
	assert_string_equal(w, truncated(big));
	assert_true(strlen(w) >= 253 - 5);
	assert_string_equal(w + strlen(w) - 17, ".x699.example.com");
	/* with the r transformer: the same rule on the reversed value */
	(void)strlcpy(big, local, sizeof(big));
	for (rev[0] = '\0'; (p = strrchr(big, '.')) != NULL; *p = '\0') {
		(void)strlcat(rev, p + 1, sizeof(rev));
		(void)strlcat(rev, ".", sizeof(rev));
	}
	(void)strlcat(rev, big, sizeof(rev));
	assert_memory_equal(rev, "x699.w698.", 10);
	w = xp("%{lr}", MACRO_DOMAIN, &env);
	assert_string_equal(w, truncated(rev));
	assert_string_equal(w + strlen(w) - 6, ".b1.a0");
}

/*
 * The same truncation for every length and label pattern near the
 * edges: the expansion must be what truncated() says, whatever the
 * size of the buffer, and wherever the buffer's end falls in a label.
 */
static void
test_truncation_sweep(void **state)
{
	static const size_t	 outlens[] = { 256, 257, 300, 512, 1024 };
	struct macro_env	 env;
	struct spf_addr		 ip;
	char			 local[2048], full[2100];
	const char		*want;
	size_t			 len, i, o, lab, n;
	int			 r, checked = 0;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	env.local = local;
	for (lab = 1; lab <= 9; lab += 4) {
		for (len = 230; len < 1100; len++) {
			/* labels of lab, lab+1, ... octets, cycling */
			for (i = 0, n = 0; i < len; i++) {
				if (n == lab + i % 5) {
					local[i] = '.';
					n = 0;
				} else {
					local[i] = 'a' + (char)(i % 26);
					n++;
				}
			}
			local[len] = '\0';
			if (local[len - 1] == '.')
				local[len - 1] = 'q';
			(void)snprintf(full, sizeof(full), "%s.example.com.",
			    local);
			want = truncated(full);
			assert_non_null(want);
			for (o = 0; o < sizeof(outlens) / sizeof(outlens[0]);
			    o++) {
				r = macro_expand("%{l}.example.com.", 17,
				    MACRO_DOMAIN, &env, out, outlens[o]);
				if (r < 0 || strcmp(out, want) != 0)
					fail_msg("len %zu lab %zu outlen %zu: "
					    "got %d '%s', want '%s'", len, lab,
					    outlens[o], r, r < 0 ? "" : out,
					    want);
				assert_int_equal((size_t)r, strlen(want));
				checked++;
			}
		}
	}
	assert_int_equal(checked, 3 * 870 * 5);
}

static void
test_explanation_cut(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;
	char			 local[2048], txt[700];
	int			 n;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	memset(local, 'x', 1500);
	memcpy(local, "BEGIN", 5);
	local[1500] = '\0';
	env.local = local;
	memset(out, 'Z', sizeof(out));
	n = macro_expand("%{l} is bad", 11, MACRO_EXPLAIN, &env, out,
	    SPF_EXPLANATION_LEN);
	assert_int_equal(n, SPF_EXPLANATION_LEN - 1);
	assert_int_equal(strlen(out), SPF_EXPLANATION_LEN - 1);
	assert_memory_equal(out, local, SPF_EXPLANATION_LEN - 1);
	assert_int_equal(out[SPF_EXPLANATION_LEN], 'Z');

	/* a literal longer than the buffer, then a macro */
	memset(out, 'Z', sizeof(out));
	memset(txt, 'y', 600);
	memcpy(txt + 600, "%{d}", 5);
	n = macro_expand(txt, 604, MACRO_EXPLAIN, &env, out, 300);
	assert_int_equal(n, 299);
	assert_memory_equal(out, txt, 299);
	assert_int_equal(out[299], '\0');
	assert_int_equal(out[300], 'Z');

	/* exactly full */
	memset(txt, 'w', 511);
	txt[511] = '\0';
	assert_string_equal(xp(txt, MACRO_EXPLAIN, &env), txt);
	/* too small a buffer is refused outright */
	assert_int_equal(macro_expand("x", 1, MACRO_EXPLAIN, &env, out, 255),
	    -1);
	assert_int_equal(macro_expand("x.y", 3, MACRO_DOMAIN, &env, out, 100),
	    -1);
	assert_int_equal(macro_expand("x", 1, 0, &env, out, 256), 1);
}

static void
test_default_explanation(void **state)
{
	struct macro_env	 env;
	struct spf_addr		 ip;

	(void)state;
	mkenv(&env, &ip, "192.0.2.3");
	assert_string_equal(xp("%{c} is not allowed to send mail from %{o} "
	    "(SPF)", MACRO_EXPLAIN, &env), "192.0.2.3 is not allowed to send "
	    "mail from email.example.com (SPF)");
	assert_string_equal(xp("%{i} at %{t} via %{r}: %{S} %{h} %{p}",
	    MACRO_EXPLAIN, &env), "192.0.2.3 at 1234567890 via rx.example.net:"
	    " strong-bad%40email.example.com mx.example.org unknown");
}

static void
test_domain_spec_end(void **state)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "example.com", 1 },
		{ "example.com.", 1 },
		{ "museum", 0 },
		{ "museum.", 0 },
		{ "abc.123", 0 },
		{ "abc.123.", 0 },
		{ "foo.xn--zckzah", 1 },
		{ "example.-com", 0 },
		{ "example.com-", 0 },
		{ "foo.1-1", 1 },
		{ "foo.1a", 1 },
		{ "foo.a_b", 0 },
		{ "foo:bar/baz.example.com", 1 },
		{ "%{d}", 1 },
		{ "foo.%{d}", 1 },
		{ "%{d}.com", 1 },
		{ "%{d}com", 0 },
		{ "%{d}.123", 0 },
		{ "foo.%%", 1 },
		{ "foo.%_", 1 },
		{ "foo.%-", 1 },
		{ ".com", 1 },
		{ "", 0 },
		{ ".", 0 },
		{ "example..", 0 },
		{ "%{x}", 0 },
		{ "foo.%", 0 },
		{ "%{c}", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (domain_spec_end_ok(cases[i].s, strlen(cases[i].s)) !=
		    cases[i].ok)
			fail_msg("domain_spec_end_ok(\"%s\") != %d",
			    cases[i].s, cases[i].ok);
	/* only len octets count */
	assert_int_equal(domain_spec_end_ok("example.com.evil", 11), 1);
	assert_int_equal(domain_spec_end_ok("abc.123x", 7), 0);
	assert_int_equal(domain_spec_end_ok("abc.12x", 6), 0);
	assert_int_equal(domain_spec_end_ok("%{d}.com", 4), 1);
}

int
main(void)
{
	const struct CMUnitTest macro_tests[] = {
		cmocka_unit_test(test_rfc_examples_ipv4),
		cmocka_unit_test(test_rfc_examples_ipv6),
		cmocka_unit_test(test_letters),
		cmocka_unit_test(test_url_encoding),
		cmocka_unit_test(test_transformers),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_trailing_dot),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_explanation_cut),
		cmocka_unit_test(test_default_explanation),
		cmocka_unit_test(test_domain_spec_end),
	};

	return cmocka_run_group_tests(macro_tests, NULL, NULL);
}
