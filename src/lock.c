/*
 * lock.c: per-customer transaction locks.
 *
 * Advisory locks keyed by a hash of the customer id, in a key space of
 * their own (field4 = 'cj'), so they cannot meet the application's
 * pg_advisory_lock calls.  Held to the end of the transaction.  Two
 * customers whose ids hash alike only serialise with each other.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "cjo.h"

#define CJO_LOCK_SPACE	0x636a		/* "cj" */

static void
customer_locktag(LOCKTAG *tag, const char *customer_id)
{
	uint64		h = hash_bytes_extended((const unsigned char *) customer_id,
										strlen(customer_id), 0);

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h, CJO_LOCK_SPACE);
}

/* Waits for and takes the customer's lock. */
void
cjo_lock_customer(const char *customer_id)
{
	LOCKTAG		tag;

	customer_locktag(&tag, customer_id);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* Takes the customer's lock if nobody holds it; false otherwise. */
bool
cjo_try_lock_customer(const char *customer_id)
{
	LOCKTAG		tag;

	customer_locktag(&tag, customer_id);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}
