/*
 * check_greylist.c - greylisting at RCPT, per recipient
 *
 * NAME
 *	check_greylist - delay a first delivery attempt until the client retries
 *
 * DESCRIPTION
 *	Runs at RCPT after relay authorization and recipient validation (its
 *	place in check.c), so nothing is stored for a relay attempt or an
 *	unknown user.  An entry is kept per triplet: the client network
 *	(greylist.ipv4_prefix, greylist.ipv6_prefix), the envelope sender
 *	with its rotating parts removed (greylist_sender), and the recipient.
 *	The store decides in one atomic step (store_grey, store.h):
 *	    new     first sight, or a retry after delay + retry_window: the
 *	            rule (450 4.7.1 by default, {retry} in its text becomes the
 *	            seconds to wait)
 *	    early   a retry before greylist.delay: the rule again
 *	    passed  a retry after the delay, or a known triplet: accepted, the
 *	            entry renewed for greylist.lifetime
 *	    allowed the client network passed greylist.auto_allow times
 *	            (postgrey's auto-whitelist): accepted without a triplet
 *	Never greylisted ("exempt"): trusted and authenticated clients (whatever
 *	exempt_trusted says: they retry nothing), a client a DNSWL score or a
 *	client access entry allowlisted, a sender an access entry allowlisted,
 *	a client without an IP address, and an entry of greylist.exemptions.
 *	A store that cannot answer takes greylist.store_failure: accept by
 *	default (a dead store must not stop all mail), or tempfail; never a
 *	5xx, and the next recipient asks the store again.
 *
 * DIAGNOSTICS
 *	One line per decision: greylist=new|early|passed|allowed|exempt|
 *	store_failure with the client network, sender key and recipient; a
 *	tempfail also gets the session's verdict line (rule=greylist).
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

static unsigned long counts[GREYLIST_NCOUNTS]; /* atomics, by enum greylist_count */

void
greylist_counts(unsigned long out[GREYLIST_NCOUNTS])
{
	for (int i = 0; i < GREYLIST_NCOUNTS; i++)
		out[i] = __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
}

static void
count(enum greylist_count i)
{
	__atomic_add_fetch(&counts[i], 1, __ATOMIC_RELAXED);
}

static char
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* "SRS0=HHH=TT=domain=local" (or SRS0+, SRS0-): local@domain of the
 * original sender; SRS1 carries an SRS0 tail after "==".  0 or -1. */
static int
srs_original(const char *lp, char *out, size_t len)
{
	const char *p;

	if (strncmp(lp, "srs1", 4) == 0 && (p = strstr(lp, "==")) != NULL)
		p += 2;
	else if (strncmp(lp, "srs0", 4) == 0 && (lp[4] == '=' || lp[4] == '+' || lp[4] == '-'))
		p = lp + 5;
	else
		return -1;
	/* HHH=TT=domain=local */
	for (int skip = 0; skip < 2; skip++)
		if ((p = strchr(p, '=')) == NULL)
			return -1;
		else
			p++;
	const char *eq = strchr(p, '=');
	if (eq == NULL || eq == p || eq[1] == '\0')
		return -1;
	snprintf(out, len, "%s@%.*s", eq + 1, (int)(eq - p), p);
	return 0;
}

