"""Public transport data: the service published as a GTFS-Flex v2 feed (:mod:`.flex`) and the
timetables of the scheduled lines it meets, read from GTFS feeds (:mod:`.timetable`).

Both are plain data and functions: they import nothing of the dispatcher, the database or the
API, so the simulator can use the timetable as it is."""
