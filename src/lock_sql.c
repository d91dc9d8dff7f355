/*
 * lock_sql.c: the per-customer lock of lock.c, callable from SQL.
 *
 * Maintenance that changes a customer's journey data outside the engine
 * (cjo_forget_customer) takes the same lock the events trigger and sweeps
 * take, so it cannot interleave with them: an event insert waits for it, a
 * sweep skips the customer.  The lock is held to the end of the transaction.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "cjo.h"

PG_FUNCTION_INFO_V1(cjo_lock_customer);

/* cjo.lock_customer(customer): waits for and takes the customer's lock. */
Datum
cjo_lock_customer(PG_FUNCTION_ARGS)
{
	const char *customer_id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customer must not be NULL")));
	customer_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	cjo_lock_customers(&customer_id, 1);
	PG_RETURN_VOID();
}
