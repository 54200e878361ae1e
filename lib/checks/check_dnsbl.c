/*
 * check_dnsbl.c - DNS lists: DNSBL/DNSWL on the client address at connect,
 * RHSBL on the sender domain and the HELO name at MAIL
 *
 * As postscreen does: every zone of the policy is asked at once (one
 * round trip), each listing zone adds its weight once, allowlists weigh
 * negative.  A score at or above the threshold takes the rule's action,
 * with the listing zones and the first TXT reason put before the reply; a
 * DNSBL score at or below dnsbl.allow_threshold allowlists the client for
 * the client, HELO and sender checks.  An answer outside a zone's filter
 * (127.255.255.x "query refused", say) is logged and never counts.  Zones
 * that did not answer are a temporary failure only when their weights
 * could have reached the threshold: "not listed" is never assumed.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log.h"

/* struct dnsbl_result: check.h */

/*
 * Ask every zone about each subject ("7.2.0.192" or "example.com"), A
 * records only, in one round.  The TXT reason is fetched afterwards, and
 * only when the score reaches the threshold: an unlisted client (nearly
 * all of them) costs one query per zone, never two.
 */
static void
bl_ask(struct conn *c, const struct zonelist *zones, const char *const *subjects, int nsub,
       long threshold, struct dnsbl_result *res)
{
	struct dns_batch *b = session_dns(c);
	int idx[64][2];
	size_t nz = zones->n < 64 ? zones->n : 64;
	char name[512], first[512] = "";
	const char *first_zone = NULL;

	memset(res, 0, sizeof(*res));
	for (size_t z = 0; z < nz; z++)
		for (int s = 0; s < nsub; s++) {
			snprintf(name, sizeof(name), "%s.%s", subjects[s], zones->v[z].zone);
			idx[z][s] = dns_batch_add_zone(b, name, DNS_TYPE_A, zones->v[z].zone);
		}
	session_dns_done(c, b);
	for (size_t z = 0; z < nz; z++) {
		const struct bl_zone *zone = &zones->v[z];
		bool listed = false, unknown = false;

		for (int s = 0; s < nsub && !listed; s++) {
			const struct dns_answer *a = dns_batch_answer(b, idx[z][s]);

			if (a->status == DNS_TEMPFAIL) {
				unknown = true;
				continue;
			}
			for (int r = 0; r < a->nrr && !listed; r++) {
				if (bl_zone_accepts(zone, a->rr[r]))
					listed = true;
				else
					log_msg(LOG_INFO,
						"client=\"%s[%s]\" dnsbl zone=%s query=%s.%s answer=%s "
						"ignored: outside the zone's filter",
						c->hostname, c->addr_text, zone->zone, subjects[s], zone->zone,
						a->rr[r]);
			}
			if (listed && first[0] == '\0' && zone->weight > 0)
			{
				snprintf(first, sizeof(first), "%s.%s", subjects[s], zone->zone);
				first_zone = zone->zone;
			}
		}
		if (listed) {
			size_t used = strlen(res->listed);
			res->score += zone->weight;
			snprintf(res->listed + used, sizeof(res->listed) - used, "%s%s", used ? ", " : "",
				 zone->zone);
		} else if (unknown && zone->weight > 0) {
			res->unknown += zone->weight;
		}
	}
	dns_batch_free(b);
	if (res->score >= threshold && first[0] != '\0') {
		const struct dns_answer *t;
		b = session_dns(c);
		dns_batch_add_zone(b, first, DNS_TYPE_TXT, first_zone);
		session_dns_done(c, b);
		if ((t = dns_batch_answer(b, 0))->status == DNS_FOUND)
			snprintf(res->txt, sizeof(res->txt), "%s", t->rr[0]);
		dns_batch_free(b);
	}
}

static void
decide(const struct dnsbl_result *res, long threshold, const struct rule *hit,
       const struct rule *tempfail, const char *rule, const char *who, struct verdict *v)
{
	char prefix[1024]; /* reply_build() cuts it to fit the reply line */

	if (res->score >= threshold) {
		snprintf(prefix, sizeof(prefix), "%s listed by %s%s%s: ", who, res->listed,
			 res->txt[0] ? ": " : "", res->txt);
		verdict_set(v, rule, hit, prefix, "listed");
	} else if (res->score + res->unknown >= threshold) {
		verdict_set(v, rule, tempfail, NULL, "dns_tempfail");
	}
}

