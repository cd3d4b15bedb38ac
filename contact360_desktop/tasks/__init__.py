"""Task layer on Huey: queues, brokers, job tasks, retries, leases, reaper, monitoring.

Start with ``routing`` (queues and priorities), ``brokers`` (Redis or
PostgreSQL, one Huey per queue), ``runner`` (what every job task does) and
``reaper`` (acks-late recovery). Sub-modules are imported where used; this
package re-exports nothing so importing it stays cheap.
"""
