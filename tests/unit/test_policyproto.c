/*
 * test_policyproto.c: the parsing half of Postfix's policy protocol
 * (filter/policyproto.c): attributes kept and ignored, every bound and
 * every kind of malformed line, the answer's form; and the core's
 * spf_verdict_field(), the one-field-an-answer order spfgate policy
 * prepends in.
 */
#include "unit.h"

#include "policyproto.h"

static int	feed(struct policy_request *, const char *);

static struct policy_request rq;

/* Each line of text (newline-ended) in turn; the last line's result. */
static int
feed(struct policy_request *req, const char *text)
{
	const char	*nl;
	int		 rc = POLICY_MORE;

	while ((nl = strchr(text, '\n')) != NULL) {
		rc = policy_line(req, text, (size_t)(nl - text));
		text = nl + 1;
	}
	return rc;
}

static void
test_request(void **state)
{
	(void)state;
	policy_request_init(&rq);
	assert_int_equal(feed(&rq, "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\nprotocol_name=ESMTP\n"
	    "client_address=2001:db8::1\nhelo_name=mx.example.org\n"
	    "sender=alice@example.org\nrecipient=bob@example.net\n"
	    "instance=123.4567.89.0\nsasl_username=\nccert_subject=x=y\n"
	    "queue_id=ABC\n"), POLICY_MORE);
	assert_int_equal(feed(&rq, "\n"), POLICY_END);
	assert_null(rq.malformed);
	assert_string_equal(rq.request, "smtpd_access_policy");
	assert_string_equal(rq.protocol_state, "RCPT");
	assert_string_equal(rq.client_address, "2001:db8::1");
	assert_string_equal(rq.helo_name, "mx.example.org");
	assert_string_equal(rq.sender, "alice@example.org");
	assert_string_equal(rq.recipient, "bob@example.net");
	assert_string_equal(rq.instance, "123.4567.89.0");
	assert_string_equal(rq.sasl_username, "");
	assert_string_equal(rq.queue_id, "ABC");
	assert_int_equal(rq.nattrs, 11);

	/* the last of a repeated name counts; "=" in a value is value */
	policy_request_init(&rq);
	(void)feed(&rq, "sender=a@b\nsender=c@d=e\n\n");
	assert_string_equal(rq.sender, "c@d=e");
	/* CR before LF dropped, names exact (no case folding, no blanks) */
	policy_request_init(&rq);
	assert_int_equal(feed(&rq, "Sender=x@y\r\n sender=z@w\r\n\r\n"),
	    POLICY_END);
	assert_null(rq.malformed);
	assert_string_equal(rq.sender, "");
	/* an empty request is a request */
	policy_request_init(&rq);
	assert_int_equal(feed(&rq, "\n"), POLICY_END);
	assert_int_equal(rq.nattrs, 0);
	/* init empties what a request before left */
	policy_request_init(&rq);
	(void)feed(&rq, "sender=a@b\nhelo_name=h\n\n");
	policy_request_init(&rq);
	assert_string_equal(rq.sender, "");
	assert_string_equal(rq.helo_name, "");
}

static void
test_malformed(void **state)
{
	static char	 big[POLICY_LINE_MAX + 16];

	(void)state;
	policy_request_init(&rq);
	assert_int_equal(policy_line(&rq, "sender=a\0b", 10), POLICY_MORE);
	assert_string_equal(rq.malformed, "NUL octet in a line");
	/* the first reason stays, the rest of the request is taken */
	assert_int_equal(policy_line(&rq, "nonsense", 8), POLICY_MORE);
	assert_string_equal(rq.malformed, "NUL octet in a line");
	assert_int_equal(policy_line(&rq, "", 0), POLICY_END);

	policy_request_init(&rq);
	(void)feed(&rq, "nonsense\n");
	assert_string_equal(rq.malformed, "line without name=value");
	policy_request_init(&rq);
	(void)feed(&rq, "=value\n");
	assert_string_equal(rq.malformed, "attribute without a name");

	/* a line of exactly the bound is taken, one more is not */
	policy_request_init(&rq);
	memset(big, 'a', sizeof(big));
	memcpy(big, "foo=", 4);
	assert_int_equal(policy_line(&rq, big, POLICY_LINE_MAX), POLICY_MORE);
	assert_null(rq.malformed);
	assert_int_equal(policy_line(&rq, big, POLICY_LINE_MAX + 1),
	    POLICY_MORE);
	assert_string_equal(rq.malformed, "line too long");

	/* a value longer than its field: never cut short */
	policy_request_init(&rq);
	memcpy(big, "instance=", 9);
	assert_int_equal(policy_line(&rq, big, 9 + sizeof(rq.instance)),
	    POLICY_MORE);
	assert_string_equal(rq.malformed, "attribute value too long");
	assert_string_equal(rq.instance, "");
	policy_request_init(&rq);
	assert_int_equal(policy_line(&rq, big, 9 + sizeof(rq.instance) - 1),
	    POLICY_MORE);
	assert_null(rq.malformed);
	assert_int_equal(strlen(rq.instance), sizeof(rq.instance) - 1);
}

