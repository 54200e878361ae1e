/*
 * check_ratelimit.c - rate limits: messages and recipients per window
 *
 * NAME
 *	check_ratelimit - per client address, client network, authenticated
 *	user or sender domain, in the state store
 *
 * DESCRIPTION
 *	A policy's ratelimit.rules each count per one key kind (client,
 *	network, user, sender_domain) with a limit of messages, of recipients,
 *	or both, over a window of seconds.  Windows are fixed and aligned: the
 *	window of time t is floor(t / window), counted from the Unix epoch, and
 *	its index is part of the counter's key (ratelimit_window), so every
 *	doorman sharing a store counts into the same window and a counter
 *	expires when its window ends.  A client may send up to twice a limit
 *	across a window boundary (at the end of one window and the start of
 *	the next): doorman.conf(5) says so.
 *
 *	At RCPT (the last RCPT check, so a recipient another rule refused is
 *	not counted) each rule's recipients counter goes up by one and its
 *	messages counter is read, all in one store_counts step (one round
 *	trip).  The recipient is refused when a recipients counter passes its
 *	limit, or a messages counter already reached its limit.  At end of
 *	message (ratelimit_eom) each messages counter goes up by one, and the
 *	message is refused when one passes its limit.  A refused recipient is
 *	counted too: a client that keeps trying past its limit stays over it
 *	until the window ends.  Two rules of the same key kind and window
 *	share their counters.
 *
 *	A rule over its limit takes its action: tempfail (its reply, 450
 *	4.7.1 by default) or dryrun (logged as would=tempfail and counted).  A
 *	rule whose key the session lacks (no authenticated user, the null
 *	sender, a client without an IP address) does not count.  A store that
 *	cannot answer takes ratelimit.store_failure: accept (logged and
 *	counted) by default, or tempfail; never a 5xx.
 *
 * DIAGNOSTICS
 *	One line per rule over its limit and per store failure:
 *	ratelimit=over|store_failure with the rule's line, key, count, limit.
 *
 * THREADS
 *	Reentrant; the counters are atomics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "log.h"
#include "store.h"

static unsigned long counts[RATELIMIT_NCOUNTS]; /* atomics, by enum ratelimit_count */

void
ratelimit_counts(unsigned long out[RATELIMIT_NCOUNTS])
{
	for (int i = 0; i < RATELIMIT_NCOUNTS; i++)
		out[i] = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
}

static void
count(enum ratelimit_count i)
{
	__atomic_add_fetch(&counts[i], 1, __ATOMIC_RELAXED);
}

void
ratelimit_window(int64_t now, long window, int64_t *index, long *ttl)
{
	*index = now / window;
	*ttl = (long)((*index + 1) * window - now);
}

/* the counter key of rule r for what ("messages" or "recipients") at
 * window index w; false when the session has no such key */
bool
ratelimit_key(const struct conn *c, const struct rate_rule *r, const char *what, int64_t w,
              struct store_key *k)
{
	const struct policy *p = c->pol;
	const struct msg *m = &c->msg;
	char dom[ADDR_DOMAIN_MAX + 1];

	store_key_init(k, "rate");
	store_key_str(k, rate_key_name(r->key));
	switch (r->key) {
	case RATE_CLIENT:
	case RATE_NETWORK:
		if (!c->have_ip)
			return false;
		store_key_net(k, &c->ip,
		              r->key == RATE_CLIENT ? (c->ip.family == AF_INET ? 32 : 128)
		              : c->ip.family == AF_INET ? (int)p->ratelimit_ipv4_prefix
		                                        : (int)p->ratelimit_ipv6_prefix);
		break;
	case RATE_USER:
		if (m->auth[0] == '\0')
			return false;
		store_key_str(k, m->auth);
		break;
	case RATE_SENDER_DOMAIN:
		if (!m->sender_parsed || m->sender.null || m->sender.domain[0] == '\0')
			return false;
		snprintf(dom, sizeof(dom), "%s", m->sender.domain);
		for (char *q = dom; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		store_key_str(k, dom);
		break;
	}
	store_key_int(k, r->window);
	store_key_int(k, w);
	store_key_str(k, what);
	return true;
}

/* a decision in the making: the counters asked for, one per distinct key */
struct batch {
	struct store_key keys[STORE_COUNTS_MAX];
	struct store_count c[STORE_COUNTS_MAX];
	size_t n;
	int slot[RATE_RULES_MAX][2]; /* rule, messages (0) / recipients (1): c index or -1 */
};

static void
batch_add(struct batch *b, const struct conn *c, size_t rule, int which, int64_t now, int64_t by)
{
	const struct rate_rule *r = &c->pol->ratelimit_rules.v[rule];
	struct store_key k;
	int64_t w;
	long ttl;

	ratelimit_window(now, r->window, &w, &ttl);
	if (!ratelimit_key(c, r, which ? "recipients" : "messages", w, &k))
		return;
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->keys[i].s, k.s) == 0) {
			b->slot[rule][which] = (int)i; /* a rule of the same kind and window */
			return;
		}
	b->keys[b->n] = k;
	b->c[b->n] = (struct store_count){.key = &b->keys[b->n], .ttl = ttl, .by = by};
	b->slot[rule][which] = (int)b->n++;
}

