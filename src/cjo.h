/*
 * cjo.h: the engine's shared types.
 *
 * A batch (one INSERT statement's events, or one round of a sweep) works on
 * customers.  Each customer's journey states are loaded once, advanced in
 * memory by engine.c, and written back with the history and actions the
 * moves produced, a few set-based statements per batch (store.c).
 *
 * Locking: every writer of a customer's journey state first takes the
 * customer's lock (lock.c: advisory, per customer or per bucket of
 * customers), in a fixed order within a statement, and only then reads the
 * state.  That serialises the event trigger and
 * sweeps per customer without row locks, and a sweep that finds a customer
 * locked skips it instead of waiting.
 */
#ifndef CJO_H
#define CJO_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "graph.h"

/* journey_state.status */
#define CJO_ACTIVE		'a'
#define CJO_COMPLETED	'c'
#define CJO_EXITED		'x'
#define CJO_CONVERTED	'g'

/* history.cause */
#define CJO_CAUSE_ENTRY		'e'
#define CJO_CAUSE_STEP		's'
#define CJO_CAUSE_MATCH		'm'
#define CJO_CAUSE_TIMER		't'
#define CJO_CAUSE_TIMEOUT	'o'
#define CJO_CAUSE_EXIT		'x'
#define CJO_CAUSE_GOAL		'g'
#define CJO_CAUSE_REENTRY	'r'

#define CJO_NO_TIME		DT_NOBEGIN	/* a NULL timestamp in memory */

/* One published version of a journey, held in the cache. */
typedef struct CjoVersion
{
	int32		version;
	CjoGraph   *graph;			/* detoasted copy in the cache context */
} CjoVersion;

/* One journey and all its versions; versions[nversions - 1] is the latest. */
typedef struct CjoJourney
{
	int32		journey_id;
	char	   *name;
	int			nversions;
	CjoVersion *versions;
} CjoJourney;

/* An event being applied. */
typedef struct CjoEvent
{
	int64		event_id;
	const char *customer_id;
	const char *name;
	const char *channel;		/* NULL if none */
	Jsonb	   *properties;
	TimestampTz occurred_at;
	TimestampTz at;				/* journey clock: least(occurred_at, now()) */
	int			seq;			/* position in the statement */
	const char *entry_verdicts; /* per listener of its name (NULL: none judged) */
} CjoEvent;

/* CjoEvent.entry_verdicts: what the trigger found before reading any state. */
#define CJO_ENTRY_UNJUDGED	0
#define CJO_ENTRY_MET		'm'		/* the entry condition holds */
#define CJO_ENTRY_FAILED	'f'		/* it does not: the event does nothing to the journey */

/* A customer's state in one journey (a cjo.journey_state row). */
typedef struct CjoState
{
	int32		journey_id;
	int32		version;
	int32		run;
	int32		step;
	int16		node;
	char		status;
	bool		dirty;			/* must be written back */
	bool		stored;			/* its row exists in cjo.journey_state (read by cjo_store_load) */
	ItemPointerData tid;		/* where cjo_store_load read it */
	TimestampTz entered_at;
	TimestampTz node_at;
	TimestampTz due_at;			/* CJO_NO_TIME: no timer */
	TimestampTz ended_at;
	TimestampTz converted_at;
	Numeric		goal_value;		/* NULL if none */
	int64		entry_event_id; /* 0 if unknown */
	Jsonb	   *data;			/* the run's journey data (set nodes), NULL if none */
} CjoState;

/*
 * A context document built for conditions and templates (condition.c),
 * kept for the other paths of the same event that need the same parts.
 */
typedef struct CjoContextDoc
{
	Jsonb	   *doc;			/* NULL: a free slot */
	const CjoEvent *event;		/* built for this event ... */
	int64		entry;			/* ... this entry event (-1: none) ... */
	const Jsonb *journey;		/* ... this journey data (or the "none" mark) ... */
	bool		profile;		/* ... with the profile or without */
} CjoContextDoc;

/*
 * Slots per customer: an event's paths need at most a few different
 * documents (the event alone, with the profile, with a run's entry event).
 */
#define CJO_CONTEXT_DOCS 4

/* A customer in a batch. */
typedef struct CjoCustomer
{
	const char *id;
	CjoState   *states;
	int			nstates;
	int			maxstates;
	MemoryContext cxt;			/* where the customer's lasting data lives */
	Jsonb	   *profile;		/* attributes, or NULL if no profile ... */
	bool		profile_read;	/* ... once read (see cjo_customer_profile) */
	CjoEvent   *entry_cache;	/* last entry event loaded for a context */
	CjoContextDoc docs[CJO_CONTEXT_DOCS];	/* context documents of the current event */
	int			docs_next;		/* the slot to build the next one in */
	CjoEvent   *events;			/* trigger: this customer's new events */
	int			nevents;
	int32	   *listening;		/* trigger: ids of the journeys listening to them, sorted; */
	int			nlistening;		/* only their states are read (NULL: all states) */
} CjoCustomer;

/* qsort and bsearch order of int32 values. */
static inline int
cjo_int32_cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/*
 * The journeys listening to an event name, in any role (entry of the latest
 * version; goal, exit or awaited event of any version), held in the cache.
 */
