/*
 * lock.c: per-customer transaction locks.
 *
 * Every writer of a customer's journey state takes the customer's lock
 * first and keeps it to the end of the transaction.  Locks are advisory, in
 * key spaces of their own (field4), so they cannot meet the application's
 * pg_advisory_lock calls.
 *
 * A lock per customer would fill the shared lock table when one transaction
 * loads events for a hundred thousand customers, so locks come in two
 * levels, as intention locks do:
 *   - a small transaction takes its customer's bucket (one of CJO_BUCKETS,
 *     by hash) in share mode, then the customer in exclusive mode;
 *   - past CJO_CUSTOMER_LOCKS customers in one transaction, it takes whole
 *     buckets in exclusive mode instead, and bulk statements lock every
 *     bucket they need up front, in bucket order, so that two bulk loads
 *     cannot deadlock.
 * A bucket in exclusive mode conflicts with every customer lock inside it;
 * customer locks in one bucket only conflict with each other.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "cjo.h"

#define CJO_LOCK_CUSTOMER	0x636a		/* "cj" */
#define CJO_LOCK_BUCKET		0x636b
#define CJO_BUCKETS			1024
#define CJO_CUSTOMER_LOCKS	1000

/* Customer locks taken in this transaction, and whether it went bulk. */
static int	customer_locks = 0;
static bool bulk = false;

static uint64
customer_hash(const char *customer_id)
{
	return hash_bytes_extended((const unsigned char *) customer_id, strlen(customer_id), 0);
}

static bool
acquire(uint32 key1, uint32 key2, uint16 space, LOCKMODE mode, bool wait)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, key1, key2, space);
	return LockAcquire(&tag, mode, false, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

/* Locks one customer; without wait, returns false instead of waiting. */
static bool
lock_customer(const char *customer_id, bool wait)
{
	uint64		h = customer_hash(customer_id);
	uint32		bucket = h % CJO_BUCKETS;

	if (!bulk && customer_locks >= CJO_CUSTOMER_LOCKS)
		bulk = true;
	if (bulk)
		return acquire(0, bucket, CJO_LOCK_BUCKET, ExclusiveLock, wait);
	if (!acquire(0, bucket, CJO_LOCK_BUCKET, ShareLock, wait))
		return false;
	if (!acquire((uint32) (h >> 32), (uint32) h, CJO_LOCK_CUSTOMER, ExclusiveLock, wait))
		return false;
	customer_locks++;
	return true;
}

static int
uint32_cmp(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return x < y ? -1 : x > y;
}

/*
 * Locks the customers of a statement (sorted by id), waiting as needed.
 * Many customers: their buckets, in bucket order.
 */
void
cjo_lock_customers(const char *const *customer_ids, int n)
{
	if (!bulk && customer_locks + n > CJO_CUSTOMER_LOCKS)
	{
		uint32	   *buckets = palloc(sizeof(uint32) * n);

		for (int i = 0; i < n; i++)
			buckets[i] = customer_hash(customer_ids[i]) % CJO_BUCKETS;
		qsort(buckets, n, sizeof(uint32), uint32_cmp);
		for (int i = 0; i < n; i++)
			if (i == 0 || buckets[i] != buckets[i - 1])
				(void) acquire(0, buckets[i], CJO_LOCK_BUCKET, ExclusiveLock, true);
		pfree(buckets);
		bulk = true;
		return;
	}
	for (int i = 0; i < n; i++)
		(void) lock_customer(customer_ids[i], true);
}

/* Takes the customer's lock if nobody holds it; false otherwise (sweeps). */
bool
cjo_try_lock_customer(const char *customer_id)
{
	return lock_customer(customer_id, false);
}

/* The transaction ended: its locks are gone. */
void
cjo_lock_reset(void)
{
	customer_locks = 0;
	bulk = false;
}
