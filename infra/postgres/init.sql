-- Runs once, on the first start of the compose `postgres` service (empty volume), as the
-- superuser `postgres`. Creates the role the platform connects as: NOT a superuser and
-- without BYPASSRLS, so PostgreSQL's row-level security policies (the second wall between
-- councils, after the store's own tenant filters) apply to it. The migrations FORCE row-level
-- security, so owning the tables does not exempt it either.
--
-- The password matches DATABASE_URL in infra/compose.yaml; it is for local use only.
CREATE ROLE civicpay LOGIN PASSWORD 'civicpay'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE civicpay OWNER civicpay;
