from pal.views import operator, region, review

app_name = "pal"

urlpatterns = [*operator.urlpatterns, *review.urlpatterns, *region.urlpatterns]
