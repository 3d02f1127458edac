/*
 * config.c: one configuration for every wrapper.  The config file holds
 * "keyword value" lines; every keyword is also a command line option,
 * --keyword value, which overrides the file.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spfint.h"

#define DEFAULT_CONFIG	"/etc/spfgate.conf"
#define DEFAULT_EXPLANATION \
	"%{c} is not allowed to send mail from %{o} (SPF)"

static int	yesno(const char *, int *);
static int	parse_size(const char *, size_t *);
static int	parse_seconds(const char *, int *);
static int	is_list(const char *);
static int	is_keyword(const char *);

static const char *keywords[] = {
	"resolver", "zone", "trust-anchor", "dnssec", "require-dnssec-pass",
	"timeout", "receiver", "default-explanation", "headers",
	"max-inflight", "max-questions", "max-void-lookups", "cache-size", "skip", "log",
	"dnssec-state", "dnssec-state-lifetime",
};
static void	clear_list(struct spf_config *, const char *);

void
spf_config_init(struct spf_config *cfg)
{
	char	 host[SPF_DOMAIN_LEN];

	memset(cfg, 0, sizeof(*cfg));
	cfg->dnssec = SPF_DNSSEC_MODE_YES;
	cfg->timeout_ms = 20000;	/* RFC 7208 4.6.4: at least 20 s */
	cfg->headers = 1;
	cfg->max_inflight = 256;
	cfg->max_questions = 256;
	cfg->max_void_lookups = 2;
	cfg->cache_size = 4 * 1024 * 1024;
	cfg->log = SPF_LOG_STDERR;
	cfg->dnssec_state_secs = 3600;
	(void)strlcpy(cfg->default_explanation, DEFAULT_EXPLANATION,
	    sizeof(cfg->default_explanation));
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		(void)strlcpy(cfg->receiver, host, sizeof(cfg->receiver));
	}
	cfg->actions[SPF_PASS] = SPF_ACCEPT;
	cfg->actions[SPF_NONE] = SPF_ACCEPT;
	cfg->actions[SPF_NEUTRAL] = SPF_ACCEPT;
	cfg->actions[SPF_SOFTFAIL] = SPF_TAG;
	cfg->actions[SPF_PERMERROR] = SPF_TAG;
	cfg->actions[SPF_FAIL] = SPF_REJECT;
	cfg->actions[SPF_TEMPERROR] = SPF_DEFER;
	policy_config_init(cfg);
}

static int
yesno(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* 4194304, 4096k, 4m, 1g */
static int
parse_size(const char *v, size_t *out)
{
	char			*end;
	unsigned long long	 n, unit = 1;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || v[0] == '-')
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		unit = 1024, end++;
		break;
	case 'm':
		unit = 1024 * 1024, end++;
		break;
	case 'g':
		unit = 1024 * 1024 * 1024ULL, end++;
		break;
	}
	/* compare before multiplying: no value may wrap around */
	if (*end != '\0' || n > (1ULL << 34) / unit)
		return -1;
	n *= unit;
	if (n < 65536)
		return -1;
	*out = (size_t)n;
	return 0;
}

/* seconds, with up to three decimals: "20", "2.5" */
static int
parse_seconds(const char *v, int *ms)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	/* written so that NaN fails too */
	if (errno != 0 || end == v || *end != '\0' || !(d >= 0.1 && d <= 3600))
		return -1;
	*ms = (int)(d * 1000 + 0.5);
	return 0;
}

