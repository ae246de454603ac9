// The rider page's service worker (served as /rider-sw.js): shows the service's push messages
// (issue 17) and opens the booking when the rider taps one.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = { body: event.data ? event.data.text() : "" }; }
  const title = message.title || "Rufbus";
  const options = {
    body: message.body || "",
    tag: message.message_id || undefined,
    data: { booking_id: message.booking_id || null },
  };
  event.waitUntil(self.registration.showNotification(title, options).then(() =>
    self.clients.matchAll({ type: "window" }).then((clients) => {
      for (const client of clients) client.postMessage({ type: "push", title, body: options.body });
    })));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const id = event.notification.data && event.notification.data.booking_id;
  event.waitUntil(self.clients.openWindow(id ? `/#/bookings/${encodeURIComponent(id)}` : "/"));
});
