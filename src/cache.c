/*
 * cache.c: the per-backend cache of compiled journeys.
 *
 * Built lazily on first use, in its own memory context: every version of
 * every active journey (customers in older versions finish there), and an
 * index from event name to the journeys that listen to it in any role
 * (entry, awaited event, exit event, goal), so that an event no journey
 * listens to costs one binary search.
 *
 * Invalidation: a statement trigger on cjo.journeys and cjo.journey_versions
 * sends a relcache invalidation for the table; our relcache callback then
 * marks the cache stale, in this backend at once and in the others when the
 * change commits.  A transaction abort also marks it stale, since the cache
 * may have been built from the aborted transaction's own changes.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cjo.h"

PG_FUNCTION_INFO_V1(cjo_definitions_changed);

/* Batches nested in batches: a user's trigger on a cjo table inserting events. */
#define CJO_MAX_PINS 32

/*
 * Judging an event's entry conditions up front (cjo_entry_judging_pays): the
 * first events of a name are judged, to learn how many are turned away,
 * then every JUDGE_SAMPLE-th while it does not pay; the record halves past
 * JUDGE_WINDOW events, so that it follows the recent traffic.
 */
#define JUDGE_LEARN		32
#define JUDGE_SAMPLE	16
#define JUDGE_WINDOW	1024

static struct
{
	bool		valid;
	bool		callbacks;
	MemoryContext cxt;
	Oid			journeys_relid;
	Oid			versions_relid;
	CjoJourney *journeys;
	int			njourneys;
	CjoListeners *events;		/* sorted by name */
	int			nevents;
	bool		read_profiles;	/* some condition or payload reads $.profile */
	int			pins;			/* batches using the cache right now ... */
	SubTransactionId pin_subxact[CJO_MAX_PINS];	/* ... and where each began */
} cache;

static void
cache_invalidate_rel(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == cache.journeys_relid || relid == cache.versions_relid)
		cache.valid = false;
}

static void
cache_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		cache.valid = false;
		cache.pins = 0;
	}
}

static int
listeners_cmp(const void *a, const void *b)
{
	return strcmp(((const CjoListeners *) a)->name, ((const CjoListeners *) b)->name);
}

/* Adds journey ji as a listener of event name (once). */
static void
listen_to(List **names, List **ids, const char *name, int ji)
{
	ListCell   *ln,
			   *li;

	forboth(ln, *names, li, *ids)
	{
		if (strcmp((const char *) lfirst(ln), name) == 0 && lfirst_int(li) == ji)
			return;
	}
	*names = lappend(*names, (void *) name);
	*ids = lappend_int(*ids, ji);
}

/* Does any condition, payload template or wait_until of the graph read the profile? */
static bool
graph_reads_profile(const CjoGraph *g)
{
	if ((g->flags & (CJO_GRAPH_WILDCARD_PATHS | CJO_GRAPH_LOCAL_TIME)) ||
		cjo_path_mentions(cjo_graph_path(g, g->entry_cond), "profile") ||
		cjo_path_mentions(cjo_graph_path(g, g->goal_cond), "profile") ||
		cjo_path_mentions(cjo_graph_path(g, g->goal_value), "profile"))
		return true;
	for (int i = 0; i < g->nchoices; i++)
		if (cjo_path_mentions(cjo_graph_path(g, cjo_graph_choice(g, i)->cond), "profile"))
			return true;
	return false;
}

/*
 * Does the journey hear the event name in any role but its entry: a goal,
 * an exit event or an awaited event of any version?
 */
static bool
hears_beyond_entry(const CjoJourney *j, const char *name)
{
	for (int vi = 0; vi < j->nversions; vi++)
	{
		const CjoGraph *g = j->versions[vi].graph;

		if (g->goal_event != CJO_NONE && strcmp(cjo_graph_str(g, g->goal_event), name) == 0)
			return true;
		for (int e = 0; e < g->nexits; e++)
			if (strcmp(cjo_graph_str(g, cjo_graph_choice(g, g->exits + e)->label), name) == 0)
				return true;
		for (int ni = 0; ni < g->nnodes; ni++)
		{
			const CjoNode *node = cjo_graph_node(g, ni);

			if (node->kind == CJO_NODE_WAIT_EVENT)
				for (int c = 0; c < node->nchoices; c++)
					if (strcmp(cjo_graph_str(g, cjo_graph_choice(g, node->choices + c)->label), name) == 0)
						return true;
		}
	}
	return false;
}

