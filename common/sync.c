/*
 * sync.c: a blocking check for callers without a loop of their own.
 * The query's own timer bounds the wait.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "spfint.h"

struct sync_state {
	struct spf_result	*out;
	int			 done;
};

static void	sync_done(const struct spf_result *, void *);

static void
sync_done(const struct spf_result *r, void *arg)
{
	struct sync_state	*s = arg;

	*s->out = *r;
	s->out->trace = NULL;
	s->done = 1;
}

int
spf_check_sync(struct spf_checker *c, const char *ip, const char *sender,
    const char *helo, struct spf_result *out, char *err, size_t errlen)
{
	struct sync_state	 s;
	struct spf_query	*q;

	memset(&s, 0, sizeof(s));
	s.out = out;
	q = spf_query_start(c, ip, sender, helo, 0, sync_done, &s, err,
	    errlen);
	if (q == NULL)
		return -1;
	while (!s.done) {
		/*
		 * 1 means nothing is pending: the query's own timer is gone,
		 * so waiting longer would spin, not finish.
		 */
		if (event_base_loop(c->base, EVLOOP_ONCE) != 0 && !s.done) {
			spf_query_cancel(q);
			(void)snprintf(err, errlen, "event loop failed");
			return -1;
		}
	}
	return 0;
}
