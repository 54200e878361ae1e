/*
 * milter.h - doorman's milter callbacks
 *
 * milter_filter is the callback table the chosen engine serves
 * (milter/proto.h, milter/engine.h):
 * every callback copies what the protocol engine lends it into the
 * engine's connection object (lib/session.h), runs one stage, and turns
 * the verdict into an answer in milter_answer(), the only place that does
 * so.
 */
#ifndef DOORMAN_MILTER_H
#define DOORMAN_MILTER_H

#include "proto.h"

struct dns;
struct engine;

extern const struct pfilter milter_filter;
/* milter_set_dns - the resolver every connection uses; set once before
 * serving, read-only afterwards. */
void milter_set_dns(struct dns *d);
/* milter_set_engine - the engine serving milter_filter (engine.h), whose
 * operations the callbacks use; set once before serving (default: native). */
void milter_set_engine(const struct engine *e);

#endif
