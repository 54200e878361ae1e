/*
 * fwdlearn.c - forwarders learned from DKIM (see fwdlearn.h; the rule as
 * a postmaster reads it is in doorman.conf(5), FORWARDERS)
 *
 * Why the counters are what they are: a message is one piece of evidence
 * however many domains signed it ("fwdev"), and a domain adds to the
 * distinct count once per window: its own counter ("fwdd|X|D") says
 * whether this is its first message, so the distinct count ("fwdnd") is
 * one more counter, not a set to read back.  Each counter's window is
 * fixed from its own first message (store_counts), so when the client's
 * window turns over, a domain whose counter was made later is not counted
 * again until its own window ends: the distinct count may lag, never
 * run ahead.
 */
#include "fwdlearn.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "auth.h"
#include "config.h"
#include "forwarder.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "store.h"

static bool
enabled(const struct config *cfg)
{
	return cfg->fwd_learn && cfg->store_configured;
}

bool
fwdlearn_known(struct conn *c)
{
	struct store_key k;
	struct store_val v;
	struct store *s;
	int r;

	if (!enabled(c->cfg) || !c->have_ip)
		return false;
	metrics_count(MC_FWD_LOOKUPS);
	forwarder_key(&c->ip, "fwd", NULL, &k);
	if ((s = store_shared(c->cfg)) == NULL || (r = store_get(s, &k, &v)) == STORE_TEMPFAIL) {
		metrics_count(MC_FWD_STORE_FAILURES);
		store_log_failure("fwdlearn store_failure=lookup client=%s", c->addr_text);
		return false;
	}
	return r == STORE_FOUND;
}

int
fwdlearn_count(struct store *s, const struct fwdlearn_params *p, const struct ipaddr *x,
               const char *const *domains, size_t n, int64_t now, struct fwdlearn_tally *t)
{
	struct store_key kev, knd, kd[FWDLEARN_DOMAINS_MAX], kfwd;
	struct store_count cn[FWDLEARN_DOMAINS_MAX + 2];
	struct store_val v;
	int64_t fresh = 0;
	int r;

	memset(t, 0, sizeof(*t));
	if (n == 0 || n > FWDLEARN_DOMAINS_MAX)
		return -1;
	forwarder_key(x, "fwdev", NULL, &kev);
	forwarder_key(x, "fwdnd", NULL, &knd);
	cn[0] = (struct store_count){.key = &kev, .ttl = p->window, .by = 1};
	cn[1] = (struct store_count){.key = &knd, .ttl = p->window, .by = 0};
	for (size_t i = 0; i < n; i++) {
		forwarder_key(x, "fwdd", domains[i], &kd[i]);
		cn[2 + i] = (struct store_count){.key = &kd[i], .ttl = p->window, .by = 1};
	}
	if (store_counts(s, cn, n + 2) < 0)
		goto fail;
	t->messages = cn[0].count;
	t->domains = cn[1].count;
	for (size_t i = 0; i < n; i++)
		fresh += cn[2 + i].count == 1;
	if (fresh > 0 && store_incr(s, &knd, p->window, fresh, &t->domains) < 0)
		goto fail;

	forwarder_key(x, "fwd", NULL, &kfwd);
	if ((r = store_get(s, &kfwd, &v)) == STORE_TEMPFAIL)
		goto fail;
	if (r == STORE_FOUND && v.n >= 1 && v.f[0] > 0) {
		/* a learned forwarder: each evidence message renews it */
		t->learned = true;
	} else if (t->messages >= p->min_messages && t->domains >= p->min_domains) {
		t->learned = t->newly = true;
		v.f[0] = now;
	}
	if (!t->learned)
		return 0;
	v.f[1] = now;
	v.f[2] = t->messages;
	v.f[3] = t->domains;
	v.n = 4;
	if (store_put(s, &kfwd, &v, p->lifetime) < 0) {
		t->learned = t->newly = false;
		goto fail;
	}
	return 0;
fail:
	metrics_count(MC_FWD_STORE_FAILURES);
	return -1;
}

/* D's SPF for the address ip, identity postmaster@D (helo: for %{h}) */
static enum auth_result
spf_for(struct conn *c, const char *ip, const char *helo, const char *d)
{
	struct spf_fact f;
	char who[300];

	snprintf(who, sizeof(who), "postmaster@%s", d);
	spf_check_mailfrom(c, ip, helo, who, &f);
	return f.result;
}

