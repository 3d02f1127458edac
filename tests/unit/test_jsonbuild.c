/*
 * test_jsonbuild.c: the JSON builder every front end uses (json.c):
 * members, nesting, a front end's fields after a result's, and that a
 * text over its bound, or left open, is no text rather than half of
 * one.  With SPF_UNIT_JSON_OUT set, each text is appended there for
 * check.sh to hand to python3 -m json.tool.
 */
#include <limits.h>

#include "unit.h"

static void	save(const char *);

static void
save(const char *text)
{
	const char	*path = getenv("SPF_UNIT_JSON_OUT");
	FILE		*f;

	if (path == NULL || (f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "%s\n", text);
	fclose(f);
}

static void
test_members(void **state)
{
	struct spf_json	*j;
	const char	*t;

	(void)state;
	assert_non_null(j = spf_json_new(4096));
	spf_json_object(j, NULL);
	spf_json_str(j, "s", "a\"b\\c\n\x01");
	spf_json_str(j, "null", NULL);
	spf_json_int(j, "n", -42);
	spf_json_int(j, "z", 0);
	spf_json_int(j, "max", LONG_MAX);
	spf_json_int(j, "min", LONG_MIN);
	spf_json_bool(j, "t", 1);
	spf_json_bool(j, "f", 0);
	spf_json_array(j, "list");
	spf_json_int(j, NULL, 1);
	spf_json_object(j, NULL);
	spf_json_str(j, "k", "v");
	spf_json_end(j);
	spf_json_array(j, NULL);
	spf_json_end(j);
	spf_json_end(j);
	spf_json_object(j, "empty");
	spf_json_end(j);
	spf_json_end(j);
	assert_non_null(t = spf_json_text(j));
	assert_string_equal(t, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\","
	    "\"null\":null,\"n\":-42,\"z\":0,"
	    "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	    "\"t\":true,\"f\":false,"
	    "\"list\":[1,{\"k\":\"v\"},[]],\"empty\":{}}");
	save(t);
	spf_json_free(j);
	spf_json_free(NULL);
}

/* The front end's fields after the result's, as filter mode does. */
static void
test_result_and_more(void **state)
{
	struct spf_config	 cfg;
	struct spf_result	 r;
	struct spf_json		*j;
	char			 plain[SPF_JSON_LEN];
	const char		*t;
	int			 n;

	(void)state;
	spf_config_init(&cfg);
	memset(&r, 0, sizeof(r));
	r.code = SPF_PASS;
	(void)strlcpy(r.client_ip, "192.0.2.1", sizeof(r.client_ip));
	(void)strlcpy(r.sender, "a@example.org", sizeof(r.sender));
	(void)strlcpy(r.domain, "example.org", sizeof(r.domain));
	n = spf_result_json(&r, &cfg, plain, sizeof(plain));
	assert_true(n > 2);

	assert_non_null(j = spf_json_new(SPF_JSON_LEN));
	spf_json_object(j, NULL);
	spf_json_result(j, &r, &cfg);
	spf_json_int(j, "line", 7);
	spf_json_end(j);
	assert_non_null(t = spf_json_text(j));
	save(t);
	/* the same members, then the front end's */
	assert_int_equal(strncmp(t, plain, (size_t)n - 1), 0);
	assert_string_equal(t + n - 1, ",\"line\":7}");
	spf_json_free(j);
}

/* Over the bound: nothing, however far it got. */
static void
test_bound(void **state)
{
	struct spf_json	*j;
	char		 big[3000];
	size_t		 max;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (max = 1; max < 3100; max += 97) {
		assert_non_null(j = spf_json_new(max));
		spf_json_object(j, NULL);
		spf_json_str(j, "big", big);
		spf_json_end(j);
		/* {"big":"..."} is 3009 octets and a NUL */
		if (max > 3009)
			assert_non_null(spf_json_text(j));
		else
			assert_null(spf_json_text(j));
		spf_json_free(j);
	}
}

/* An object left open, one closed too often, nesting too deep. */
static void
test_balance(void **state)
{
	struct spf_json	*j;
	int		 i;

	(void)state;
	assert_non_null(j = spf_json_new(1024));
	spf_json_object(j, NULL);
	spf_json_int(j, "a", 1);
	assert_null(spf_json_text(j));
	spf_json_free(j);

	assert_non_null(j = spf_json_new(1024));
	spf_json_object(j, NULL);
	spf_json_end(j);
	spf_json_end(j);
	assert_null(spf_json_text(j));
	spf_json_free(j);

	assert_non_null(j = spf_json_new(1024));
	for (i = 0; i < 9; i++)
		spf_json_array(j, NULL);
	for (i = 0; i < 9; i++)
		spf_json_end(j);
	assert_null(spf_json_text(j));
	spf_json_free(j);

	assert_non_null(j = spf_json_new(1024));
	for (i = 0; i < 8; i++)
		spf_json_array(j, NULL);
	for (i = 0; i < 8; i++)
		spf_json_end(j);
	assert_string_equal(spf_json_text(j), "[[[[[[[[]]]]]]]]");
	spf_json_free(j);
}

int
main(void)
{
	const struct CMUnitTest jsonbuild_tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_result_and_more),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_balance),
	};

	return cmocka_run_group_tests(jsonbuild_tests, NULL, NULL);
}
