/*
 * trigger.c: the statement-level AFTER INSERT trigger on cjo.events.
 *
 * One call per INSERT or COPY statement, with the new rows in a transition
 * table.  Rows whose event name no active journey listens to are passed over
 * after one lookup, and so are rows that fail the entry conditions of every
 * journey listening to them, when those conditions decide alone (see
 * judge_entries).  The others are sorted by customer and time and applied
 * in chunks of customers: lock the chunk's customers (in id order), load
 * their states and profiles (direct index scans), move them in memory,
 * write states, history and actions back (see store.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/qunique.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cjo.h"

PG_FUNCTION_INFO_V1(cjo_events_advance);

/* Customers per chunk: bounds memory and the size of each statement. */
#define CHUNK_CUSTOMERS 500

extern bool cjo_enabled;

static int
event_cmp(const void *a, const void *b)
{
	const CjoEvent *x = a;
	const CjoEvent *y = b;
	int			c = strcmp(x->customer_id, y->customer_id);

	if (c != 0)
		return c;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq - y->seq;
}

static int
attnum(TupleDesc desc, const char *name)
{
	int			n = SPI_fnumber(desc, name);

	if (n <= 0)
		elog(ERROR, "cjo.events has no column \"%s\"", name);
	return n;
}

/*
 * Judges, before any state is read, the entry conditions of the journeys
 * listening to an event, when they alone decide whether the event does
 * anything to each (CjoListeners.entry_decides), so that it may be turned
 * away without locking or reading anything, and while that happens often
 * enough to pay for the judging (cjo_entry_judging_pays); otherwise the
 * conditions are left to the engine, which often need not ask (a customer
 * already in the journey).  Returns the verdicts (NULL if none was judged),
 * and in heard whether any journey may still be moved by the event.
 */
static const char *
judge_entries(CjoEvent *ev, CjoListeners *l, MemoryContext scratch, bool *heard)
{
	int			njourneys;
	CjoJourney *journeys = cjo_journeys(&njourneys);
	char	   *verdicts;
	CjoCustomer probe;

	*heard = true;
	if (!cjo_entry_judging_pays(l))
		return NULL;
	*heard = false;
	verdicts = palloc0(l->njourneys);
	memset(&probe, 0, sizeof(probe));
	probe.id = ev->customer_id;
	probe.cxt = scratch;
	for (int i = 0; i < l->njourneys; i++)
	{
		MemoryContext old;
		bool		met;

		old = MemoryContextSwitchTo(scratch);
		met = cjo_entry_condition(&probe, &journeys[l->journeys[i]], ev);
		MemoryContextSwitchTo(old);
		verdicts[i] = met ? CJO_ENTRY_MET : CJO_ENTRY_FAILED;
		*heard |= met;
	}
	MemoryContextReset(scratch);
	cjo_entry_judged(l, !*heard);
	return verdicts;
}

/*
 * Reads the relevant new events out of the transition table: those that
 * some journey listens to and that may move it.
 */
static CjoEvent *
read_events(TriggerData *td, int *count, MemoryContext scratch)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			a_id = attnum(desc, "event_id"),
				a_customer = attnum(desc, "customer_id"),
				a_name = attnum(desc, "name"),
				a_channel = attnum(desc, "channel"),
				a_props = attnum(desc, "properties"),
				a_time = attnum(desc, "occurred_at");
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int			n = 0,
				cap = 1024,
				seq = 0;
	CjoEvent   *events = palloc(sizeof(CjoEvent) * cap);

	tuplestore_rescan(td->tg_newtable);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		isnull;
		char	   *name = TextDatumGetCString(slot_getattr(slot, a_name, &isnull));
		CjoListeners *listeners = cjo_listeners(name);
		bool		heard;
		CjoEvent   *ev;
		Datum		d;

		seq++;
		if (listeners == NULL)
		{
			pfree(name);
			continue;
		}
		if (n == cap)
		{
			cap *= 2;
			events = repalloc_huge(events, sizeof(CjoEvent) * cap);
		}
		ev = &events[n];
		ev->seq = seq;
		ev->name = name;
		ev->event_id = DatumGetInt64(slot_getattr(slot, a_id, &isnull));
		ev->customer_id = TextDatumGetCString(slot_getattr(slot, a_customer, &isnull));
		d = slot_getattr(slot, a_channel, &isnull);
		ev->channel = isnull ? NULL : TextDatumGetCString(d);
		d = slot_getattr(slot, a_props, &isnull);
		ev->properties = isnull ? NULL : DatumGetJsonbPCopy(d);
		ev->occurred_at = DatumGetTimestampTz(slot_getattr(slot, a_time, &isnull));
		/* 'infinity' counts as now, '-infinity' as the earliest finite time: durations are added to it. */
		ev->at = Max(Min(ev->occurred_at, now), MIN_TIMESTAMP);
		ev->entry_verdicts = judge_entries(ev, listeners, scratch, &heard);
		if (heard)
			n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	*count = n;
	return events;
}

