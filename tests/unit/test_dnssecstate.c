/*
 * test_dnssecstate.c: the shared DNSSEC probe verdict (dnssecstate.c)
 * and its two config keywords: what is written is read back by the
 * same config and by no other; a file that is malformed, truncated,
 * too long, expired, too far ahead, writable by others, a symlink or
 * not a regular file is not believed; a dead writer's temporary file
 * is removed by the next writer.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

static char	 dir[PATH_MAX / 2];
static char	 err[256];

static int
setup(void **state)
{
	const char *tmp;

	(void)state;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	(void)snprintf(dir, sizeof(dir), "%s/spfgate-unit.XXXXXX", tmp);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
config(struct spf_config *cfg, const char *name)
{
	char v[PATH_MAX];

	spf_config_init(cfg);
	(void)snprintf(v, sizeof(v), "%s/%s", dir, name);
	assert_int_equal(spf_config_set(cfg, "dnssec-state", v, err,
	    sizeof(err)), 0);
	assert_int_equal(spf_config_set(cfg, "resolver", "127.0.0.1", err,
	    sizeof(err)), 0);
}

static void
put(const struct spf_config *cfg, const char *text, mode_t mode)
{
	FILE *f;

	(void)unlink(cfg->dnssec_state);
	assert_non_null(f = fopen(cfg->dnssec_state, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(cfg->dnssec_state, mode), 0);
}

static int
readable(const struct spf_config *cfg)
{
	char why[256];
	time_t exp;

	return dnssec_state_read(cfg, why, sizeof(why), &exp);
}

static void
test_keywords(void **state)
{
	struct spf_config cfg;
	char big[SPF_PATH_LEN];

	(void)state;
	spf_config_init(&cfg);
	assert_string_equal(cfg.dnssec_state, "");
	assert_int_equal(cfg.dnssec_state_secs, 3600);
	assert_int_equal(spf_config_set(&cfg, "dnssec-state", "/run/x",
	    err, sizeof(err)), 0);
	assert_string_equal(cfg.dnssec_state, "/run/x");
	assert_int_equal(spf_config_set(&cfg, "dnssec-state", "none",
	    err, sizeof(err)), 0);
	assert_string_equal(cfg.dnssec_state, "");
	/* relative: Exim's working directory is not ours to rely on */
	assert_int_equal(spf_config_set(&cfg, "dnssec-state", "run/x",
	    err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(spf_config_set(&cfg, "dnssec-state", big,
	    err, sizeof(err)), -1);
	assert_string_equal(cfg.dnssec_state, "");
	assert_int_equal(spf_config_set(&cfg, "dnssec-state-lifetime", "60",
	    err, sizeof(err)), 0);
	assert_int_equal(cfg.dnssec_state_secs, 60);
	assert_int_equal(spf_config_set(&cfg, "dnssec-state-lifetime", "0",
	    err, sizeof(err)), -1);
	assert_int_equal(spf_config_set(&cfg, "dnssec-state-lifetime",
	    "86401", err, sizeof(err)), -1);
	assert_int_equal(spf_config_set(&cfg, "dnssec-state-lifetime", "1h",
	    err, sizeof(err)), -1);
}

static void
test_round_trip(void **state)
{
	struct spf_config cfg, other;
	struct stat sb;
	char why[256];
	time_t exp, now;

	(void)state;
	config(&cfg, "rt");
	assert_int_equal(readable(&cfg), 0);	/* no file yet */
	now = time(NULL);
	assert_int_equal(dnssec_state_write(&cfg, "the DNSKEY of . came "
	    "back bogus:\nforged\001", err, sizeof(err)), 0);
	assert_int_equal(dnssec_state_read(&cfg, why, sizeof(why), &exp), 1);
	/* control characters from DNS do not reach the file or the log */
	assert_string_equal(why, "the DNSKEY of . came back bogus:?forged?");
	assert_in_range(exp, now + 3599, now + 3601);
	assert_int_equal(stat(cfg.dnssec_state, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);

	/* another resolver path is another question */
	other = cfg;
	assert_int_equal(spf_config_set(&other, "resolver", "127.0.0.2", err,
	    sizeof(err)), 0);
	assert_int_equal(readable(&other), 0);
	/* with "none" nothing is read or written */
	other = cfg;
	other.dnssec_state[0] = '\0';
	assert_int_equal(readable(&other), 0);
	assert_int_equal(dnssec_state_write(&other, "x", err, sizeof(err)), 0);

	/* a shorter lifetime than the record's: too far ahead */
	other = cfg;
	other.dnssec_state_secs = 60;
	assert_int_equal(readable(&other), 0);
}

static void
test_not_believed(void **state)
{
	struct spf_config cfg;
	char good[600], line[1200], path[PATH_MAX];
	FILE *f;
	long long exp;
	char key[17];

	(void)state;
	config(&cfg, "bad");
	assert_int_equal(dnssec_state_write(&cfg, "why", err, sizeof(err)), 0);
	assert_non_null(f = fopen(cfg.dnssec_state, "r"));
	assert_non_null(fgets(good, sizeof(good), f));
	fclose(f);
	assert_int_equal(sscanf(good, "spfgate-dnssec-state 1 %16s %lld",
	    key, &exp), 2);
	assert_int_equal(readable(&cfg), 1);

	put(&cfg, good, 0644);
	assert_int_equal(readable(&cfg), 1);
	put(&cfg, good, 0664);			/* group-writable */
	assert_int_equal(readable(&cfg), 0);
	put(&cfg, good, 0646);			/* world-writable */
	assert_int_equal(readable(&cfg), 0);
	good[strlen(good) - 1] = '\0';		/* no newline: truncated */
	put(&cfg, good, 0644);
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "%s\n%s\n", good, good);
	put(&cfg, line, 0644);			/* two lines */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "%s%0600d\n", good, 0);
	put(&cfg, line, 0644);			/* longer than 512 */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "spfgate-dnssec-state 1 %s %lld "
	    "on why\n", key, exp);
	put(&cfg, line, 0644);			/* not "off" */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "spfgate-dnssec-state 1 %s %lld "
	    "off \n", key, exp);
	put(&cfg, line, 0644);			/* no reason */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "spfgate-dnssec-state 1 %s %lld "
	    "off why\n", key, (long long)time(NULL) - 1);
	put(&cfg, line, 0644);			/* expired */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "spfgate-dnssec-state 2 %s %lld "
	    "off why\n", key, exp);
	put(&cfg, line, 0644);			/* another version */
	assert_int_equal(readable(&cfg), 0);
	(void)snprintf(line, sizeof(line), "spfgate-dnssec-state 1 %s %lld "
	    "off wh\001y\n", key, exp);
	put(&cfg, line, 0644);			/* a control character */
	assert_int_equal(readable(&cfg), 0);
	put(&cfg, "", 0644);
	assert_int_equal(readable(&cfg), 0);

	/* a symlink to a good record, and a directory, are not files */
	(void)snprintf(path, sizeof(path), "%s/real", dir);
	put(&cfg, good, 0644);
	(void)snprintf(line, sizeof(line), "%s\n", good);
	put(&cfg, line, 0644);
	assert_int_equal(readable(&cfg), 1);
	assert_int_equal(rename(cfg.dnssec_state, path), 0);
	assert_int_equal(symlink(path, cfg.dnssec_state), 0);
	assert_int_equal(readable(&cfg), 0);
	assert_int_equal(unlink(cfg.dnssec_state), 0);
	assert_int_equal(mkdir(cfg.dnssec_state, 0755), 0);
	assert_int_equal(readable(&cfg), 0);
	/* and it cannot be written over: the error says where */
	assert_int_equal(dnssec_state_write(&cfg, "why", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, cfg.dnssec_state));
}

