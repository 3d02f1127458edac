/*
 * test_header.c: a result as mail sees it: Received-SPF (RFC 7208 9.1),
 * Authentication-Results (RFC 8601), the SMTP reply (RFC 7372 codes),
 * and the log line; quoting of what strangers wrote, and bounds.
 */
#include "unit.h"

static void	mk(struct spf_result *, struct spf_config *);
static const char *received(const struct spf_result *,
		    const struct spf_config *);
static const char *authres(const struct spf_result *,
		    const struct spf_config *);
static const char *reply(const struct spf_result *);

static char	 buf[4096];

/* alice@example.org passing from 192.0.2.10, as in the README */
static void
mk(struct spf_result *r, struct spf_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->code = SPF_PASS;
	r->identity = SPF_ID_MAILFROM;
	r->action = SPF_ACCEPT;
	r->dnssec = SPF_DNSSEC_UNVALIDATED;
	(void)strlcpy(r->client_ip, "192.0.2.10", sizeof(r->client_ip));
	(void)strlcpy(r->sender, "alice@example.org", sizeof(r->sender));
	(void)strlcpy(r->helo, "mail.example.org", sizeof(r->helo));
	(void)strlcpy(r->domain, "example.org", sizeof(r->domain));
	(void)strlcpy(r->mechanism, "ip4:192.0.2.0/25", sizeof(r->mechanism));
	spf_config_init(cfg);
	(void)strlcpy(cfg->receiver, "mx.example.net", sizeof(cfg->receiver));
}

static const char *
received(const struct spf_result *r, const struct spf_config *cfg)
{
	int	 n;

	memset(buf, 'Z', sizeof(buf));
	n = spf_received_spf(r, cfg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	return buf;
}

static const char *
authres(const struct spf_result *r, const struct spf_config *cfg)
{
	int	 n;

	memset(buf, 'Z', sizeof(buf));
	n = spf_authres_header(r, cfg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	return buf;
}

static const char *
reply(const struct spf_result *r)
{
	int	 n;

	memset(buf, 'Z', sizeof(buf));
	n = spf_smtp_reply(r, buf, sizeof(buf));
	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(buf));
	/* within SMTP's 512 octets with the CRLF */
	assert_true(n + 2 <= 512);
	return buf;
}

static void
test_received_pass(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;

	(void)state;
	mk(&r, &cfg);
	assert_string_equal(received(&r, &cfg),
	    "Received-SPF: pass (mx.example.net: domain of alice@example.org "
	    "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
	    "envelope-from=\"alice@example.org\"; helo=mail.example.org; "
	    "receiver=mx.example.net; identity=mailfrom; "
	    "mechanism=\"ip4:192.0.2.0/25\";");
	r.dnssec = SPF_DNSSEC_SECURE;
	assert_string_equal(received(&r, &cfg),
	    "Received-SPF: pass (mx.example.net: domain of alice@example.org "
	    "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
	    "envelope-from=\"alice@example.org\"; helo=mail.example.org; "
	    "receiver=mx.example.net; identity=mailfrom; "
	    "mechanism=\"ip4:192.0.2.0/25\"; dnssec=secure;");
	r.dnssec = SPF_DNSSEC_BOGUS;
	assert_non_null(strstr(received(&r, &cfg), "; dnssec=bogus;"));
	r.dnssec = SPF_DNSSEC_INSECURE;
	assert_non_null(strstr(received(&r, &cfg), "; dnssec=insecure;"));
}

static void
test_received_codes(void **state)
{
	static const struct {
		enum spf_code	 code;
		const char	*mech, *problem, *want;
	} cases[] = {
		{ SPF_FAIL, "-all", "",
		    "Received-SPF: fail (mx.example.net: domain of "
		    "alice@example.org does not designate 192.0.2.10 as "
		    "permitted sender) client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom; mechanism=-all;" },
		{ SPF_SOFTFAIL, "~all", "",
		    "Received-SPF: softfail (mx.example.net: domain of "
		    "transitioning alice@example.org does not designate "
		    "192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom; mechanism=~all;" },
		{ SPF_NEUTRAL, "default", "",
		    "Received-SPF: neutral (mx.example.net: 192.0.2.10 is "
		    "neither permitted nor denied by domain of "
		    "alice@example.org) client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom; mechanism=default;" },
		{ SPF_NONE, "", "",
		    "Received-SPF: none (mx.example.net: domain of "
		    "alice@example.org does not designate permitted sender "
		    "hosts) client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom;" },
		{ SPF_TEMPERROR, "", "DNS timeout for example.org",
		    "Received-SPF: temperror (mx.example.net: error in "
		    "processing during lookup of alice@example.org) "
		    "client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom; "
		    "problem=\"DNS timeout for example.org\";" },
		{ SPF_PERMERROR, "include:bad.example", "unknown mechanism 'x'",
		    "Received-SPF: permerror (mx.example.net: permanent error "
		    "in processing domain of alice@example.org) "
		    "client-ip=192.0.2.10; "
		    "envelope-from=\"alice@example.org\"; "
		    "helo=mail.example.org; receiver=mx.example.net; "
		    "identity=mailfrom; mechanism=\"include:bad.example\"; "
		    "problem=\"unknown mechanism 'x'\";" },
	};
	struct spf_result	 r;
	struct spf_config	 cfg;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk(&r, &cfg);
		r.code = cases[i].code;
		(void)strlcpy(r.mechanism, cases[i].mech, sizeof(r.mechanism));
		(void)strlcpy(r.problem, cases[i].problem, sizeof(r.problem));
		assert_string_equal(received(&r, &cfg), cases[i].want);
	}
}

