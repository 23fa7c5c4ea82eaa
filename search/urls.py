from django.urls import path

from . import views

urlpatterns = [
    path("hotline/", views.hotline, name="hotline"),
    path("hotline/gap/", views.record_gap, name="hotline_gap"),
    path("wenda/", views.public_qa, name="public_qa"),
    path("wenda/feedback/", views.record_feedback, name="qa_feedback"),
    path("wenda/<int:pk>/", views.qa_detail, name="qa_detail"),
    path("api/qa/search", views.api_search, name="api_qa_search"),
    path("api/qa/openapi.json", views.openapi_schema, name="api_qa_openapi"),
]
