"""Entry of the server subprocess: ``python -m benchmarks.load.server_main demo --db ... --port ...``.

With ``$RIDE_POOL_BENCH_INSTRUMENT`` set it first installs the timing of :mod:`.instrumentation` and
writes the timings to that path when the server exits; then it runs the ``ride-pool`` CLI with the
arguments given.
"""

from __future__ import annotations

import atexit
import os
import sys

from benchmarks.load.instrumentation import ENV_VAR, Recorder, install


def main() -> None:
    out = os.environ.get(ENV_VAR)
    if out:
        recorder = Recorder()
        install(recorder)
        atexit.register(recorder.dump, out)
    from ride_pool.cli import main as ride_pool_main

    sys.argv[0] = "ride-pool"
    ride_pool_main()


if __name__ == "__main__":
    main()
