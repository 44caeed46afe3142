"""Open311 GeoReport v2 (issue 6 item 9): views, serializers, rendering; /open311/v2/."""
