"""DAGs the real-Airflow tests run to fill a metadata database the way Airflow itself does.

Core operators only, written for every Airflow 2.x version in scope (2.7 … 2.11):
- ``sample_etl``: XComs, a task mapped over an XCom (task_map, map_index >= 0), a templated BashOperator
  (rendered_task_instance_fields) and a dataset outlet (dataset_event, dataset_dag_run_queue);
- ``sample_consumer``: scheduled on two datasets, so one event leaves a pending queued run;
- ``sample_hourly``: hourly with ``is_paused_upon_creation=False``, as a DAG a new environment
  starts running at boot;
- ``sample_slow``: two tasks in sequence, for the scheduler-recovery test.
"""

from __future__ import annotations

import datetime

from airflow import DAG
from airflow.datasets import Dataset
from airflow.decorators import task
from airflow.operators.bash import BashOperator

START = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
ORDERS = Dataset("s3://lake/orders")
CUSTOMERS = Dataset("s3://lake/customers")

with DAG("sample_etl", schedule=None, start_date=START, catchup=False, tags=["sample"]) as etl:

    @task
    def extract():
        # Non-ASCII and a multi-line value: the XCom must come back byte for byte.
        return {"rows": [1, 2, 3], "note": "zoë\nline two", "amount": 12.5}

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def transform(x: int):
        return x * 10

    @task(outlets=[ORDERS])
    def load(values):
        return sum(values)

    report = BashOperator(task_id="report", bash_command="echo 'report for {{ ds }} — ünïcødé'")
    data = extract()
    load(transform.expand(x=numbers())) >> report
    data >> report

with DAG("sample_consumer", schedule=[ORDERS, CUSTOMERS], start_date=START, catchup=False, tags=["sample"]):
    BashOperator(task_id="consume", bash_command="echo consumed")

with DAG(
    "sample_hourly",
    schedule="@hourly",
    start_date=START,
    catchup=False,
    is_paused_upon_creation=False,
    tags=["sample"],
):
    BashOperator(task_id="tick", bash_command="echo tick")

with DAG("sample_slow", schedule=None, start_date=START, catchup=False, tags=["sample"]):
    BashOperator(task_id="first", bash_command="echo first") >> BashOperator(
        task_id="second", bash_command="echo second"
    )