/*
 * Notes the journeys listening to any of a customer's events: the engine
 * touches no other journey for them, so their states need not be read.
 * Built from the events' listeners alone: journeys that listen to none of
 * them cost nothing here either, nor do those whose entry condition an
 * event was found to fail (read_events).
 */
static void
listening_journeys(CjoCustomer *c)
{
	int			njourneys;
	CjoJourney *journeys = cjo_journeys(&njourneys);
	int			total = 0,
				n = 0;

	for (int e = 0; e < c->nevents; e++)
	{
		int			nl;

		(void) cjo_journeys_for_event(c->events[e].name, &nl);
		total += nl;
	}
	c->listening = palloc(sizeof(int32) * Max(total, 1));
	for (int e = 0; e < c->nevents; e++)
	{
		int			nl;
		const int  *l = cjo_journeys_for_event(c->events[e].name, &nl);
		const char *verdicts = c->events[e].entry_verdicts;

		for (int i = 0; i < nl; i++)
			if (verdicts == NULL || verdicts[i] != CJO_ENTRY_FAILED)
				c->listening[n++] = journeys[l[i]].journey_id;
	}
	qsort(c->listening, n, sizeof(int32), cjo_int32_cmp);
	c->nlistening = qunique(c->listening, n, sizeof(int32), cjo_int32_cmp);
}

/*
 * Applies the events of a chunk of customers (sorted by id).  Each event's
 * scratch memory (context documents, jsonpath evaluation) is freed as soon
 * as the event is done; what lasts goes to the customer's memory.
 */
static void
process_chunk(CjoCustomer *customers, int n, MemoryContext scratch)
{
	/* One customer: the profile is read if and when a path needs it. */
	cjo_store_load(customers, n, n > 1 && cjo_journeys_read_profiles());
	for (int i = 0; i < n; i++)
		for (int e = 0; e < customers[i].nevents; e++)
		{
			MemoryContext old = MemoryContextSwitchTo(scratch);

			(void) cjo_apply_event(&customers[i], &customers[i].events[e]);
			MemoryContextSwitchTo(old);
			cjo_forget_scratch(&customers[i]);
			MemoryContextReset(scratch);
		}
	cjo_store_flush(customers, n);
	cjo_arms_flush();
}

/* The trigger: advances every customer of the new events. */
Datum
cjo_events_advance(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	MemoryContext batch_cxt,
				chunk_cxt,
				scratch_cxt,
				old;
	CjoEvent   *events;
	int			nevents;
	int			njourneys;
	int			start = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		td->tg_newtable == NULL)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("cjo.events_advance() must be an AFTER INSERT statement trigger with a NEW TABLE")));
	if (!cjo_enabled)
		return PointerGetDatum(NULL);
	(void) cjo_journeys(&njourneys);
	if (njourneys == 0)
		return PointerGetDatum(NULL);

	cjo_cache_pin();
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "cjo events batch", ALLOCSET_DEFAULT_SIZES);
	chunk_cxt = AllocSetContextCreate(batch_cxt, "cjo events chunk", ALLOCSET_DEFAULT_SIZES);
	scratch_cxt = AllocSetContextCreate(batch_cxt, "cjo event scratch", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(batch_cxt);
	events = read_events(td, &nevents, scratch_cxt);
	if (nevents == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(batch_cxt);
		cjo_cache_unpin();
		return PointerGetDatum(NULL);
	}
	qsort(events, nevents, sizeof(CjoEvent), event_cmp);

	/* Lock every customer of the statement first, in id order. */
	{
		const char **ids = palloc(sizeof(char *) * nevents);
		int			nids = 0;

		for (int e = 0; e < nevents; e++)
			if (nids == 0 || strcmp(ids[nids - 1], events[e].customer_id) != 0)
				ids[nids++] = events[e].customer_id;
		cjo_lock_customers(ids, nids);
		pfree(ids);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(chunk_cxt);
	while (start < nevents)
	{
		/* No more customers than events left: a single event clears one. */
		CjoCustomer *customers = palloc0(sizeof(CjoCustomer) * Min(CHUNK_CUSTOMERS, nevents - start));
		int			n = 0;
		int			e = start;

		/* Take whole customers until the chunk is full. */
		while (e < nevents && n < CHUNK_CUSTOMERS)
		{
			CjoCustomer *c = &customers[n++];

			c->id = events[e].customer_id;
			c->cxt = chunk_cxt;
			c->events = &events[e];
			while (e < nevents && strcmp(events[e].customer_id, c->id) == 0)
				e++;
			c->nevents = &events[e] - c->events;
			listening_journeys(c);
		}
		process_chunk(customers, n, scratch_cxt);
		start = e;
		MemoryContextReset(chunk_cxt);
	}
	SPI_finish();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(batch_cxt);
	cjo_cache_unpin();
	return PointerGetDatum(NULL);
}