/*
 * Can the journey's entry condition alone tell that an event of this name
 * does nothing to it?  Only if the journey hears the name as its entry and
 * nothing else, and the condition reads neither the profile nor, by a
 * wildcard, anything it does not name (it never reads the customer's
 * state: see cjo_entry_condition).  CjoListeners.entry_decides: true for
 * every journey listening to the name.
 */
static bool
entry_decides(const CjoJourney *j, const char *name)
{
	const CjoGraph *latest = j->versions[j->nversions - 1].graph;
	const JsonPath *cond = cjo_graph_path(latest, latest->entry_cond);

	return cond != NULL && !(latest->flags & CJO_GRAPH_WILDCARD_PATHS) &&
		!cjo_path_mentions(cond, "profile") &&
		strcmp(cjo_graph_str(latest, latest->entry_event), name) == 0 &&
		!hears_beyond_entry(j, name);
}

/* Builds the event index from the loaded journeys. */
static void
build_event_index(void)
{
	List	   *names = NIL;
	List	   *ids = NIL;
	ListCell   *ln,
			   *li;
	int			n = 0;

	for (int ji = 0; ji < cache.njourneys; ji++)
	{
		CjoJourney *j = &cache.journeys[ji];

		for (int vi = 0; vi < j->nversions; vi++)
		{
			CjoGraph   *g = j->versions[vi].graph;

			if (vi == j->nversions - 1)
				listen_to(&names, &ids, cjo_graph_str(g, g->entry_event), ji);
			if (g->goal_event != CJO_NONE)
				listen_to(&names, &ids, cjo_graph_str(g, g->goal_event), ji);
			for (int e = 0; e < g->nexits; e++)
				listen_to(&names, &ids, cjo_graph_str(g, cjo_graph_choice(g, g->exits + e)->label), ji);
			for (int ni = 0; ni < g->nnodes; ni++)
			{
				const CjoNode *node = cjo_graph_node(g, ni);

				if (node->kind == CJO_NODE_WAIT_EVENT)
					for (int c = 0; c < node->nchoices; c++)
						listen_to(&names, &ids, cjo_graph_str(g, cjo_graph_choice(g, node->choices + c)->label), ji);
			}
			cache.read_profiles |= graph_reads_profile(g);
		}
	}

	/* Group (name, journey) pairs by name. */
	cache.events = palloc0(sizeof(CjoListeners) * Max(list_length(names), 1));
	forboth(ln, names, li, ids)
	{
		const char *name = lfirst(ln);
		int			k;

		for (k = 0; k < n; k++)
			if (strcmp(cache.events[k].name, name) == 0)
				break;
		if (k == n)
		{
			cache.events[n].name = name;
			cache.events[n].journeys = palloc(sizeof(int) * cache.njourneys);
			cache.events[n].entry_decides = true;
			n++;
		}
		cache.events[k].journeys[cache.events[k].njourneys++] = lfirst_int(li);
		cache.events[k].entry_decides &= entry_decides(&cache.journeys[lfirst_int(li)], name);
	}
	cache.nevents = n;
	qsort(cache.events, n, sizeof(CjoListeners), listeners_cmp);
}

