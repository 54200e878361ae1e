/*
 * check_helo.c - HELO/EHLO checks
 *
 * At HELO: syntax (a host name or an address literal [192.0.2.1] /
 * [IPv6:2001:db8::1]), fully qualified (a dot in the name; a bare address
 * is not a name), and impersonation (a name in me.hostnames or a local
 * domain, or a literal of one of our addresses).  At MAIL: a client that
 * never said HELO.  A new HELO on the same connection replaces the old
 * name and its verdict (session.c).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "domlist.h"

/* An address literal or bare address in name, as an ipaddr; false if none. */
static bool
helo_address(const char *name, struct ipaddr *ip, bool *bracketed)
{
	char buf[IP_TEXT_MAX + 8];
	size_t len = strlen(name);
	const char *p = name;

	*bracketed = false;
	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		*bracketed = true;
		p = name + 1;
		len -= 2;
		if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
			p += 5;
			len -= 5;
		}
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return ip_parse(buf, ip) == 0;
}

static bool
is_me(const struct conn *c, const char *name, const struct ipaddr *ip, bool is_ip)
{
	const struct config *cfg = c->cfg;

	if (is_ip)
		return cidrlist_match(&cfg->me_addresses, ip) >= 0 ||
		       (c->have_daemon_ip && ip_equal(&c->daemon_ip, ip));
	return strlist_has_nocase(&cfg->me_hostnames, name) || domlist_match(&cfg->local_domains, name);
}

static void
helo_run(struct conn *c, enum stage st, struct verdict *v)
{
	const struct policy *p = c->pol;
	char name[sizeof(c->helo)];
	struct ipaddr ip;
	bool bracketed, is_ip;
	size_t len;

	if (st == STAGE_MAIL) {
		if (!c->helo_seen)
			verdict_set(v, "helo_required", &p->helo_required, NULL, "no HELO/EHLO");
		return;
	}
	len = strlen(c->helo);
	for (size_t i = 0; i <= len; i++)
		name[i] = (char)tolower((unsigned char)c->helo[i]);
	is_ip = helo_address(name, &ip, &bracketed);
	if (!is_ip && len > 1 && name[len - 1] == '.')
		name[--len] = '\0';
	/* a name longer than DNS allows (also one cut to fit c->helo) */
	if (len == 0 || len > 253 || (name[0] == '[' && !is_ip) ||
	    (!is_ip && !domain_syntax_ok(name))) {
		verdict_set(v, "helo_syntax", &p->helo_syntax, NULL, "invalid HELO name");
		return;
	}
	if (is_me(c, name, &ip, is_ip)) {
		verdict_set(v, "helo_self", &p->helo_self, NULL, "HELO claims to be this server");
		return;
	}
	if ((is_ip && !bracketed) || (!is_ip && strchr(name, '.') == NULL))
		verdict_set(v, "helo_fqdn", &p->helo_fqdn, NULL, "HELO name not fully qualified");
}

const struct check check_helo = {
	.name = "helo",
	.stages = STAGE_BIT(STAGE_HELO) | STAGE_BIT(STAGE_MAIL),
	.exemptable = true,
	.run = helo_run,
};
