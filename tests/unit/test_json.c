/*
 * test_json.c: spf_json_string and spf_result_json.  Every output goes
 * through a strict JSON parser of our own (jsoncheck.c: RFC 8259, no
 * raw control characters, valid escapes, valid UTF-8), and is decoded
 * and compared with what the input meant: valid UTF-8 as itself, any
 * other octet as U+00XX.  With SPF_UNIT_JSON_OUT set, every output is
 * also written there, one per line, for check.sh to hand to python3 -m
 * json.tool.
 */
#include "unit.h"

static size_t	model(const char *, unsigned char *);
static void	save(const char *);
static void	check_string(const char *);
static void	check_at(int, const char *, size_t, int, int);
static void	mk(struct spf_result *, struct spf_config *);

static FILE	*saved;
static char	 out[SPF_JSON_LEN * 2];

/* What s should decode to: valid UTF-8 as is, other octets as U+FFFD. */
static size_t
model(const char *s, unsigned char *o)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i, w = 0;
	int			 l;

	for (i = 0; i < n; i += (size_t)l) {
		if ((l = utf8_seq(p + i, n - i)) > 0)
			memcpy(o + w, p + i, (size_t)l), w += (size_t)l;
		else {
			w += put_utf8(0xfffd, o + w);
			l = 1;
		}
	}
	o[w] = '\0';
	return w;
}

static void
save(const char *json)
{
	if (saved != NULL)
		fprintf(saved, "%s\n", json);
}

/* spf_json_string(s) must be a JSON string meaning s. */
static void
check_string(const char *s)
{
	static unsigned char	 want[8192], got[8192];
	size_t			 off = 0, wn, gn;

	assert_int_equal(spf_json_string(out, sizeof(out), &off, s), 0);
	assert_int_equal(off, strlen(out));
	save(out);
	if (json_string_decode(out, off, got, sizeof(got), &gn) == -1)
		fail_msg("not a JSON string: %s", out);
	wn = model(s, want);
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, wn);
	/* and never anything but printable ASCII and whole UTF-8 */
	assert_null(strchr(out, '\n'));
}

static void
test_string_exact(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "abc", "\"abc\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "\n\t\r", "\"\\n\\t\\r\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "\b\f", "\"\\u0008\\u000c\"" },
		{ "\x7f", "\"\\u007f\"" },
		{ "/<>", "\"/<>\"" },
		/* valid UTF-8 passes through */
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
		{ "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		    "\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		    "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		    "\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"" },
		/* an octet that is not UTF-8 is U+FFFD, each on its own */
		{ "\x80", "\"\\ufffd\"" },
		{ "\xff", "\"\\ufffd\"" },
		{ "\xfe\xf5", "\"\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "\xc1\xbf", "\"\\ufffd\\ufffd\"" },
		{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xc3", "\"\\ufffd\"" },
		{ "\xc3(", "\"\\ufffd(\"" },
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },
		{ "\xe2\x82X", "\"\\ufffd\\ufffdX\"" },
		{ "\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "a\xc3\xa9\xc3", "\"a\xc3\xa9\\ufffd\"" },
	};
	size_t	 i, off;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off = 0;
		memset(out, 'Z', 64);
		assert_int_equal(spf_json_string(out, sizeof(out), &off,
		    cases[i].in), 0);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(off, strlen(cases[i].out));
		check_string(cases[i].in);
	}
}

static void
test_string_every_octet(void **state)
{
	char	 s[4];
	int	 c, d;

	(void)state;
	s[1] = s[2] = s[3] = '\0';
	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		check_string(s);
		for (d = 1; d < 256; d += 7) {
			s[1] = (char)d;
			check_string(s);
		}
		s[1] = '\0';
	}
}

