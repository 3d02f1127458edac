/*
 * policy.c: "spfgate policy", a Postfix SMTP access policy service
 * (check_policy_service) on the core: on standard input and output
 * under spawn(8), or as one long-running service for every smtpd
 * (--listen unix:PATH, --listen [ADDR:]PORT) sharing one cache.
 *
 * The mapping, Postfix's request to one core call and the core's
 * verdict back: at protocol_state=RCPT, spf_message_start() from
 * client_address, sender and helo_name, once per message (keyed by
 * instance); an authenticated client (sasl_username) is the core's
 * trusted verdict, unchecked.  Each recipient gets
 * spf_verdict_recipient()'s answer: the core's reply, code and text
 * as the core wrote them, as a numeric action, or else, while the
 * verdict has header fields not yet given, "PREPEND field", one field
 * an answer: the first recipient the first field, each later
 * recipient and each DATA-state request of the message the next one,
 * then DUNNO.  Every other state, and every malformed request, is
 * answered DUNNO.  Nothing here decides an action, a reply, a header
 * or a result.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "spfgate.h"
#include "policyconn.h"

/*
 * Messages remembered after their verdict, for their later recipients
 * and their DATA request; the oldest is forgotten first.  Only
 * messages in progress matter: one per smtpd process at a time.
 */
#define INSTANCES_MAX	1024
#define FIELDS_MAX	3	/* spf_verdict_field's: two Received-SPF, A-R */

struct waiter {
	TAILQ_ENTRY(waiter)	 next;
	struct instance		*inst;
	struct policy_ticket	*t;
	char			*rcpt;
};

struct instance {
	RB_ENTRY(instance)	 entry;
	TAILQ_ENTRY(instance)	 lru;
	int			 keyed;		/* in the table */
	char			 key[sizeof(((struct policy_request *)0)->
				    instance)];
	char			*client;	/* the message's, to match */
	char			*sender;
	struct spf_message	*msg;		/* while evaluating */
	TAILQ_HEAD(, waiter)	 waiters;	/* recipients in order */
	struct spf_verdict	*v;		/* once evaluated */
	char			*fields[FIELDS_MAX];
	int			 nfields, given;
};

RB_HEAD(instances, instance);

/* As opensmtpd/proto.c: libbsd's tree.h wants __unused defined here. */
#define __unused	__attribute__((__unused__))
static int	instance_cmp(struct instance *, struct instance *);
RB_PROTOTYPE_STATIC(instances, instance, entry, instance_cmp);

static void	on_request(struct policy_ticket *,
		    const struct policy_request *, void *);
static void	on_cancel(struct policy_ticket *, void *);
static void	on_log(const char *, void *);
static void	at_rcpt(struct policy_ticket *, const struct policy_request *);
static void	at_data(struct policy_ticket *, const struct policy_request *);
static struct instance *instance_new(const struct policy_request *);
static void	instance_free(struct instance *);
static void	instance_keep(struct instance *);
static void	evaluated(const struct spf_verdict *,
		    const struct spf_trace *, void *);
static void	decided(struct instance *, const struct spf_verdict *);
static void	answer(struct instance *, struct policy_ticket *,
		    const char *);
static void	split_fields(struct instance *);
static void	stop_cb(evutil_socket_t, short, void *);
static int	drop_privileges(const char *, char *, size_t);
static int	owner_ids(const struct cmd_flags *, struct policy_listen *,
		    char *, size_t);

RB_GENERATE_STATIC(instances, instance, entry, instance_cmp);
#undef __unused

static int	 stderr_guarded;

static struct {
	struct spf_config	 cfg;
	struct spf_checker	*checker;
	struct policy_server	*srv;
	struct event_base	*base;
	struct instances	 table;
	TAILQ_HEAD(, instance)	 lru;		/* evaluated, oldest first */
	int			 ninstances;
} P;

static int
instance_cmp(struct instance *a, struct instance *b)
{
	return strcmp(a->key, b->key);
}

