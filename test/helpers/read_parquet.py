"""Read Parquet files with pyarrow (an implementation independent of the writer) and print, as
JSON, each file's schema (name, Arrow type, nullability, Parquet physical and logical types),
its key-value metadata and its rows. Timestamps print as ISO-8601 with microseconds.

    python read_parquet.py FILE [FILE...]
"""
import json
import sys

import pyarrow.parquet as pq


def value(v):
    if hasattr(v, "isoformat"):
        return v.isoformat(timespec="microseconds")
    return v


def describe(path):
    handle = pq.ParquetFile(path)
    table = handle.read()
    parquet_schema = handle.schema
    columns = []
    for i, field in enumerate(table.schema):
        column = parquet_schema.column(i)
        columns.append(
            {
                "name": field.name,
                "arrow": str(field.type),
                "nullable": field.nullable,
                "physical": column.physical_type,
                "logical": str(column.logical_type),
            }
        )
    metadata = {k.decode(): v.decode() for k, v in (handle.metadata.metadata or {}).items()}
    rows = [{k: value(v) for k, v in row.items()} for row in table.to_pylist()]
    return {
        "path": path,
        "columns": columns,
        "metadata": metadata,
        "rowGroups": handle.metadata.num_row_groups,
        "rows": rows,
    }


print(json.dumps([describe(p) for p in sys.argv[1:]]))
