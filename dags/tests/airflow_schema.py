"""PostgreSQL DDL of the Airflow 2.x metadata tables the export/import touches, per version.

Built by hand from apache/airflow's models and migrations (Airflow cannot be installed here):
- models at the 2.7.2 … 2.10.3 tags: airflow/models/dagrun.py (DagRun, DagRunNote),
  taskinstance.py (TaskInstance, TaskInstanceNote), taskinstancehistory.py (2.10),
  xcom.py (BaseXCom), log.py (Log), tasklog.py (LogTemplate), taskfail.py, taskreschedule.py,
  taskmap.py, renderedtifields.py, slamiss.py, variable.py, connection.py, pool.py, dag.py
  (DagModel), trigger.py, serialized_dag.py, dagcode.py, airflow/jobs/job.py;
- migrations under airflow/migrations/versions/: 2.7.0 add_custom_operator_name_column,
  add_include_deferred_column_to_pool; 2.8.0 add_clear_number_to_dag_run,
  add_owner_display_name_to_audit_log_table, make_connection_login_password_text;
  2.9.0 add_rendered_map_index_to_taskinstance, add_run_id_to_audit_log_table_and_change_event_name_length,
  add_dataset_expression_in_dagmodel, add_display_name_for_dag_and_task_instance,
  update_trigger_kwargs_type (kwargs json → text, Fernet-encrypted); 2.10.0
  add_new_executor_field_to_db (task_instance.executor), add_task_instance_history,
  add_try_number_to_audit_log.
- airflow/utils/db.py ``_REVISION_HEADS_MAP``: no 2.10.1 or 2.11.x head, i.e. 2.10.1 has the
  2.10.0 schema and 2.11.0 the 2.10.3 schema (2.10.3 only renames constraints of a dataset
  alias table, which is not carried).

Column types are the PostgreSQL forms of Airflow's types: StringID → VARCHAR(250),
UtcDateTime → TIMESTAMP WITH TIME ZONE, ExecutorConfigType/PickleType/LargeBinary → BYTEA,
ExtendedJSON/sqlalchemy_jsonfield → JSON. Indexes that do not constrain are left out.
"""

from __future__ import annotations

from typing import List

VERSIONS = ("2.7.2", "2.8.1", "2.9.2", "2.10.1", "2.10.3", "2.11.0")


def _v(version: str) -> tuple:
    return tuple(int(p) for p in version.split("."))