static void
test_received_quoting(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;

	(void)state;
	/* IPv6 is no dot-atom: quoted */
	mk(&r, &cfg);
	(void)strlcpy(r.client_ip, "2001:db8::1", sizeof(r.client_ip));
	assert_non_null(strstr(received(&r, &cfg), " designates 2001:db8::1 "
	    "as permitted sender) client-ip=\"2001:db8::1\"; envelope-from="));

	/* parentheses and backslashes in the comment, quotes in values */
	mk(&r, &cfg);
	(void)strlcpy(r.sender, "a(b)c\\d\"e@example.org", sizeof(r.sender));
	assert_string_equal(received(&r, &cfg),
	    "Received-SPF: pass (mx.example.net: domain of "
	    "a\\(b\\)c\\\\d\"e@example.org designates 192.0.2.10 as permitted "
	    "sender) client-ip=192.0.2.10; "
	    "envelope-from=\"a(b)c\\\\d\\\"e@example.org\"; "
	    "helo=mail.example.org; receiver=mx.example.net; "
	    "identity=mailfrom; mechanism=\"ip4:192.0.2.0/25\";");

	/*
	 * control characters and octets that are not UTF-8 become "?";
	 * UTF-8 stays (RFC 6532)
	 */
	mk(&r, &cfg);
	(void)strlcpy(r.sender, "bob\r\n\x01\xc3\xa9\xfc@example.org",
	    sizeof(r.sender));
	(void)strlcpy(r.helo, "evil\r\nX-Injected: 1", sizeof(r.helo));
	(void)strlcpy(r.problem, "bad \"term\"\t\x7f", sizeof(r.problem));
	r.code = SPF_PERMERROR;
	received(&r, &cfg);
	assert_null(strchr(buf, '\r'));
	assert_null(strchr(buf, '\n'));
	assert_non_null(strstr(buf, "domain of bob???\xc3\xa9?@example.org)"));
	assert_non_null(strstr(buf,
	    "; envelope-from=\"bob???\xc3\xa9?@example.org\""));
	assert_non_null(strstr(buf, "; helo=\"evil??X-Injected: 1\";"));
	assert_non_null(strstr(buf, "; problem=\"bad \\\"term\\\"??\";"));

	/* the null sender; a helo that is a dot-atom or not */
	mk(&r, &cfg);
	r.sender[0] = '\0';
	r.identity = SPF_ID_HELO;
	r.code = SPF_FAIL;
	(void)strlcpy(r.mechanism, "-all", sizeof(r.mechanism));
	assert_string_equal(received(&r, &cfg),
	    "Received-SPF: fail (mx.example.net: domain of mail.example.org "
	    "does not designate 192.0.2.10 as permitted sender) "
	    "client-ip=192.0.2.10; envelope-from=\"<>\"; "
	    "helo=mail.example.org; receiver=mx.example.net; identity=helo; "
	    "mechanism=-all;");
	(void)strlcpy(r.helo, "[192.0.2.10]", sizeof(r.helo));
	assert_non_null(strstr(received(&r, &cfg), "; helo=\"[192.0.2.10]\";"));

	/* no helo, no receiver: the keys are left out */
	mk(&r, &cfg);
	r.helo[0] = '\0';
	cfg.receiver[0] = '\0';
	received(&r, &cfg);
	assert_null(strstr(buf, "helo="));
	assert_null(strstr(buf, "receiver="));
	assert_non_null(strstr(buf, "; identity=mailfrom;"));
	/* a dot-atom sender without "@" is not quoted */
	(void)strlcpy(r.sender, "postmaster", sizeof(r.sender));
	assert_non_null(strstr(received(&r, &cfg),
	    " envelope-from=postmaster;"));
	/* every line ends in ";" */
	assert_int_equal(buf[strlen(buf) - 1], ';');
}