static void
log_line(const struct conn *c, enum stage st, const char *what, const char *detail)
{
	char line[1024], who[sizeof(c->hostname) + IP_TEXT_MAX + 4];
	size_t used;

	snprintf(who, sizeof(who), "%s[%s]", c->hostname, c->addr_text);
	used = (size_t)snprintf(line, sizeof(line), "qid=%s", c->qid[0] ? c->qid : "-");
	used = session_log_quoted(line, used, sizeof(line), "client", who);
	if (used < sizeof(line))
		snprintf(line + used, sizeof(line) - used, " policy=%s stage=%s ratelimit=%s %s",
		         c->pol->name, stage_name(st), what, detail);
	log_msg(LOG_INFO, "%s", line);
}

/*
 * decide - the counters of b weighed against every rule; the first rule
 * over its limit that tempfails gives the verdict, else the first that
 * dry-runs.  at_rcpt: a messages limit is over when reached (this
 * recipient would make one more message), a recipients limit when passed.
 */
static void
decide(struct conn *c, enum stage st, struct batch *b, bool at_rcpt, struct verdict *v)
{
	const struct ratelist *l = &c->pol->ratelimit_rules;
	const struct rate_rule *fired = NULL;
	char prefix[sizeof(c->msg.rcpt_text) + 4] = "", detail[600];

	if (b->n == 0)
		return;
	if (at_rcpt)
		snprintf(prefix, sizeof(prefix), "<%s>: ", c->msg.rcpt_text);
	struct store *s = store_shared(c->cfg);
	if (s == NULL || store_counts(s, b->c, b->n) < 0) {
		count(RATELIMIT_STORE_FAILURE);
		snprintf(detail, sizeof(detail), "store_failure=%s",
		         action_name(c->pol->ratelimit_store_failure.action));
		log_line(c, st, "store_failure", detail);
		verdict_set(v, "ratelimit_store_failure", &c->pol->ratelimit_store_failure,
		            at_rcpt ? prefix : NULL, "the state store cannot answer");
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct rate_rule *r = &l->v[i];
		for (int which = 0; which < 2; which++) {
			long limit = which ? r->recipients : r->messages;
			int at = b->slot[i][which];
			if (at < 0 || limit == 0)
				continue;
			int64_t n = b->c[at].count;
			if (!(n > limit || (at_rcpt && which == 0 && n >= limit)))
				continue;
			count(r->rule.action == ACTION_DRYRUN ? RATELIMIT_DRYRUN : RATELIMIT_OVER);
			snprintf(detail, sizeof(detail),
			         "rule_line=%s:%d key=%s counter=\"%s\" count=%" PRId64 " limit=%ld window=%ld",
			         c->cfg->file, r->line, rate_key_name(r->key), b->keys[at].s, n, limit,
			         r->window);
			log_line(c, st, "over", detail);
			if (fired == NULL || (fired->rule.action == ACTION_DRYRUN &&
			                      r->rule.action != ACTION_DRYRUN))
				fired = r;
		}
	}
	if (fired != NULL)
		verdict_set(v, "ratelimit", &fired->rule, at_rcpt ? prefix : NULL,
		            "rate limit exceeded");
}

static void
batch_init(struct batch *b)
{
	b->n = 0;
	for (size_t i = 0; i < RATE_RULES_MAX; i++)
		b->slot[i][0] = b->slot[i][1] = -1;
}

static void
ratelimit_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct ratelist *l = &c->pol->ratelimit_rules;
	int64_t now = store_now();
	struct batch b;

	if (l->n == 0 || !c->msg.rcpt_parsed)
		return;
	batch_init(&b);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].recipients > 0)
			batch_add(&b, c, i, 1, now, 1);
		if (l->v[i].messages > 0)
			batch_add(&b, c, i, 0, now, 0);
	}
	decide(c, st, &b, true, v);
}

void
ratelimit_eom(struct conn *c, struct verdict *v)
{
	const struct ratelist *l = &c->pol->ratelimit_rules;
	int64_t now = store_now();
	struct batch b;

	if (l->n == 0)
		return;
	batch_init(&b);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].messages > 0)
			batch_add(&b, c, i, 0, now, 1);
	decide(c, STAGE_EOM, &b, false, v);
}

const struct check check_ratelimit = {
    .name = "ratelimit",
    .stages = STAGE_BIT(STAGE_RCPT),
    .exemptable = false, /* authenticated users are what a submission limit is for */
    .run = ratelimit_run,
};
