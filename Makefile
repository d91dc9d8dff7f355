# cjo: built with PGXS.
EXTENSION = cjo
MODULE_big = cjo
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA = $(wildcard sql/cjo--*.sql)

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