int
spf_net_parse(const char *s, struct spf_net *net)
{
	char		 buf[SPF_ADDR_LEN + 8], *slash;
	const char	*errstr;
	int		 max;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	memset(net, 0, sizeof(*net));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->af = AF_INET6;
		max = 128;
	} else
		return -1;
	net->prefix = max;
	if (slash != NULL) {
		net->prefix = (int)strtonum(slash, 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return 0;
}

int
spf_net_contains(const struct spf_net *net, int af, const unsigned char *a)
{
	int	 bytes = net->prefix / 8, bits = net->prefix % 8;

	if (af != net->af || memcmp(a, net->addr, bytes) != 0)
		return 0;
	return bits == 0 ||
	    ((a[bytes] ^ net->addr[bytes]) & (0xff << (8 - bits))) == 0;
}

int
spf_config_skips(const struct spf_config *cfg, const char *ip)
{
	struct spf_addr	 a;
	int		 i;

	/* the client as SPF sees it: a v4-mapped address is IPv4 */
	if (addr_parse(ip, &a) == -1)
		return 0;
	for (i = 0; i < cfg->nskip; i++)
		if (spf_net_contains(&cfg->skip[i], a.af, a.a))
			return 1;
	return 0;
}

int
spf_config_set(struct spf_config *cfg, const char *key, const char *v,
    char *err, size_t errlen)
{
	const char	*errstr;
	int		 code, action, n;

	if ((n = policy_config_set(cfg, key, v)) == 1)
		return 0;
	if (n == -1)
		goto bad;
	if ((code = spf_code_parse(key)) != -1) {
		if ((action = spf_action_parse(v)) == -1)
			goto bad;
		cfg->actions[code] = action;
	} else if (strcmp(key, "resolver") == 0) {
		if (strcmp(v, "recursive") == 0) {
			cfg->recursive = 1;
			return 0;
		}
		if (cfg->nresolvers >= SPF_MAX_RESOLVERS)
			goto toomany;
		if (strlen(v) >= sizeof(cfg->resolvers[0]) ||
		    strspn(v, "0123456789abcdefABCDEF.:@") != strlen(v))
			goto bad;
		(void)strlcpy(cfg->resolvers[cfg->nresolvers++], v,
		    sizeof(cfg->resolvers[0]));
	} else if (strcmp(key, "zone") == 0) {
		if (cfg->nzones >= SPF_MAX_ZONES)
			goto toomany;
		if (strlen(v) >= sizeof(cfg->zones[0]))
			goto bad;
		(void)strlcpy(cfg->zones[cfg->nzones++], v,
		    sizeof(cfg->zones[0]));
	} else if (strcmp(key, "trust-anchor") == 0) {
		if (cfg->nanchors >= SPF_MAX_ANCHORS)
			goto toomany;
		if (strlen(v) >= sizeof(cfg->anchors[0]))
			goto bad;
		(void)strlcpy(cfg->anchors[cfg->nanchors++], v,
		    sizeof(cfg->anchors[0]));
	} else if (strcmp(key, "dnssec") == 0) {
		if (strcasecmp(v, "require") == 0)
			cfg->dnssec = SPF_DNSSEC_MODE_REQUIRE;
		else if (yesno(v, &n) == 0)
			cfg->dnssec = n ? SPF_DNSSEC_MODE_YES :
			    SPF_DNSSEC_MODE_NO;
		else
			goto bad;
	} else if (strcmp(key, "require-dnssec-pass") == 0) {
		if (yesno(v, &cfg->require_dnssec_pass) == -1)
			goto bad;
	} else if (strcmp(key, "timeout") == 0) {
		if (parse_seconds(v, &cfg->timeout_ms) == -1)
			goto bad;
	} else if (strcmp(key, "receiver") == 0) {
		if (strlcpy(cfg->receiver, v, sizeof(cfg->receiver)) >=
		    sizeof(cfg->receiver))
			goto bad;
	} else if (strcmp(key, "default-explanation") == 0) {
		/* an explain-string: a lone % is an error here, not at 3 am */
		if (strlen(v) >= sizeof(cfg->default_explanation) ||
		    macro_check(v, strlen(v), MACRO_EXPLAIN, NULL) != 0)
			goto bad;
		(void)strlcpy(cfg->default_explanation, v,
		    sizeof(cfg->default_explanation));
	} else if (strcmp(key, "headers") == 0) {
		if (yesno(v, &cfg->headers) == -1)
			goto bad;
	} else if (strcmp(key, "max-inflight") == 0) {
		n = (int)strtonum(v, 1, 100000, &errstr);
		if (errstr != NULL)
			goto bad;
		cfg->max_inflight = n;
	} else if (strcmp(key, "max-questions") == 0) {
		n = (int)strtonum(v, 1, 65536, &errstr);
		if (errstr != NULL)
			goto bad;
		cfg->max_questions = n;
	} else if (strcmp(key, "max-void-lookups") == 0) {
		n = (int)strtonum(v, 0, 100, &errstr);
		if (errstr != NULL)
			goto bad;
		cfg->max_void_lookups = n;
	} else if (strcmp(key, "cache-size") == 0) {
		if (parse_size(v, &cfg->cache_size) == -1)
			goto bad;
	} else if (strcmp(key, "skip") == 0) {
		if (strchr(v, ':') != NULL && strchr(v, '.') != NULL &&
		    policy_skip_name(cfg, v) == 0)
			return 0;
		if (cfg->nskip >= SPF_MAX_SKIP)
			goto toomany;
		if (spf_net_parse(v, &cfg->skip[cfg->nskip]) == -1)
			goto bad;
		cfg->nskip++;
	} else if (strcmp(key, "dnssec-state") == 0) {
		/* an absolute path: the module runs in Exim's cwd */
		if (strcmp(v, "none") == 0)
			cfg->dnssec_state[0] = '\0';
		else if (v[0] != '/' ||	/* room for the temporary suffix: */
		    strlen(v) >= sizeof(cfg->dnssec_state) - 8)
			goto bad;
		else
			(void)strlcpy(cfg->dnssec_state, v,
			    sizeof(cfg->dnssec_state));
	} else if (strcmp(key, "dnssec-state-lifetime") == 0) {
		n = (int)strtonum(v, 1, 86400, &errstr);
		if (errstr != NULL)
			goto bad;
		cfg->dnssec_state_secs = n;
	} else if (strcmp(key, "log") == 0) {
		if (strcmp(v, "stderr") == 0)
			cfg->log = SPF_LOG_STDERR;
		else if (strcmp(v, "syslog") == 0)
			cfg->log = SPF_LOG_SYSLOG;
		else
			goto bad;
	} else {
		(void)snprintf(err, errlen, "unknown keyword '%.40s'", key);
		return -1;
	}
	return 0;
bad:
	(void)snprintf(err, errlen, "bad value for %s: '%.60s'", key, v);
	return -1;
toomany:
	(void)snprintf(err, errlen, "too many %s lines", key);
	return -1;
}

int
spf_config_load(struct spf_config *cfg, const char *path, int must_exist,
    char *err, size_t errlen)
{
	FILE	*f;
	char	 line[2048], why[256], *key, *v, *end;
	int	 lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (!must_exist && errno == ENOENT)
			return 0;
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			(void)snprintf(err, errlen, "%s:%d: line too long",
			    path, lineno);
			fclose(f);
			return -1;
		}
		for (key = line; isspace((unsigned char)*key); key++)
			;
		if (*key == '#' || *key == '\0')
			continue;
		for (v = key; *v != '\0' && !isspace((unsigned char)*v); v++)
			;
		if (*v != '\0')
			*v++ = '\0';
		while (isspace((unsigned char)*v))
			v++;
		for (end = v + strlen(v); end > v &&
		    isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		if (*v == '\0') {
			(void)snprintf(err, errlen, "%s:%d: %s needs a value",
			    path, lineno, key);
			fclose(f);
			return -1;
		}
		if (spf_config_set(cfg, key, v, why, sizeof(why)) == -1) {
			(void)snprintf(err, errlen, "%s:%d: %s", path, lineno,
			    why);
			fclose(f);
			return -1;
		}
	}
	/* a directory, or an I/O error halfway: no half a policy */
	if (ferror(f)) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
is_keyword(const char *key)
{
	size_t	 i;

	if (spf_code_parse(key) != -1 || policy_is_keyword(key))
		return 1;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(key, keywords[i]) == 0)
			return 1;
	return 0;
}

