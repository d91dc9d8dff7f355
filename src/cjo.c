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

void		_PG_init(void);

/* A batch cut short by an error leaves rows in the write buffers: drop them. */
static void
cjo_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		cjo_store_reset();
}

static void
cjo_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cjo_store_reset();
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
	MarkGUCPrefixReserved("cjo");
	RegisterXactCallback(cjo_xact_callback, NULL);
	RegisterSubXactCallback(cjo_subxact_callback, NULL);
}
