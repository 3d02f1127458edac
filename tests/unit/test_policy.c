/*
 * test_policy.c: the policy of issue 14 as the core reads and applies
 * it: the keywords and their refusals, exempt-recipient's three forms,
 * domain-policy's most specific match, and the verdict's dry-run,
 * header choice and per-recipient answers.
 */
#include "unit.h"

static struct spf_verdict v;

static int
set(struct spf_config *cfg, const char *k, const char *val)
{
	char	 err[256];

	return spf_config_set(cfg, k, val, err, sizeof(err));
}

static void
test_keywords(void **state)
{
	struct spf_config	 cfg;

	(void)state;
	spf_config_init(&cfg);
	assert_true(cfg.helo_check);
	assert_int_equal(cfg.helo_actions[SPF_FAIL], SPF_REJECT);
	assert_int_equal(cfg.helo_actions[SPF_SOFTFAIL], SPF_ACCEPT);
	assert_int_equal(set(&cfg, "helo", "softfail defer"), 0);
	assert_int_equal(cfg.helo_actions[SPF_SOFTFAIL], SPF_DEFER);
	assert_int_equal(set(&cfg, "mailfrom", "neutral tag"), 0);
	assert_int_equal(cfg.actions[SPF_NEUTRAL], SPF_TAG);
	assert_int_equal(set(&cfg, "helo-check", "no"), 0);
	assert_false(cfg.helo_check);
	assert_int_equal(set(&cfg, "skip", "ptr:Fwd.Example."), 0);
	assert_int_equal(cfg.skip_names[0].kind, SPF_SKIP_PTR);
	assert_string_equal(cfg.skip_names[0].name, "fwd.example");
	assert_int_equal(set(&cfg, "skip", "::ffff:192.0.2.1"), 0);
	assert_int_equal(cfg.nskip, 1);
	assert_int_equal(set(&cfg, "best-guess", "v=spf1 a -all"), 0);
	assert_int_equal(set(&cfg, "best-guess", "a -all"), -1);
	assert_int_equal(set(&cfg, "helo", "fail"), -1);
	assert_int_equal(set(&cfg, "domain-policy", "x.example"), -1);
	assert_int_equal(set(&cfg, "domain-policy", ". fail reject"), -1);
	assert_int_equal(set(&cfg, "exempt-recipient", "@"), -1);
	assert_int_equal(set(&cfg, "header-fields", "Both"), -1);
	assert_int_equal(set(&cfg, "skip", "mx:fwd.example"), -1);
}

static void
test_exempt(void **state)
{
	struct spf_config	 cfg;

	(void)state;
	spf_config_init(&cfg);
	assert_false(spf_verdict_at_rcpt(&cfg));
	assert_int_equal(set(&cfg, "exempt-recipient", "postmaster@"), 0);
	assert_int_equal(set(&cfg, "exempt-recipient", "@abuse.example"), 0);
	assert_int_equal(set(&cfg, "exempt-recipient", "ceo@corp.example"), 0);
	assert_true(spf_verdict_at_rcpt(&cfg));
	assert_true(spf_recipient_exempt(&cfg, "<PostMaster@any.example>"));
	assert_false(spf_recipient_exempt(&cfg, "postmasterx@any.example"));
	assert_true(spf_recipient_exempt(&cfg, "x@ABUSE.example"));
	assert_false(spf_recipient_exempt(&cfg, "x@sub.abuse.example"));
	assert_true(spf_recipient_exempt(&cfg, "ceo@corp.example"));
	assert_false(spf_recipient_exempt(&cfg, "cfo@corp.example"));
	assert_false(spf_recipient_exempt(&cfg, "postmaster"));
}

static void
mk(struct spf_result *r, enum spf_code code, const char *domain)
{
	memset(r, 0, sizeof(*r));
	r->code = code;
	(void)strlcpy(r->client_ip, "192.0.2.10", sizeof(r->client_ip));
	(void)snprintf(r->sender, sizeof(r->sender), "a@%s", domain);
	(void)strlcpy(r->domain, domain, sizeof(r->domain));
}

static void
test_verdict(void **state)
{
	struct spf_config	 cfg;
	struct spf_result	 r;
	char			 reply[SPF_REPLY_LEN];
	char			 line[SPF_LOG_LINE_LEN];

	(void)state;
	spf_config_init(&cfg);
	assert_int_equal(set(&cfg, "domain-policy",
	    ".bank.example softfail reject"), 0);
	assert_int_equal(set(&cfg, "domain-policy",
	    "bank.example softfail accept"), 0);
	assert_int_equal(set(&cfg, "domain-policy",
	    ".x.bank.example softfail defer"), 0);
	mk(&r, SPF_SOFTFAIL, "bank.example");
	verdict_action(&r, &cfg);
	assert_int_equal(r.action, SPF_ACCEPT);
	mk(&r, SPF_SOFTFAIL, "a.bank.example");
	verdict_action(&r, &cfg);
	assert_int_equal(r.action, SPF_REJECT);
	mk(&r, SPF_SOFTFAIL, "y.x.bank.example");
	verdict_action(&r, &cfg);
	assert_int_equal(r.action, SPF_DEFER);
	mk(&r, SPF_SOFTFAIL, "notbank.example");
	verdict_action(&r, &cfg);
	assert_int_equal(r.action, SPF_TAG);

	/* dry run: tagged, said so in both fields and the log */
	assert_int_equal(set(&cfg, "dry-run", "yes"), 0);
	mk(&r, SPF_FAIL, "f.example");
	verdict_action(&r, &cfg);
	spf_verdict(&r, &cfg, &v);
	assert_int_equal(v.result.action, SPF_TAG);
	assert_true(v.would && v.would_action == SPF_REJECT);
	assert_string_equal(v.reply, "");
	assert_true(v.headers);
	assert_non_null(strstr(v.received_spf, " would=reject;"));
	assert_non_null(strstr(v.authres_method,
	    "spf=fail (dry run, would=reject) smtp.mailfrom="));
	(void)spf_verdict_log_line(&v, line, sizeof(line));
	assert_non_null(strstr(line, " would=reject"));

	/* one field only; an exempt recipient accepted, another refused */
	assert_int_equal(set(&cfg, "dry-run", "no"), 0);
	assert_int_equal(set(&cfg, "header-fields", "received-spf"), 0);
	assert_int_equal(set(&cfg, "exempt-recipient", "postmaster@"), 0);
	spf_verdict(&r, &cfg, &v);
	assert_string_equal(v.authres, "");
	assert_true(strncmp(v.received_spf, "Received-SPF: fail", 18) == 0);
	assert_true(v.headers);
	assert_int_equal(spf_verdict_recipient(&v, &cfg, "postmaster@x.example",
	    reply, sizeof(reply)), SPF_ACCEPT);
	assert_string_equal(reply, "");
	assert_int_equal(spf_verdict_recipient(&v, &cfg, "bob@x.example",
	    reply, sizeof(reply)), SPF_REJECT);
	assert_true(strncmp(reply, "550 5.7.23 ", 11) == 0);
}

int
main(void)
{
	const struct CMUnitTest policy_tests[] = {
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(policy_tests, NULL, NULL);
}
