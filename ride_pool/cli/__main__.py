"""``python -m ride_pool.cli``: the same as the ``ride-pool`` command."""

from ride_pool.cli import main

main()
