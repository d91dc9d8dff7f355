/*
 * sql_guard.c: the statements the engine runs resolve names in pg_catalog
 * (and pg_temp) only, whatever the caller's search_path.
 *
 * The events trigger runs with the extension owner's rights but does not pin
 * search_path itself: a pinned path costs every INSERT a save and restore of
 * the setting and a new name lookup path, although most events run no
 * statement at all (reads and writes go through the table AM).  The few
 * statements it may run (reading journeys into the cache, arm counts,
 * writes to a table with triggers of its own) pin it for themselves,
 * between cjo_sql_begin() and cjo_sql_end(), and so do direct writes to a
 * table whose defaults or checks call functions of the user's.  An error in
 * between needs nothing: the transaction's abort restores the setting.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "cjo.h"

/* Pins search_path; returns what cjo_sql_end() needs to unpin it. */
int
cjo_sql_begin(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* Gives the caller its search_path back. */
void
cjo_sql_end(int level)
{
	AtEOXact_GUC(true, level);
}
