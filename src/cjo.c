/*
 * cjo.c: module entry point and settings.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "cjo.h"

PG_MODULE_MAGIC;

/* cjo.enabled: when off, inserted events are stored but move nobody. */
bool		cjo_enabled = true;

/* Read by cjo_report() through current_setting(). */
static int	cjo_max_attempts = 5;
static int	cjo_retry_backoff = 60;

void		_PG_init(void);

/* A batch cut short by an error leaves rows in the write buffers: drop them. */
static void
cjo_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		cjo_store_reset();
		cjo_arms_reset();
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		cjo_lock_reset();
}

static void
cjo_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	/*
	 * Rows in the write buffers belong to the innermost running batch (a
	 * flush empties them before it writes); drop them only if that batch was
	 * inside the aborted subtransaction.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB && cjo_cache_abort_sub(mySubid))
	{
		cjo_store_reset();
		cjo_arms_reset();
	}
}

/* Defines the settings. */
void
_PG_init(void)
{
	DefineCustomBoolVariable("cjo.enabled",
							 "Advances customers through journeys when events are inserted.",
							 "Turn off (as a superuser) to load or restore events without running journeys.",
							 &cjo_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("cjo.max_attempts",
							"Claims of an action before a reported retry fails it for good.",
							NULL,
							&cjo_max_attempts,
							5, 1, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("cjo.retry_backoff",
							"Delay before a retried action is offered again; doubled at each attempt.",
							NULL,
							&cjo_retry_backoff,
							60, 0, 7 * 24 * 3600,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("cjo.learning_refresh",
							"How long a backend reuses the conversion counts of a learning node before reading them again.",
							"0 reads them at every choice.",
							&cjo_learning_refresh,
							10, 0, 24 * 3600,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("cjo");
	RegisterXactCallback(cjo_xact_callback, NULL);
	RegisterSubXactCallback(cjo_subxact_callback, NULL);
}