def ddl(version: str) -> List[str]:
    v = _v(version)
    at_least = lambda other: v >= _v(other)  # noqa: E731

    statements = [
        # --- UI users (not carried; notes reference them) -------------------------------------
        """CREATE TABLE ab_user (
            id SERIAL PRIMARY KEY, first_name VARCHAR(256) NOT NULL, last_name VARCHAR(256) NOT NULL,
            username VARCHAR(512) NOT NULL UNIQUE, password VARCHAR(256), active BOOLEAN,
            email VARCHAR(512) NOT NULL UNIQUE, last_login TIMESTAMP WITHOUT TIME ZONE,
            login_count INTEGER, fail_login_count INTEGER, created_on TIMESTAMP WITHOUT TIME ZONE,
            changed_on TIMESTAMP WITHOUT TIME ZONE, created_by_fk INTEGER REFERENCES ab_user(id),
            changed_by_fk INTEGER REFERENCES ab_user(id))""",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        # --- jobs and triggers (not carried) -------------------------------------------------
        """CREATE TABLE job (
            id SERIAL PRIMARY KEY, dag_id VARCHAR(250), state VARCHAR(20), job_type VARCHAR(30),
            start_date TIMESTAMPTZ, end_date TIMESTAMPTZ, latest_heartbeat TIMESTAMPTZ,
            executor_class VARCHAR(500), hostname VARCHAR(500), unixname VARCHAR(1000))""",
        f"""CREATE TABLE trigger (
            id SERIAL PRIMARY KEY, classname VARCHAR(1000) NOT NULL,
            kwargs {"TEXT" if at_least("2.9.2") else "JSON"} NOT NULL,
            created_date TIMESTAMPTZ NOT NULL, triggerer_id INTEGER)""",
        # --- DAG models (not carried; pause state travels as activeDags) -----------------------
        f"""CREATE TABLE dag (
            dag_id VARCHAR(250) PRIMARY KEY, root_dag_id VARCHAR(250), is_paused BOOLEAN,
            is_subdag BOOLEAN, is_active BOOLEAN, last_parsed_time TIMESTAMPTZ,
            last_pickled TIMESTAMPTZ, last_expired TIMESTAMPTZ, scheduler_lock BOOLEAN,
            pickle_id INTEGER, fileloc VARCHAR(2000), processor_subdir VARCHAR(2000),
            owners VARCHAR(2000), description TEXT, default_view VARCHAR(25),
            schedule_interval TEXT, timetable_description VARCHAR(1000),
            max_active_tasks INTEGER NOT NULL, max_active_runs INTEGER,
            has_task_concurrency_limits BOOLEAN NOT NULL, has_import_errors BOOLEAN DEFAULT false,
            next_dagrun TIMESTAMPTZ, next_dagrun_data_interval_start TIMESTAMPTZ,
            next_dagrun_data_interval_end TIMESTAMPTZ, next_dagrun_create_after TIMESTAMPTZ
            {", dag_display_name VARCHAR(2000), dataset_expression JSON, max_consecutive_failed_dag_runs INTEGER NOT NULL" if at_least("2.9.2") else ""})""",
        """CREATE TABLE serialized_dag (
            dag_id VARCHAR(250) PRIMARY KEY, fileloc VARCHAR(2000) NOT NULL, fileloc_hash BIGINT NOT NULL,
            data JSON, data_compressed BYTEA, last_updated TIMESTAMPTZ NOT NULL,
            dag_hash VARCHAR(32) NOT NULL, processor_subdir VARCHAR(2000))""",
        """CREATE TABLE dag_code (
            fileloc_hash BIGINT PRIMARY KEY, fileloc VARCHAR(2000) NOT NULL,
            last_updated TIMESTAMPTZ NOT NULL, source_code TEXT NOT NULL)""",
        """CREATE TABLE import_error (
            id SERIAL PRIMARY KEY, timestamp TIMESTAMPTZ, filename VARCHAR(1024), stacktrace TEXT
            """ + (", processor_subdir VARCHAR(2000)" if at_least("2.8.1") else "") + ")",
        """CREATE TABLE callback_request (
            id SERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, priority_weight INTEGER NOT NULL,
            callback_data JSON NOT NULL, callback_type VARCHAR(20) NOT NULL, processor_subdir VARCHAR(2000))""",
        """CREATE TABLE session (
            id SERIAL PRIMARY KEY, session_id VARCHAR(255) UNIQUE, data BYTEA, expiry TIMESTAMP WITHOUT TIME ZONE)""",
        # --- carried -----------------------------------------------------------------------------
        """CREATE TABLE log_template (
            id SERIAL PRIMARY KEY, filename TEXT NOT NULL, elasticsearch_id TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL)""",
        f"""CREATE TABLE dag_run (
            id SERIAL PRIMARY KEY, dag_id VARCHAR(250) NOT NULL, queued_at TIMESTAMPTZ,
            execution_date TIMESTAMPTZ NOT NULL, start_date TIMESTAMPTZ, end_date TIMESTAMPTZ,
            state VARCHAR(50), run_id VARCHAR(250) NOT NULL, creating_job_id INTEGER,
            external_trigger BOOLEAN, run_type VARCHAR(50) NOT NULL, conf BYTEA,
            data_interval_start TIMESTAMPTZ, data_interval_end TIMESTAMPTZ,
            last_scheduling_decision TIMESTAMPTZ, dag_hash VARCHAR(32),
            log_template_id INTEGER, updated_at TIMESTAMPTZ,
            {"clear_number INTEGER DEFAULT 0 NOT NULL," if at_least("2.8.1") else ""}
            CONSTRAINT dag_run_dag_id_execution_date_key UNIQUE (dag_id, execution_date),
            CONSTRAINT dag_run_dag_id_run_id_key UNIQUE (dag_id, run_id),
            CONSTRAINT task_instance_log_template_id_fkey FOREIGN KEY (log_template_id) REFERENCES log_template (id))""",
        """CREATE TABLE dag_run_note (
            user_id INTEGER, dag_run_id INTEGER NOT NULL PRIMARY KEY, content VARCHAR(1000),
            created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
            CONSTRAINT dag_run_note_dr_fkey FOREIGN KEY (dag_run_id) REFERENCES dag_run (id) ON DELETE CASCADE,
            CONSTRAINT dag_run_note_user_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id))""",
        f"""CREATE TABLE task_instance (
            task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL, run_id VARCHAR(250) NOT NULL,
            map_index INTEGER DEFAULT -1 NOT NULL, start_date TIMESTAMPTZ, end_date TIMESTAMPTZ,
            duration FLOAT, state VARCHAR(20), try_number INTEGER, max_tries INTEGER DEFAULT -1,
            hostname VARCHAR(1000), unixname VARCHAR(1000), job_id INTEGER, pool VARCHAR(256) NOT NULL,
            pool_slots INTEGER NOT NULL, queue VARCHAR(256), priority_weight INTEGER,
            operator VARCHAR(1000), custom_operator_name VARCHAR(1000), queued_dttm TIMESTAMPTZ,
            queued_by_job_id INTEGER, pid INTEGER, executor_config BYTEA, updated_at TIMESTAMPTZ,
            external_executor_id VARCHAR(250), trigger_id INTEGER,
            trigger_timeout TIMESTAMP WITHOUT TIME ZONE, next_method VARCHAR(1000), next_kwargs JSON,
            {"rendered_map_index VARCHAR(250), task_display_name VARCHAR(2000)," if at_least("2.9.2") else ""}
            {"executor VARCHAR(1000)," if at_least("2.10.1") else ""}
            CONSTRAINT task_instance_pkey PRIMARY KEY (dag_id, task_id, run_id, map_index),
            CONSTRAINT task_instance_dag_run_fkey FOREIGN KEY (dag_id, run_id)
                REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE,
            CONSTRAINT task_instance_trigger_id_fkey FOREIGN KEY (trigger_id) REFERENCES trigger (id) ON DELETE CASCADE)""",
        """CREATE TABLE task_instance_note (
            user_id INTEGER, task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL,
            run_id VARCHAR(250) NOT NULL, map_index INTEGER NOT NULL, content VARCHAR(1000),
            created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
            CONSTRAINT task_instance_note_pkey PRIMARY KEY (task_id, dag_id, run_id, map_index),
            CONSTRAINT task_instance_note_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE,
            CONSTRAINT task_instance_note_user_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id))""",
        """CREATE TABLE task_map (
            dag_id VARCHAR(250) NOT NULL, task_id VARCHAR(250) NOT NULL, run_id VARCHAR(250) NOT NULL,
            map_index INTEGER NOT NULL, length INTEGER NOT NULL, keys JSON,
            CONSTRAINT task_map_pkey PRIMARY KEY (dag_id, task_id, run_id, map_index),
            CONSTRAINT ck_task_map_task_map_length_not_negative CHECK (length >= 0),
            CONSTRAINT task_map_task_instance_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE)""",
        """CREATE TABLE rendered_task_instance_fields (
            dag_id VARCHAR(250) NOT NULL, task_id VARCHAR(250) NOT NULL, run_id VARCHAR(250) NOT NULL,
            map_index INTEGER DEFAULT -1 NOT NULL, rendered_fields JSON NOT NULL, k8s_pod_yaml JSON,
            CONSTRAINT rendered_task_instance_fields_pkey PRIMARY KEY (dag_id, task_id, run_id, map_index),
            CONSTRAINT rtif_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE)""",
        """CREATE TABLE xcom (
            dag_run_id INTEGER NOT NULL, task_id VARCHAR(250) NOT NULL, map_index INTEGER DEFAULT -1 NOT NULL,
            key VARCHAR(512) NOT NULL, dag_id VARCHAR(250) NOT NULL, run_id VARCHAR(250) NOT NULL,
            value BYTEA, timestamp TIMESTAMPTZ NOT NULL,
            CONSTRAINT xcom_pkey PRIMARY KEY (dag_run_id, task_id, map_index, key),
            CONSTRAINT xcom_task_instance_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE)""",
        """CREATE TABLE task_fail (
            id SERIAL PRIMARY KEY, task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL,
            run_id VARCHAR(250) NOT NULL, map_index INTEGER DEFAULT -1 NOT NULL,
            start_date TIMESTAMPTZ, end_date TIMESTAMPTZ, duration INTEGER,
            CONSTRAINT task_fail_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE)""",
        """CREATE TABLE task_reschedule (
            id SERIAL PRIMARY KEY, task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL,
            run_id VARCHAR(250) NOT NULL, map_index INTEGER DEFAULT -1 NOT NULL, try_number INTEGER NOT NULL,
            start_date TIMESTAMPTZ NOT NULL, end_date TIMESTAMPTZ NOT NULL, duration INTEGER NOT NULL,
            reschedule_date TIMESTAMPTZ NOT NULL,
            CONSTRAINT task_reschedule_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE,
            CONSTRAINT task_reschedule_dr_fkey FOREIGN KEY (dag_id, run_id)
                REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE)""",
        """CREATE TABLE sla_miss (
            task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL, execution_date TIMESTAMPTZ NOT NULL,
            email_sent BOOLEAN, timestamp TIMESTAMPTZ, description TEXT, notification_sent BOOLEAN,
            PRIMARY KEY (task_id, dag_id, execution_date))""",
        f"""CREATE TABLE log (
            id SERIAL PRIMARY KEY, dttm TIMESTAMPTZ, dag_id VARCHAR(250), task_id VARCHAR(250),
            map_index INTEGER, event VARCHAR({60 if at_least("2.9.2") else 30}), execution_date TIMESTAMPTZ,
            owner VARCHAR(500), extra TEXT
            {", owner_display_name VARCHAR(500)" if at_least("2.8.1") else ""}
            {", run_id VARCHAR(250)" if at_least("2.9.2") else ""}
            {", try_number INTEGER" if at_least("2.10.1") else ""})""",
        """CREATE TABLE variable (
            id SERIAL PRIMARY KEY, key VARCHAR(250) UNIQUE, val TEXT, description TEXT, is_encrypted BOOLEAN)""",
        f"""CREATE TABLE connection (
            id SERIAL PRIMARY KEY, conn_id VARCHAR(250) NOT NULL UNIQUE, conn_type VARCHAR(500) NOT NULL,
            description TEXT, host VARCHAR(500), schema VARCHAR(500),
            login {"TEXT" if at_least("2.8.1") else "VARCHAR(500)"}, password {"TEXT" if at_least("2.8.1") else "VARCHAR(5000)"},
            port INTEGER, is_encrypted BOOLEAN, is_extra_encrypted BOOLEAN, extra TEXT)""",
        """CREATE TABLE slot_pool (
            id SERIAL PRIMARY KEY, pool VARCHAR(256) UNIQUE, slots INTEGER, description TEXT,
            include_deferred BOOLEAN NOT NULL)""",
    ]
    if at_least("2.10.1"):
        statements.append(
            """CREATE TABLE task_instance_history (
            id SERIAL PRIMARY KEY, task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL,
            run_id VARCHAR(250) NOT NULL, map_index INTEGER DEFAULT -1 NOT NULL, try_number INTEGER NOT NULL,
            start_date TIMESTAMPTZ, end_date TIMESTAMPTZ, duration FLOAT, state VARCHAR(20),
            max_tries INTEGER DEFAULT -1, hostname VARCHAR(1000), unixname VARCHAR(1000), job_id INTEGER,
            pool VARCHAR(256) NOT NULL, pool_slots INTEGER NOT NULL, queue VARCHAR(256), priority_weight INTEGER,
            operator VARCHAR(1000), custom_operator_name VARCHAR(1000), queued_dttm TIMESTAMPTZ,
            queued_by_job_id INTEGER, pid INTEGER, executor VARCHAR(1000), executor_config BYTEA,
            updated_at TIMESTAMPTZ, rendered_map_index VARCHAR(250), external_executor_id VARCHAR(250),
            trigger_id INTEGER, trigger_timeout TIMESTAMP WITHOUT TIME ZONE, next_method VARCHAR(1000),
            next_kwargs JSON, task_display_name VARCHAR(2000),
            CONSTRAINT task_instance_history_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index)
                REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE ON UPDATE CASCADE,
            CONSTRAINT task_instance_history_dtrt_uq UNIQUE (dag_id, task_id, run_id, map_index, try_number))"""
        )
        statements.append(
            """CREATE TABLE dag_priority_parsing_request (
            id VARCHAR(32) PRIMARY KEY, fileloc VARCHAR(2000) NOT NULL)"""
        )
    # What `airflow db migrate` seeds: the default pool and the current log template.
    statements.append(
        "INSERT INTO slot_pool (pool, slots, description, include_deferred) "
        "VALUES ('default_pool', 128, 'Default pool', false)"
    )
    statements.append(
        "INSERT INTO log_template (filename, elasticsearch_id, created_at) VALUES "
        "('dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/"
        "{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}attempt={{ try_number }}.log', "
        "'{dag_id}-{task_id}-{run_id}-{map_index}-{try_number}', '2024-01-01T00:00:00+00:00')"
    )
    return statements
