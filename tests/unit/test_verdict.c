/*
 * test_verdict.c: the verdict every wrapper hands its MTA: whether the
 * headers go on, the reply, the log line, and the verdict when no
 * evaluation could start, whose identity and domain must be the ones
 * an evaluation would use (exim-spf.c once cut the domain after the
 * last '@' by itself, and disagreed for <>, brackets and trailing dots).
 */
#include "unit.h"

static void	mk(struct spf_result *, struct spf_config *, enum spf_code);

static struct spf_verdict v;
static char line[SPF_LOG_LINE_LEN];

static void
mk(struct spf_result *r, struct spf_config *cfg, enum spf_code code)
{
	memset(r, 0, sizeof(*r));
	spf_config_init(cfg);
	(void)strlcpy(cfg->receiver, "mx.example.net", sizeof(cfg->receiver));
	r->code = code;
	r->identity = SPF_ID_MAILFROM;
	r->action = cfg->actions[code];
	(void)strlcpy(r->client_ip, "192.0.2.10", sizeof(r->client_ip));
	(void)strlcpy(r->sender, "alice@example.org", sizeof(r->sender));
	(void)strlcpy(r->helo, "mail.example.org", sizeof(r->helo));
	(void)strlcpy(r->domain, "example.org", sizeof(r->domain));
}

/* Tagged mail always gets the headers, accepted mail with headers yes. */
static void
test_headers(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;

	(void)state;
	mk(&r, &cfg, SPF_PASS);
	spf_verdict(&r, &cfg, &v);
	assert_true(v.headers);
	assert_true(strncmp(v.received_spf, "Received-SPF: pass ", 19) == 0);
	assert_string_equal(v.authres, "Authentication-Results: "
	    "mx.example.net; spf=pass smtp.mailfrom=alice@example.org");
	assert_string_equal(v.authres_method,
	    "spf=pass smtp.mailfrom=alice@example.org");
	assert_string_equal(v.reply, "");

	cfg.headers = 0;
	spf_verdict(&r, &cfg, &v);
	assert_false(v.headers);
	/* the text is there all the same, for JSON and the curious */
	assert_true(v.received_spf[0] != '\0');

	mk(&r, &cfg, SPF_SOFTFAIL);
	cfg.headers = 0;
	assert_int_equal(r.action, SPF_TAG);
	spf_verdict(&r, &cfg, &v);
	assert_true(v.headers);

	/* rejected and deferred mail is not delivered: no headers */
	mk(&r, &cfg, SPF_FAIL);
	spf_verdict(&r, &cfg, &v);
	assert_false(v.headers);
	mk(&r, &cfg, SPF_TEMPERROR);
	spf_verdict(&r, &cfg, &v);
	assert_false(v.headers);
}

/* A reply exactly for reject (5xx) and defer (4xx). */
static void
test_reply(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	int			 code;

	(void)state;
	for (code = 0; code < SPF_NCODES; code++) {
		mk(&r, &cfg, code);
		spf_verdict(&r, &cfg, &v);
		switch (r.action) {
		case SPF_REJECT:
			assert_int_equal(v.reply[0], '5');
			break;
		case SPF_DEFER:
			assert_int_equal(v.reply[0], '4');
			break;
		default:
			assert_string_equal(v.reply, "");
			break;
		}
		assert_true(strlen(v.reply) + 2 <= 512);
	}
	mk(&r, &cfg, SPF_FAIL);
	spf_verdict(&r, &cfg, &v);
	assert_string_equal(v.reply, "550 5.7.23 SPF fail: 192.0.2.10 is not "
	    "authorized to send mail from example.org");
}

