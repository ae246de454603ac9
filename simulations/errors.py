"""Errors of the simulator. Each message says what is wrong and what to do about it."""


class SimulationInputError(ValueError):
    """Bad input to the simulator (a file, a region, a parameter); the CLI prints it as one
    ``error:`` line and exits with code 2."""