static void
test_received_bounds(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	char			 small[512];
	int			 full, compact, n;

	(void)state;
	mk(&r, &cfg);
	r.code = SPF_PERMERROR;
	(void)strlcpy(r.problem, "bad", sizeof(r.problem));
	full = spf_received_spf(&r, &cfg, buf, sizeof(buf));
	assert_true(full > 100);
	/* exactly enough */
	memset(small, 'Z', sizeof(small));
	n = spf_received_spf(&r, &cfg, small, (size_t)full + 1);
	assert_int_equal(n, full);
	assert_string_equal(small, buf);
	/* one short: the compact form, without comment, mechanism, problem */
	memset(small, 'Z', sizeof(small));
	compact = spf_received_spf(&r, &cfg, small, (size_t)full);
	assert_int_equal((size_t)compact, strlen(small));
	assert_string_equal(small, "Received-SPF: permerror "
	    "client-ip=192.0.2.10; envelope-from=\"alice@example.org\"; "
	    "helo=mail.example.org; receiver=mx.example.net; "
	    "identity=mailfrom;");
	assert_int_equal(spf_received_spf(&r, &cfg, small,
	    (size_t)compact + 1), compact);
	/* too small even for that: -1 and "" */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(spf_received_spf(&r, &cfg, small, (size_t)compact),
	    -1);
	assert_string_equal(small, "");
	assert_int_equal(small[compact], 'Z');
	assert_int_equal(spf_received_spf(&r, &cfg, small, 1), -1);
	assert_string_equal(small, "");
	/* nothing written to an empty buffer */
	small[0] = 'Z';
	assert_int_equal(spf_received_spf(&r, &cfg, small, 0), -1);
	assert_int_equal(small[0], 'Z');
}

/*
 * Whatever strangers send, both headers fit SPF_HEADER_LEN and RFC
 * 5322's 998 octets: the longest sender, HELO name, mechanism and
 * problem there can be, all of quotes (each doubled when quoted).
 */
