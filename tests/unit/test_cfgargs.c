/*
 * test_cfgargs.c: command lines (spf_config_args): --config FILE and
 * --KEYWORD VALUE, the file first and the options over it, errors,
 * lists, and the options passed on to the wrapper's own callback.
 */
#include <unistd.h>

#include "unit.h"

struct seen {
	int	 n;
	char	 opt[8][64];
	char	 val[8][64];	/* "(null)" for NULL */
	int	 take;		/* what the callback returns */
};

static int	other(const char *, const char *, void *);
static int	args(struct spf_config *, char *, int (*)(const char *,
		    const char *, void *), void *, const char *, ...);

static char	 err[512];

/* Records what the wrappers' own options would get. */
static int
other(const char *opt, const char *val, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8) {
		(void)strlcpy(s->opt[s->n], opt, sizeof(s->opt[0]));
		(void)strlcpy(s->val[s->n], val != NULL ? val : "(null)",
		    sizeof(s->val[0]));
		s->n++;
	}
	if (strcmp(opt, "--bogus") == 0)
		return -1;
	return s->take;
}

/* spf_config_args on a NULL-terminated list after a program name. */
static int
args(struct spf_config *cfg, char *errbuf, int (*fn)(const char *,
    const char *, void *), void *arg, const char *first, ...)
{
	va_list		 ap;
	char		*argv[32];
	const char	*a;
	int		 argc = 0;

	argv[argc++] = (char *)"prog";
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		assert_true(argc < 31);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	errbuf[0] = '\0';
	return spf_config_args(cfg, argc, argv, fn, arg, errbuf, sizeof(err));
}

static void
test_args(void **state)
{
	struct spf_config	 cfg;
	const char		*path;

	(void)state;
	path = conf_file("timeout 9\nreceiver file.example\n");

	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--timeout", "5", "192.0.2.1", "--timeout", "7", NULL), 5);
	assert_int_equal(cfg.timeout_ms, 5000);
	assert_string_equal(cfg.receiver, "file.example");

	/* options win over the file whatever their order */
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--timeout=3",
	    "--config=", NULL), -1);
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--timeout=3",
	    "-c", path, "--receiver", "cli.example", NULL), 6);
	assert_int_equal(cfg.timeout_ms, 3000);
	assert_string_equal(cfg.receiver, "cli.example");

	/* --keyword=value, one dash, values with "=" and spaces */
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "-config", path,
	    "--default-explanation=a=b c", "-fail", "tag",
	    "--softfail=reject", NULL), 7);
	assert_string_equal(cfg.default_explanation, "a=b c");
	assert_int_equal(cfg.actions[SPF_FAIL], SPF_TAG);
	assert_int_equal(cfg.actions[SPF_SOFTFAIL], SPF_REJECT);
	assert_int_equal(cfg.timeout_ms, 9000);

	/* nothing but options: the index is argc */
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path, NULL),
	    3);
	/* the first non-option stops the scan; "-" is not an option */
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "check", "--timeout", "1", NULL), 3);
	assert_int_equal(cfg.timeout_ms, 9000);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path, "-",
	    "--timeout", "1", NULL), 3);
	assert_int_equal(cfg.timeout_ms, 9000);
	/* "--" ends the options; what follows is an argument */
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--timeout", "2", "--", "--timeout", NULL), 6);
	assert_int_equal(cfg.timeout_ms, 2000);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path, "--",
	    NULL), 4);
}

static void
test_args_errors(void **state)
{
	struct spf_config	 cfg;
	const char		*path;

	(void)state;
	path = conf_file("timeout 9\n");
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--timeout", NULL), -1);
	assert_string_equal(err, "option --timeout needs a value");
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", NULL), -1);
	assert_string_equal(err, "option --config needs a value");
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--timeout", "soon", NULL), -1);
	assert_string_equal(err, "--timeout: bad value for timeout: 'soon'");
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--json", NULL), -1);
	assert_string_equal(err, "unknown option --json");
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config",
	    "/nonexistent/spfgate.conf", NULL), -1);
	assert_string_equal(err,
	    "/nonexistent/spfgate.conf: No such file or directory");
	path = conf_file("timeout\n");
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path, NULL),
	    -1);
	assert_non_null(strstr(err, ":1: timeout needs a value"));
}