/* Pseudo-random octet strings, the same every run. */
static void
test_string_random(void **state)
{
	char		 s[80];
	uint32_t	 x = 2463534242u;
	int		 i, j, len;

	(void)state;
	for (i = 0; i < 5000; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		len = (int)(x % 72);
		for (j = 0; j < len; j++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* mostly high octets, where UTF-8 goes wrong */
			s[j] = (char)(x % 4 == 0 ? 1 + x % 127 :
			    0x80 + (x >> 8) % 128);
			if (x % 9 == 0 && j + 3 < len) {
				/* a valid sequence now and then */
				memcpy(s + j, "\xe2\x82\xac", 3);
				j += 2;
			}
		}
		s[len] = '\0';
		check_string(s);
	}
}

/*
 * Every octet at every place of plain strings of 1 to 40 octets: the
 * escaper tests sixteen octets at a time, and a short tail in the
 * block that ends with it, so what it writes must not depend on where
 * in a block the octet falls.  Each octet alone gives the expected
 * form.
 */
static void
check_at(int c, const char *alone, size_t alen, int len, int pos)
{
	char	 s[48], want[96];
	size_t	 off = 0;

	memset(s, 'a' + pos % 26, (size_t)len);
	s[pos] = (char)c;
	s[len] = '\0';
	want[0] = '"';
	memcpy(want + 1, s, (size_t)pos);
	memcpy(want + 1 + pos, alone + 1, alen);
	memcpy(want + 1 + pos + alen, s + pos + 1, (size_t)(len - pos - 1));
	memcpy(want + len + alen, "\"", 2);
	assert_int_equal(spf_json_string(out, sizeof(out), &off, s), 0);
	assert_string_equal(out, want);
}

static void
test_string_positions(void **state)
{
	char	 s[2], alone[16];
	size_t	 off;
	int	 c, pos, len;

	(void)state;
	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		off = 0;
		assert_int_equal(spf_json_string(alone, sizeof(alone), &off, s),
		    0);
		/* alone less its quotes, at every place */
		for (len = 1; len <= 40; len++)
			for (pos = 0; pos < len; pos++)
				check_at(c, alone, off - 2, len, pos);
	}
}

static void
test_string_append(void **state)
{
	char	 b[16];
	size_t	 off;

	(void)state;
	/* appended at *off */
	memcpy(out, "{\"k\":", 5);
	off = 5;
	assert_int_equal(spf_json_string(out, sizeof(out), &off, "v"), 0);
	assert_string_equal(out, "{\"k\":\"v\"");
	assert_int_equal(off, 8);
	/* exactly enough room: the string and its NUL */
	off = 0;
	assert_int_equal(spf_json_string(b, 5, &off, "ab"), 0);
	assert_string_equal(b, "\"ab\"");
	assert_int_equal(off, 4);
	/* one short */
	off = 0;
	assert_int_equal(spf_json_string(b, 4, &off, "ab"), -1);
	off = 0;
	memset(b, 'Z', sizeof(b));
	assert_int_equal(spf_json_string(b, 8, &off, "\x01\x01"), -1);
	assert_int_equal(b[8], 'Z');
	off = 0;
	assert_int_equal(spf_json_string(b, 9, &off, "\x01"), 0);
	assert_string_equal(b, "\"\\u0001\"");
	/* an offset already at the end */
	off = sizeof(b);
	assert_int_equal(spf_json_string(b, sizeof(b), &off, ""), -1);
}

/* alice@example.org passing from 192.0.2.10 */
static void
mk(struct spf_result *r, struct spf_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->code = SPF_PASS;
	r->identity = SPF_ID_MAILFROM;
	r->action = SPF_ACCEPT;
	r->dnssec = SPF_DNSSEC_UNVALIDATED;
	r->lookups = 3;
	r->void_lookups = 1;
	r->queries = 7;
	r->elapsed_ms = 42;
	(void)strlcpy(r->client_ip, "192.0.2.10", sizeof(r->client_ip));
	(void)strlcpy(r->sender, "alice@example.org", sizeof(r->sender));
	(void)strlcpy(r->helo, "mail.example.org", sizeof(r->helo));
	(void)strlcpy(r->domain, "example.org", sizeof(r->domain));
	(void)strlcpy(r->mechanism, "ip4:192.0.2.0/25", sizeof(r->mechanism));
	spf_config_init(cfg);
	(void)strlcpy(cfg->receiver, "mx.example.net", sizeof(cfg->receiver));
}

