"""The dispatcher of a service area and its domain, shared by the API and the simulator.

Start at :mod:`ride_pool.dispatch.dispatcher` (the facade every change goes through); the README's
"Architecture" section names the job of each module.
"""
