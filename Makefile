# cjo: built with PGXS.
EXTENSION = cjo
MODULE_big = cjo
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
EXTVERSION = 0.2.0

# The install script is generated from the pieces in sql/install/, one concept
# per file, concatenated in name order. Released scripts (sql/cjo--0.1.0.sql)
# are frozen. The upgrade script from 0.1.0 is sql/upgrade/0.1.0--0.2.0.sql
# (changes to objects 0.1.0 created) followed by every piece added since.
PIECES = $(sort $(wildcard sql/install/*.sql))
PIECES_SINCE_0_1_0 = $(filter-out sql/install/10_core.sql,$(PIECES))
GENERATED = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql
DATA = sql/$(EXTENSION)--0.1.0.sql $(GENERATED)
EXTRA_CLEAN = $(GENERATED)

# pg_regress: one file per feature in sql/ with its expected output in expected/.
REGRESS := $(sort $(notdir $(basename $(filter-out sql/cjo--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=cjo

# Isolation specs (concurrency) live in specs/.
ISOLATION := $(sort $(notdir $(basename $(wildcard specs/*.spec))))
ISOLATION_OPTS = --load-extension=cjo

PG_CPPFLAGS = -Isrc
# -Wextra minus unused parameters: PostgreSQL's own headers and callback
# signatures (fmgr, xact and relcache callbacks) have many.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter $(CJO_CFLAGS)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: $(GENERATED)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(PIECES)
	cat $^ > $@

sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: sql/upgrade/0.1.0--$(EXTVERSION).sql $(PIECES_SINCE_0_1_0)
	cat $^ > $@

# PGXS does not track headers: every object depends on all of them.
$(OBJS): $(wildcard src/*.h)