static void
test_headers_hostile(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	char			 hdr[SPF_HEADER_LEN], *p;
	int			 n, code, i;

	(void)state;
	for (code = 0; code < SPF_NCODES; code++) {
		mk(&r, &cfg);
		r.code = (enum spf_code)code;
		r.dnssec = SPF_DNSSEC_INSECURE;
		(void)strlcpy(r.client_ip, "ffff:ffff:ffff:ffff:ffff:ffff:"
		    "255.255.255.255", sizeof(r.client_ip));
		memset(r.sender, '"', sizeof(r.sender) - 1);
		r.sender[sizeof(r.sender) - 1] = '\0';
		memset(r.helo, '\\', sizeof(r.helo) - 1);
		r.helo[sizeof(r.helo) - 1] = '\0';
		memset(r.mechanism, '"', sizeof(r.mechanism) - 1);
		r.mechanism[sizeof(r.mechanism) - 1] = '\0';
		memset(r.problem, '"', sizeof(r.problem) - 1);
		r.problem[sizeof(r.problem) - 1] = '\0';
		n = spf_received_spf(&r, &cfg, hdr, sizeof(hdr));
		assert_true(n > 0 && n <= 998);
		assert_int_equal((size_t)n, strlen(hdr));
		/* the compact form: values cut to 160 octets before quoting */
		assert_null(strstr(hdr, "mechanism="));
		assert_null(strstr(hdr, "problem="));
		assert_non_null(p = strstr(hdr, "; envelope-from=\""));
		for (i = 0; i < 160; i++)
			assert_memory_equal(p + 17 + 2 * i, "\\\"", 2);
		assert_memory_equal(p + 17 + 320, "\"; helo=\"", 9);
		assert_non_null(strstr(hdr, "; dnssec=insecure;"));

		n = spf_authres_header(&r, &cfg, hdr, sizeof(hdr));
		assert_true(n > 0 && n <= 998);
		assert_int_equal((size_t)n, strlen(hdr));
		assert_memory_equal(hdr, "Authentication-Results: "
		    "mx.example.net; spf=", 42);
		n = spf_authres_method(&r, hdr, sizeof(hdr));
		assert_true(n > 0 && n <= 998);
		r.identity = SPF_ID_HELO;
		n = spf_authres_header(&r, &cfg, hdr, sizeof(hdr));
		assert_true(n > 0 && n <= 998);
		assert_non_null(strstr(hdr, " smtp.helo=\"\\\\\\\\"));
	}
}

/*
 * The compact form cuts values between characters: a UTF-8 sender or
 * HELO name (RFC 6532) stays UTF-8 and a dot-atom, whatever the width
 * of the character that straddles the cut.
 */
static void
test_compact_utf8(void **state)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x93\xa7" };
	struct spf_result	 r;
	struct spf_config	 cfg;
	char			 hdr[SPF_HEADER_LEN], want[200];
	const char		*p, *e;
	size_t			 c, k, len, w;
	int			 n;

	(void)state;
	for (c = 0; c < 3; c++) {
		w = strlen(chars[c]);
		for (k = 0; k < w; k++) {
			mk(&r, &cfg);
			/* k ASCII octets, then characters past the cut */
			memset(r.helo, 'h', k);
			r.helo[k] = '\0';
			while (strlen(r.helo) < 200)
				(void)strlcat(r.helo, chars[c],
				    sizeof(r.helo));
			/* the whole characters within 160 octets */
			len = k + (160 - k) / w * w;
			memcpy(want, r.helo, len);
			want[len] = '\0';
			/* one octet short of the full form: the compact */
			n = spf_received_spf(&r, &cfg, buf, sizeof(buf));
			assert_true(n > 0 && (size_t)n < sizeof(hdr));
			assert_true(spf_received_spf(&r, &cfg, hdr,
			    (size_t)n) > 0);
			assert_null(strstr(hdr, "mechanism="));
			assert_true(utf8_valid(hdr));
			assert_non_null(p = strstr(hdr, "; helo="));
			p += 7;
			assert_non_null(e = strchr(p, ';'));
			assert_int_equal((size_t)(e - p), len);
			assert_memory_equal(p, want, len);
		}
	}
}

