/* The grid map: draws the GeoJSON of #grid-features on the Leaflet map that django-leaflet
   creates (callback of {% leaflet_map %}). Base tiles come from TONGXIN["MAP_TILE_URL"]
   through django-leaflet's TILES; without them the boundaries draw on a blank background. */
(function () {
  "use strict";
  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  window.tongxinGridMap = function (map) {
    var data = readJSON("grid-features") || { type: "FeatureCollection", features: [] };
    var centre = readJSON("grid-default-centre") || [26.082, 119.296];
    var container = map.getContainer();
    var detailUrl = container.getAttribute("data-detail-url") || "";
    var layer = L.geoJSON(data, {
      style: function () {
        return { color: "#b71c1c", weight: 2, fillColor: "#e53935", fillOpacity: 0.12 };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties || {};
        var link = document.createElement("a");
        link.href = detailUrl.replace(/\/0\/$/, "/" + encodeURIComponent(p.id) + "/");
        link.textContent = p.name || "";
        var box = document.createElement("div");
        box.appendChild(link);
        if (p.community) {
          var line = document.createElement("div");
          line.textContent = p.community;
          box.appendChild(line);
        }
        shape.bindPopup(box);
        shape.bindTooltip(String(p.name || ""), { sticky: true });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12] });
    } else {
      map.setView(centre, 13);
    }
    container.setAttribute("data-features", String(data.features.length));
  };
})();
