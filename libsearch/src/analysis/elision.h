/*
 * elision.h - French elisions: the article or pronoun glued to the next word
 * by an apostrophe (l'Organisation, d'un, qu'il, jusqu'à, lorsqu'on).
 *
 * ICU keeps "l'Organisation" as one word (an apostrophe between letters does
 * not break a word in UAX #29), so the analyzer strips the elided prefix
 * itself. Only the closed list below is stripped, so "aujourd'hui" and
 * "prud'homme" stay whole.
 */
#ifndef LS_ELISION_H
#define LS_ELISION_H

#include <stddef.h>

/* Bytes of the elided prefix (letters and apostrophe) at the start of the
 * word w[0, n), or 0. The apostrophe may be ' (U+0027), ’ (U+2019) or
 * ʼ (U+02BC); letters match in any case. Something must follow it. */
size_t ls_elision_len(const char *w, size_t n);

#endif
