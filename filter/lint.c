/*
 * lint.c: "spfgate lint [--json] DOMAIN...": each domain's published
 * SPF policy checked before a receiver meets it.  Per domain: the tree
 * of records with the DNS lookups each costs, a line per finding, and a
 * one-line verdict; or, with --json, one object per domain per line.
 * The domains are linted concurrently (up to max-inflight at once) and
 * reported in the order given.  The exit status is the worst of the
 * domains': 0 ok, 2 warnings, 3 errors; 1 for a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "spfgate.h"
#include "lint/spflint.h"

/* A report with every record's text: bounded, and far beyond any real one. */
#define LINT_JSON_MAX	(16 * 1024 * 1024)

/* One domain: its report, kept in memory until its turn comes. */
struct lint_job {
	const struct cmd_flags	*flags;
	int			*running;
	char			*out;
	size_t			 outlen;
	FILE			*f;
	int			 status;
	int			 done;
	char			 err[512];
};

static void	linted(const struct spf_lint_report *, void *);
static void	print_text(FILE *, const struct spf_lint_report *);
static void	print_json(FILE *, const struct spf_lint_report *, int);
static void	put_text(FILE *, const char *);
static int	lint_status(const struct spf_lint_report *);
static int	start_job(struct spf_checker *, struct lint_job *,
		    const char *);
static int	emit_job(struct lint_job *, int);

static int
lint_status(const struct spf_lint_report *r)
{
	if (r->errors > 0)
		return EXIT_LINT_ERRORS;
	if (r->warnings > 0)
		return EXIT_LINT_WARNINGS;
	return EXIT_LINT_OK;
}

/* DNS text as it came, with what a terminal should not see escaped. */
static void
put_text(FILE *o, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			putc(*p, o);
		else
			fprintf(o, "\\x%02X", *p);
	}
}

static void
print_text(FILE *o, const struct spf_lint_report *r)
{
	const struct spf_lint_record	*rec;
	const struct spf_lint_finding	*f;
	int				 i;

	fprintf(o, "records of %s [DNS lookups of each, with all it "
	    "includes]:\n", r->domain);
	for (i = 0; i < r->nrecords; i++) {
		rec = &r->records[i];
		fprintf(o, "  %*s", rec->depth * 2, "");
		put_text(o, rec->depth == 0 ? rec->domain : rec->via);
		fprintf(o, " [%d] ", rec->lookups);
		if (rec->text == NULL)
			fprintf(o, "(%s)", rec->missing);
		else {
			putc('"', o);
			put_text(o, rec->text);
			putc('"', o);
			if (rec->spf_records > 1)
				fprintf(o, " (and %d more)",
				    rec->spf_records - 1);
		}
		if (rec->dnssec != SPF_DNSSEC_UNVALIDATED)
			fprintf(o, " (dnssec %s)", spf_dnssec_str(rec->dnssec));
		putc('\n', o);
	}
	fprintf(o, "findings:%s\n", r->nfindings == 0 ? " none" : "");
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		fprintf(o, "  %-7s ", spf_lint_severity_str(f->severity));
		if (f->path[0] != '\0') {
			put_text(o, f->path);
			fputs(": ", o);
		}
		put_text(o, f->message);
		putc('\n', o);
	}
	fprintf(o, "verdict: %s: ", r->domain);
	if (r->errors > 0)
		fprintf(o, "%d error%s%s", r->errors, r->errors > 1 ? "s" : "",
		    r->warnings > 0 ? ", " : "");
	if (r->warnings > 0)
		fprintf(o, "%d warning%s", r->warnings,
		    r->warnings > 1 ? "s" : "");
	if (r->errors == 0 && r->warnings == 0)
		fputs("ok", o);
	if (r->infos > 0)
		fprintf(o, ", %d note%s", r->infos, r->infos > 1 ? "s" : "");
	fprintf(o, "; %s%d DNS lookup%s (limit %d), %d void lookup%s "
	    "(limit %d)\n", r->lookups_exact ? "" : "at least ", r->lookups,
	    r->lookups == 1 ? "" : "s", SPF_LOOKUP_LIMIT, r->void_lookups,
	    r->void_lookups == 1 ? "" : "s", r->void_limit);
}