static bool
batv_tag(const char *s, size_t n)
{
	if (n != 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i >= 4 && s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

void
greylist_sender(const struct addr *a, char *out, size_t len)
{
	char lp[ADDR_LOCAL_MAX + 1];
	const char *local = lp, *plus, *eq;
	size_t n;

	if (a->null || len == 0) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	for (n = 0; a->local[n] && n < sizeof(lp) - 1; n++)
		lp[n] = lower(a->local[n]);
	lp[n] = '\0';
	if (srs_original(lp, out, len) == 0)
		return;
	/* BATV: prvs=TAG=local, where TAG is K DDD SSSSSS (a key digit, three
	 * day digits, six hex digits); some signers put it last, prvs=local=TAG */
	if (strncmp(lp, "prvs=", 5) == 0 && (eq = strchr(lp + 5, '=')) != NULL && eq[1] != '\0') {
		if (batv_tag(lp + 5, (size_t)(eq - lp - 5)))
			local = eq + 1;
		else if (batv_tag(eq + 1, strlen(eq + 1))) {
			lp[eq - lp] = '\0'; /* the tag goes */
			local = lp + 5;
		}
	}
	if ((plus = strchr(local, '+')) != NULL && plus != local)
		n = (size_t)(plus - local);
	else
		n = strlen(local);
	snprintf(out, len, "%.*s%s%s", (int)n, local, a->domain[0] ? "@" : "", a->domain);
}

void
greylist_keys(const struct ipaddr *ip, int bits, const char *sender, const char *rcpt,
              struct store_key *triplet, struct store_key *net)
{
	store_key_init(net, "greynet");
	store_key_net(net, ip, bits);
	store_key_init(triplet, "grey");
	store_key_net(triplet, ip, bits);
	store_key_str(triplet, sender);
	store_key_str(triplet, rcpt);
}

/* the configured reply with {retry} replaced by the seconds to wait */
static void
retry_reply(const struct reply *r, int64_t retry, struct reply *out)
{
	const char *tok = strstr(r->text, "{retry}");

	*out = *r;
	if (tok != NULL)
		snprintf(out->text, sizeof(out->text), "%.*s%" PRId64 "%s", (int)(tok - r->text),
		         r->text, retry, tok + 7);
}

static void
log_decision(const struct conn *c, const char *what, const char *net, const char *sender,
             const char *rcpt, const char *detail)
{
	char line[2048], who[sizeof(c->hostname) + IP_TEXT_MAX + 4];
	size_t used;

	snprintf(who, sizeof(who), "%s[%s]", c->hostname, c->addr_text);
	used = (size_t)snprintf(line, sizeof(line), "qid=%s", c->qid[0] ? c->qid : "-");
	used = session_log_quoted(line, used, sizeof(line), "client", who);
	if (used < sizeof(line))
		used += (size_t)snprintf(line + used, sizeof(line) - used,
		                         " policy=%s stage=rcpt greylist=%s net=%s", c->pol->name,
		                         what, net);
	if (used >= sizeof(line))
		used = sizeof(line) - 1;
	used = session_log_quoted(line, used, sizeof(line), "sender", sender);
	used = session_log_quoted(line, used, sizeof(line), "to", rcpt);
	log_msg(LOG_INFO, "%s%s%s", line, detail[0] ? " " : "", detail);
}

/* why the client or sender is never greylisted, or NULL */
static const char *
exempt_reason(const struct conn *c)
{
	const struct policy *p = c->pol;

	if (c->trusted)
		return "trusted";
	if (c->msg.auth[0] != '\0')
		return "authenticated";
	if (p->dnsbl_zones.n > 0 && c->dnsbl_score <= p->dnsbl_allow_threshold)
		return "dnswl";
	if (c->allowlisted)
		return "client_access";
	if (c->msg.allowlisted)
		return "sender_access";
	if (!c->have_ip)
		return "no_address";
	return NULL;
}

static void
greylist_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	const struct msg *m = &c->msg;
	char sender[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2],
	    rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	char net[IP_TEXT_MAX + 8] = "-", detail[128], prefix[sizeof(m->rcpt_text) + 4];
	struct grey_params gp;
	int64_t now_ms;
	struct grey_result gr;
	struct store_key tk, nk;
	struct store *s;
	const char *why;
	struct reply reply;
	int line;

	(void)st;
	if (!p->greylist_enabled || !m->rcpt_parsed || m->rcpt.null)
		return;
	greylist_sender(&m->sender, sender, sizeof(sender));
	snprintf(rcpt, sizeof(rcpt), "%s@%s", m->rcpt.local, m->rcpt.domain);
	for (char *q = rcpt; *q; q++)
		*q = lower(*q);
	snprintf(prefix, sizeof(prefix), "<%s>: ", m->rcpt_text);
	if ((why = exempt_reason(c)) == NULL &&
	    (line = exempt_match(p->greylist_exemptions, &c->ip, c->hostname, sender, rcpt)) > 0) {
		snprintf(detail, sizeof(detail), "exemption=\"%s:%d\"", p->greylist_exemptions_path,
		         line);
		why = detail;
	} else if (why != NULL) {
		snprintf(detail, sizeof(detail), "exemption=%s", why);
	}
	if (c->have_ip) {
		int bits = (int)(c->ip.family == AF_INET ? p->greylist_ipv4_prefix
		                                         : p->greylist_ipv6_prefix);
		greylist_keys(&c->ip, bits, sender, rcpt, &tk, &nk);
		snprintf(net, sizeof(net), "%s", strchr(nk.s, '|') + 1);
	}
	if (why != NULL) {
		count(GREYLIST_EXEMPT);
		log_decision(c, "exempt", net, sender, rcpt, detail);
		return;
	}

	now_ms = store_now_ms();
	gp = (struct grey_params){.now = now_ms / 1000,
	                          .now_ms = now_ms,
	                          .delay = p->greylist_delay,
	                          .window = p->greylist_retry_window,
	                          .lifetime = p->greylist_lifetime,
	                          .auto_allow = p->greylist_auto_allow};
	if ((s = store_shared(c->cfg)) == NULL || store_grey(s, &tk, &nk, &gp, &gr) < 0) {
		count(GREYLIST_STORE_FAILURE);
		snprintf(detail, sizeof(detail), "store_failure=%s",
		         action_name(p->greylist_store_failure.action));
		log_decision(c, "store_failure", net, sender, rcpt, detail);
		verdict_set(v, "greylist_store_failure", &p->greylist_store_failure, prefix,
		            "the state store cannot answer");
		return;
	}
	switch (gr.state) {
	case GREY_PASSED:
	case GREY_ALLOWED:
		count(gr.state == GREY_PASSED ? GREYLIST_PASSED : GREYLIST_ALLOWED);
		snprintf(detail, sizeof(detail), "net_passes=%" PRId64, gr.passes);
		log_decision(c, gr.state == GREY_PASSED ? "passed" : "allowed", net, sender, rcpt,
		             detail);
		return;
	case GREY_NEW:
	case GREY_EARLY:
		count(gr.state == GREY_NEW ? GREYLIST_NEW : GREYLIST_EARLY);
		if (p->greylist.action == ACTION_DRYRUN)
			count(GREYLIST_DRYRUN);
		snprintf(detail, sizeof(detail), "retry_in=%" PRId64, gr.retry_in);
		log_decision(c, gr.state == GREY_NEW ? "new" : "early", net, sender, rcpt, detail);
		retry_reply(&p->greylist.reply, gr.retry_in, &reply);
		verdict_set_action(v, "greylist", p->greylist.action, &reply, prefix,
		                   gr.state == GREY_NEW ? "first delivery attempt"
		                                        : "retry too early");
		return;
	}
}

const struct check check_greylist = {
    .name = "greylist",
    .stages = STAGE_BIT(STAGE_RCPT),
    .exemptable = false, /* it logs its own exemptions (exempt_reason) */
    .run = greylist_run,
};
