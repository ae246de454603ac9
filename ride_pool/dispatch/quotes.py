"""Quotes: binding pickup windows for a trip request, found by the insertion search in the live
plans, and the offers riders may book (or decline) until they expire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ride_pool.dispatch.admission import RiderLedger, earliest_allowed_why, past_time_rule, rider_rule, validate_request
from ride_pool.dispatch.domain import Event, EventKind, Offer, RejectCause, TripRequest
from ride_pool.dispatch.errors import NotFound
from ride_pool.dispatch.fares import fare as group_fare
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.locations import UNREACHABLE_S
from ride_pool.dispatch.needs import NeedList, fits, mask_unfit
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change
from ride_pool.messages import Message, msg
from routing.darp.insertion import NewRequest


@dataclass
class Quote:
    """The answer to a trip request: one offer, or the cause and message why there is none.

    ``reject_reason`` is the catalogue message (``reject_message`` its English text);
    ``time_reason`` says why the offered time is what it is when it is not the time asked for
    (``(code, message)``: the lead time, the operating hours, the early-trip cut-off, the closing
    time, or a full fleet at the time asked for)."""

    quote_id: str
    offers: list[Offer]
    reject_cause: RejectCause | None = None
    reject_message: str = ""
    requested_time: int | None = None
    direct_s: int | None = None
    direct_m: int | None = None
    reject_reason: Message | None = None
    time_reason: tuple[str, Message] | None = None


class QuoteDesk:
    """Makes offers from the live plans and keeps them until they are booked, declined or old."""

    def __init__(self, plans: LivePlans, journal: Journal, riders: RiderLedger, new_id: Callable[[], str]):
        self.plans = plans
        self.journal = journal
        self.riders = riders
        self.new_id = new_id
        self._prune_at = 512
        #: ``serve(request)``: the request with its points served at the door or the nearest stop
        #: (:func:`ride_pool.dispatch.access.serve`), or the refusal; None: every point at the door
        self.serve: Callable[[TripRequest], TripRequest | tuple[RejectCause, str]] | None = None

    def quote(self, request: TripRequest) -> Quote:
        """Offers (binding pickup windows) for ``request``, or the reason there is none."""
        plans, r = self.plans, self.plans.rules
        request = validate_request(request, r, plans.tt.network)
        served = self.serve(request) if self.serve is not None else request
        refused = served if isinstance(served, tuple) else None
        if refused is None:
            request = served
        now = self.journal.now()
        quote_id = self.new_id()
        o, d = request.origin, request.destination
        so, sd = plans.slots([o.node, d.node])
        M = plans.locations.matrix
        direct_s = int(M[so, sd])
        direct_m = plans.distance_m(o.node, d.node) if direct_s < UNREACHABLE_S else 0
        time_reason = None
        if request.arrive_by is not None:
            requested = int(request.arrive_by) - r.pickup_service_s(request.wheelchairs, request.needs) \
                - direct_s - r.window_s
        elif request.pickup_after is not None:
            requested = int(request.pickup_after)
        else:
            requested, time_reason = earliest_allowed_why(
                r, now, request.channel, r.window_s + r.pickup_service_s(request.wheelchairs, request.needs) + direct_s)
        received = Event(now, EventKind.REQUEST_RECEIVED, request.channel, rider_id=request.rider_id, data={
            "quote_id": quote_id, "origin_node": o.node, "destination_node": d.node,
            "passengers": request.passengers, "wheelchairs": request.wheelchairs, "requested_time": requested,
            "direct_s": direct_s, "direct_m": direct_m, "channel": request.channel,
            "arrive_by": request.arrive_by})

        def reject(cause: RejectCause, message: Message) -> Quote:
            if cause is RejectCause.IN_THE_PAST:
                cause, message = past_time_rule(request, r, now, message)
            event = Event(now, EventKind.REQUEST_REJECTED, cause.value, rider_id=request.rider_id,
                          data={"quote_id": quote_id, "message": str(message)})
            self.journal.commit(Change(events=[received, event]), durable=False)
            self.journal.publish([received, event])
            return Quote(quote_id, [], cause, str(message), requested, direct_s, direct_m, reject_reason=message)

        if refused is not None:
            return reject(*refused)
        if o.node == d.node:
            return reject(RejectCause.SAME_PLACE, msg("same_place"))
        if direct_s >= UNREACHABLE_S:
            return reject(RejectCause.OUTSIDE_SERVICE_AREA, msg("destination_unreachable"))
        broken = rider_rule(request, r, self.riders)
        if broken:
            return reject(*broken)
        seats = request.passengers - request.wheelchairs
        t = plans.tables
        if not np.any(~t.ended & (t.seat_capacity >= seats) & (t.wheelchair_capacity >= request.wheelchairs)):
            return reject(RejectCause.NO_VEHICLE_FITS, msg("no_vehicle_fits", passengers=request.passengers,
                                                           wheelchairs=request.wheelchairs))
        # each vehicle's features, once per quote (the alternatives below use them again)
        features = plans.slot_features() if request.needs else []
        if request.needs and not any(fits(request.needs, f) for f, ended in zip(features, t.ended) if not ended):
            # no vehicle in service has what the rider needs: another time would not help
            return reject(RejectCause.NO_VEHICLE_FITS, msg("no_vehicle_for_needs", needs=NeedList(request.needs)))
        ps = r.pickup_service_s(request.wheelchairs, request.needs)
        ds = r.dropoff_service_s(request.wheelchairs, request.needs)
        max_ride = r.max_ride_s(direct_s)
        W, step = r.window_s, max(60, r.window_s // 2)
        if request.arrive_by is not None and int(request.arrive_by) < now:
            return reject(RejectCause.IN_THE_PAST, msg("arrival_in_the_past"))
        for k in range(r.alternatives + 1):
            if request.arrive_by is not None:
                dl = int(request.arrive_by) - k * step
                pl = dl - ps - direct_s
                pe = pl - W
            else:
                pe = requested + k * step
                pl = pe + W
                dl = pl + ps + max_ride
            broken = r.check_pickup(pe, pl + ps + direct_s, now, request.channel)
            if broken:
                if k == 0:      # the time asked for (or the earliest allowed) breaks a rule
                    return reject(*broken)
                continue
            new = NewRequest(so, sd, seats, request.wheelchairs, pe, pl, pe, dl, max_ride, ps, ds)
            ins = plans.insertions(now, new)
            mask_unfit(ins.cost, request.needs, features)
            v = ins.best_vehicle
            if v < 0:
                continue
            offer = self._make_offer(quote_id, request, v, ins, new, now, direct_s, direct_m, alternative=k > 0)
            plans.offers[offer.offer_id] = offer
            event = Event(now, EventKind.OFFER_MADE, "dispatcher", rider_id=request.rider_id, data={
                "quote_id": quote_id, "offer_id": offer.offer_id, "pickup_earliest": pe, "pickup_latest": pl,
                "dropoff_latest": dl, "alternative": k > 0})
            try:
                self.journal.commit(Change(offers=[offer], events=[received, event]), durable=False)
            except Exception:
                del plans.offers[offer.offer_id]
                raise
            self.journal.publish([received, event])
            self._prune_offers(now)
            if k > 0:       # the time asked for (or the earliest allowed) had no room in any vehicle
                time_reason = ("fleet_busy", msg("fleet_busy"))
            return Quote(quote_id, [offer], None, "", requested, direct_s, direct_m, time_reason=time_reason)
        return reject(RejectCause.NO_VEHICLE_AVAILABLE, msg("no_vehicle_available"))

    def _make_offer(self, quote_id, request, v, ins, new: NewRequest, now, direct_s, direct_m, alternative) -> Offer:
        i, j = int(ins.pickup_position[v]), int(ins.dropoff_position[v])
        planned = self.plans.planned_for(v, new, i, j)
        return Offer(offer_id=self.new_id(), quote_id=quote_id, request=request, pickup_earliest=new.pickup_earliest,
                     pickup_latest=new.pickup_latest, dropoff_latest=new.dropoff_latest, planned_pickup=planned[0],
                     planned_dropoff=planned[1], vehicle_id=self.plans.shift_at(v).vehicle_id,
                     expires_at=now + self.plans.rules.offer_ttl_s, direct_s=direct_s, direct_m=direct_m,
                     max_ride_s=new.max_ride_time, alternative=alternative,
                     fare=group_fare(self.plans.rules.tariff, direct_m, request.passengers, request.fare_group))

    def _prune_offers(self, now: int) -> None:
        """Forget offers expired over an hour ago, once more than 512 (and 256 more than after the
        last pruning) are kept: each offer is looked at a bounded number of times."""
        offers = self.plans.offers
        if len(offers) > self._prune_at:
            for oid in [k for k, o in offers.items() if o.expires_at < now - 3600]:
                del offers[oid]
            self._prune_at = max(512, len(offers) + 256)

    def decline(self, offer_id: str, cause: str = "rider") -> None:
        """The rider does not take an offer (recorded for the KPIs)."""
        offer = self.plans.offers.get(offer_id)
        if offer is None:
            raise NotFound(msg("offer_not_known", offer_id=offer_id))
        event = Event(self.journal.now(), EventKind.OFFER_DECLINED, cause, rider_id=offer.request.rider_id,
                      data={"offer_id": offer_id, "quote_id": offer.quote_id})
        self.journal.commit(Change(events=[event]), durable=False)
        del self.plans.offers[offer_id]
        self.journal.publish([event])