/* The log line, or when the sender makes it too long, the essentials. */
static void
test_log_line(void **state)
{
	struct spf_result	 r;
	struct spf_config	 cfg;
	int			 n;

	(void)state;
	mk(&r, &cfg, SPF_PASS);
	spf_verdict(&r, &cfg, &v);
	n = spf_verdict_log_line(&v, line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_true(strncmp(line, "result=pass action=accept "
	    "identity=mailfrom client=192.0.2.10 sender=", 63) == 0);
	memset(r.sender, '"', sizeof(r.sender) - 1);
	memset(r.problem, '"', sizeof(r.problem) - 1);
	memset(r.mechanism, '"', sizeof(r.mechanism) - 1);
	spf_verdict(&r, &cfg, &v);
	assert_int_equal(spf_verdict_log_line(&v, line, sizeof(line)), 43);
	assert_string_equal(line,
	    "client=192.0.2.10 result=pass action=accept");
}

/* The require-dnssec-pass rule lives in the action, once. */
static void
test_dnssec_pass(void **state)
{
	struct spf_config	 cfg;

	(void)state;
	spf_config_init(&cfg);
	cfg.require_dnssec_pass = 1;
	cfg.actions[SPF_NEUTRAL] = SPF_TAG;
	spf_verdict_unchecked(&cfg, SPF_PASS, "192.0.2.1", "a@example.org",
	    "h.example.org", "", &v);
	assert_int_equal(v.result.action, SPF_TAG);
	assert_string_equal(v.result.problem, "pass not DNSSEC-secure "
	    "(unvalidated): handled as neutral");
}

/*
 * Sender, HELO name and what an evaluation would take as its identity,
 * sender and domain (checker.c:sender_parse, RFC 7208 2.4 and 4.3).
 */
static const struct {
	const char	*sender, *helo;
	enum spf_identity identity;
	const char	*given, *domain;
} splits[] = {
	{ "alice@example.org", "h.example", SPF_ID_MAILFROM,
	    "alice@example.org", "example.org" },
	/* the old wrapper: identity mailfrom, sender "<>" */
	{ "<>", "h.example", SPF_ID_HELO, "", "h.example" },
	{ "", "h.example.", SPF_ID_HELO, "", "h.example" },
	/* the old wrapper: domain "example.org>" */
	{ "<alice@example.org>", "h.example", SPF_ID_MAILFROM,
	    "alice@example.org", "example.org" },
	/* the old wrapper: domain "example.org." */
	{ "alice@example.org.", "h.example", SPF_ID_MAILFROM,
	    "alice@example.org.", "example.org" },
	{ "\"a@b\"@example.org", "h.example", SPF_ID_MAILFROM,
	    "\"a@b\"@example.org", "example.org" },
	/* no local-part: postmaster of the sender's domain, not the HELO */
	{ "example.org", "h.example", SPF_ID_MAILFROM, "example.org",
	    "example.org" },
	{ "@example.org", "h.example", SPF_ID_MAILFROM, "@example.org",
	    "example.org" },
};

static void
test_unchecked_split(void **state)
{
	struct spf_config	 cfg;
	struct sender_parts	 sp;
	size_t			 i;
	char			 given[SPF_SENDER_LEN], dom[SPF_DOMAIN_LEN];

	(void)state;
	spf_config_init(&cfg);
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		spf_verdict_unchecked(&cfg, SPF_TEMPERROR, "192.0.2.1",
		    splits[i].sender, splits[i].helo, "config unreadable", &v);
		assert_int_equal(v.result.identity, splits[i].identity);
		assert_string_equal(v.result.sender, splits[i].given);
		assert_string_equal(v.result.domain, splits[i].domain);
		/* and the evaluation's own split agrees */
		assert_int_equal(sender_parse(splits[i].sender,
		    splits[i].helo, &sp), 0);
		assert_int_equal(sp.identity, splits[i].identity);
		(void)snprintf(given, sizeof(given), "%.*s",
		    (int)sp.given_len, sp.given);
		assert_string_equal(given, splits[i].given);
		(void)snprintf(dom, sizeof(dom), "%.*s", (int)sp.domain_len,
		    sp.domain);
		domain_strip_dot(dom);
		assert_string_equal(dom, splits[i].domain);
	}
}

/* Not evaluated: still a whole verdict, with the policy's action. */
static void
test_unchecked_verdict(void **state)
{
	struct spf_config	 cfg;

	(void)state;
	spf_config_init(&cfg);
	spf_verdict_unchecked(&cfg, SPF_TEMPERROR, "2001:DB8::1",
	    "alice@example.org", "h.example", "cannot read the config", &v);
	assert_int_equal(v.result.code, SPF_TEMPERROR);
	assert_int_equal(v.result.action, SPF_DEFER);
	assert_string_equal(v.result.client_ip, "2001:db8::1");
	assert_string_equal(v.reply, "451 4.7.24 SPF temporary error for "
	    "example.org: cannot read the config");
	assert_false(v.headers);
	(void)spf_verdict_log_line(&v, line, sizeof(line));
	assert_true(strstr(line,
	    "problem=\"cannot read the config\"") != NULL);

	spf_verdict_local(&cfg, "", "h.example", &v);
	assert_int_equal(v.result.code, SPF_NONE);
	assert_string_equal(v.result.problem, "no client IP address");
	assert_int_equal(v.result.action, SPF_ACCEPT);
	assert_int_equal(v.result.identity, SPF_ID_HELO);
	assert_true(v.headers);
	assert_string_equal(v.authres_method, "spf=none smtp.helo=h.example");
}

int
main(void)
{
	const struct CMUnitTest verdict_tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_dnssec_pass),
		cmocka_unit_test(test_unchecked_split),
		cmocka_unit_test(test_unchecked_verdict),
	};

	return cmocka_run_group_tests(verdict_tests, NULL, NULL);
}
