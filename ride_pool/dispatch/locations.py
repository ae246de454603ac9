"""Travel times between the road nodes the dispatcher currently uses.

The dispatcher works on a dense matrix over *slots*: each road node in use (a rider's origin or
destination, a vehicle's anchor or depot) gets a slot; adding a node costs its two upward searches
on the network's contraction hierarchy and a join with the search spaces of the slots in use
(:mod:`routing.ch_incremental`: exact times, independent of the network's size). Slots of
nodes no longer in use are reused once the table is full, so the matrix stays as large as the live
state, not the day: the unused ones are freed when the table is full or holds half as many
nodes again as were in use at the last clean-up (each new node is joined with every slot held,
so dead slots would cost time on a state-wide day).
"""

from __future__ import annotations

import numpy as np

from routing.ch_incremental import IncrementalTable
from routing.travel_times import TravelTimes

#: travel time used where a node cannot be reached (keeps int64 sums far from overflow)
UNREACHABLE_S = 10**9
#: clean up once the table holds this many times the nodes in use at the last clean-up
COLLECT_FACTOR = 1.5


class LocationTable:
    """Slots for road nodes and the ``matrix[slot_from, slot_to]`` of travel seconds (int64)."""

    def __init__(self, travel_times: TravelTimes, capacity: int = 256):
        self.travel_times = travel_times
        self._ch = travel_times.hierarchy()
        self._incremental = IncrementalTable(self._ch, capacity)
        self.node = np.full(capacity, -1, dtype=np.int64)
        self.matrix = np.zeros((capacity, capacity), dtype=np.int64)
        self.slot_of: dict[int, int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self._collect_at = capacity
        #: bumped whenever a slot may hold another node (or the matrix another array): cached
        #: results that read the matrix are recomputed
        self.generation = 0

    @property
    def capacity(self) -> int:
        return len(self.node)

    def slots(self, nodes, keep=None) -> list[int]:
        """Slots of ``nodes``, adding the missing ones; ``keep()`` names the nodes still in use
        (called when the table is full or has grown well past the last clean-up, to free the others)."""
        nodes = [int(n) for n in nodes]
        new = list(dict.fromkeys(n for n in nodes if n not in self.slot_of))
        if new:
            if keep is not None and (len(new) > len(self._free) or len(self.slot_of) + len(new) > self._collect_at):
                self._collect(set(keep()) | set(nodes))
                self._collect_at = max(64, int(COLLECT_FACTOR * (len(self.slot_of) + len(new))))
            while len(new) > len(self._free):
                self._grow()
            self._add(new)
        return [self.slot_of[n] for n in nodes]

    def _add(self, new: list[int]) -> None:
        slots = [self._free.pop() for _ in new]
        for n, s in zip(new, slots):
            self.node[s] = n
            self.slot_of[n] = s
        in_use = self.node >= 0
        in_use[slots] = False
        used = np.flatnonzero(in_use).astype(np.int64)
        # one new node at a time, against the slots in use and the new ones added before it
        for n, s in zip(new, slots):
            used = np.append(used, s)
            # writes row and column ``s`` of the matrix (UNREACHABLE_S where there is no path)
            self._incremental.add(s, n, used, self.matrix, UNREACHABLE_S)

    def _grow(self) -> None:
        old = self.capacity
        cap = old * 2
        node = np.full(cap, -1, dtype=np.int64)
        node[:old] = self.node
        matrix = np.zeros((cap, cap), dtype=np.int64)
        matrix[:old, :old] = self.matrix
        self.node, self.matrix = node, matrix
        self.generation += 1
        self._incremental.ensure_capacity(cap)
        self._free = list(range(cap - 1, old - 1, -1)) + self._free

    def _collect(self, keep: set[int]) -> None:
        freed = False
        for n, s in list(self.slot_of.items()):
            if n not in keep:
                del self.slot_of[n]
                self.node[s] = -1
                self._free.append(s)
                self._incremental.release(s)
                freed = True
        if freed:
            self.generation += 1

    def time(self, from_node: int, to_node: int) -> int:
        a, b = self.slots([from_node, to_node])
        return int(self.matrix[a, b])