/*
 * BUG (common/header.c, spf_authres_method): the method part is
 * kept whole up to 998 - 24 - SPF_DOMAIN_LEN = 718 octets, leaving room
 * for "Authentication-Results: " and a 255-octet authserv-id but not
 * for the "; " between them, so the header can reach 999 octets, one
 * over RFC 5322's limit that spf.h promises (receiver accepts 255).
 */
static void
test_auth_results_longest(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	char			 hdr[SPF_HEADER_LEN];
	size_t			 i, len;
	int			 n, compact = 0;

	(void)state;
	mk(&r, &cfg);
	/* the longest authserv-id the config allows, and a long problem */
	for (i = 0; i < 255; i++)
		cfg.receiver[i] = i % 64 == 63 ? '.' : 'r';
	cfg.receiver[255] = '\0';
	r.code = SPF_PERMERROR;
	memset(r.problem, 'p', sizeof(r.problem) - 1);
	r.problem[sizeof(r.problem) - 1] = '\0';
	/* every sender length, through the switch to the compact form */
	for (len = 20; len < sizeof(r.sender) - 13; len++) {
		memset(r.sender, 's', len);
		(void)strlcpy(r.sender + len, "@example.org",
		    sizeof(r.sender) - len);
		n = spf_authres_header(&r, &cfg, hdr, sizeof(hdr));
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(hdr));
		assert_true(n <= 998);
		if (strstr(hdr, "reason=") == NULL)
			compact = 1;
	}
	assert_true(compact);
}

static void
test_auth_results(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;

	(void)state;
	mk(&r, &cfg);
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=pass smtp.mailfrom=alice@example.org");
	r.dnssec = SPF_DNSSEC_SECURE;
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=pass (dnssec=secure) "
	    "smtp.mailfrom=alice@example.org");
	r.dnssec = SPF_DNSSEC_UNVALIDATED;
	cfg.receiver[0] = '\0';
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "localhost; spf=pass smtp.mailfrom=alice@example.org");

	/* errors carry the problem as the reason */
	mk(&r, &cfg);
	r.code = SPF_PERMERROR;
	(void)strlcpy(r.problem, "too many DNS lookups", sizeof(r.problem));
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=permerror reason=\"too many DNS lookups\" "
	    "smtp.mailfrom=alice@example.org");
	r.code = SPF_TEMPERROR;
	(void)strlcpy(r.problem, "timeout \"x\"", sizeof(r.problem));
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=temperror reason=\"timeout \\\"x\\\"\" "
	    "smtp.mailfrom=alice@example.org");
	r.code = SPF_FAIL;
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=fail smtp.mailfrom=alice@example.org");

	/* the HELO identity */
	mk(&r, &cfg);
	r.identity = SPF_ID_HELO;
	r.code = SPF_NONE;
	r.sender[0] = '\0';
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=none smtp.helo=mail.example.org");
	(void)strlcpy(r.helo, "[192.0.2.10]", sizeof(r.helo));
	assert_string_equal(authres(&r, &cfg), "Authentication-Results: "
	    "mx.example.net; spf=none smtp.helo=\"[192.0.2.10]\"");
}