static void
print_json(FILE *o, const struct spf_lint_report *r, int status)
{
	const struct spf_lint_record	*rec;
	const struct spf_lint_finding	*f;
	struct spf_json			*j;
	const char			*text = NULL;
	int				 i;

	if ((j = spf_json_new(LINT_JSON_MAX)) == NULL)
		goto out;
	spf_json_object(j, NULL);
	spf_json_str(j, "domain", r->domain);
	spf_json_str(j, "verdict", status == EXIT_LINT_ERRORS ? "errors" :
	    status == EXIT_LINT_WARNINGS ? "warnings" : "ok");
	spf_json_int(j, "status", status);
	spf_json_int(j, "errors", r->errors);
	spf_json_int(j, "warnings", r->warnings);
	spf_json_int(j, "infos", r->infos);
	spf_json_int(j, "lookups", r->lookups);
	spf_json_int(j, "lookups_limit", SPF_LOOKUP_LIMIT);
	spf_json_bool(j, "lookups_exact", r->lookups_exact);
	spf_json_int(j, "void_lookups", r->void_lookups);
	spf_json_int(j, "void_lookups_ipv4", r->void_lookups_ipv4);
	spf_json_int(j, "void_lookups_ipv6", r->void_lookups_ipv6);
	spf_json_int(j, "void_limit", r->void_limit);
	spf_json_str(j, "worst_path", r->worst_path);
	spf_json_int(j, "queries", r->queries);
	spf_json_int(j, "elapsed_ms", r->elapsed_ms);
	spf_json_array(j, "records");
	for (i = 0; i < r->nrecords; i++) {
		rec = &r->records[i];
		spf_json_object(j, NULL);
		spf_json_int(j, "depth", rec->depth);
		spf_json_str(j, "via", rec->via);
		spf_json_str(j, "domain", rec->domain);
		spf_json_str(j, "path", rec->path);
		spf_json_str(j, "record", rec->text);
		spf_json_str(j, "missing", rec->missing);
		spf_json_int(j, "spf_records", rec->spf_records);
		spf_json_int(j, "lookups", rec->lookups);
		spf_json_str(j, "dnssec", spf_dnssec_str(rec->dnssec));
		spf_json_int(j, "answer_octets", rec->answer_octets);
		spf_json_end(j);
	}
	spf_json_end(j);
	spf_json_array(j, "findings");
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		spf_json_object(j, NULL);
		spf_json_str(j, "severity", spf_lint_severity_str(f->severity));
		spf_json_str(j, "code", f->code);
		spf_json_str(j, "path", f->path);
		spf_json_str(j, "domain", f->domain);
		spf_json_str(j, "term", f->term);
		spf_json_str(j, "message", f->message);
		spf_json_end(j);
	}
	spf_json_end(j);
	spf_json_end(j);
	text = spf_json_text(j);
out:
	if (text != NULL)
		fprintf(o, "%s\n", text);
	else
		fprintf(o, "{\"error\":\"report too long\",\"status\":%d}\n",
		    status);
	spf_json_free(j);
}

static void
linted(const struct spf_lint_report *r, void *arg)
{
	struct lint_job	*job = arg;

	job->done = 1;
	(*job->running)--;
	job->status = lint_status(r);
	if (job->flags->json)
		print_json(job->f, r, job->status);
	else
		print_text(job->f, r);
}

static int
start_job(struct spf_checker *checker, struct lint_job *job,
    const char *domain)
{
	if ((job->f = open_memstream(&job->out, &job->outlen)) == NULL) {
		(void)strlcpy(job->err, "out of memory", sizeof(job->err));
		return -1;
	}
	if (spf_lint_start(checker, domain, linted, job, job->err,
	    sizeof(job->err)) == NULL)
		return -1;
	(*job->running)++;
	return 0;
}

/* Print a finished job's report; returns its exit status. */
static int
emit_job(struct lint_job *job, int first)
{
	if (job->f != NULL)
		fclose(job->f);
	if (job->err[0] != '\0') {
		fflush(stdout);
		fprintf(stderr, "spfgate: %s\n", job->err);
		free(job->out);
		return EXIT_ERROR;
	}
	if (!first && !job->flags->json)
		putchar('\n');
	fwrite(job->out, 1, job->outlen, stdout);
	fflush(stdout);
	free(job->out);
	return job->status;
}

int
cmd_lint(const struct spf_config *cfg, const struct cmd_flags *flags,
    int argc, char **argv)
{
	struct event_base	*base;
	struct spf_checker	*checker;
	struct lint_job		*jobs;
	char			 err[512];
	int			 i, status = EXIT_LINT_OK, s, started = 0;
	int			 printed = 0, running = 0, usage_error = 0;

	if (argc < 1 || flags->explain)
		usage();
	if ((jobs = calloc(argc, sizeof(*jobs))) == NULL ||
	    (base = event_base_new()) == NULL) {
		fprintf(stderr, "spfgate: out of memory\n");
		free(jobs);
		return EXIT_ERROR;
	}
	if ((checker = spf_checker_new(cfg, base, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spfgate: %s\n", err);
		event_base_free(base);
		free(jobs);
		return EXIT_ERROR;
	}
	if (spf_checker_notice(checker) != NULL)
		fprintf(stderr, "spfgate: %s\n", spf_checker_notice(checker));
	for (i = 0; i < argc; i++) {
		jobs[i].flags = flags;
		jobs[i].running = &running;
	}
	while (printed < argc) {
		while (started < argc && running < cfg->max_inflight) {
			if (start_job(checker, &jobs[started],
			    argv[started]) == -1)
				jobs[started].done = 1;
			started++;
		}
		while (printed < started && jobs[printed].done) {
			s = emit_job(&jobs[printed], printed == 0);
			if (s == EXIT_ERROR)
				usage_error = 1;
			else if (s > status)
				status = s;
			printed++;
		}
		if (printed < argc && running > 0 &&
		    event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
	}
	spf_checker_free(checker);
	event_base_free(base);
	free(jobs);
	return usage_error || printed < argc ? EXIT_ERROR : status;
}
