/*
 * attribution.h: the distinct paths that the data-driven attribution models
 * (attribution_markov.c, attribution_shapley.c) aggregate.
 */
#ifndef CJO_ATTRIBUTION_H
#define CJO_ATTRIBUTION_H

#include "postgres.h"

#include "fmgr.h"

typedef struct AttrPath
{
	int			n;
	int		   *channels;		/* channel numbers in time order */
	double		conversions;	/* times the path ended in a conversion */
	double		nulls;			/* times it ended without one */
	double		value;			/* value of those conversions */
} AttrPath;

typedef struct AttrState
{
	int			nchannels;
	int			capchannels;
	char	  **names;			/* channel number -> name, in order of first sight */
	int			npaths;
	int			cappaths;
	AttrPath   *paths;
} AttrState;

/* {channel: value} or {channel: [conversions, value]} as jsonb. */
extern Datum attribution_jsonb(const AttrState *st, const double *first, const double *second);

#endif
