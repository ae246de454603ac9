"""Domain and dispatcher service: quotes, bookings, driver reports, events (shared by the API and
the simulator)."""