void
dnsbl_lookup(struct conn *c, const struct ipaddr *ip, struct dnsbl_result *res)
{
	const struct policy *p = c->pol;
	char rev[80];
	const char *subject[1] = { rev };

	memset(res, 0, sizeof(*res));
	if (c->dns == NULL || p->dnsbl_zones.n == 0)
		return;
	/* the reversed address without the zone: bl_query_ip with an empty zone */
	bl_query_ip(ip, "", rev, sizeof(rev));
	rev[strlen(rev) - 1] = '\0';
	bl_ask(c, &p->dnsbl_zones, subject, 1, p->dnsbl_threshold, res);
}

void
dnsbl_decide(struct conn *c, const struct dnsbl_result *res, const char *addr_text,
	     struct verdict *v)
{
	const struct policy *p = c->pol;
	char who[IP_TEXT_MAX + 4];

	snprintf(who, sizeof(who), "[%s]", addr_text);
	decide(res, p->dnsbl_threshold, &p->dnsbl, &p->dnsbl_tempfail, "dnsbl", who, v);
}

static void
dnsbl_connect(struct conn *c, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct dnsbl_result res;

	if (!c->have_ip || c->dns == NULL || p->dnsbl_zones.n == 0)
		return;
	if (c->fwd != FWD_NONE) {
		/* a forwarder: the origin's score is weighed at end of message */
		struct verdict d = { .action = ACTION_CONTINUE, .rule = "dnsbl" };
		char why[64];

		snprintf(why, sizeof(why), "dnsbl=deferred forwarder=%s", forwarder_kind_name(c->fwd));
		trace_skip(c->trace, why);
		d.reason = why;
		if (c->cfg->log_accepts)
			session_log(c, STAGE_CONNECT, &d, NULL);
		return;
	}
	dnsbl_lookup(c, &c->ip, &res);
	c->dnsbl_score = res.score;
	if (res.score <= p->dnsbl_allow_threshold && res.unknown == 0) {
		c->allowlisted = true;
		v->action = ACTION_ACCEPT;
		v->rule = "dnswl";
		return;
	}
	dnsbl_decide(c, &res, c->addr_text, v);
}

static void
rhsbl_mail(struct conn *c, struct verdict *v)
{
	const struct policy *p = c->pol;
	const struct msg *m = &c->msg;
	const char *subjects[2];
	char helo[sizeof(c->helo)], who[600];
	int n = 0;
	struct dnsbl_result res;

	if (c->dns == NULL || p->rhsbl_zones.n == 0)
		return;
	if (m->sender_parsed && !m->sender.null && !m->sender.ip_literal && m->sender.domain[0])
		subjects[n++] = m->sender.domain;
	if (c->helo_seen && domain_syntax_ok(c->helo) && strchr(c->helo, '.') != NULL) {
		snprintf(helo, sizeof(helo), "%s", c->helo);
		subjects[n++] = helo;
	}
	if (n == 0)
		return;
	bl_ask(c, &p->rhsbl_zones, subjects, n, p->rhsbl_threshold, &res);
	snprintf(who, sizeof(who), "<%s>", m->sender_text);
	decide(&res, p->rhsbl_threshold, &p->rhsbl, &p->rhsbl_tempfail, "rhsbl", who, v);
}

static void
dnsbl_run(struct conn *c, enum stage st, struct verdict *v)
{
	(void)st;
	dnsbl_connect(c, v);
}

static void
rhsbl_run(struct conn *c, enum stage st, struct verdict *v)
{
	(void)st;
	rhsbl_mail(c, v);
}

const struct check check_dnsbl = {
	.name = "dnsbl",
	.stages = STAGE_BIT(STAGE_CONNECT),
	.exemptable = true,
	.run = dnsbl_run,
};

/* after the sender checks: an allowlisted sender is not looked up */
const struct check check_rhsbl = {
	.name = "rhsbl",
	.stages = STAGE_BIT(STAGE_MAIL),
	.exemptable = true,
	.run = rhsbl_run,
};