static void
test_bounds(void **state)
{
	char	 line[64];
	int	 i;

	(void)state;
	policy_request_init(&rq);
	for (i = 0; i < POLICY_ATTRS_MAX; i++) {
		(void)snprintf(line, sizeof(line), "a%d=b", i);
		(void)policy_line(&rq, line, strlen(line));
	}
	assert_null(rq.malformed);
	(void)policy_line(&rq, "one=more", 8);
	assert_string_equal(rq.malformed, "too many attributes");

	/* the octets of a request are bounded whatever the line count */
	policy_request_init(&rq);
	{
		static char	 big[POLICY_LINE_MAX];

		memset(big, 'v', sizeof(big));
		memcpy(big, "x=", 2);
		for (i = 0; i < POLICY_REQUEST_MAX / POLICY_LINE_MAX; i++)
			(void)policy_line(&rq, big, sizeof(big) - 1);
		assert_null(rq.malformed);
		(void)policy_line(&rq, big, sizeof(big) - 1);
		assert_string_equal(rq.malformed, "request too long");
	}

	/* a fault from outside (the connection's long line) is kept */
	policy_request_init(&rq);
	policy_request_fault(&rq, "line too long");
	policy_request_fault(&rq, "other");
	(void)policy_line(&rq, "sender=a@b", 10);
	assert_string_equal(rq.malformed, "line too long");
	assert_string_equal(rq.sender, "");
}

static void
test_answer(void **state)
{
	char	 buf[POLICY_ANSWER_MAX];

	(void)state;
	assert_int_equal(policy_answer("DUNNO", buf, sizeof(buf)), 14);
	assert_string_equal(buf, "action=DUNNO\n\n");
	assert_true(policy_answer("550 5.7.23 no", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "action=550 5.7.23 no\n\n");
	/* one line only: never a second, forged answer */
	assert_int_equal(policy_answer("DUNNO\n\naction=OK", buf,
	    sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(policy_answer("a\rb", buf, sizeof(buf)), -1);
	assert_int_equal(policy_answer("", buf, sizeof(buf)), -1);
	assert_int_equal(policy_answer("DUNNO", buf, 14), -1);
	assert_string_equal(buf, "");
	assert_int_equal(policy_answer("DUNNO", buf, 15), 14);
}

/* The fields one at a time: the deciding identity's first. */
static void
test_verdict_field(void **state)
{
	struct spf_verdict	 v;
	char			 f[SPF_HEADER_LEN];

	(void)state;
	memset(&v, 0, sizeof(v));
	(void)strlcpy(v.received_spf, "Received-SPF: none (helo)\n"
	    "Received-SPF: pass (mailfrom)", sizeof(v.received_spf));
	(void)strlcpy(v.authres, "Authentication-Results: mx; spf=none "
	    "smtp.helo=h; spf=pass smtp.mailfrom=a@b", sizeof(v.authres));
	assert_int_equal(spf_verdict_field(&v, 0, f, sizeof(f)), 29);
	assert_string_equal(f, "Received-SPF: pass (mailfrom)");
	assert_true(spf_verdict_field(&v, 1, f, sizeof(f)) > 0);
	assert_true(strncmp(f, "Authentication-Results: ", 24) == 0);
	assert_true(spf_verdict_field(&v, 2, f, sizeof(f)) > 0);
	assert_string_equal(f, "Received-SPF: none (helo)");
	assert_int_equal(spf_verdict_field(&v, 3, f, sizeof(f)), -1);
	assert_string_equal(f, "");
	assert_int_equal(spf_verdict_field(&v, -1, f, sizeof(f)), -1);
	assert_int_equal(spf_verdict_field(&v, 0, f, 10), -1);

	/* one identity, header-fields authentication-results */
	v.received_spf[0] = '\0';
	assert_true(spf_verdict_field(&v, 0, f, sizeof(f)) > 0);
	assert_true(strncmp(f, "Authentication-Results: ", 24) == 0);
	assert_int_equal(spf_verdict_field(&v, 1, f, sizeof(f)), -1);
	/* header-fields received-spf, one identity */
	(void)strlcpy(v.received_spf, "Received-SPF: fail (x)",
	    sizeof(v.received_spf));
	v.authres[0] = '\0';
	assert_true(spf_verdict_field(&v, 0, f, sizeof(f)) > 0);
	assert_string_equal(f, "Received-SPF: fail (x)");
	assert_int_equal(spf_verdict_field(&v, 1, f, sizeof(f)), -1);
}

int
main(void)
{
	const struct CMUnitTest policyproto_tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_verdict_field),
	};

	return cmocka_run_group_tests(policyproto_tests, NULL, NULL);
}
