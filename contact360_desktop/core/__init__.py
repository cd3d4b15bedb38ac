"""Pure-Python core: CSV reading, header mapping, validation, export formatting.

Nothing here imports Qt, SQLAlchemy, Huey or boto3.
"""