/* Loads every version of every active journey. */
static void
cache_build(void)
{
	Oid			nsp;
	MemoryContext old;
	int			ret;
	int			guard;

	if (!cache.callbacks)
	{
		CacheRegisterRelcacheCallback(cache_invalidate_rel, (Datum) 0);
		RegisterXactCallback(cache_xact_callback, NULL);
		cache.callbacks = true;
	}
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(CacheMemoryContext, "cjo journey cache", ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache.cxt);
	cache.journeys = NULL;
	cache.njourneys = 0;
	cache.events = NULL;
	cache.nevents = 0;
	cache.read_profiles = false;

	nsp = get_namespace_oid("cjo", false);
	cache.journeys_relid = get_relname_relid("journeys", nsp);
	cache.versions_relid = get_relname_relid("journey_versions", nsp);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	guard = cjo_sql_begin();
	ret = SPI_execute("SELECT j.journey_id, j.name, v.version, v.graph"
					  "  FROM cjo.journeys j JOIN cjo.journey_versions v USING (journey_id)"
					  " WHERE j.status = 'active'"
					  " ORDER BY j.journey_id, v.version", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read journeys: %s", SPI_result_code_string(ret));

	old = MemoryContextSwitchTo(cache.cxt);
	cache.journeys = palloc0(sizeof(CjoJourney) * Max(SPI_processed, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int32		id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		CjoJourney *j;
		CjoVersion *v;

		if (cache.njourneys == 0 || cache.journeys[cache.njourneys - 1].journey_id != id)
		{
			j = &cache.journeys[cache.njourneys++];
			j->journey_id = id;
			j->name = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
			j->versions = palloc0(sizeof(CjoVersion) * SPI_processed);
		}
		j = &cache.journeys[cache.njourneys - 1];
		v = &j->versions[j->nversions++];
		v->version = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		v->graph = (CjoGraph *) PG_DETOAST_DATUM_COPY(SPI_getbinval(tup, desc, 4, &isnull));
	}
	build_event_index();
	MemoryContextSwitchTo(old);
	cjo_sql_end(guard);
	SPI_finish();
	cache.valid = true;
}

/*
 * Rebuilds a stale cache, unless a batch is using it: a statement works with
 * the journeys it started with, and pointers into the cache stay valid.
 */
static void
cache_ensure(void)
{
	if (!cache.valid && (cache.pins == 0 || cache.journeys == NULL))
		cache_build();
}

/* Keeps the cache as it is until cjo_cache_unpin(). */
void
cjo_cache_pin(void)
{
	cache_ensure();
	if (cache.pins == CJO_MAX_PINS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("events inserted by triggers on cjo tables nest more than %d deep", CJO_MAX_PINS)));
	cache.pin_subxact[cache.pins++] = GetCurrentSubTransactionId();
}

void
cjo_cache_unpin(void)
{
	if (cache.pins > 0)
		cache.pins--;
}

/*
 * A subtransaction aborted: the batches that began inside it are gone (their
 * unpin will never come), the ones outside it go on.  Returns whether any
 * batch was inside it.  Subtransaction ids grow as subtransactions start, so
 * the batches inside are those that began at mySubid or later.
 */
bool
cjo_cache_abort_sub(SubTransactionId mySubid)
{
	bool		inside = false;

	cache.valid = false;
	while (cache.pins > 0 && cache.pin_subxact[cache.pins - 1] >= mySubid)
	{
		cache.pins--;
		inside = true;
	}
	return inside;
}

/* All active journeys. */
CjoJourney *
cjo_journeys(int *count)
{
	cache_ensure();
	*count = cache.njourneys;
	return cache.journeys;
}

/* The journeys listening to an event name, or NULL if none. */
CjoListeners *
cjo_listeners(const char *name)
{
	int			lo = 0,
				hi;

	cache_ensure();
	hi = cache.nevents - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(name, cache.events[mid].name);

		if (c == 0)
			return &cache.events[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Indexes (into cjo_journeys()) of the journeys listening to an event name. */
const int *
cjo_journeys_for_event(const char *name, int *count)
{
	CjoListeners *l = cjo_listeners(name);

	*count = l ? l->njourneys : 0;
	return l ? l->journeys : NULL;
}

/*
 * Does judging the entry conditions of an event before reading any state
 * pay?  Only if they decide for every journey listening to it; it costs a
 * few microseconds per event and saves a read of the customer's states
 * (several times that) only for the events it turns away: it pays while at
 * least a third of the events judged are.
 */
bool
cjo_entry_judging_pays(CjoListeners *l)
{
	if (!l->entry_decides)
		return false;
	if (l->judged < JUDGE_LEARN || l->turned_away * 3 >= l->judged)
		return true;
	return ++l->not_judged % JUDGE_SAMPLE == 0;
}

/* Records the outcome of judging an event. */
void
cjo_entry_judged(CjoListeners *l, bool turned_away)
{
	l->judged++;
	l->turned_away += turned_away;
	if (l->judged >= JUDGE_WINDOW)
	{
		l->judged /= 2;
		l->turned_away /= 2;
	}
}

/* An active journey by id; NULL if archived or unknown. */
CjoJourney *
cjo_journey_by_id(int32 journey_id)
{
	int			lo = 0,
				hi;

	cache_ensure();
	/* The cache holds the journeys in id order. */
	hi = cache.njourneys - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int32		id = cache.journeys[mid].journey_id;

		if (id == journey_id)
			return &cache.journeys[mid];
		if (journey_id < id)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* One version of a journey; NULL if it no longer exists. */
CjoVersion *
cjo_journey_version(CjoJourney *j, int32 version)
{
	for (int i = j->nversions - 1; i >= 0; i--)
		if (j->versions[i].version == version)
			return &j->versions[i];
	return NULL;
}

/* Whether any active journey reads $.profile, so profiles must be loaded. */
bool
cjo_journeys_read_profiles(void)
{
	cache_ensure();
	return cache.read_profiles;
}

/* Trigger on the definition tables: tell every backend to rebuild its cache. */
Datum
cjo_definitions_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("cjo.definitions_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