static void
test_args_lists(void **state)
{
	struct spf_config	 cfg;
	const char		*path;

	(void)state;
	path = conf_file("resolver 192.0.2.1\nresolver 192.0.2.2\n"
	    "skip 10.0.0.0/8\nzone /a.zone\ntrust-anchor /a.key\n");

	/* the first --resolver replaces the file's; the next ones add */
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--resolver", "192.0.2.53", "--resolver=192.0.2.54", NULL), 6);
	assert_int_equal(cfg.nresolvers, 2);
	assert_string_equal(cfg.resolvers[0], "192.0.2.53");
	assert_string_equal(cfg.resolvers[1], "192.0.2.54");
	/* the lists not given on the command line are the file's */
	assert_int_equal(cfg.nskip, 1);
	assert_int_equal(cfg.nzones, 1);
	assert_int_equal(cfg.nanchors, 1);

	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--skip", "192.0.2.0/24",
	    "--zone", "/b.zone", "--trust-anchor", "/b.key", "--config", path,
	    NULL), 9);
	assert_int_equal(cfg.nskip, 1);
	assert_int_equal(cfg.skip[0].prefix, 24);
	assert_int_equal(cfg.nzones, 1);
	assert_string_equal(cfg.zones[0], "/b.zone");
	assert_int_equal(cfg.nanchors, 1);
	assert_string_equal(cfg.anchors[0], "/b.key");
	assert_int_equal(cfg.nresolvers, 2);

	/* "resolver recursive" in the file is replaced too */
	path = conf_file("resolver recursive\n");
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    "--resolver", "192.0.2.53", NULL), 5);
	assert_int_equal(cfg.recursive, 0);
	assert_int_equal(cfg.nresolvers, 1);
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, NULL, NULL, "--config", path,
	    NULL), 3);
	assert_int_equal(cfg.recursive, 1);
}

static void
test_args_other(void **state)
{
	struct spf_config	 cfg;
	struct seen		 s;
	const char		*path;

	(void)state;
	path = conf_file("timeout 9\n");

	memset(&s, 0, sizeof(s));
	s.take = 1;
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, other, &s, "--json", "--config",
	    path, "--explain=yes", "-x", "192.0.2.1", NULL), 6);
	assert_int_equal(s.n, 3);
	/* the option as given, and the next argument as its maybe-value */
	assert_string_equal(s.opt[0], "--json");
	assert_string_equal(s.val[0], "--config");
	/* with "=", the callback gets the whole option and no value */
	assert_string_equal(s.opt[1], "--explain=yes");
	assert_string_equal(s.val[1], "(null)");
	assert_string_equal(s.opt[2], "-x");
	assert_string_equal(s.val[2], "192.0.2.1");
	assert_int_equal(cfg.timeout_ms, 9000);

	/* a callback taking two arguments eats the value */
	memset(&s, 0, sizeof(s));
	s.take = 2;
	spf_config_init(&cfg);
	assert_int_equal(args(&cfg, err, other, &s, "--config", path,
	    "--listen", "--timeout", "3", "rest", NULL), 5);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.opt[0], "--listen");
	assert_string_equal(s.val[0], "--timeout");
	/* "3" was the next option's place; it is not an option */
	assert_int_equal(cfg.timeout_ms, 9000);

	/* a last option gets NULL as its value */
	memset(&s, 0, sizeof(s));
	s.take = 1;
	assert_int_equal(args(&cfg, err, other, &s, "--config", path, "-v",
	    NULL), 4);
	assert_string_equal(s.val[0], "(null)");

	/* refused by the callback */
	memset(&s, 0, sizeof(s));
	s.take = 1;
	assert_int_equal(args(&cfg, err, other, &s, "--config", path,
	    "--bogus", NULL), -1);
	assert_string_equal(err, "unknown option --bogus");
	/* config keywords never reach the callback */
	memset(&s, 0, sizeof(s));
	assert_int_equal(args(&cfg, err, other, &s, "--config", path,
	    "--timeout", "4", "--fail", "tag", NULL), 7);
	assert_int_equal(s.n, 0);
	assert_int_equal(cfg.timeout_ms, 4000);
}

int
main(void)
{
	const struct CMUnitTest config_tests[] = {
		cmocka_unit_test_teardown(test_args, conf_cleanup),
		cmocka_unit_test_teardown(test_args_errors, conf_cleanup),
		cmocka_unit_test_teardown(test_args_lists, conf_cleanup),
		cmocka_unit_test_teardown(test_args_other, conf_cleanup),
	};

	return cmocka_run_group_tests(config_tests, NULL, NULL);
}
