// Texts of a ride's changes on the rider page (issue 15): who moved it or changed its time.

export default {
  de: {
    "rider.changes.title": "Änderungen an Ihrer Fahrt",
    "rider.change.moved": "Ihre Fahrt wurde von {old_vehicle} auf {new_vehicle} verlegt; Ihr Abholfenster bleibt.",
    "rider.change.retimed": "Ihr Abholfenster wurde von {old_time} auf {new_time} Uhr geändert.",
    "rider.change.pinned": "Ihre Fahrt ist fest {new_vehicle} zugeteilt.",
    "rider.change.unpinned": "Ihre Fahrt kann wieder einem anderen Fahrzeug zugeteilt werden.",
    "rider.change.breakdown_moved": "Wegen einer Panne fährt Sie jetzt {new_vehicle}; Ihr Abholfenster bleibt.",
    "rider.change.breakdown_unplaced": "Wegen einer Panne ist Ihre Fahrt noch keinem Fahrzeug zugeteilt; die Disposition meldet sich.",
    "rider.change.breakdown_replacement": "Wegen einer Panne holt {new_vehicle} Sie am Pannenort ab ({new_time} Uhr).",
    "rider.change.by.operator": "(durch die Disposition)",
    "rider.change.by.optimiser": "(automatische Planung)",
    "rider.change.by.connection": "(damit Sie Ihren Anschluss erreichen)",
    "rider.change.by.breakdown": "(Fahrzeugpanne)",
  },
  en: {
    "rider.changes.title": "Changes to your ride",
    "rider.change.moved": "Your ride was moved from {old_vehicle} to {new_vehicle}; your pickup window stays.",
    "rider.change.retimed": "Your pickup window was changed from {old_time} to {new_time}.",
    "rider.change.pinned": "Your ride is fixed to {new_vehicle}.",
    "rider.change.unpinned": "Your ride may be given to another vehicle again.",
    "rider.change.breakdown_moved": "After a breakdown, {new_vehicle} takes you now; your pickup window stays.",
    "rider.change.breakdown_unplaced": "After a breakdown, your ride has no vehicle yet; the operator will call you.",
    "rider.change.breakdown_replacement": "After a breakdown, {new_vehicle} picks you up where the vehicle stopped ({new_time}).",
    "rider.change.by.operator": "(by the operator)",
    "rider.change.by.optimiser": "(automatic planning)",
    "rider.change.by.connection": "(so that you make your connection)",
    "rider.change.by.breakdown": "(vehicle breakdown)",
  },
};