static void
on_log(const char *line, void *arg)
{
	(void)arg;
	spf_log(&P.cfg, "policy: %s", line);
}

static void
on_request(struct policy_ticket *t, const struct policy_request *rq,
    void *arg)
{
	(void)arg;
	if (rq->malformed != NULL) {
		spf_log(&P.cfg, "policy: %s malformed request (%s): DUNNO",
		    policy_ticket_peer(t), rq->malformed);
		policy_reply(t, "DUNNO");
		return;
	}
	if (strcmp(rq->request, "smtpd_access_policy") != 0) {
		spf_log(&P.cfg, "policy: %s request=%.60s is not "
		    "smtpd_access_policy: DUNNO", policy_ticket_peer(t),
		    rq->request);
		policy_reply(t, "DUNNO");
		return;
	}
	if (strcmp(rq->protocol_state, "RCPT") == 0)
		at_rcpt(t, rq);
	else
		at_data(t, rq);
}

/*
 * DATA (smtpd_data_restrictions) or BDAT: the message's next header
 * field, if its verdict has one left; DUNNO for everything else.
 */
static void
at_data(struct policy_ticket *t, const struct policy_request *rq)
{
	struct instance	 find, *inst;
	struct waiter	*w;

	if ((strcmp(rq->protocol_state, "DATA") == 0 ||
	    strcmp(rq->protocol_state, "BDAT") == 0) &&
	    rq->instance[0] != '\0') {
		(void)strlcpy(find.key, rq->instance, sizeof(find.key));
		inst = RB_FIND(instances, &P.table, &find);
		if (inst != NULL && inst->v != NULL) {
			answer(inst, t, NULL);
			return;
		}
		/* pipelined behind its own RCPT: waits for the verdict */
		if (inst != NULL && (w = calloc(1, sizeof(*w))) != NULL) {
			w->inst = inst;
			w->t = t;
			policy_ticket_set(t, w);
			TAILQ_INSERT_TAIL(&inst->waiters, w, next);
			return;
		}
	}
	policy_reply(t, "DUNNO");
}

static void
at_rcpt(struct policy_ticket *t, const struct policy_request *rq)
{
	struct instance	 find, *inst = NULL;
	struct spf_verdict v;
	struct waiter	*w;
	char		 err[SPF_PROBLEM_LEN], line[SPF_LOG_LINE_LEN];

	if (rq->sasl_username[0] != '\0') {
		spf_verdict_trusted(&P.cfg, rq->client_address, rq->sender,
		    rq->helo_name, "authenticated", &v);
		(void)spf_verdict_log_line(&v, line, sizeof(line));
		spf_log(&P.cfg, "policy: %s queue_id=%s %s",
		    policy_ticket_peer(t), rq->queue_id, line);
		policy_reply(t, "DUNNO");
		return;
	}
	if (rq->instance[0] != '\0') {
		(void)strlcpy(find.key, rq->instance, sizeof(find.key));
		inst = RB_FIND(instances, &P.table, &find);
		/* the same transaction is the same client and sender */
		if (inst != NULL && (strcmp(inst->client,
		    rq->client_address) != 0 ||
		    strcmp(inst->sender, rq->sender) != 0))
			inst = NULL;
	}
	if (inst == NULL) {
		if ((inst = instance_new(rq)) == NULL) {
			spf_log(&P.cfg, "policy: %s out of memory: DUNNO",
			    policy_ticket_peer(t));
			policy_reply(t, "DUNNO");
			return;
		}
		if (rq->instance[0] != '\0' &&
		    RB_FIND(instances, &P.table, inst) == NULL) {
			(void)RB_INSERT(instances, &P.table, inst);
			inst->keyed = 1;
		}
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->rcpt = strdup(rq->recipient)) == NULL) {
		free(w);
		spf_log(&P.cfg, "policy: %s out of memory: DUNNO",
		    policy_ticket_peer(t));
		policy_reply(t, "DUNNO");
		if (inst->v == NULL && inst->msg == NULL)
			instance_free(inst);
		return;
	}
	w->inst = inst;
	w->t = t;
	policy_ticket_set(t, w);
	TAILQ_INSERT_TAIL(&inst->waiters, w, next);
	if (inst->v != NULL) {
		decided(inst, NULL);
		return;
	}
	if (inst->msg != NULL)
		return;		/* its first recipient started the check */
	if (rq->client_address[0] == '\0') {
		/* no client (Exim's local submission): the core's local one */
		spf_verdict_local(&P.cfg, rq->sender, rq->helo_name, &v);
		decided(inst, &v);
		return;
	}
	inst->msg = spf_message_start(P.checker, rq->client_address,
	    rq->sender, rq->helo_name, 0, evaluated, inst, err, sizeof(err));
	if (inst->msg == NULL) {
		/* as the other front ends: a temperror, for the policy */
		spf_verdict_unchecked(&P.cfg, SPF_TEMPERROR,
		    rq->client_address, rq->sender, rq->helo_name, err, &v);
		decided(inst, &v);
	}
}