/* the distinct organizational domains of the passing signatures, lower
 * case, with the first d= of each (whose SPF is asked): how many */
static size_t
signing_domains(const struct auth_msg *a, char org[][256], const char **d)
{
	size_t n = 0;

	for (int i = 0; i < a->nsigs && i < DKIM_SIGS_KEPT && n < FWDLEARN_DOMAINS_MAX; i++) {
		char o[256];
		size_t j;
		if (a->sigs[i].result != AUTH_PASS || a->sigs[i].d[0] == '\0')
			continue;
		org_domain(a->sigs[i].d, o, sizeof(o));
		for (char *q = o; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		for (j = 0; j < n && strcmp(org[j], o) != 0; j++)
			;
		if (j < n || o[0] == '\0')
			continue;
		memcpy(org[n], o, sizeof(o));
		d[n++] = a->sigs[i].d;
	}
	return n;
}

/* the MAIL FROM SPF already passed for X in the organization of D */
static bool
mailfrom_passed(const struct auth_msg *a, const char *org)
{
	char o[256];

	if (a->spf_mailfrom.result != AUTH_PASS || a->spf_mailfrom.domain[0] == '\0')
		return false;
	org_domain(a->spf_mailfrom.domain, o, sizeof(o));
	return strcasecmp(o, org) == 0;
}

void
fwdlearn_evidence(struct conn *c)
{
	const struct config *cfg = c->cfg;
	struct auth_msg *a = &c->msg.au;
	struct received_from y;
	char org[FWDLEARN_DOMAINS_MAX][256], yip[IP_TEXT_MAX];
	const char *d[FWDLEARN_DOMAINS_MAX], *ev[FWDLEARN_DOMAINS_MAX];
	const char *helo = c->helo_seen ? c->helo : "";
	struct fwdlearn_params p = {cfg->fwd_min_messages, cfg->fwd_min_domains, cfg->fwd_window,
	                            cfg->fwd_lifetime};
	struct fwdlearn_tally t;
	struct store *s;
	size_t n, nev = 0;
	long long deadline;

	if (!enabled(cfg) || !c->have_ip || c->trusted || c->msg.auth[0] != '\0' ||
	    session_tracing(c))
		return;
	/* cheapest first: no passing signature, or no hop X recorded, is no
	 * evidence whatever SPF says */
	if ((n = signing_domains(a, org, d)) == 0 || forwarder_origin(c, &y) < 0)
		return;
	ip_format(&y.addr, yip, sizeof(yip));
	/* SPF's DNS runs within its own deadline: the one MAIL set is spent */
	deadline = a->spf_deadline;
	a->spf_deadline = auth_now_ms() + cfg->resolver_timeout;
	for (size_t i = 0; i < n; i++) {
		if (mailfrom_passed(a, org[i]))
			continue; /* X is authorised: no DNS needed */
		enum auth_result rx = spf_for(c, c->addr_text, helo, d[i]);
		/* pass: X is authorised; temperror: unknown, so no evidence */
		if (rx == AUTH_PASS || rx == AUTH_TEMPERROR ||
		    spf_for(c, yip, y.helo, d[i]) != AUTH_PASS)
			continue;
		ev[nev++] = org[i];
	}
	a->spf_deadline = deadline;
	if (nev == 0)
		return;
	metrics_count(MC_FWD_EVIDENCE);
	if ((s = store_shared(cfg)) == NULL ||
	    fwdlearn_count(s, &p, &c->ip, ev, nev, store_now(), &t) < 0) {
		if (s == NULL)
			metrics_count(MC_FWD_STORE_FAILURES);
		/* one line per message, as a rule's store_failure is (the
		 * backend's own line is kept to one a second) */
		log_msg(LOG_WARNING, "fwdlearn store_failure=evidence client=%s origin=%s",
		        c->addr_text, yip);
		return;
	}
	for (size_t i = 0; i < nev; i++)
		log_msg(LOG_INFO,
		        "forwarder_evidence client=%s origin=%s domain=%s messages=%" PRId64
		        " domains=%" PRId64,
		        c->addr_text, yip, ev[i], t.messages, t.domains);
	if (t.newly) {
		metrics_count(MC_FWD_LEARNED);
		log_msg(LOG_INFO,
		        "forwarder_learned client=%s messages=%" PRId64 " domains=%" PRId64,
		        c->addr_text, t.messages, t.domains);
	}
}
