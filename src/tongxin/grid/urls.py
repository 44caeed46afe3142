"""/grids/ — grids, households, residents, care needs and household visits."""

from tongxin.grid.views import grids, households

app_name = "grid"
urlpatterns = [*grids.urlpatterns, *households.urlpatterns]
