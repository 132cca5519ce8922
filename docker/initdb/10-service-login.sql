-- Runs once, when the compose database is first created: the service's own login, with the
-- password compose gives it. schema/006_roles.sql then makes it a member of pledger_app.
CREATE ROLE pledger_service LOGIN PASSWORD 'pledger_service'
    NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