static struct instance *
instance_new(const struct policy_request *rq)
{
	struct instance	*inst;

	if ((inst = calloc(1, sizeof(*inst))) == NULL)
		return NULL;
	TAILQ_INIT(&inst->waiters);
	(void)strlcpy(inst->key, rq->instance, sizeof(inst->key));
	if ((inst->client = strdup(rq->client_address)) == NULL ||
	    (inst->sender = strdup(rq->sender)) == NULL) {
		free(inst->client);
		free(inst);
		return NULL;
	}
	return inst;
}

static void
instance_free(struct instance *inst)
{
	int	 i;

	if (inst->msg != NULL)
		spf_message_cancel(inst->msg);
	if (inst->keyed) {
		RB_REMOVE(instances, &P.table, inst);
		if (inst->v != NULL) {
			TAILQ_REMOVE(&P.lru, inst, lru);
			P.ninstances--;
		}
	}
	for (i = 0; i < inst->nfields; i++)
		free(inst->fields[i]);
	free(inst->v);
	free(inst->client);
	free(inst->sender);
	free(inst);
}

/* An evaluated message is remembered, the oldest forgotten past the bound. */
static void
instance_keep(struct instance *inst)
{
	struct instance	*old;

	if (!inst->keyed) {
		instance_free(inst);
		return;
	}
	TAILQ_INSERT_TAIL(&P.lru, inst, lru);
	P.ninstances++;
	while (P.ninstances > INSTANCES_MAX &&
	    (old = TAILQ_FIRST(&P.lru)) != NULL)
		instance_free(old);
}

static void
evaluated(const struct spf_verdict *v, const struct spf_trace *trace,
    void *arg)
{
	struct instance	*inst = arg;

	(void)trace;
	inst->msg = NULL;
	decided(inst, v);
}

/*
 * The message's verdict is in (v, kept), or was already (v NULL):
 * every waiting recipient is answered, in order.
 */
static void
decided(struct instance *inst, const struct spf_verdict *v)
{
	struct waiter	*w;
	char		 reply[SPF_REPLY_LEN], line[SPF_LOG_LINE_LEN];

	if (v != NULL) {
		if ((inst->v = malloc(sizeof(*inst->v))) == NULL) {
			spf_log(&P.cfg, "policy: out of memory for a "
			    "verdict: DUNNO");
			while ((w = TAILQ_FIRST(&inst->waiters)) != NULL)
				answer(inst, w->t, "DUNNO");
			instance_free(inst);
			return;
		}
		*inst->v = *v;
		split_fields(inst);
		(void)spf_verdict_log_line(v, line, sizeof(line));
		spf_log(&P.cfg, "policy: instance=%s %s ms=%ld", inst->key,
		    line, v->result.elapsed_ms);
	}
	while ((w = TAILQ_FIRST(&inst->waiters)) != NULL) {
		if (w->rcpt == NULL) {
			/* a DATA request: the next field, if any */
			answer(inst, w->t, NULL);
			continue;
		}
		(void)spf_verdict_recipient(inst->v, &P.cfg, w->rcpt, reply,
		    sizeof(reply));
		/* a refused message: each recipient's fate is worth a line */
		if (inst->v->result.action == SPF_REJECT ||
		    inst->v->result.action == SPF_DEFER)
			spf_log(&P.cfg, "policy: instance=%s rcpt=<%s> %s",
			    inst->key, w->rcpt, reply[0] != '\0' ? reply :
			    "exempt: accepted");
		answer(inst, w->t, reply[0] != '\0' ? reply : NULL);
	}
	/* remembered for the message's later requests (or gone, unkeyed) */
	if (v != NULL)
		instance_keep(inst);
}

