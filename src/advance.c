/*
 * advance.c: cjo_advance(), the sweep that fires due timers.
 *
 * Reads due (customer, journey) pairs from the partial index on due_at in
 * pages, in (due_at, customer_id, journey_id) order, so its cost follows the
 * number of due timers, not the number of waiting customers.  For each page
 * it takes the customers' locks without waiting (a customer being moved by
 * an event or by another sweep is skipped: whoever holds the lock catches
 * its timers up), reloads their states under the lock, fires what is still
 * due and writes the results.  Concurrent sweeps therefore share the work
 * and never fire a timer twice.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cjo.h"

extern bool cjo_enabled;

PG_FUNCTION_INFO_V1(cjo_advance);

#define PAGE_SIZE 1000

static int
customer_cmp(const void *a, const void *b)
{
	return strcmp(((const CjoCustomer *) a)->id, ((const CjoCustomer *) b)->id);
}

/* Fires the due timers of one page of customers; returns how many states moved. */
static int64
sweep_page(CjoCustomer *customers, int n, TimestampTz as_of, MemoryContext scratch)
{
	int			locked = 0;
	int64		moved = 0;

	qsort(customers, n, sizeof(CjoCustomer), customer_cmp);
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && strcmp(customers[i].id, customers[i - 1].id) == 0)
			continue;			/* several due journeys of one customer */
		if (cjo_try_lock_customer(customers[i].id))
			customers[locked++] = customers[i];
	}
	cjo_store_load(customers, locked, cjo_journeys_read_profiles());
	for (int i = 0; i < locked; i++)
		for (int s = 0; s < customers[i].nstates; s++)
		{
			MemoryContext old = MemoryContextSwitchTo(scratch);

			if (cjo_fire_timers(&customers[i], &customers[i].states[s], as_of))
				moved++;
			MemoryContextSwitchTo(old);
			cjo_forget_scratch(&customers[i]);
			MemoryContextReset(scratch);
		}
	cjo_store_flush(customers, locked);
	cjo_arms_flush();
	return moved;
}

/* cjo_advance(as_of, customer): fires every timer due at as_of. */
Datum
cjo_advance(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr page_plan = NULL;
	TimestampTz as_of = PG_ARGISNULL(0) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(0);
	text	   *only = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	MemoryContext page_cxt,
				scratch_cxt,
				old;
	int64		moved = 0;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			njourneys;

	/*
	 * cjo.enabled = off stops the sweep too: a DBA restoring or repairing a
	 * database switches the engine off and expects nothing to move, events
	 * and timers alike.  A NOTICE, not an error, so a scheduled sweep simply
	 * idles until the setting is on again; the timers stay due.
	 */
	if (!cjo_enabled)
	{
		ereport(NOTICE,
				(errmsg("cjo.enabled is off: the sweep fired no timers"),
				 errhint("Timers stay due; the first sweep after cjo.enabled is on again fires them.")));
		PG_RETURN_INT64(0);
	}
	(void) cjo_journeys(&njourneys);
	if (njourneys == 0)
		PG_RETURN_INT64(0);
	cjo_cache_pin();

	page_cxt = AllocSetContextCreate(CurrentMemoryContext, "cjo sweep page", ALLOCSET_DEFAULT_SIZES);
	scratch_cxt = AllocSetContextCreate(CurrentMemoryContext, "cjo sweep scratch", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (page_plan == NULL)
	{
		Oid			types[5] = {TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, INT4OID};

		page_plan = SPI_prepare_cursor("SELECT customer_id, journey_id, due_at FROM cjo.journey_state"
								" WHERE due_at <= $1"
								"   AND ($2::text IS NULL OR customer_id = $2)"
								"   AND (due_at, customer_id, journey_id) > ($3, $4, $5)"
								" ORDER BY due_at, customer_id, journey_id"
								" LIMIT " CppAsString2(PAGE_SIZE), 5, types, CURSOR_OPT_GENERIC_PLAN);
		if (page_plan == NULL || SPI_keepplan(page_plan) != 0)
			elog(ERROR, "could not prepare the sweep query");
	}
	args[0] = TimestampTzGetDatum(as_of);
	args[1] = only ? PointerGetDatum(only) : (Datum) 0;
	nulls[1] = only ? ' ' : 'n';
	args[2] = TimestampTzGetDatum(DT_NOBEGIN);
	args[3] = CStringGetTextDatum("");
	args[4] = Int32GetDatum(PG_INT32_MIN);

	old = MemoryContextSwitchTo(page_cxt);
	for (;;)
	{
		CjoCustomer *customers;
		uint64		n;
		int			ret = SPI_execute_plan(page_plan, args, nulls, false, 0);

		MemoryContextSwitchTo(page_cxt);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "sweep query failed: %s", SPI_result_code_string(ret));
		n = SPI_processed;
		if (n == 0)
			break;
		customers = palloc0(sizeof(CjoCustomer) * n);
		for (uint64 r = 0; r < n; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;

			customers[r].id = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			customers[r].cxt = page_cxt;
			if (r == n - 1)
			{
				/* The page's last key: the next page starts after it. */
				MemoryContext keep = MemoryContextSwitchTo(old);

				args[2] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
				args[3] = CStringGetTextDatum(customers[r].id);
				args[4] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
				MemoryContextSwitchTo(keep);
			}
		}
		SPI_freetuptable(SPI_tuptable);
		moved += sweep_page(customers, (int) n, as_of, scratch_cxt);
		MemoryContextReset(page_cxt);
		if (n < PAGE_SIZE)
			break;
	}
	MemoryContextSwitchTo(old);
	/* Learning nodes' counts: fold the increments of past batches into the totals. */
	cjo_arms_fold();
	SPI_finish();
	MemoryContextDelete(page_cxt);
	MemoryContextDelete(scratch_cxt);
	cjo_cache_unpin();
	PG_RETURN_INT64(moved);
}
