/*
 * cjo.c: module entry point and settings.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* cjo.enabled: when off, inserted events are stored but move nobody. */
bool		cjo_enabled = true;

void		_PG_init(void);

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
}
