/*
 * reply.c - the one place replies are built and checked
 *
 * reply_parse() validates configured replies at load time; reply_build()
 * makes the reply that is sent, so that whatever a rule or an access file
 * says, the code class agrees with the action and with the enhanced code,
 * the text is printable, and the line fits in RFC 5321's 512 octets.
 * Everything here is pure and reentrant.
 */
#include "reply.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const action_names[] = {
	[ACTION_CONTINUE] = "continue",
	[ACTION_ACCEPT] = "accept",
	[ACTION_REJECT] = "reject",
	[ACTION_TEMPFAIL] = "tempfail",
	[ACTION_DRYRUN] = "dryrun",
};

const char *
action_name(enum action a)
{
	if ((size_t)a < sizeof(action_names) / sizeof(action_names[0]))
		return action_names[a];
	return "?";
}

int
action_parse(const char *s, enum action *out)
{
	/* "continue" is internal: a rule that does nothing is "accept". */
	for (size_t i = ACTION_ACCEPT; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcasecmp(s, action_names[i]) == 0) {
			*out = (enum action)i;
			return 0;
		}
	if (strcasecmp(s, "ok") == 0) {
		*out = ACTION_ACCEPT;
		return 0;
	}
	if (strcasecmp(s, "defer") == 0) {
		*out = ACTION_TEMPFAIL;
		return 0;
	}
	return -1;
}

/* "d.ddd.ddd": class 2, 4 or 5; subject 0-999; detail 0-999 (RFC 3463). */
static bool
ecode_valid(const char *e)
{
	int parts = 0;
	const char *p = e;

	if (*p != '2' && *p != '4' && *p != '5')
		return false;
	for (;;) {
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || (parts == 0 && digits != 1))
			return false;
		parts++;
		if (*p == '\0')
			break;
		if (*p != '.')
			return false;
		p++;
	}
	return parts == 3;
}

static bool
text_printable(const char *t)
{
	for (; *t; t++)
		if (*t < 0x20 || *t > 0x7e)
			return false;
	return true;
}

int
reply_parse(const char *s, struct reply *r, char *why, size_t whylen)
{
	const char *p = s, *e;
	size_t elen;

	memset(r, 0, sizeof(*r));
	if (!(isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	      isdigit((unsigned char)p[2]) && p[3] == ' ')) {
		snprintf(why, whylen, "reply \"%s\" must start with a 3-digit code and a space", s);
		return -1;
	}
	r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (r->code < 400 || r->code > 599) {
		snprintf(why, whylen, "reply code %d is not a 4xx or 5xx code", r->code);
		return -1;
	}
	p += 4;
	e = p;
	while (*p && *p != ' ')
		p++;
	elen = (size_t)(p - e);
	if (elen == 0 || elen >= REPLY_ECODE_MAX) {
		snprintf(why, whylen, "reply \"%s\" lacks an enhanced status code", s);
		return -1;
	}
	memcpy(r->ecode, e, elen);
	r->ecode[elen] = '\0';
	if (!ecode_valid(r->ecode)) {
		snprintf(why, whylen, "\"%s\" is not an enhanced status code (RFC 3463 x.y.z)", r->ecode);
		return -1;
	}
	if (r->ecode[0] != s[0]) {
		snprintf(why, whylen, "enhanced code %s does not agree with reply code %d", r->ecode, r->code);
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		snprintf(why, whylen, "reply \"%s\" has no text", s);
		return -1;
	}
	if (!text_printable(p)) {
		snprintf(why, whylen, "reply text must be printable ASCII");
		return -1;
	}
	if (strlen(p) > REPLY_TEXT_MAX) {
		snprintf(why, whylen, "reply text longer than %d characters", REPLY_TEXT_MAX);
		return -1;
	}
	strcpy(r->text, p);
	return 0;
}

enum action
reply_class_action(const struct reply *r)
{
	return r->code >= 500 ? ACTION_REJECT : ACTION_TEMPFAIL;
}

bool
reply_agrees(enum action a, const struct reply *r)
{
	if (a == ACTION_REJECT)
		return r->code >= 500 && r->code <= 599;
	if (a == ACTION_TEMPFAIL)
		return r->code >= 400 && r->code <= 499;
	return true;
}

/* Copy printable bytes of src to dst (at most room-1 bytes), '?' for others. */
static size_t
append_printable(char *dst, size_t used, size_t room, const char *src)
{
	for (; *src && used + 1 < room; src++)
		dst[used++] = (*src >= 0x20 && *src <= 0x7e) ? *src : '?';
	dst[used] = '\0';
	return used;
}

void
reply_build(enum action a, const struct reply *configured, const char *prefix,
	    struct reply *out)
{
	static const struct reply fallback_reject = { 550, "5.7.1", "Rejected by policy", 0 };
	static const struct reply fallback_tempfail = { 451, "4.3.0", "Temporary failure, try again later", 0 };
	char want = a == ACTION_TEMPFAIL ? '4' : '5';
	const struct reply *in = configured;
	size_t used = 0, room;

	if (in == NULL || in->code == 0)
		in = a == ACTION_TEMPFAIL ? &fallback_tempfail : &fallback_reject;
	*out = *in;
	out->line = 0;
	if ('0' + out->code / 100 != want)
		out->code = (want - '0') * 100 + out->code % 100;
	/* a changed class can give a code RFC 5321 does not define (504 -> 404):
	 * then the class's general code */
	if (out->code != in->code) {
		if (want == '4' && out->code != 450 && out->code != 452 && out->code != 454)
			out->code = 451;
		if (want == '5' && out->code != 550 && out->code != 552 && out->code != 554)
			out->code = 550;
	}
	if (out->code == 421)
		out->code = 451; /* 421 would close the session */
	if (!ecode_valid(out->ecode))
		strcpy(out->ecode, want == '4' ? "4.7.1" : "5.7.1");
	out->ecode[0] = want;

	/* "NNN " + ecode + " " + prefix + text, printable, within the line */
	room = REPLY_LINE_MAX - 4 - strlen(out->ecode) - 1 + 1;
	if (room > sizeof(out->text))
		room = sizeof(out->text);
	out->text[0] = '\0';
	if (prefix != NULL)
		used = append_printable(out->text, used, room, prefix);
	append_printable(out->text, used, room, in->text);
}

void
reply_format(const struct reply *r, char *buf, size_t len)
{
	snprintf(buf, len, "%03d %s %s", r->code, r->ecode, r->text);
}

void
verdict_set_action(struct verdict *v, const char *rule_name, enum action a,
		   const struct reply *r, const char *prefix, const char *reason)
{
	memset(v, 0, sizeof(*v));
	/* a rule set to accept does nothing: it must not end the stage the way
	 * an allowlisting (an access entry, a DNSWL score) does */
	if (a == ACTION_ACCEPT)
		return;
	v->action = a;
	v->rule = rule_name;
	v->reason = reason;
	if (a == ACTION_DRYRUN)
		v->would = r != NULL && r->code != 0 ? reply_class_action(r) : ACTION_REJECT;
	if (a == ACTION_REJECT || a == ACTION_TEMPFAIL || a == ACTION_DRYRUN)
		reply_build(a == ACTION_DRYRUN ? v->would : a, r, prefix, &v->reply);
}

void
verdict_set(struct verdict *v, const char *rule_name, const struct rule *rule,
	    const char *prefix, const char *reason)
{
	verdict_set_action(v, rule_name, rule->action, &rule->reply, prefix, reason);
}
