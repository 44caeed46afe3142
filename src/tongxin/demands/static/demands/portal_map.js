/* The resident portal's map picker (progressive enhancement): a click on the map, or the
   "use the map's centre" button after moving the map with the arrow keys, or the phone's
   own position, fills the hidden latitude/longitude inputs. Without JavaScript the map
   stays hidden and the address + community fields are enough. Tiles come from
   TONGXIN["MAP_TILE_URL"] through django-leaflet; without them the map is a blank
   background with the marker. */
(function () {
  "use strict";
  function byId(id) { return document.getElementById(id); }
  function readJSON(id) {
    var node = byId(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  window.tongxinPortalPicker = function (map) {
    var lat = byId("id_latitude"), lon = byId("id_longitude");
    var status = byId("map-status"), clear = byId("map-clear");
    var centreBtn = byId("map-centre"), locate = byId("map-locate");
    var centre = readJSON("portal-default-centre") || [26.082, 119.296];
    var marker = null;
    function show(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      status.textContent = status.getAttribute("data-picked") + " " + lat.value + ", " + lon.value;
      clear.hidden = false;
    }
    function reset() {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = ""; lon.value = "";
      status.textContent = status.getAttribute("data-none");
      clear.hidden = true;
    }
    if (lat.value && lon.value && !isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lon.value))) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      map.setView(start, 16);
      show(start);
    } else {
      map.setView(centre, 13);
      reset();
    }
    map.on("click", function (e) { show(e.latlng); });
    clear.addEventListener("click", reset);
    centreBtn.addEventListener("click", function () { show(map.getCenter()); });
    if (navigator.geolocation && window.isSecureContext) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
          map.setView(here, 17);
          show(here);
        }, function () {
          status.textContent = status.getAttribute("data-nolocation");
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  };
})();
