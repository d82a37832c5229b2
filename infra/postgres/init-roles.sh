#!/bin/sh
# Runs once, when the compose Postgres initialises its data directory: the
# services' login role. orrery_service (NOLOGIN) gets its rights from the
# migrations: read and append to the log, never change it, read and write the
# read models. orrery_app is the login the services use (DATABASE_URL). The
# migrations, run as the owner (postgres here), would create the group too.
# See docs/database-roles.md.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$ORRERY_APP_DB_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
create role orrery_service nologin;
create role orrery_app login password :'app_password' in role orrery_service;
SQL
