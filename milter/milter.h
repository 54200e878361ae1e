/*
 * milter.h - the libmilter side of doorman
 *
 * milter_register() hands libmilter the callback table; every callback
 * copies what libmilter lends it into the engine's connection object
 * (lib/session.h), runs one stage, and turns the verdict into a milter
 * return in milter_answer(), the only place that does so.
 */
#ifndef DOORMAN_MILTER_H
#define DOORMAN_MILTER_H

int milter_register(void);

#endif
