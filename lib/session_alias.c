/*
 * session_alias.c - alias rewriting of a message's recipients (see session.h)
 *
 * Recipients are validated at RCPT as the client wrote them (check_rcpt.c);
 * only those accepted are kept, and only when the policy has an alias
 * map.  At end of message each kept recipient is expanded (alias.h); one
 * with an entry is deleted, unless its expansion keeps a copy of itself,
 * and its final addresses are added, each once per message: an address
 * that is already a recipient, or was added for another one, is not
 * added again.  Adding and deleting recipients is what the milter
 * protocol offers at end of message only, hence the keeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session.h"
#include "xalloc.h"

void
session_keep_rcpt(struct conn *c, const char *raw)
{
	struct msg *m = &c->msg;
	char addr[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];

	if ((c->pol->rcpt_aliases == NULL && !m->rcpt_rewritten) || !m->rcpt_parsed ||
	    m->rcpt.domain[0] == '\0')
		return;
	snprintf(addr, sizeof(addr), "%s@%s", m->rcpt.local, m->rcpt.domain);
	m->kept = xreallocarray(m->kept, m->nkept + 1, sizeof(*m->kept));
	m->kept[m->nkept].raw = xstrdup(raw ? raw : "");
	m->kept[m->nkept].addr = xstrdup(addr);
	m->kept[m->nkept].rewritten = m->rcpt_rewritten;
	m->nkept++;
}

void
session_kept_free(struct msg *m)
{
	for (size_t i = 0; i < m->nkept; i++) {
		free(m->kept[i].raw);
		free(m->kept[i].addr);
	}
	free(m->kept);
	m->kept = NULL;
	m->nkept = 0;
}

static void
fail(struct conn *c, struct verdict *v, const char *rcpt, const char *why)
{
	static const struct reply r = { 451, "4.3.0", "Recipient rewriting failed, try again later", 0 };

	verdict_set_action(v, "alias", ACTION_TEMPFAIL, &r, NULL, why);
	session_log(c, STAGE_EOM, v, rcpt);
}

/* the edits of kept recipient k, whose final addresses are exp; 0 or -1 */
static int
rewrite_one(struct conn *c, const struct kept_rcpt *k, const struct alias_list *exp,
	    const struct alias_list *present, struct alias_list *added, rcpt_edit_fn edit, void *arg)
{
	char reason[1024] = "rewritten to", bracketed[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 4];
	struct verdict ok = { .action = ACTION_ACCEPT, .rule = "alias", .reason = reason };
	size_t used = strlen(reason);

	if ((k->rewritten || !alias_list_has(exp, k->addr)) && edit(arg, k->raw, false) < 0)
		return -1;
	for (size_t j = 0; j < exp->n; j++) {
		const char *t = exp->v[j];
		if (used + 2 < sizeof(reason))
			used += (size_t)snprintf(reason + used, sizeof(reason) - used, "%s %s", j ? "," : "", t);
		if (alias_list_has(present, t) || alias_list_has(added, t))
			continue;
		snprintf(bracketed, sizeof(bracketed), "<%s>", t);
		if (edit(arg, bracketed, true) < 0)
			return -1;
		alias_list_add(added, t);
	}
	session_log(c, STAGE_EOM, &ok, k->addr);
	return 0;
}

void
session_rewrite_rcpts(struct conn *c, rcpt_edit_fn edit, void *arg, struct verdict *v)
{
	const struct policy *p = c->pol;
	struct msg *m = &c->msg;
	struct alias_list present = { 0 }, added = { 0 }, *exp;
	const char *why;
	int *rc;

	if (m->nkept == 0)
		return;
	exp = xcalloc(m->nkept, sizeof(*exp));
	rc = xcalloc(m->nkept, sizeof(*rc));
	/* first what stays: recipients without an entry, and copies kept of themselves */
	for (size_t i = 0; i < m->nkept; i++) {
		rc[i] = p->rcpt_aliases == NULL ? 0 :
			alias_expand(p->rcpt_aliases, m->kept[i].addr, p->rcpt_separators, &exp[i], &why);
		if (rc[i] < 0) {
			fail(c, v, m->kept[i].addr, why);
			goto out;
		}
		if (m->kept[i].rewritten && rc[i] == 0) {
			/* an untagged BATV or SRS recipient: the MTA has it tagged */
			alias_list_add(&exp[i], m->kept[i].addr);
			rc[i] = 1;
		} else if (!m->kept[i].rewritten &&
			   (rc[i] == 0 || alias_list_has(&exp[i], m->kept[i].addr))) {
			alias_list_add(&present, m->kept[i].addr);
		}
	}
	for (size_t i = 0; i < m->nkept; i++) {
		if (rc[i] == 1 &&
		    rewrite_one(c, &m->kept[i], &exp[i], &present, &added, edit, arg) < 0) {
			fail(c, v, m->kept[i].addr, "the MTA refused a recipient change");
			goto out;
		}
	}
	/* SRS: an address added by an alias leaves our domains */
	for (size_t j = 0; j < added.n && !m->srs_needed; j++) {
		const char *at = strrchr(added.v[j], '@');
		m->srs_needed = at != NULL && !domlist_match(&c->cfg->local_domains, at + 1);
	}
out:
	for (size_t i = 0; i < m->nkept; i++)
		alias_list_free(&exp[i]);
	free(exp);
	free(rc);
	alias_list_free(&present);
	alias_list_free(&added);
}