/*
 * Answer t with text, or with the message's next header field while
 * its verdict puts fields on and some are left, else DUNNO.
 */
static void
answer(struct instance *inst, struct policy_ticket *t, const char *text)
{
	struct waiter	*w = policy_ticket_get(t);
	char		 buf[POLICY_ANSWER_MAX];

	if (w != NULL) {
		TAILQ_REMOVE(&inst->waiters, w, next);
		free(w->rcpt);
		free(w);
		policy_ticket_set(t, NULL);
	}
	if (text == NULL && inst->v != NULL && inst->v->headers &&
	    inst->given < inst->nfields) {
		(void)snprintf(buf, sizeof(buf), "PREPEND %s",
		    inst->fields[inst->given++]);
		text = buf;
	}
	policy_reply(t, text != NULL ? text : "DUNNO");
}

/* The verdict's fields in the core's order for one-field answers. */
static void
split_fields(struct instance *inst)
{
	char	 buf[2 * SPF_HEADER_LEN];
	int	 n;

	for (n = 0; n < FIELDS_MAX && spf_verdict_field(inst->v, n, buf,
	    sizeof(buf)) > 0; n++)
		if ((inst->fields[n] = strdup(buf)) == NULL)
			break;
	inst->nfields = n;
}

static void
on_cancel(struct policy_ticket *t, void *arg)
{
	struct waiter	*w = policy_ticket_get(t);
	struct instance	*inst;

	(void)arg;
	if (w == NULL)
		return;
	inst = w->inst;
	TAILQ_REMOVE(&inst->waiters, w, next);
	free(w->rcpt);
	free(w);
	/* nobody waits for an unkeyed check any more */
	if (!inst->keyed && inst->v == NULL && TAILQ_EMPTY(&inst->waiters))
		instance_free(inst);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	spf_log(&P.cfg, "policy: signal %d: stopping", (int)sig);
	policy_server_stop(P.srv);
	(void)event_base_loopexit(P.base, NULL);
}

