// civicpay shop: the only script. Everything works without it; with it, the return page
// follows the payment live and the application page draws the zones on a map.
(function () {
  "use strict";

  // The return page: ask for the payment's status until it is final, then show the page
  // again with its next steps. The status text sits in an aria-live region.
  var poll = document.querySelector("[data-poll]");
  if (poll) {
    var url = poll.getAttribute("data-poll");
    var tries = 0;
    var ask = function () {
      tries += 1;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body["final"]) { window.location.reload(); return; }
          if (tries < 150) { window.setTimeout(ask, 1500); }
        })
        .catch(function () { if (tries < 150) { window.setTimeout(ask, 3000); } });
    };
    window.setTimeout(ask, 1000);
  }

  // The zone map: GeoJSON polygons drawn with the vendored Leaflet, no tile server.
  var map = document.getElementById("zone-map");
  if (map && window.L) {
    var leaflet = window.L.map(map, { attributionControl: false, scrollWheelZoom: false });
    fetch(map.getAttribute("data-zones"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (zones) {
        var layer = window.L.geoJSON(zones, {
          style: function () { return { color: "#1d4f91", weight: 2, fillOpacity: 0.25 }; },
          onEachFeature: function (feature, l) {
            l.bindTooltip(feature.properties.name + " (" + feature.properties.code + ")");
          }
        }).addTo(leaflet);
        var bounds = layer.getBounds();
        if (bounds.isValid()) { leaflet.fitBounds(bounds, { padding: [16, 16] }); }
        else { leaflet.setView([0, 0], 1); }
        map.setAttribute("data-drawn", String(zones.features.length));
      });
  }
})();
