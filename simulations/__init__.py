"""County fleet simulator for ride_pool (event loop, demand model, KPIs, sweeps).

Never imports the API or the database layer of ``ride_pool``.
"""