/* After the socket is made: the service runs as user, never as root. */
static int
drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(err, errlen, "--user %s: no such user", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		(void)snprintf(err, errlen, "--user %s: not as root", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		(void)snprintf(err, errlen, "--user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* --listen-owner USER, --listen-group GROUP as ids. */
static int
owner_ids(const struct cmd_flags *flags, struct policy_listen *pl, char *err,
    size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	pl->owner = pl->group = -1;
	if (flags->listen_owner != NULL) {
		if ((pw = getpwnam(flags->listen_owner)) == NULL) {
			(void)snprintf(err, errlen, "--listen-owner %s: no "
			    "such user", flags->listen_owner);
			return -1;
		}
		pl->owner = (long)pw->pw_uid;
	}
	if (flags->listen_group != NULL) {
		if ((gr = getgrnam(flags->listen_group)) == NULL) {
			(void)snprintf(err, errlen, "--listen-group %s: no "
			    "such group", flags->listen_group);
			return -1;
		}
		pl->group = (long)gr->gr_gid;
	}
	return 0;
}

int
policy_stderr_guard(void)
{
	struct stat	 sb;
	int		 fd;

	if (fstat(STDERR_FILENO, &sb) == -1 || !S_ISSOCK(sb.st_mode))
		return 0;
	spf_log_ident("spfgate");
	if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		/* no /dev/null: better no stderr at all than the client */
		syslog(LOG_MAIL | LOG_ERR, "/dev/null: %m");
		(void)close(STDERR_FILENO);
	}
	if (fd > STDERR_FILENO)
		(void)close(fd);
	stderr_guarded = 1;
	return 1;
}

int
cmd_policy(const struct spf_config *cfg, const struct cmd_flags *flags)
{
	struct policy_callbacks	 cb;
	struct policy_listen	 pl;
	struct event		*ev_term = NULL, *ev_int = NULL;
	char			 err[512];
	const char		*path = NULL;
	int			 fd = -1, status = EXIT_ERROR;

	memset(&P, 0, sizeof(P));
	RB_INIT(&P.table);
	TAILQ_INIT(&P.lru);
	P.cfg = *cfg;
	/* policy_stderr_guard: standard error was the client */
	if (stderr_guarded)
		P.cfg.log = SPF_LOG_SYSLOG;
	if (P.cfg.log == SPF_LOG_SYSLOG)
		spf_log_ident("spfgate");
	(void)signal(SIGPIPE, SIG_IGN);

	if (flags->listen != NULL) {
		pl.spec = flags->listen;
		pl.mode = flags->listen_mode;
		if (owner_ids(flags, &pl, err, sizeof(err)) == -1 ||
		    (fd = policy_listen_open(&pl, err, sizeof(err))) == -1)
			goto fail;
		path = policy_listen_path(flags->listen);
		if (flags->user != NULL &&
		    drop_privileges(flags->user, err, sizeof(err)) == -1)
			goto fail;
	}
	if ((P.base = event_base_new()) == NULL) {
		(void)strlcpy(err, "cannot create event loop", sizeof(err));
		goto fail;
	}
	/* before anything else is on the loop: it runs the DNSSEC probe */
	if ((P.checker = spf_checker_new(&P.cfg, P.base, err,
	    sizeof(err))) == NULL)
		goto fail;
	if (spf_checker_notice(P.checker) != NULL)
		spf_log(&P.cfg, "policy: %s", spf_checker_notice(P.checker));
	memset(&cb, 0, sizeof(cb));
	cb.request = on_request;
	cb.cancel = on_cancel;
	cb.log = on_log;
	if ((P.srv = policy_server_new(P.base, &cb, flags->max_connections,
	    P.cfg.max_inflight * 4)) == NULL) {
		(void)strlcpy(err, "out of memory", sizeof(err));
		goto fail;
	}
	if (fd != -1) {
		if (policy_server_listen(P.srv, fd, err, sizeof(err)) == -1)
			goto fail;
		fd = -1;
		spf_log(&P.cfg, "policy: listening on %s, %s", flags->listen,
		    spf_checker_describe(P.checker));
	} else if (policy_server_stdio(P.srv, STDIN_FILENO, STDOUT_FILENO,
	    err, sizeof(err)) == -1)
		goto fail;
	if ((ev_term = evsignal_new(P.base, SIGTERM, stop_cb, NULL)) == NULL ||
	    (ev_int = evsignal_new(P.base, SIGINT, stop_cb, NULL)) == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1) {
		(void)strlcpy(err, "cannot watch signals", sizeof(err));
		goto fail;
	}
	(void)event_base_dispatch(P.base);
	status = 0;
	err[0] = '\0';
fail:
	if (err[0] != '\0')
		spf_log(&P.cfg, "spfgate policy: %s", err);
	/* connections first: their tickets wait on the instances */
	policy_server_free(P.srv);
	while (!RB_EMPTY(&P.table))
		instance_free(RB_ROOT(&P.table));
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	spf_checker_free(P.checker);
	if (P.base != NULL)
		event_base_free(P.base);
	if (fd != -1)
		(void)close(fd);
	if (path != NULL && unlink(path) == -1 && errno != ENOENT)
		spf_log(&P.cfg, "policy: unlink %s: %s", path,
		    strerror(errno));
	return status;
}
