-- cjo 0.1.0 -> 0.2.0: changes to objects that 0.1.0 created. The pieces of
-- sql/install/ added since 0.1.0 (everything but 10_core.sql) follow this file
-- in the generated upgrade script.
\echo Use "ALTER EXTENSION cjo UPDATE" to load this file. \quit

SET LOCAL search_path TO pg_catalog, pg_temp;