/* dir/name, a regular file last written age seconds ago */
static void
aged(const char *name, time_t age)
{
	char		 path[PATH_MAX];
	struct timespec	 ts[2];
	FILE		*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fclose(f), 0);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW),
	    0);
}

static int
exists(const char *name)
{
	char		 path[PATH_MAX];
	struct stat	 sb;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &sb) == 0;
}

/*
 * A writer killed between creating its temporary file and renaming it
 * leaves STATE.tmp.XXXXXX: the next writer removes such files of its
 * own that are stale, and nothing else.
 */
static void
test_stale_tmp(void **state)
{
	struct spf_config	 cfg;
	char			 path[PATH_MAX], target[PATH_MAX];

	(void)state;
	config(&cfg, "swept");
	aged("swept.tmp.AbC123", 3600);		/* a dead writer's */
	aged("swept.tmp.XyZ789", 0);		/* a live writer's */
	aged("swept.tmp.AbC1234", 3600);	/* not the pattern */
	aged("swept.tmp.AbC-23", 3600);
	aged("swept.AbC123", 3600);
	aged("other.tmp.AbC123", 3600);		/* another state file's */
	aged("target", 3600);
	(void)snprintf(path, sizeof(path), "%s/swept.tmp.Lnk123", dir);
	(void)snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, path), 0);
	if (geteuid() == 0) {
		/* another user's: not ours to remove */
		aged("swept.tmp.Nob123", 3600);
		(void)snprintf(path, sizeof(path), "%s/swept.tmp.Nob123",
		    dir);
		assert_int_equal(chown(path, 65534, 65534), 0);
	}

	assert_int_equal(dnssec_state_write(&cfg, "a reason", err,
	    sizeof(err)), 0);
	assert_true(readable(&cfg));
	assert_false(exists("swept.tmp.AbC123"));
	assert_true(exists("swept.tmp.XyZ789"));
	assert_true(exists("swept.tmp.AbC1234"));
	assert_true(exists("swept.tmp.AbC-23"));
	assert_true(exists("swept.AbC123"));
	assert_true(exists("other.tmp.AbC123"));
	assert_true(exists("swept.tmp.Lnk123"));
	assert_true(exists("target"));
	assert_int_equal(exists("swept.tmp.Nob123"), geteuid() == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_not_believed),
		cmocka_unit_test(test_stale_tmp),
	};

	return cmocka_run_group_tests_name("dnssecstate", tests, setup,
	    teardown);
}