static void
test_auth_results_method(void **state)
{
	static const struct {
		const char	*sender, *want;
	} cases[] = {
		{ "alice@example.org", "smtp.mailfrom=alice@example.org" },
		{ "first.last+tag@example.org",
		    "smtp.mailfrom=first.last+tag@example.org" },
		{ "!#$%&'*+-/=?^_`{|}~@example.org",
		    "smtp.mailfrom=!#$%&'*+-/=?^_`{|}~@example.org" },
		{ "john doe@example.org",
		    "smtp.mailfrom=\"john doe\"@example.org" },
		{ "a..b@example.org", "smtp.mailfrom=\"a..b\"@example.org" },
		{ ".a@example.org", "smtp.mailfrom=\".a\"@example.org" },
		{ "a.@example.org", "smtp.mailfrom=\"a.\"@example.org" },
		{ "a\"b@example.org", "smtp.mailfrom=\"a\\\"b\"@example.org" },
		{ "a\\b@example.org", "smtp.mailfrom=\"a\\\\b\"@example.org" },
		{ "a@b@example.org", "smtp.mailfrom=\"a@b\"@example.org" },
		{ "(x)@example.org", "smtp.mailfrom=\"(x)\"@example.org" },
		{ "@example.org", "smtp.mailfrom=@example.org" },
		{ "user@[192.0.2.1]", "smtp.mailfrom=\"user@[192.0.2.1]\"" },
		{ "postmaster", "smtp.mailfrom=postmaster" },
		/* UTF-8 is atext (RFC 6532 3.2); other octets are not */
		{ "caf\xc3\xa9@example.org",
		    "smtp.mailfrom=caf\xc3\xa9@example.org" },
		{ "caf\xc3\xa9@m\xc3\xbcnchen.example",
		    "smtp.mailfrom=caf\xc3\xa9@m\xc3\xbcnchen.example" },
		{ "caf\xfc@example.org", "smtp.mailfrom=\"caf?\"@example.org" },
		{ "caf\xc3@example.org", "smtp.mailfrom=\"caf?\"@example.org" },
	};
	struct spf_result	 r;
	struct spf_config	 cfg;
	char			 want[256];
	size_t			 i;
	int			 n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk(&r, &cfg);
		(void)strlcpy(r.sender, cases[i].sender, sizeof(r.sender));
		(void)snprintf(want, sizeof(want), "spf=pass %s",
		    cases[i].want);
		n = spf_authres_method(&r, buf, sizeof(buf));
		assert_string_equal(buf, want);
		assert_int_equal((size_t)n, strlen(want));
	}
	/* bounds */
	mk(&r, &cfg);
	n = spf_authres_method(&r, buf, sizeof(buf));
	assert_int_equal(spf_authres_method(&r, buf, (size_t)n + 1), n);
	assert_int_equal(spf_authres_method(&r, buf, (size_t)n), -1);
	assert_string_equal(buf, "");
	assert_int_equal(spf_authres_header(&r, &cfg, buf, 30), -1);
	assert_string_equal(buf, "");
}

static void
test_smtp_reply(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;

	(void)state;
	mk(&r, &cfg);
	r.code = SPF_FAIL;
	r.action = SPF_REJECT;
	(void)strlcpy(r.explanation, "See http://example.org/spf.html",
	    sizeof(r.explanation));
	assert_string_equal(reply(&r),
	    "550 5.7.23 See http://example.org/spf.html");
	r.explanation[0] = '\0';
	assert_string_equal(reply(&r), "550 5.7.23 SPF fail: 192.0.2.10 is not "
	    "authorized to send mail from example.org");
	/* another result rejected by policy */
	r.code = SPF_SOFTFAIL;
	assert_string_equal(reply(&r), "550 5.7.23 SPF softfail: 192.0.2.10 is "
	    "not authorized to send mail from example.org");
	/* a pass the policy rejects (require-dnssec-pass): the problem */
	r.code = SPF_PASS;
	(void)strlcpy(r.problem, "pass not DNSSEC-secure (insecure): handled "
	    "as neutral", sizeof(r.problem));
	assert_string_equal(reply(&r), "550 5.7.23 SPF pass for example.org: "
	    "pass not DNSSEC-secure (insecure): handled as neutral");
	/* rejected errors: 5.7.24 with the problem */
	r.code = SPF_PERMERROR;
	(void)strlcpy(r.problem, "too many DNS lookups", sizeof(r.problem));
	(void)strlcpy(r.explanation, "ignored", sizeof(r.explanation));
	assert_string_equal(reply(&r), "550 5.7.24 SPF permerror for "
	    "example.org: too many DNS lookups");
	r.code = SPF_TEMPERROR;
	assert_string_equal(reply(&r), "550 5.7.24 SPF temperror for "
	    "example.org: too many DNS lookups");

	/* defer */
	r.action = SPF_DEFER;
	(void)strlcpy(r.problem, "DNS timeout", sizeof(r.problem));
	assert_string_equal(reply(&r), "451 4.7.24 SPF temporary error for "
	    "example.org: DNS timeout");
	r.problem[0] = '\0';
	assert_string_equal(reply(&r), "451 4.7.24 SPF temporary error for "
	    "example.org: try again later");
	r.code = SPF_FAIL;
	assert_string_equal(reply(&r),
	    "451 4.7.24 SPF fail for example.org, try again later");

	/* accept and tag: no reply */
	r.action = SPF_ACCEPT;
	assert_string_equal(reply(&r), "");
	assert_int_equal(spf_smtp_reply(&r, buf, sizeof(buf)), 0);
	r.action = SPF_TAG;
	assert_string_equal(reply(&r), "");
}