static void
test_result_keys(void **state)
{
	static const char *keys[] = {
		"result", "action", "domain", "identity", "client_ip",
		"sender", "helo", "mechanism", "explanation", "problem",
		"lookups", "void_lookups", "queries", "dnssec", "elapsed_ms",
		"reply", "received_spf", "authentication_results",
	};
	struct spf_result	 r;
	struct spf_config	 cfg;
	struct jdoc		 d;
	char			 hdr[SPF_HEADER_LEN];
	int			 n;
	size_t			 i;

	(void)state;
	mk(&r, &cfg);
	n = spf_result_json(&r, &cfg, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	save(out);
	assert_null(strchr(out, '\n'));
	assert_int_equal(out[0], '{');
	assert_int_equal(out[n - 1], '}');
	if (json_parse(out, &d) == -1)
		fail_msg("not JSON: %s", out);
	/* every documented key, once, in this order */
	assert_int_equal(d.nkeys, sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_string_equal(d.key[i], keys[i]);
	assert_string_equal(jstr(&d, "result"), "pass");
	assert_string_equal(jstr(&d, "action"), "accept");
	assert_string_equal(jstr(&d, "domain"), "example.org");
	assert_string_equal(jstr(&d, "identity"), "mailfrom");
	assert_string_equal(jstr(&d, "client_ip"), "192.0.2.10");
	assert_string_equal(jstr(&d, "sender"), "alice@example.org");
	assert_string_equal(jstr(&d, "helo"), "mail.example.org");
	assert_string_equal(jstr(&d, "mechanism"), "ip4:192.0.2.0/25");
	assert_string_equal(jstr(&d, "explanation"), "");
	assert_string_equal(jstr(&d, "problem"), "");
	assert_int_equal(jnum(&d, "lookups"), 3);
	assert_int_equal(jnum(&d, "void_lookups"), 1);
	assert_int_equal(jnum(&d, "queries"), 7);
	assert_string_equal(jstr(&d, "dnssec"), "unvalidated");
	assert_int_equal(jnum(&d, "elapsed_ms"), 42);
	assert_string_equal(jstr(&d, "reply"), "");
	assert_true(spf_received_spf(&r, &cfg, hdr, sizeof(hdr)) > 0);
	assert_string_equal(jstr(&d, "received_spf"), hdr);
	assert_true(spf_authres_header(&r, &cfg, hdr, sizeof(hdr)) > 0);
	assert_string_equal(jstr(&d, "authentication_results"), hdr);

	/* a rejected fail carries its reply; the HELO identity */
	r.code = SPF_FAIL;
	r.action = SPF_REJECT;
	r.identity = SPF_ID_HELO;
	r.dnssec = SPF_DNSSEC_SECURE;
	r.elapsed_ms = 20001;
	(void)strlcpy(r.explanation, "Not \"ours\"", sizeof(r.explanation));
	n = spf_result_json(&r, &cfg, out, sizeof(out));
	assert_true(n > 0);
	save(out);
	assert_int_equal(json_parse(out, &d), 0);
	assert_string_equal(jstr(&d, "result"), "fail");
	assert_string_equal(jstr(&d, "action"), "reject");
	assert_string_equal(jstr(&d, "identity"), "helo");
	assert_string_equal(jstr(&d, "dnssec"), "secure");
	assert_string_equal(jstr(&d, "explanation"), "Not \"ours\"");
	assert_int_equal(jnum(&d, "elapsed_ms"), 20001);
	assert_true(spf_smtp_reply(&r, hdr, sizeof(hdr)) > 0);
	assert_string_equal(jstr(&d, "reply"), "550 5.7.23 Not \"ours\"");
	assert_string_equal(jstr(&d, "reply"), hdr);
	assert_true(spf_received_spf(&r, &cfg, hdr, sizeof(hdr)) > 0);
	assert_string_equal(jstr(&d, "received_spf"), hdr);
}

/* Strangers' bytes in every field: still JSON, still what they were. */
static void
test_result_hostile(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	struct jdoc		 d;
	unsigned char		 want[4096];
	size_t			 i;
	int			 n;

	(void)state;
	mk(&r, &cfg);
	for (i = 0; i < sizeof(r.sender) - 1; i++)
		r.sender[i] = (char)(1 + i % 255);
	for (i = 0; i < sizeof(r.helo) - 1; i++)
		r.helo[i] = (char)(255 - i % 255);
	(void)strlcpy(r.domain, "\xc3\xa9x\xc3.\"\\", sizeof(r.domain));
	(void)strlcpy(r.mechanism, "a:%{l}.\"ex\\ample\".com",
	    sizeof(r.mechanism));
	(void)strlcpy(r.explanation, "\xf0\x9f\x98\x80 \xed\xa0\x80\r\n\t",
	    sizeof(r.explanation));
	(void)strlcpy(r.problem, "\x1b[31m\x7f", sizeof(r.problem));
	r.code = SPF_PERMERROR;
	r.action = SPF_REJECT;
	n = spf_result_json(&r, &cfg, out, sizeof(out));
	assert_true(n > 0);
	save(out);
	if (json_parse(out, &d) == -1)
		fail_msg("not JSON: %s", out);
	model(r.sender, want);
	assert_string_equal(jstr(&d, "sender"), (char *)want);
	model(r.helo, want);
	assert_string_equal(jstr(&d, "helo"), (char *)want);
	assert_string_equal(jstr(&d, "domain"), "\xc3\xa9x\xef\xbf\xbd.\"\\");
	/* neither is UTF-8: the result says so, U+FFFD alone could lie */
	assert_non_null(strstr(out, ",\"sender_invalid_utf8\":true,"));
	assert_non_null(strstr(out, ",\"helo_invalid_utf8\":true,"));
	assert_string_equal(jstr(&d, "mechanism"), r.mechanism);
	assert_string_equal(jstr(&d, "explanation"),
	    "\xf0\x9f\x98\x80 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\r\n\t");
	assert_string_equal(jstr(&d, "problem"), "\x1b[31m\x7f");
	assert_memory_equal(jstr(&d, "reply"), "550 5.7.24 SPF permerror for ",
	    29);
}

/*
 * SPF_JSON_LEN always suffices: every field at its longest, of the
 * octets that cost most (six-fold as \u00XX, or two-fold as \" and \\
 * also inside the headers), for every result and action.
 */
static void
test_result_longest(void **state)
{
	static const int fills[][6] = {
		{ 0x80, 0x80, 0x80, 0x80, 0x80, 0x80 },
		{ 0x01, 0x01, 0x01, 0x01, 0x01, 0x01 },
		{ '\\', '\\', '\\', '\\', '\\', '\\' },
		{ '"', '"', '"', '"', '"', '"' },
		{ '\\', '"', 0x80, 0x80, 0x80, 0x80 },
		{ 0x80, 0x80, '\\', '"', '"', '\\' },
	};
	struct spf_result	 r;
	struct spf_config	 cfg;
	struct jdoc		 d;
	size_t			 k;
	int			 code, action, n;

	(void)state;
	for (k = 0; k < sizeof(fills) / sizeof(fills[0]); k++) {
		for (code = 0; code < SPF_NCODES; code++) {
			for (action = SPF_ACCEPT; action <= SPF_DEFER;
			    action++) {
				mk(&r, &cfg);
				r.code = (enum spf_code)code;
				r.action = (enum spf_action)action;
				r.dnssec = SPF_DNSSEC_INSECURE;
				r.elapsed_ms = 2147483647L;
				r.lookups = r.void_lookups = r.queries =
				    2147483647;
				(void)strlcpy(r.client_ip, "ffff:ffff:ffff:"
				    "ffff:ffff:ffff:255.255.255.255",
				    sizeof(r.client_ip));
#define FILL(f, c)	do {						\
	memset((f), (c), sizeof(f) - 1);				\
	(f)[sizeof(f) - 1] = '\0';					\
} while (0)
				FILL(r.sender, fills[k][0]);
				FILL(r.helo, fills[k][1]);
				FILL(r.domain, fills[k][2]);
				FILL(r.mechanism, fills[k][3]);
				FILL(r.explanation, fills[k][4]);
				FILL(r.problem, fills[k][5]);
#undef FILL
				n = spf_result_json(&r, &cfg, out,
				    SPF_JSON_LEN);
				if (n <= 0)
					fail_msg("fill %zu code %d action %d: "
					    "%d", k, code, action, n);
				assert_true(n < SPF_JSON_LEN);
				if (code == SPF_PERMERROR &&
				    action == SPF_REJECT)
					save(out);
				assert_int_equal(json_parse(out, &d), 0);
				/* 0x80 is no UTF-8: two flags say so */
				assert_int_equal(d.nkeys, 18 +
				    (fills[k][0] == 0x80) +
				    (fills[k][1] == 0x80));
			}
		}
	}
}

static void
test_result_small_buffer(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	int			 n;

	(void)state;
	mk(&r, &cfg);
	n = spf_result_json(&r, &cfg, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(spf_result_json(&r, &cfg, out, (size_t)n + 1), n);
	memset(out, 'Z', sizeof(out));
	assert_int_equal(spf_result_json(&r, &cfg, out, (size_t)n), -1);
	assert_string_equal(out, "");
	assert_int_equal(out[n], 'Z');
	assert_int_equal(spf_result_json(&r, &cfg, out, 100), -1);
	assert_string_equal(out, "");
}

/* The validator itself must refuse what is not JSON. */
static void
test_validator(void **state)
{
	static const char *bad[] = {
		"", "{", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]",
		"\"abc", "\"a\x01\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
		"01", "1.", "-", "1e", "tru", "{} {}", "{\"a\":1}x", "'a'",
		"\"\\a\"", "\"\\\"",
	};
	static const char *good[] = {
		"{}", "[]", "\"\"", "0", "-1.5e+3", "true", "false", "null",
		"{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\ud83d\\ude00\"}",
		" { \"a\" : 1 } ", "\"\xe2\x82\xac\"",
		"\"\\/\\b\\f\\\"\\\\\"",
	};
	struct jdoc	 d;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_parse(bad[i], &d) != -1)
			fail_msg("validator accepted %s", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (json_parse(good[i], &d) != 0)
			fail_msg("validator refused %s", good[i]);
	assert_int_equal(json_parse("{\"c\":\"\\u00e9\\ud83d\\ude00\"}", &d),
	    0);
	assert_string_equal(jstr(&d, "c"), "\xc3\xa9\xf0\x9f\x98\x80");
}

int
main(void)
{
	const struct CMUnitTest json_tests[] = {
		cmocka_unit_test(test_validator),
		cmocka_unit_test(test_string_exact),
		cmocka_unit_test(test_string_every_octet),
		cmocka_unit_test(test_string_random),
		cmocka_unit_test(test_string_positions),
		cmocka_unit_test(test_string_append),
		cmocka_unit_test(test_result_keys),
		cmocka_unit_test(test_result_hostile),
		cmocka_unit_test(test_result_longest),
		cmocka_unit_test(test_result_small_buffer),
	};
	const char	*path;
	int		 failed;

	if ((path = getenv("SPF_UNIT_JSON_OUT")) != NULL && *path != '\0' &&
	    (saved = fopen(path, "w")) == NULL)
		perror(path);
	failed = cmocka_run_group_tests(json_tests, NULL, NULL);
	if (saved != NULL)
		fclose(saved);
	return failed;
}
