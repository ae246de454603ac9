"""ride_pool: on-demand ride pooling for rural counties (domain, dispatcher service, API, pages)."""

__version__ = "0.1.0"