static void
test_smtp_reply_text(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	size_t			 i;
	int			 n;

	(void)state;
	mk(&r, &cfg);
	r.code = SPF_FAIL;
	r.action = SPF_REJECT;
	(void)strlcpy(r.explanation, "a\r\nb\tc\x7f\xc3\xa9 d",
	    sizeof(r.explanation));
	assert_string_equal(reply(&r), "550 5.7.23 a??b?c??? d");
	(void)strlcpy(r.explanation, "x\r\n250 OK", sizeof(r.explanation));
	assert_string_equal(reply(&r), "550 5.7.23 x??250 OK");

	/* the longest explanation: cut to 508 octets, 510 with CRLF */
	memset(r.explanation, 'e', SPF_EXPLANATION_LEN - 1);
	r.explanation[SPF_EXPLANATION_LEN - 1] = '\0';
	reply(&r);
	assert_int_equal(strlen(buf), 508);
	assert_memory_equal(buf, "550 5.7.23 eee", 14);
	for (i = 11; i < 508; i++)
		assert_int_equal(buf[i], 'e');
	/* 509 octets in all would still be one too many */
	memset(r.explanation, 'f', 498);
	r.explanation[498] = '\0';
	reply(&r);
	assert_int_equal(strlen(buf), 508);
	r.explanation[497] = '\0';
	reply(&r);
	assert_int_equal(strlen(buf), 508);
	assert_int_equal(buf[507], 'f');
	/* an error with the longest domain and problem */
	r.code = SPF_PERMERROR;
	memset(r.domain, 'd', SPF_DOMAIN_LEN - 1);
	r.domain[SPF_DOMAIN_LEN - 1] = '\0';
	memset(r.problem, 'p', SPF_PROBLEM_LEN - 1);
	r.problem[SPF_PROBLEM_LEN - 1] = '\0';
	reply(&r);
	assert_int_equal(strlen(buf), 508);
	assert_memory_equal(buf, "550 5.7.24 SPF permerror for ddd", 32);
	r.action = SPF_DEFER;
	r.code = SPF_TEMPERROR;
	reply(&r);
	assert_int_equal(strlen(buf), 508);
	assert_memory_equal(buf, "451 4.7.24 SPF temporary error for ddd", 38);
	/* a buffer too small for the reply */
	n = spf_smtp_reply(&r, buf, 100);
	assert_int_equal(n, -1);
	assert_string_equal(buf, "");
}