static int
is_list(const char *key)
{
	return strcmp(key, "resolver") == 0 || strcmp(key, "zone") == 0 ||
	    strcmp(key, "trust-anchor") == 0 || strcmp(key, "skip") == 0 ||
	    policy_is_list(key);
}

/* An option replaces what the file said for a repeatable keyword. */
static void
clear_list(struct spf_config *cfg, const char *key)
{
	if (strcmp(key, "resolver") == 0) {
		cfg->nresolvers = 0;
		cfg->recursive = 0;
	} else if (strcmp(key, "zone") == 0)
		cfg->nzones = 0;
	else if (strcmp(key, "trust-anchor") == 0)
		cfg->nanchors = 0;
	else if (strcmp(key, "skip") == 0) {
		cfg->nskip = 0;
		cfg->nskip_names = 0;
	} else
		policy_clear_list(cfg, key);
}

int
spf_config_args(struct spf_config *cfg, int argc, char **argv,
    int (*other)(const char *, const char *, void *), void *arg, char *err,
    size_t errlen)
{
	const char	*config = NULL, *key, *v;
	char		 name[64], why[256];
	struct {
		char		 name[32];
		const char	*value;
	}		 opts[64];
	int		 i, j, k, n, nopts = 0, cleared;

	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		key = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if ((v = strchr(key, '=')) != NULL) {
			(void)snprintf(name, sizeof(name), "%.*s",
			    (int)(v - key), key);
			v++;
			n = 1;
		} else {
			(void)strlcpy(name, key, sizeof(name));
			v = i + 1 < argc ? argv[i + 1] : NULL;
			n = 2;
		}
		if (strcmp(name, "config") == 0 || strcmp(name, "c") == 0) {
			if (v == NULL)
				goto novalue;
			config = v;
		} else if (!is_keyword(name)) {
			/* not a config keyword: the program's own option */
			if (other == NULL ||
			    (n = other(argv[i], n == 1 ? NULL : v, arg)) < 1) {
				if (err[0] == '\0' || other == NULL)
					(void)snprintf(err, errlen,
					    "unknown option %s", argv[i]);
				return -1;
			}
		} else {
			if (v == NULL)
				goto novalue;
			if (nopts == (int)(sizeof(opts) / sizeof(opts[0]))) {
				(void)snprintf(err, errlen, "too many options");
				return -1;
			}
			(void)strlcpy(opts[nopts].name, name,
			    sizeof(opts[0].name));
			opts[nopts++].value = v;
		}
		i += n - 1;
	}
	if (spf_config_load(cfg, config != NULL ? config : DEFAULT_CONFIG,
	    config != NULL, err, errlen) == -1)
		return -1;
	for (j = 0; j < nopts; j++) {
		/* the first option of a list replaces the file's lines */
		for (k = 0, cleared = 0; k < j; k++)
			if (strcmp(opts[k].name, opts[j].name) == 0)
				cleared = 1;
		if (!cleared && is_list(opts[j].name))
			clear_list(cfg, opts[j].name);
		if (spf_config_set(cfg, opts[j].name, opts[j].value, why,
		    sizeof(why)) == -1) {
			(void)snprintf(err, errlen, "--%s: %s", opts[j].name,
			    why);
			return -1;
		}
	}
	return i;
novalue:
	(void)snprintf(err, errlen, "option %s needs a value", argv[i]);
	return -1;
}