typedef struct CjoListeners
{
	const char *name;
	int		   *journeys;		/* indexes into cjo_journeys() */
	int			njourneys;
	bool		entry_decides;	/* each hears it only as its entry event, with a
								 * condition on the event alone (cache.c) */
	/* Judging their entry conditions up front (cjo_entry_judging_pays): */
	uint32		judged;			/* events judged ... */
	uint32		turned_away;	/* ... and turned away by the verdicts */
	uint32		not_judged;		/* events passed by since it stopped paying */
} CjoListeners;

/* sql_guard.c */
extern int	cjo_sql_begin(void);
extern void cjo_sql_end(int level);

/* cache.c */
extern CjoJourney *cjo_journeys(int *count);
extern const int *cjo_journeys_for_event(const char *name, int *count);
extern CjoListeners *cjo_listeners(const char *name);
extern bool cjo_entry_judging_pays(CjoListeners *l);
extern void cjo_entry_judged(CjoListeners *l, bool turned_away);
extern CjoJourney *cjo_journey_by_id(int32 journey_id);
extern CjoVersion *cjo_journey_version(CjoJourney *j, int32 version);
extern bool cjo_journeys_read_profiles(void);
extern void cjo_cache_pin(void);
extern void cjo_cache_unpin(void);
extern bool cjo_cache_abort_sub(SubTransactionId mySubid);

/* lock.c */
extern void cjo_lock_customers(const char *const *customer_ids, int n);
extern bool cjo_try_lock_customer(const char *customer_id);
extern void cjo_lock_reset(void);

/* store.c */
extern void cjo_store_load(CjoCustomer *customers, int ncustomers, bool profiles);
extern Jsonb *cjo_customer_profile(CjoCustomer *c);
extern CjoEvent *cjo_store_load_event(CjoCustomer *c, int64 event_id);
extern CjoState *cjo_state_find(CjoCustomer *c, int32 journey_id);
extern CjoState *cjo_state_add(CjoCustomer *c, int32 journey_id);
/*
 * A move: what one cause (an event or a timer) did to one run at one instant,
 * as a path of nodes and the choice taken at each; one history row.
 */
typedef struct CjoMove
{
	bool		open;
	char		cause;			/* of the first transition; the rest are steps */
	int32		version;
	int32		run;
	int32		step;			/* step number of the first transition */
	int64		event_id;		/* 0 for timers */
	TimestampTz at;
	int			n;				/* nodes in path */
	int16	   *path;			/* node left first (-1 on entry), then nodes reached */
	int16	   *choices;		/* choice taken leaving path[i], -1 if none */
} CjoMove;

extern void cjo_store_history(CjoCustomer *c, int32 journey_id, const CjoMove *m);
extern void cjo_store_action(const char *customer_id, const CjoState *st, int16 node,
							 const char *channel, const char *template_, Jsonb *payload, int64 event_id);
extern void cjo_store_flush(CjoCustomer *customers, int ncustomers);
extern void cjo_store_reset(void);

/* condition.c */
typedef struct CjoContext
{
	CjoCustomer *customer;
	CjoEvent   *event;			/* NULL when a timer moves the customer */
	CjoState   *state;
	const CjoGraph *graph;		/* whose paths are evaluated */
} CjoContext;
extern bool cjo_condition(CjoContext *cx, JsonPath *path);
extern bool cjo_path_mentions(const JsonPath *path, const char *key);
extern Jsonb *cjo_path_first(CjoContext *cx, JsonPath *path);

/* engine.c */
extern int	cjo_apply_event(CjoCustomer *c, CjoEvent *ev);
extern bool cjo_entry_condition(CjoCustomer *c, const CjoJourney *j, CjoEvent *ev);
extern bool cjo_fire_timers(CjoCustomer *c, CjoState *st, TimestampTz as_of);
extern void cjo_forget_scratch(CjoCustomer *c);

/* random.c */
typedef struct CjoRandom
{
	uint64		state;
} CjoRandom;
extern uint64 cjo_mix64(uint64 h);
extern uint64 cjo_stable_hash(const char *const *parts, int nparts);
extern double cjo_hash_unit(uint64 h);
extern void cjo_random_seed(CjoRandom *r, uint64 seed);
extern double cjo_random_unit(CjoRandom *r);
extern double cjo_random_beta(CjoRandom *r, double a, double b);

/* learning.c */
extern int	cjo_learning_refresh;
extern int	cjo_thompson_choose(int k, const bool *eligible, const int64 *assigned, const int64 *converted,
								const double *scale, double min_share, CjoRandom *r);
extern int	cjo_learn_choose(int32 journey_id, int32 version, int node, const CjoGraph *g,
							 const bool *eligible, const double *scale, uint64 seed);
extern void cjo_arms_note(int32 journey_id, const char *node, const char *arm, int assigned, int converted);
extern void cjo_arms_flush(void);
extern void cjo_arms_reset(void);
extern void cjo_arms_invalidate(void);
extern void cjo_arms_fold(void);

/* local_time.c */
struct pg_tz;
extern struct pg_tz *cjo_profile_time_zone(Jsonb *profile);
extern TimestampTz cjo_next_local_time(TimestampTz after, int64 time_of_day, int days, struct pg_tz *tz);

#endif							/* CJO_H */