static void
test_log_line(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	int			 n;

	(void)state;
	mk(&r, &cfg);
	r.lookups = 3;
	r.void_lookups = 1;
	n = spf_log_line(&r, buf, sizeof(buf));
	assert_string_equal(buf, "result=pass action=accept identity=mailfrom "
	    "client=192.0.2.10 sender=\"alice@example.org\" "
	    "helo=mail.example.org domain=example.org "
	    "mechanism=\"ip4:192.0.2.0/25\" lookups=3 void=1 "
	    "dnssec=unvalidated");
	assert_int_equal((size_t)n, strlen(buf));
	r.sender[0] = '\0';
	r.helo[0] = '\0';
	r.mechanism[0] = '\0';
	r.code = SPF_TEMPERROR;
	r.action = SPF_DEFER;
	r.identity = SPF_ID_HELO;
	r.dnssec = SPF_DNSSEC_BOGUS;
	(void)strlcpy(r.problem, "bogus \"answer\"", sizeof(r.problem));
	spf_log_line(&r, buf, sizeof(buf));
	assert_string_equal(buf, "result=temperror action=defer identity=helo "
	    "client=192.0.2.10 sender=\"<>\" helo=\"<>\" domain=example.org "
	    "lookups=3 void=1 dnssec=bogus problem=\"bogus \\\"answer\\\"\"");
	assert_int_equal(spf_log_line(&r, buf, 20), -1);
	assert_string_equal(buf, "");
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(spf_code_str(SPF_NONE), "none");
	assert_string_equal(spf_code_str(SPF_NEUTRAL), "neutral");
	assert_string_equal(spf_code_str(SPF_PASS), "pass");
	assert_string_equal(spf_code_str(SPF_FAIL), "fail");
	assert_string_equal(spf_code_str(SPF_SOFTFAIL), "softfail");
	assert_string_equal(spf_code_str(SPF_TEMPERROR), "temperror");
	assert_string_equal(spf_code_str(SPF_PERMERROR), "permerror");
	assert_string_equal(spf_action_str(SPF_ACCEPT), "accept");
	assert_string_equal(spf_action_str(SPF_TAG), "tag");
	assert_string_equal(spf_action_str(SPF_REJECT), "reject");
	assert_string_equal(spf_action_str(SPF_DEFER), "defer");
	assert_string_equal(spf_identity_str(SPF_ID_MAILFROM), "mailfrom");
	assert_string_equal(spf_identity_str(SPF_ID_HELO), "helo");
	assert_string_equal(spf_dnssec_str(SPF_DNSSEC_UNVALIDATED),
	    "unvalidated");
	assert_string_equal(spf_dnssec_str(SPF_DNSSEC_SECURE), "secure");
	assert_string_equal(spf_dnssec_str(SPF_DNSSEC_INSECURE), "insecure");
	assert_string_equal(spf_dnssec_str(SPF_DNSSEC_BOGUS), "bogus");
	assert_int_equal(spf_code_parse("SoftFail"), SPF_SOFTFAIL);
	assert_int_equal(spf_code_parse("hardfail"), -1);
	assert_int_equal(spf_action_parse("Defer"), SPF_DEFER);
	assert_int_equal(spf_action_parse("drop"), -1);
}

/* Tagged mail always, accepted unless "headers no", the rest never. */
static void
test_headers_wanted(void **state)
{
	struct spf_result r;
	struct spf_config cfg;

	(void)state;
	mk(&r, &cfg);
	assert_true(spf_headers_wanted(&r, &cfg));
	cfg.headers = 0;
	assert_false(spf_headers_wanted(&r, &cfg));
	r.action = SPF_TAG;
	assert_true(spf_headers_wanted(&r, &cfg));
	cfg.headers = 1;
	r.action = SPF_REJECT;
	assert_false(spf_headers_wanted(&r, &cfg));
	r.action = SPF_DEFER;
	assert_false(spf_headers_wanted(&r, &cfg));
}

int
main(void)
{
	const struct CMUnitTest header_tests[] = {
		cmocka_unit_test(test_received_pass),
		cmocka_unit_test(test_received_codes),
		cmocka_unit_test(test_received_quoting),
		cmocka_unit_test(test_received_bounds),
		cmocka_unit_test(test_headers_hostile),
		cmocka_unit_test(test_compact_utf8),
		cmocka_unit_test(test_auth_results_longest),
		cmocka_unit_test(test_auth_results),
		cmocka_unit_test(test_auth_results_method),
		cmocka_unit_test(test_smtp_reply),
		cmocka_unit_test(test_smtp_reply_text),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_headers_wanted),
	};

	return cmocka_run_group_tests(header_tests, NULL, NULL);
}
