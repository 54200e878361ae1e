/*
 * forwarder.c - the origin a forwarder's Received field names, and the
 * store keys of forwarder state (see forwarder.h)
 */
#include "forwarder.h"

#include <stdbool.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>

#include "session.h"
#include "store.h"

const char *
forwarder_kind_name(enum fwd_kind k)
{
	switch (k) {
	case FWD_LISTED:
		return "listed";
	case FWD_LEARNED:
		return "learned";
	default:
		return "none";
	}
}

/* a and b name the same host: case and one trailing dot aside */
static bool
same_name(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na > 0 && a[na - 1] == '.')
		na--;
	if (nb > 0 && b[nb - 1] == '.')
		nb--;
	return na > 0 && na == nb && strncasecmp(a, b, na) == 0;
}

static bool
names_client(const struct conn *c, const char *by)
{
	return (c->helo_seen && same_name(by, c->helo)) || same_name(by, c->hostname) ||
	       (c->iprev == IPREV_PASS && same_name(by, c->ptr_name));
}

int
forwarder_origin(const struct conn *c, struct received_from *out)
{
	const struct msg *m = &c->msg;
	unsigned i = 0;

	if (!c->have_ip || m->nreceived == 0)
		return -1;
	/* the MTA's own field: from the client, by us */
	if (received_parse(m->received[0], strlen(m->received[0]), out) == 0 &&
	    ip_equal(&out->addr, &c->ip))
		i = 1;
	if (i >= m->nreceived)
		return -1;
	if (received_parse(m->received[i], strlen(m->received[i]), out) != 0)
		return -1;
	/* the client naming itself is no hop beyond it */
	return names_client(c, out->by) && !ip_equal(&out->addr, &c->ip) ? 0 : -1;
}

void
forwarder_key(const struct ipaddr *x, const char *ns, const char *domain, struct store_key *k)
{
	store_key_init(k, ns);
	store_key_net(k, x, x->family == AF_INET6 ? 128 : 32);
	if (domain != NULL)
		store_key_str(k, domain);
}
