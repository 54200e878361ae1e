/*
 * fromhdr.c - the domains of a From: header field (RFC 5322 3.4), for DMARC
 *
 * A mailbox list: "Name <u@d>", "u@d (comment)", quoted display names and
 * local parts with commas and '@' in them, groups ("list: a@b, c@d;"),
 * obsolete routes ("<@relay:u@d>").  Each address's domain is what follows
 * its last '@' outside quotes; it must be a domain name (an address
 * literal cannot be evaluated).  Anything unusable marks the field bad
 * rather than being guessed at.  Bounded by the field's length; never
 * reads past its end.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* The domain of one address spec (no angle brackets), into m. */
static void
add_address(const char *s, size_t n, struct auth_msg *m)
{
	char dom[256];
	size_t start = 0, dn = 0;
	bool quoted = false, have_at = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '@' && !quoted) {
			have_at = true;
			start = i + 1;
		} else if (s[i] == ':' && !quoted) {
			/* obsolete route "@a,@b:" before the address */
			have_at = false;
		}
	}
	if (!have_at) {
		m->from_bad = true;
		return;
	}
	for (size_t i = start; i < n && dn + 1 < sizeof(dom); i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		dom[dn++] = (char)tolower(ch);
	}
	dom[dn] = '\0';
	if (dn > 0 && dom[dn - 1] == '.')
		dom[--dn] = '\0';
	if (dn == 0 || !domain_syntax_ok(dom)) {
		m->from_bad = true;
		return;
	}
	for (unsigned i = 0; i < m->from_ndomains; i++)
		if (strcmp(m->from_domains[i], dom) == 0)
			return;
	if (m->from_ndomains >= FROM_DOMAINS_MAX) {
		m->from_bad = true;
		return;
	}
	snprintf(m->from_domains[m->from_ndomains++], sizeof(m->from_domains[0]), "%s", dom);
}

/*
 * One mailbox: the part inside its last angle brackets if there are any,
 * else the whole less comments.  s[0..n) has comments already blanked.
 */
static void
add_mailbox(const char *s, size_t n, struct auth_msg *m)
{
	size_t lt = n, gt = n;
	bool quoted = false;
	size_t a = 0, b = n;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '<')
			lt = i;
		else if (!quoted && s[i] == '>' && lt != n)
			gt = i;
	}
	if (lt != n) {
		if (gt == n || gt < lt) {
			m->from_bad = true;
			return;
		}
		a = lt + 1;
		b = gt;
	}
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	if (a == b) {
		/* "Name <>" or nothing at all between two commas */
		if (lt != n)
			m->from_bad = true;
		return;
	}
	add_address(s + a, b - a, m);
}

void
from_field_domains(const char *value, struct auth_msg *m)
{
	char buf[4096];
	size_t n = strlen(value), start = 0;
	int depth = 0;
	bool quoted = false, angle = false;
	unsigned before = m->from_ndomains;
	bool bad_before = m->from_bad;

	if (n >= sizeof(buf)) {
		m->from_bad = true;
		return;
	}
	/* blank out comments so commas and '@' in them do not count */
	memcpy(buf, value, n + 1);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\\' && i + 1 < n) {
			if (depth > 0)
				buf[i] = buf[i + 1] = ' ';
			i++;
			continue;
		}
		if (buf[i] == '"' && depth == 0)
			quoted = !quoted;
		else if (!quoted && buf[i] == '(')
			depth++;
		if (depth > 0) {
			if (!quoted && buf[i] == ')')
				depth--;
			buf[i] = ' ';
		}
	}
	if (quoted || depth > 0) {
		m->from_bad = true;
		return;
	}
	/* split at commas, group colons and semicolons outside quotes and brackets */
	for (size_t i = 0; i <= n; i++) {
		char ch = buf[i];
		if (ch == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (ch == '"')
			quoted = !quoted;
		if (quoted)
			continue;
		if (ch == '<')
			angle = true;
		else if (ch == '>')
			angle = false;
		if (angle && ch != '\0')
			continue;
		if (ch == ':') {
			/* a group's display name ends here */
			start = i + 1;
		} else if (ch == ',' || ch == ';' || ch == '\0') {
			add_mailbox(buf + start, i - start, m);
			start = i + 1;
		}
	}
	if (m->from_ndomains == before && !m->from_bad && !bad_before)
		m->from_bad = true; /* no address at all */
}
