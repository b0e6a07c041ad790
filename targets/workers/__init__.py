"""A small task and durable-workflow target: its own app, task, durable actions and effect table.

Used by the ``tasks`` family whatever ``--aksara-target`` says (like the migration and doctor properties):
:mod:`targets.workers.app` is the application (real HTTP through ASGI, real Aksara task queue and durable
operations), :mod:`targets.workers.lab` runs it on a scratch PostgreSQL database with several real
``TaskWorker`` instances.
"""
