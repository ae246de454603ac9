"""Booking load test in parts; the command is ``benchmarks/booking_load.py``.

* :mod:`.server` – the ``ride-pool demo`` subprocess and its fresh database
* :mod:`.clients` – riders, the concurrent quote+book loop
* :mod:`.stats` – latency and throughput figures of the client records
* :mod:`.cpu` – CPU use of client, server and PostgreSQL during the measured run
* :mod:`.profiling` – py-spy on the server
* :mod:`.verification` – idempotency re-sends and the database check of every answered booking
* :mod:`.plans` – feasibility of the stored plans (dispatcher restore and independent rebuild)
* :mod:`.instrumentation` – server-side timing (``--instrument``); :mod:`.server_main` – the server's entry
* :mod:`.run` – one run on one database; :mod:`.report` – table and JSON
"""
